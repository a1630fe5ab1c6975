/* wire.h - every message layout of the taskfarm protocol, and nothing else.
 * A frame is a fixed header followed by `count` entries; each entry is a fixed
 * entry header followed by its data, padded to 8 bytes. All integers are
 * little-endian. Frames are validated whole before any entry is used. */
#ifndef TF_WIRE_H
#define TF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define TF_WIRE_MAGIC 0x31574654u /* "TFW1" read as little-endian bytes */
#define TF_WIRE_VERSION 7u /* 7: a worker may have two requests open (down.c take_request) */
#define TF_WIRE_HEADER_SIZE 24u
#define TF_WIRE_ENTRY_SIZE 24u
#define TF_WIRE_ALIGN 8u
#define TF_WIRE_TAG 1             /* the MPI tag of every frame on the library's communicator... */
#define TF_WIRE_TAG_LEAVE 2       /* ...but a STOP for a worker whose main thread may be stuck
                                     inside a task: its heartbeat thread looks for this one */
#define TF_WIRE_TAG_BIG 3         /* ...and a frame larger than TF_WIRE_SMALL, announced first */
#define TF_WIRE_MAX_MESSAGE 1024u /* bytes of an ERROR text */

/* Frames of up to TF_WIRE_SMALL bytes travel alone on TF_WIRE_TAG, into
 * receives the other side keeps posted. A larger one is announced there by a
 * note of TF_WIRE_NOTE_SIZE bytes (u32 TF_WIRE_NOTE_MAGIC, u64 the frame's
 * length) and follows on TF_WIRE_TAG_BIG, so the receiver posts a buffer of
 * the right size and still hands frames out in the order they were sent. */
#define TF_WIRE_SMALL 16384u
#define TF_WIRE_NOTE_MAGIC 0x31424654u /* "TFB1" read as little-endian bytes */
#define TF_WIRE_NOTE_SIZE 12u

/* Frame kinds, and who sends them. */
enum tf_msg_kind {
  TF_MSG_TASKS = 1,   /* master -> worker: task entries; aux = the plan (TF_WIRE_PLAN) */
  TF_MSG_RESULTS = 2, /* worker -> master: result/fail/spawn/stats entries; aux = tasks asked for */
  TF_MSG_STOP = 3,    /* master -> worker: no entries; aux = run status (0 or -TF_E*) */
  TF_MSG_BYE = 4,     /* worker -> master: a STATS entry, then at most one OBS and any number
                         of EVENTS entries; the worker's last frame. A relay's adds, for each
                         of its workers, an ORIGIN entry and that worker's own; a relay whose
                         workers are all lost sends it unasked, and leaves */
  TF_MSG_ERROR = 5,   /* either way: one text entry; the sender gives up */
  TF_MSG_HEARTBEAT = 6, /* either way: no entries; "still here" after a quiet spell */
  TF_MSG_CREDIT = 7,    /* master -> worker: one CREDIT entry; room for more results */
  TF_MSG_KIND_COUNT
};

/* Entry types. */
enum tf_entry_type {
  TF_ENT_TASK = 1,   /* a task: id, priority, payload */
  TF_ENT_RESULT = 2, /* a finished task: id, result payload */
  TF_ENT_FAIL = 3,   /* a failed task: id, status in prio, message payload; from a relay, the
                        rank of the worker the run was on in the last word (attempt) */
  TF_ENT_SPAWN = 4,  /* a task created by a worker: id, priority, payload */
  TF_ENT_STATS = 5,  /* worker statistics: TF_WIRE_STATS_SIZE bytes */
  TF_ENT_TEXT = 6,   /* a message for a person */
  TF_ENT_OBS = 7,    /* observability counters of a worker: TF_WIRE_OBS_SIZE bytes (BYE) */
  TF_ENT_EVENTS = 8, /* trace events: a whole number of TF_WIRE_EVENT_SIZE records (BYE) */
  TF_ENT_CREDIT = 9, /* bytes of the worker's results the master is done with: in id; no data */
  TF_ENT_FAILOUT = 10, /* what a failed run gave with tf_result: id, payload; its FAIL follows */
  TF_ENT_START = 11,   /* the task the worker starts now is id, not the oldest it holds (a higher
                          priority came after it); no data */
  TF_ENT_PARTIAL = 12, /* a piece of the output of task id, which still runs (tf_partial) */
  TF_ENT_ORIGIN = 13,  /* in a relay's BYE: the entries after it, up to the next ORIGIN, are
                          the goodbye of the relay's worker at rank id; no data */
  TF_ENT_LOST = 14,    /* a relay gave up on task id without a failed run: its workers were lost
                          running it, or it hangs; prio: its runs so far; the last word
                          (attempt): the rank of the worker of its last run; data: why */
  TF_ENT_FATE = 15,    /* in a relay's BYE, its own part: its worker at rank id was lost (prio
                          TF_FATE_LOST), is stuck in a task given up on (TF_FATE_STUCK), or did
                          not stop (TF_FATE_NO_BYE); no data */
  TF_ENT_SLOW = 16,    /* a relay's task id runs past --task-timeout and no other worker of the
                          relay is free to run it too; no data */
  TF_ENT_TYPE_COUNT
};

