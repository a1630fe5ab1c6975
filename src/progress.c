/* progress.c - formats the progress bar and line (see progress.h). Writes
 * are one fputs of a short line on unbuffered stderr. */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

void tf__progress_init(tf_progress *p, const tf_config *cfg, double t0) {
  p->mode = cfg->progress;
  if (p->mode == TF_PROGRESS_AUTO)
    p->mode = cfg->quiet ? TF_PROGRESS_NONE : isatty(2) ? TF_PROGRESS_BAR : TF_PROGRESS_LINE;
  p->every = p->mode == TF_PROGRESS_BAR ? TF_PROGRESS_BAR_EVERY
             : cfg->progress_every > 0  ? cfg->progress_every
                                        : TF_DEFAULT_PROGRESS_EVERY;
  p->t0 = p->last_t = t0;
  p->next = t0 + p->every;
  p->rate = -1;
  p->last_done = 0;
  p->drawn = 0;
}

static void clock_text(char *b, size_t n, double s) {
  if (s < 0 || s > 1e8) {
    snprintf(b, n, "?");
    return;
  }
  unsigned long t = (unsigned long)(s + 0.5);
  if (t >= 3600)
    snprintf(b, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf(b, n, "%lu:%02lu", t / 60, t % 60);
}

void tf__progress_show(tf_progress *p, double now, const tf_progress_info *in) {
  p->next = now + p->every;
  double dt = now - p->last_t;
  if (dt > 0) {
    double r = (double)(in->done - p->last_done) / dt;
    /* Smoothed over the last few reports, so the ETA does not jump. */
    p->rate = p->rate < 0 ? r : 0.6 * p->rate + 0.4 * r;
  }
  p->last_t = now;
  p->last_done = in->done;
  double rate = p->rate > 0 ? p->rate : 0;
  char eta[32] = "?", elapsed[32];
  if (in->total && rate > 0)
    clock_text(eta, sizeof eta, (double)(in->total > in->done ? in->total - in->done : 0) / rate);
  clock_text(elapsed, sizeof elapsed, now - p->t0);
  char line[256];
  if (p->mode == TF_PROGRESS_BAR) {
    enum { WIDTH = 24 };
    char bar[WIDTH + 1];
    double frac = in->total ? (double)in->done / (double)in->total : 0;
    if (frac > 1) frac = 1;
    for (int i = 0; i < WIDTH; i++)
      bar[i] = !in->total ? (i == (int)(now * 8) % WIDTH ? '=' : ' ')
               : i < (int)(frac * WIDTH) ? '#'
                                         : '.';
    bar[WIDTH] = '\0';
    char count[64];
    if (in->total)
      snprintf(count, sizeof count, "%llu/%llu %5.1f%%", (unsigned long long)in->done,
               (unsigned long long)in->total, 100 * frac);
    else
      snprintf(count, sizeof count, "%llu", (unsigned long long)in->done);
    snprintf(line, sizeof line,
             "\r[%s] %s  %.0f tasks/s  ETA %s  workers %d/%d  failed %llu\033[K", bar, count, rate,
             eta, in->alive, in->nworkers, (unsigned long long)in->failed);
    p->drawn = 1;
  } else {
    char count[96];
    if (in->total)
      snprintf(count, sizeof count, "%llu of %llu tasks done (%.1f%%)",
               (unsigned long long)in->done, (unsigned long long)in->total,
               100.0 * (double)in->done / (double)in->total);
    else
      snprintf(count, sizeof count, "%llu tasks done", (unsigned long long)in->done);
    snprintf(line, sizeof line,
             "taskfarm: progress: %s, %.0f tasks/s, ETA %s, %d of %d workers alive, %llu failed, "
             "%llu retried, elapsed %s\n",
             count, rate, eta, in->alive, in->nworkers, (unsigned long long)in->failed,
             (unsigned long long)in->retried, elapsed);
  }
  fputs(line, stderr);
}

void tf__progress_end(tf_progress *p) {
  if (p->mode == TF_PROGRESS_BAR && p->drawn) fputs("\n", stderr);
  p->drawn = 0;
}
