/* wire.h - every message layout of the taskfarm protocol, and nothing else.
 * A frame is a fixed header followed by `count` entries; each entry is a fixed
 * entry header followed by its data, padded to 8 bytes. All integers are
 * little-endian. Frames are validated whole before any entry is used. */
#ifndef TF_WIRE_H
#define TF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define TF_WIRE_MAGIC 0x31574654u /* "TFW1" read as little-endian bytes */
#define TF_WIRE_VERSION 1u
#define TF_WIRE_HEADER_SIZE 24u
#define TF_WIRE_ENTRY_SIZE 24u
#define TF_WIRE_ALIGN 8u
#define TF_WIRE_TAG 1             /* the one MPI tag on the library's communicator */
#define TF_WIRE_MAX_MESSAGE 1024u /* bytes of an ERROR text */

/* Frame kinds, and who sends them. */
enum tf_msg_kind {
  TF_MSG_TASKS = 1,   /* master -> worker: task entries; aux = the plan (TF_WIRE_PLAN) */
  TF_MSG_RESULTS = 2, /* worker -> master: result/fail/spawn/stats entries; aux = tasks asked for */
  TF_MSG_STOP = 3,    /* master -> worker: no entries; aux = run status (0 or -TF_E*) */
  TF_MSG_BYE = 4,     /* worker -> master: one stats entry; the worker's last frame */
  TF_MSG_ERROR = 5,   /* either way: one text entry; the sender gives up */
  TF_MSG_HEARTBEAT = 6, /* either way: no entries; "still here" after a quiet spell */
  TF_MSG_KIND_COUNT
};

/* Entry types. */
enum tf_entry_type {
  TF_ENT_TASK = 1,   /* a task: id, priority, payload */
  TF_ENT_RESULT = 2, /* a finished task: id, result payload */
  TF_ENT_FAIL = 3,   /* a failed task: id, status in prio, message payload */
  TF_ENT_SPAWN = 4,  /* a task created by a worker: id, priority, payload */
  TF_ENT_STATS = 5,  /* worker statistics: TF_WIRE_STATS_SIZE bytes */
  TF_ENT_TEXT = 6,   /* a message for a person */
  TF_ENT_TYPE_COUNT
};

/* TF_ENT_STATS payload: four u64. In RESULTS: tasks run and their busy ns
 * since the last frame, and the ns from request to answer summed over the
 * requests answered since then, and their number. In BYE, for the whole run:
 * tasks, busy ns, ns spent with nothing to run, frames sent. */
#define TF_WIRE_STATS_SIZE 32u
#define TF_WIRE_STATS_N 4

/* The plan in a TASKS frame's aux: depth in the low 16 bits, chunk above. */
#define TF_WIRE_PLAN(depth, chunk) ((uint32_t)(depth) | (uint32_t)(chunk) << 16)
#define TF_WIRE_PLAN_DEPTH(aux) ((int)((aux)&0xffffu))
#define TF_WIRE_PLAN_CHUNK(aux) ((int)((aux) >> 16))

/* STOP's aux: the run status, and a flag saying a worker was lost (then
 * MPI_Finalize may hang, and every rank bounds it). */
#define TF_WIRE_STOP(status, lost) ((uint32_t)(-(status)) | ((lost) ? 1u << 16 : 0u))
#define TF_WIRE_STOP_STATUS(aux) (-(int)((aux)&0xffffu))
#define TF_WIRE_STOP_LOST(aux) (((aux) >> 16) & 1u)

/* A frame under construction; buf grows as entries are added. */
typedef struct tf_wbuf {
  unsigned char *buf;
  size_t len, cap;
  uint32_t count;
} tf_wbuf;

/* A validated frame; body points into the buffer given to tf_wire_decode. */
typedef struct tf_frame {
  unsigned kind;
  uint32_t aux;
  uint32_t count;
  const unsigned char *body;
  size_t body_len;
} tf_frame;

typedef struct tf_entry {
  unsigned type;
  uint64_t id;
  int32_t prio;     /* priority for TASK/SPAWN, status for FAIL */
  uint32_t attempt; /* TASK: earlier runs that failed (entry bytes 20..23) */
  const void *data;
  uint32_t size;
} tf_entry;

/* Start a new frame in w (reusing its buffer). Returns 0 or TF_ENOMEM. */
int tf_wire_begin(tf_wbuf *w, unsigned kind, uint32_t aux);
/* Append one entry; data is copied. Returns 0, TF_ENOMEM or TF_ETOOBIG. */
int tf_wire_add(tf_wbuf *w, unsigned type, uint64_t id, int32_t prio, const void *data,
                size_t size);
/* Append a TASK entry that has failed `attempt` times before. */
int tf_wire_add_task(tf_wbuf *w, uint64_t id, int32_t prio, uint32_t attempt, const void *data,
                     size_t size);
/* Append every entry of the frame under construction in src to dst. */
int tf_wire_append(tf_wbuf *dst, const tf_wbuf *src);
/* Set aux of the frame under construction. */
void tf_wire_set_aux(tf_wbuf *w, uint32_t aux);
/* Write count and length into the header; the frame is w->buf, w->len. */
void tf_wire_finish(tf_wbuf *w);
/* Append / read a TF_ENT_STATS entry (see TF_WIRE_STATS_SIZE). */
int tf_wire_add_stats(tf_wbuf *w, const uint64_t v[TF_WIRE_STATS_N]);
void tf_wire_stats(const tf_entry *e, uint64_t v[TF_WIRE_STATS_N]);
/* Bytes an entry of `size` data bytes adds to a frame. */
size_t tf_wire_entry_bytes(size_t size);
void tf_wbuf_free(tf_wbuf *w);

/* Validate a whole received frame. Every entry must have a type allowed in
 * the frame's kind and data no larger than max_payload, and the entries must
 * fill the body exactly. Returns 0, or TF_EPROTO with the reason in why. */
int tf_wire_decode(const void *buf, size_t len, uint64_t max_payload, tf_frame *out, char *why,
                   size_t why_size);
/* Read the entry at *pos (start with 0) of a decoded frame and advance
 * *pos. Returns 1 when an entry was read, 0 at the end. */
int tf_wire_next(const tf_frame *f, size_t *pos, tf_entry *e);

const char *tf_wire_kind_name(unsigned kind);

#endif