/* In a TASK entry's attempt: the task is a copy of a slow one (--task-timeout)
 * sent to a relay, which must not copy it again among its workers. */
#define TF_WIRE_TASK_COPY (1u << 31)

/* A task entry its reader has taken out of turn (inbox.c runs a later task of
 * higher priority first): the entry stays in the frame, its type byte reads
 * TF_ENT_TAKEN, and the reader steps over it in turn. Never on the wire. */
#define TF_ENT_TAKEN 0u

enum { TF_FATE_LOST = 1, TF_FATE_STUCK = 2, TF_FATE_NO_BYE = 3 };

/* TF_ENT_STATS payload: four u64. In RESULTS: tasks run and their busy ns
 * since the last frame, and the ns from request to answer summed over the
 * requests answered since then, and their number. In BYE, for the whole run:
 * tasks, busy ns, ns spent with nothing to run, frames sent. */
#define TF_WIRE_STATS_SIZE 32u
#define TF_WIRE_STATS_N 4

/* TF_ENT_OBS payload: TF_WIRE_OBS_N u64, indexed by enum tf_obs_field. Times
 * are ns on the worker's own clock since its start (see docs/OBSERVABILITY.md:
 * the master aligns them from the STOP / BYE exchange). */
#define TF_WIRE_OBS_N 16
#define TF_WIRE_OBS_SIZE (8u * TF_WIRE_OBS_N)
enum tf_obs_field {
  TF_OBS_MSGS_SENT,
  TF_OBS_BYTES_SENT,
  TF_OBS_MSGS_RECV,
  TF_OBS_BYTES_RECV,
  TF_OBS_STOP_SEEN, /* when STOP was received */
  TF_OBS_BYE_SENT,  /* when BYE was built */
  TF_OBS_EVENTS,    /* trace events recorded (and sent in this BYE) */
  TF_OBS_DROPPED,   /* trace events not recorded: the cap was reached */
  TF_OBS_WAIT_NS,   /* request to answer, summed over answered requests */
  TF_OBS_WAITS,     /* answered requests */
  TF_OBS_WAIT_MAX,  /* the longest of them, ns */
  TF_OBS_FAILED,    /* task runs that failed */
  TF_OBS_OUT_OF_TURN, /* tasks started before one that came earlier (a higher priority) */
  TF_OBS_FIELDS
};

/* A trace event: TF_WIRE_EVENT_SIZE bytes on the wire, little-endian: id
 * (u64), start and end (i64 ns since the recording rank's start), kind
 * (u32, enum tf_event_kind), arg (u32). */
#define TF_WIRE_EVENT_SIZE 32u
/* Events per EVENTS entry at most (bytes: 1 MiB). */
#define TF_WIRE_EVENTS_PER_ENTRY 32768u
typedef struct tf_event {
  uint64_t id;
  int64_t t0, t1;
  uint32_t kind, arg;
} tf_event;
enum tf_event_kind {
  TF_EV_TASK = 1,     /* a worker ran task id; arg 1: it failed */
  TF_EV_RECV = 2,     /* the master handled a frame of kind id from rank arg */
  TF_EV_SEND = 3,     /* the master sent id tasks to rank arg */
  TF_EV_GENERATE = 4, /* the master called generate; id tasks were submitted */
  TF_EV_FINISH = 5,   /* the master ran finish */
  TF_EV_STOP = 6,     /* the master stopped the workers */
  TF_EV_KIND_COUNT
};

/* The plan in a TASKS frame's aux: depth in the low 16 bits, chunk above. */
#define TF_WIRE_PLAN(depth, chunk) ((uint32_t)(depth) | (uint32_t)(chunk) << 16)
#define TF_WIRE_PLAN_DEPTH(aux) ((int)((aux)&0xffffu))
#define TF_WIRE_PLAN_CHUNK(aux) ((int)((aux) >> 16))

/* RESULTS' aux: the tasks asked for (at most TF_MAX_PREFETCH), and a flag
 * saying the worker holds results back for want of room (flow.h): the
 * master then returns the room it owes at once. */
#define TF_WIRE_ASK_ROOM (1u << 31)
/* And from a relay (the same build as its parent, in the same job): a worker
 * of its was lost. The parent's STOP then says a rank was lost, to every
 * child, so that no rank waits at the end for the dead one. */
