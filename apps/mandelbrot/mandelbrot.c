/* mandelbrot.c - render the Mandelbrot set: each task is a band of image rows,
 * whose cost varies wildly (rows through the set iterate to --max-iter), so the
 * farm's dynamic load balancing matters. Workers return iteration counts and
 * colours; the master places bands by row, writes the PNG (whole, through
 * tf_output) and a checksum. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

/* Escape radius 256, not 2: the smooth colouring needs |z| well past 2. */
#define BAILOUT2 65536.0

typedef struct mb_ctx {
  long long width, height, max_iter, rows; /* options */
  double xmin, xmax, ymin, ymax;           /* options: the region */
  const char *output, *counts;             /* options: files to write */
  long long next_row;                      /* master: first row of the next band */
  uint32_t *iters;                         /* master: width x height counts */
  unsigned char *rgb;                      /* master: width x height x 3 colours */
  long long rows_done;                     /* master: rows collected */
} mb_ctx;

typedef struct mb_task {
  uint32_t row, nrows; /* a band of rows, row 0 at the top (ymax) */
} mb_task;

/* The iteration count of pixel (i, j): iterations before |z| > 256, or
 * max_iter if it never got there (inside). *r2 gets |z|^2 at the end. This
 * code is kept textually identical to tests/apps/mandel_ref.c so that the
 * counts agree bit for bit. */
static uint32_t escape_count(long long i, long long j, long long width, long long height,
                             double xmin, double xmax, double ymin, double ymax, uint32_t max_iter,
                             double *r2) {
  double dx = (xmax - xmin) / (double)width, dy = (ymax - ymin) / (double)height;
  double cx = xmin + ((double)i + 0.5) * dx, cy = ymax - ((double)j + 0.5) * dy;
  double x = 0.0, y = 0.0, x2 = 0.0, y2 = 0.0;
  uint32_t n;
  for (n = 0; n < max_iter; n++) {
    if (x2 + y2 > BAILOUT2) break;
    y = 2.0 * x * y + cy;
    x = x2 - y2 + cx;
    x2 = x * x;
    y2 = y * y;
  }
  *r2 = x2 + y2;
  return n;
}

/* A cyclic palette (deep blue, sky, white, gold, dark brown), linearly
 * interpolated. No entry is pure black, which is kept for the inside. */
static void colour(double mu, unsigned char *out) {
  static const unsigned char pal[][3] = {
      {0, 7, 100}, {32, 107, 203}, {237, 255, 255}, {255, 170, 0}, {60, 20, 8}};
  const int np = (int)(sizeof pal / sizeof pal[0]);
  /* sqrt compresses the long tail of counts near the boundary into few cycles */
  double t = fmod(sqrt(mu > 0.0 ? mu : 0.0) * 0.6, 1.0) * np;
  int k = (int)t;
  if (k >= np) k = np - 1;
  double f = t - k;
  for (int c = 0; c < 3; c++) {
    double v = pal[k][c] + f * (pal[(k + 1) % np][c] - pal[k][c]);
    out[c] = (unsigned char)lround(v);
  }
}

/* The image, on the master only, before anything reaches collect (a
 * --resume run reads the journal back before generating). */
static int master_init(tf_handle *h, void *vctx) {
  (void)h;
  mb_ctx *c = vctx;
  size_t npix = (size_t)c->width * (size_t)c->height;
  c->iters = malloc(npix * sizeof *c->iters);
  c->rgb = malloc(npix * 3);
  if (!c->iters || !c->rgb) {
    fprintf(stderr, "mandelbrot: no memory for a %lldx%lld image\n", c->width, c->height);
    return TF_ENOMEM;
  }
  return 0;
}

static int generate(tf_handle *h, void *vctx) {
  mb_ctx *c = vctx;
  if (c->next_row >= c->height) return TF_GEN_DONE;
  long long left = c->height - c->next_row;
  mb_task t = {(uint32_t)c->next_row, (uint32_t)(left < c->rows ? left : c->rows)};
  int rc = tf_submit(h, &t, sizeof t);
  if (rc) return rc;
  c->next_row += t.nrows;
  return c->next_row < c->height ? TF_GEN_MORE : TF_GEN_DONE;
}

