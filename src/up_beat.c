/* up_beat.c - the upstream engine's heartbeats (up.h): a worker's thread
 * that speaks for it while a task runs (results finished before it, "still
 * here", and goodbye when told to leave), and a relay's "still here" from
 * its own loop. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "beat.h"
#include "clock.h"
#include "log.h"
#include "up.h"

/* How often the heartbeat thread looks at the link. */
#define TF_HB_WAKE 0.05

/* Told to leave while a task runs on (it hangs, or nobody needs its result
 * any more): say goodbye from this thread, then end the process if the
 * library owns it. Runs with the lock held; the main thread is in the task.
 * Returns 1 when told to leave. */
static int leave_if_told(tf_up *u) {
  unsigned char buf[TF_WIRE_HEADER_SIZE];
  size_t len = 0;
  tf_frame f;
  if (u->port.take(u->port.ctx, 0, TF_WIRE_TAG_LEAVE, buf, sizeof buf, &len) != 1 ||
      tf__wire_decode(buf, len, u->cfg->max_payload, &f, NULL, 0) || f.kind != TF_MSG_STOP)
    return 0;
  if (!u->running) return 0; /* the task ended meanwhile: the main thread takes the STOP */
  tf__log(u->rank,
          "told to stop while task %llu still runs (it hangs, or its result is no longer needed): "
          "leaving without worker_fini",
          (unsigned long long)u->cur_task);
  u->stop_seen = tf__now();
  tf__up_bye(u);
  fflush(NULL);
  if (u->leave) u->leave(0, (int)TF_WIRE_STOP_LOST(f.aux)); /* does not return */
  return 1; /* inside tf_run: the program's own thread stays in its task */
}

/* While a task runs long: results finished before it go out (so the parent
 * knows which task is the long one: --task-timeout), and "still here" when
 * nothing else was sent for a while. */
static void heartbeat_turn(tf_up *u) {
  double now = tf__now();
  int sent = 0;
  if (u->running && u->out.count && now - u->out_since >= TF_FLUSH_INTERVAL)
    sent = tf__up_flush(u) > 0; /* a failure here shows in the main loop */
  if (!sent && now - u->last_send >= u->hb_every) {
    /* A failure here shows in the main loop. */
    if (tf__port_send_empty(&u->port, 0, TF_MSG_HEARTBEAT, 0, TF_WIRE_TAG) != TF_ENOMEM)
      u->last_send = now;
  }
  u->port.progress(u->port.ctx);
}

static void *heartbeat_thread(void *arg) {
  tf_up *u = arg;
  pthread_mutex_lock(&u->lock);
  while (!u->hb_quit) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double next = (double)until.tv_sec + 1e-9 * (double)until.tv_nsec +
                  (u->hb_every / 2 < TF_HB_WAKE ? u->hb_every / 2 : TF_HB_WAKE);
    until.tv_sec = (time_t)next;
    until.tv_nsec = (long)((next - (double)until.tv_sec) * 1e9);
    pthread_cond_timedwait(&u->wake, &u->lock, &until);
    if (u->hb_quit || (u->running && leave_if_told(u))) break;
    heartbeat_turn(u);
  }
  pthread_mutex_unlock(&u->lock);
  return NULL;
}

void tf__up_heartbeat_start(tf_up *u) {
  if (!tf__heartbeats_on(u->cfg)) return;
  u->hb_every = tf__heartbeat_interval(u->cfg);
  if (pthread_mutex_init(&u->lock, NULL)) return;
  if (pthread_cond_init(&u->wake, NULL)) {
    pthread_mutex_destroy(&u->lock);
    return;
  }
  pthread_mutex_lock(&u->lock);
  if (pthread_create(&u->hb, NULL, heartbeat_thread, u)) {
    pthread_mutex_unlock(&u->lock);
    pthread_cond_destroy(&u->wake);
    pthread_mutex_destroy(&u->lock);
    tf__log(u->rank,
            "cannot start the heartbeat thread: the master may take a long task for a lost worker");
    return;
  }
  u->hb_on = u->beats = 1;
}

void tf__up_heartbeat_stop(tf_up *u) {
  if (!u->hb_on) return;
  u->hb_quit = 1;
  pthread_cond_signal(&u->wake);
  pthread_mutex_unlock(&u->lock);
  pthread_join(u->hb, NULL);
  pthread_cond_destroy(&u->wake);
  pthread_mutex_destroy(&u->lock);
  u->hb_on = 0;
}

int tf__up_beat(tf_up *u, double now) {
  if (!u->beats || now - u->last_send < u->hb_every) return 0;
  int rc = tf__port_send_empty(&u->port, 0, TF_MSG_HEARTBEAT, 0, TF_WIRE_TAG);
  if (rc) return rc;
  u->last_send = now;
  return 1;
}

void tf__up_beats_on(tf_up *u) {
  if (!tf__heartbeats_on(u->cfg)) return;
  u->beats = 1;
  u->hb_every = tf__heartbeat_interval(u->cfg);
}