#define TF_WIRE_ASK_LOST (1u << 30)
#define TF_WIRE_ASK_TASKS(aux) ((aux) & ~(TF_WIRE_ASK_ROOM | TF_WIRE_ASK_LOST))

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

/* A validated frame; body points into the buffer given to tf__wire_decode. */
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
  uint32_t attempt; /* TASK: earlier runs that failed; a relay's FAIL, LOST: the worker's rank
                       (entry bytes 20..23) */
  const void *data;
  uint32_t size;
} tf_entry;

/* Mark the entry at pos of the received frame f (read with tf__wire_next)
 * as TF_ENT_TAKEN; body is f's body, writable. */
void tf__wire_take(unsigned char *body, size_t pos);

/* Start a new frame in w (reusing its buffer). Returns 0 or TF_ENOMEM. */
int tf__wire_begin(tf_wbuf *w, unsigned kind, uint32_t aux);
/* Append one entry; data is copied. Returns 0, TF_ENOMEM or TF_ETOOBIG. */
int tf__wire_add(tf_wbuf *w, unsigned type, uint64_t id, int32_t prio, const void *data,
                 size_t size);
/* The same with the entry's last word set (a TASK's attempt, the worker rank
 * of a relay's FAIL or LOST; 0 in the others). */
int tf__wire_add_word(tf_wbuf *w, unsigned type, uint64_t id, int32_t prio, uint32_t word,
                      const void *data, size_t size);
/* Append a TASK entry that has failed `attempt` times before. */
int tf__wire_add_task(tf_wbuf *w, uint64_t id, int32_t prio, uint32_t attempt, const void *data,
                      size_t size);
/* Append every entry of the frame under construction in src to dst. */
int tf__wire_append(tf_wbuf *dst, const tf_wbuf *src);
/* Set aux of the frame under construction. */
void tf__wire_set_aux(tf_wbuf *w, uint32_t aux);
/* Write count and length into the header; the frame is w->buf, w->len. */
void tf__wire_finish(tf_wbuf *w);
/* Append / read a TF_ENT_STATS entry (see TF_WIRE_STATS_SIZE). */
int tf__wire_add_stats(tf_wbuf *w, const uint64_t v[TF_WIRE_STATS_N]);
void tf__wire_stats(const tf_entry *e, uint64_t v[TF_WIRE_STATS_N]);
/* Append / read a TF_ENT_OBS entry. */
int tf__wire_add_obs(tf_wbuf *w, const uint64_t v[TF_WIRE_OBS_N]);
void tf__wire_obs(const tf_entry *e, uint64_t v[TF_WIRE_OBS_N]);
/* Append a CREDIT entry returning `bytes` of room; read it back. */
int tf__wire_add_credit(tf_wbuf *w, uint64_t bytes);
static inline uint64_t tf__wire_credit(const tf_entry *e) { return e->id; }
/* Append n events (at most TF_WIRE_EVENTS_PER_ENTRY) as one EVENTS entry. */
int tf__wire_add_events(tf_wbuf *w, const tf_event *ev, size_t n);
/* Append any number of events, as many EVENTS entries as they need. */
int tf__wire_add_all_events(tf_wbuf *w, const tf_event *ev, size_t n);
/* Events in an EVENTS entry, and event i of it. */
size_t tf__wire_event_count(const tf_entry *e);
void tf__wire_event_at(const tf_entry *e, size_t i, tf_event *out);
/* Bytes an entry of `size` data bytes adds to a frame. */
size_t tf__wire_entry_bytes(size_t size);
void tf__wbuf_free(tf_wbuf *w);

/* Write the note announcing a frame of len bytes into note. */
void tf__wire_note(unsigned char note[TF_WIRE_NOTE_SIZE], size_t len);
/* Whether the message buf (n bytes) is a note: 1 with *len set to the length
 * it announces, 0 when it is not a note, TF_EPROTO when it is one with an
 * impossible length (not above TF_WIRE_SMALL, or over max). */
int tf__wire_is_note(const unsigned char *buf, size_t n, size_t max, size_t *len);

/* Validate a whole received frame. Every entry must have a type allowed in
 * the frame's kind and data no larger than max_payload, and the entries must
 * fill the body exactly. Returns 0, or TF_EPROTO with the reason in why. */
int tf__wire_decode(const void *buf, size_t len, uint64_t max_payload, tf_frame *out, char *why,
                    size_t why_size);
/* Read the entry at *pos (start with 0) of a decoded frame and advance
 * *pos. Returns 1 when an entry was read, 0 at the end. */
int tf__wire_next(const tf_frame *f, size_t *pos, tf_entry *e);

const char *tf__wire_kind_name(unsigned kind);

#endif