/* Result layout: nrows x width uint32 counts, then nrows x width x 3 bytes RGB. */
static int execute(tf_handle *h, const tf_task *task, void *vctx) {
  mb_ctx *c = vctx;
  mb_task t;
  if (task->size != sizeof t) return -1;
  memcpy(&t, task->data, sizeof t);
  size_t npix = (size_t)t.nrows * (size_t)c->width;
  unsigned char *buf = malloc(npix * 7);
  if (!buf) return -1;
  uint32_t *cnt = (uint32_t *)buf;
  unsigned char *rgb = buf + npix * 4;
  for (uint32_t r = 0; r < t.nrows; r++)
    for (long long i = 0; i < c->width; i++) {
      size_t p = (size_t)r * (size_t)c->width + (size_t)i;
      double r2;
      cnt[p] = escape_count(i, (long long)t.row + r, c->width, c->height, c->xmin, c->xmax, c->ymin,
                            c->ymax, (uint32_t)c->max_iter, &r2);
      if (cnt[p] == (uint32_t)c->max_iter)
        memset(rgb + 3 * p, 0, 3);
      else /* normalised iteration count: mu = n + 1 - log2(log|z|) */
        colour(cnt[p] + 1.0 - log2(0.5 * log(r2)), rgb + 3 * p);
    }
  int rc = tf_result(h, buf, npix * 7);
  free(buf);
  return rc;
}

static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  (void)h;
  mb_ctx *c = vctx;
  long long row = (long long)result->id * c->rows; /* task k is the band from row k x rows */
  if (row >= c->height) return -1;
  long long nrows = c->height - row < c->rows ? c->height - row : c->rows;
  size_t npix = (size_t)nrows * (size_t)c->width, off = (size_t)row * (size_t)c->width;
  if (result->size != npix * 7) return -1;
  memcpy(c->iters + off, result->data, npix * 4);
  memcpy(c->rgb + off * 3, (const unsigned char *)result->data + npix * 4, npix * 3);
  c->rows_done += nrows;
  return 0;
}

static void png_err(png_structp png, png_const_charp msg) {
  snprintf(png_get_error_ptr(png), 128, "%s", msg);
  png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* Write the image as 8-bit RGB through libpng into out->file; on failure say why in err. */
static int write_png(const mb_ctx *c, FILE *f, char *err, size_t n) {
  png_bytep *rows = malloc((size_t)c->height * sizeof *rows);
  char why[128] = "";
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, why, png_err, png_warn);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!rows || !info) {
    snprintf(err, n, "out of memory");
    png_destroy_write_struct(&png, NULL);
    free(rows);
    return -1;
  }
  for (long long j = 0; j < c->height; j++)
    rows[j] = c->rgb + (size_t)j * (size_t)c->width * 3;
  int rc = -1;
  if (!setjmp(png_jmpbuf(png))) {
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)c->width, (png_uint_32)c->height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    rc = 0;
  } else {
    snprintf(err, n, "%s", why);
  }
  png_destroy_write_struct(&png, &info);
  free(rows);
  return rc;
}

/* Raw counts: uint32 little-endian per pixel, row-major from the top row. */
static int write_counts(const mb_ctx *c, FILE *f, char *err, size_t n) {
  size_t npix = (size_t)c->width * (size_t)c->height;
  for (size_t p = 0; p < npix; p++) {
    unsigned char b[4] = {c->iters[p] & 255, (c->iters[p] >> 8) & 255, (c->iters[p] >> 16) & 255,
                          c->iters[p] >> 24};
    if (fwrite(b, 1, 4, f) != 4) return snprintf(err, n, "%s", strerror(errno)), -1;
  }
  return 0;
}

/* Write path whole (tf_output_*: a run killed while writing leaves no half file) with fn; the
 * option's name and the cause on failure. */
static int write_file(const mb_ctx *c, const char *opt, const char *path,
                      int (*fn)(const mb_ctx *, FILE *, char *, size_t)) {
  tf_output out;
  char err[600];
  if (tf_output_open(path, &out, err, sizeof err) == 0) {
    char why[200];
    if (fn(c, out.file, why, sizeof why) == 0) {
      if (tf_output_commit(&out, err, sizeof err) == 0) return 0;
    } else {
      int e = ferror(out.file) ? errno : 0; /* libpng says only "Write Error" */
      tf_output_discard(&out);
      snprintf(err, sizeof err, "%s: %s%s%s%s", path, why, e ? " (" : "", e ? strerror(e) : "",
               e ? ")" : "");
    }
  }
  fprintf(stderr, "mandelbrot: %s %s\n", opt, err);
  return -1;
}

