/* down_int.h - what down.c, down_watch.c, down_relay.c and down_join.c, the parts of the
 * downstream engine, share; nothing else includes it. */
#ifndef TF_DOWN_INT_H
#define TF_DOWN_INT_H

#include "down.h"

/* Keep the first error in d->status; return code. */
int tf__down_fail(tf_down *d, int code);
int tf__down_oom(tf_down *d, const char *what);
/* Child i's rank, for messages. */
int tf__down_rank(const tf_down *d, int i);
/* A frame with no entries (a heartbeat, a STOP) to child i. */
int tf__down_send_empty(tf_down *d, int i, unsigned kind, uint32_t aux, int tag);
/* Send the TASKS frame b (n tasks, already in i's ledger) to child i: n, or < 0. */
int tf__down_send_tasks(tf_down *d, int i, tf_wbuf *b, int n);
/* Validate a message from child i into *f: 0, or TF_EPROTO (logged). */
int tf__down_decode(tf_down *d, int i, const unsigned char *buf, size_t len, tf_frame *f);
/* An ERROR frame from child i: said, and the run fails. */
int tf__down_on_error(tf_down *d, int i, const tf_frame *f);
/* Child i's goodbye: its counters for the summary and --stats. */
void tf__down_record_bye(tf_down *d, int i, const tf_frame *f);
/* Child i is still inside a task whose copy elsewhere finished: copy the
 * tasks behind it into the pool. */
int tf__down_copy_tail(tf_down *d, int i);
/* Child i is lost: it gets nothing and is not listened to from now on. */
void tf__down_mark_lost(tf_down *d, int i);
/* Child i is gone (why: for the log): every task it held goes back. 0 or < 0. */
int tf__down_lose(tf_down *d, int i, const char *why);
/* Task f->id, held by child i, is given up on without a failed run: the sink
 * hears of it. */
int tf__down_given_up(tf_down *d, int i, const tf_failure *f);
/* The rank of the worker whose run a FAIL or LOST entry e of child i tells
 * of: child i, or for a relay the worker the entry names (one behind a
 * relay, any relay: the root does not keep which worker is whose); -1 when
 * that is no such worker (the run failed with a protocol error). */
int tf__down_run_rank(tf_down *d, int i, const tf_entry *e);

/* The goodbye of worker w (its entries in f: a BYE frame, or a part of a
 * relay's): its counters for the summary and --stats. */
void tf__down_record_worker(tf_down *d, int w, int rank, const tf_frame *f, double stop_sent);

/* Child i's state at the start, from the layout. */
void tf__down_init_child(tf_down *d, int i, double now);
/* Child i, a worker that joined, said goodbye unasked: it left the farm
 * (down_join.c). 0 or < 0. */
int tf__down_on_leave(tf_down *d, int i, const tf_frame *f);

/* Relays (down_relay.c). */
/* Relay i's task id, which it holds; else NULL, the run failed with a
 * protocol error (what: what came for it). */
const tf_rec *tf__down_relay_holds(tf_down *d, int i, uint64_t id, const char *what);
/* A relay's LOST and SLOW entries from child i. 0 or < 0. */
int tf__down_on_lost(tf_down *d, int i, const tf_entry *e);
int tf__down_on_slow(tf_down *d, int i, const tf_entry *e);
/* Child i is a relay of one worker stuck in a task a copy has done: it gets nothing. */
int tf__down_stalled(tf_down *d, int i);
/* A relay's goodbye: its own, its FATE entries, each worker's part. */
void tf__down_record_relay_bye(tf_down *d, int i, const tf_frame *f);

#endif