static int finish(tf_handle *h, void *vctx) {
  (void)h;
  mb_ctx *c = vctx;
  if (!c->iters || c->rows_done != c->height) {
    fprintf(stderr, "mandelbrot: %lld rows came back, %lld expected\n", c->rows_done, c->height);
    return -1;
  }
  /* Reduced over the whole image in row order, so independent of the ranks. */
  uint64_t hash = UINT64_C(0xcbf29ce484222325), total = 0, inside = 0;
  size_t npix = (size_t)c->width * (size_t)c->height;
  for (size_t p = 0; p < npix; p++) {
    for (int b = 0; b < 32; b += 8)
      hash = (hash ^ ((c->iters[p] >> b) & 255)) * 0x100000001b3;
    total += c->iters[p];
    inside += c->iters[p] == (uint32_t)c->max_iter;
  }
  double area = (c->xmax - c->xmin) * (c->ymax - c->ymin) * (double)inside / (double)npix;
  printf("image        %lldx%lld, region [%g, %g] x [%g, %g], max-iter %lld\n", c->width, c->height,
         c->xmin, c->xmax, c->ymin, c->ymax, c->max_iter);
  printf("checksum     %016" PRIx64 " (FNV-1a 64 of the iteration counts)\n", hash);
  printf("iterations   %" PRIu64 "\n", total);
  printf("inside       %" PRIu64 " pixels, area %.6f\n", inside, area);
  if (c->output[0] && write_file(c, "--output", c->output, write_png)) return -1;
  if (c->counts && write_file(c, "--counts", c->counts, write_counts)) return -1;
  if (c->output[0]) printf("wrote        %s\n", c->output);
  return 0;
}

static int check_options(void *vctx, const tf_config *cfg, char *err, size_t size) {
  (void)cfg;
  mb_ctx *c = vctx;
  if (!(c->xmin < c->xmax))
    return snprintf(err, size, "--xmin (%g) must be less than --xmax (%g)", c->xmin, c->xmax), 1;
  if (!(c->ymin < c->ymax))
    return snprintf(err, size, "--ymin (%g) must be less than --ymax (%g)", c->ymin, c->ymax), 1;
  return 0;
}

int main(int argc, char **argv) {
  mb_ctx c = {.width = 1500, .height = 1000, .max_iter = 2000, .rows = 4};
  c.xmin = -2.6, c.xmax = 1.0, c.ymin = -1.2, c.ymax = 1.2, c.output = "mandelbrot.png";
  const tf_option options[] = {
      {"width", TF_OPT_INT, &c.width, "W", "image width in pixels (default 1500)", 1, 16384},
      {"height", TF_OPT_INT, &c.height, "H", "image height in pixels (default 1000)", 1, 16384},
      {"xmin", TF_OPT_DOUBLE, &c.xmin, "X", "left edge, real part (default -2.6)", -8, 8},
      {"xmax", TF_OPT_DOUBLE, &c.xmax, "X", "right edge, real part (default 1)", -8, 8},
      {"ymin", TF_OPT_DOUBLE, &c.ymin, "Y", "bottom edge, imaginary part (default -1.2)", -8, 8},
      {"ymax", TF_OPT_DOUBLE, &c.ymax, "Y", "top edge, imaginary part (default 1.2)", -8, 8},
      {"max-iter", TF_OPT_INT, &c.max_iter, "N", "iterations until inside (default 2000)", 1, 1e8},
      {"rows", TF_OPT_INT, &c.rows, "R", "image rows per task (default 4)", 1, 64},
      {"output", TF_OPT_STRING | TF_OPT_OUTPUT, &c.output, "FILE",
       "PNG to write, \"\" for none (default mandelbrot.png)", 0, 0},
      {"counts", TF_OPT_STRING | TF_OPT_OUTPUT, &c.counts, "FILE", "also write the raw counts", 0,
       0},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "taskfarm-mandelbrot",
      .summary =
          "Render the Mandelbrot set z -> z^2 + c over a rectangle of the complex plane to a\n"
          "PNG with smooth colouring, one task per band of rows. Prints a checksum of the\n"
          "iteration counts, the total iterations and the points inside (and their area).",
      .ctx = &c,
      .options = options,
      .check_options = check_options,
      .master_init = master_init,
      .generate = generate,
      .execute = execute,
      .collect = collect,
      .finish = finish,
  };
  int rc = tf_main(argc, argv, &app);
  free(c.iters);
  free(c.rgb);
  return rc;
}
