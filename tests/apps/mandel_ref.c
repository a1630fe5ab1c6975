/* mandel_ref.c - the plain serial Mandelbrot loop that taskfarm-mandelbrot's
 * counts are checked against (no taskfarm, no MPI), and a libpng reader that
 * checks the app's PNG: its size, its format, and black exactly on the inside.
 *
 * usage: tf_mandel_ref W H XMIN XMAX YMIN YMAX MAX_ITER COUNTS_OUT [PNG_TO_CHECK]
 * writes the counts (uint32 little-endian per pixel, row-major from the top
 * row) to COUNTS_OUT and prints the number of inside pixels. */
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BAILOUT2 65536.0

/* Kept textually identical to escape_count in apps/mandelbrot/mandelbrot.c:
 * the same pixel-centre formula and the same operations in the same order, so
 * the counts must agree bit for bit. */
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

/* Decode the whole PNG (which checks every chunk CRC and the zlib stream) and
 * compare it with the counts: W x H, 8-bit RGB, black exactly where inside. */
static int check_png(const char *path, const uint32_t *cnt, long long w, long long h,
                     uint32_t max_iter) {
  FILE *f = fopen(path, "rb");
  if (!f) return perror(path), 1;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  unsigned char *volatile row = NULL;
  volatile int bad = 1;
  if (info && !setjmp(png_jmpbuf(png))) {
    png_init_io(png, f);
    png_read_info(png, info);
    png_uint_32 pw = png_get_image_width(png, info), ph = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
    if (pw != (png_uint_32)w || ph != (png_uint_32)h || depth != 8 || type != PNG_COLOR_TYPE_RGB) {
      fprintf(stderr, "%s: %ux%u depth %d type %d, expected %lldx%lld 8-bit RGB\n", path, pw, ph,
              depth, type, w, h);
    } else if ((row = malloc((size_t)w * 3))) {
      long long wrong = 0;
      for (long long j = 0; j < h; j++) {
        png_read_row(png, row, NULL);
        for (long long i = 0; i < w; i++) {
          const unsigned char *p = row + 3 * i;
          int black = !p[0] && !p[1] && !p[2];
          wrong += black != (cnt[j * w + i] == max_iter);
        }
      }
      png_read_end(png, NULL);
      if (wrong)
        fprintf(stderr, "%s: %lld pixels black but outside or not black inside\n", path, wrong);
      bad = wrong != 0;
    }
  } else {
    fprintf(stderr, "%s: not a valid PNG\n", path);
  }
  png_destroy_read_struct(&png, &info, NULL);
  free(row);
  fclose(f);
  return bad;
}

int main(int argc, char **argv) {
  if (argc != 9 && argc != 10) {
    fprintf(stderr, "usage: %s W H XMIN XMAX YMIN YMAX MAX_ITER COUNTS_OUT [PNG]\n", argv[0]);
    return 2;
  }
  long long w = atoll(argv[1]), h = atoll(argv[2]), max_iter = atoll(argv[7]);
  double xmin = atof(argv[3]), xmax = atof(argv[4]), ymin = atof(argv[5]), ymax = atof(argv[6]);
  uint32_t *cnt = malloc((size_t)(w > 0 ? w : 1) * (size_t)(h > 0 ? h : 1) * sizeof *cnt);
  FILE *out = fopen(argv[8], "wb");
  if (w < 1 || h < 1 || max_iter < 1 || !cnt || !out) {
    fprintf(stderr, "%s: bad size, no memory, or cannot open %s\n", argv[0], argv[8]);
    return 2;
  }
  long long inside = 0;
  for (long long j = 0; j < h; j++)
    for (long long i = 0; i < w; i++) {
      double r2;
      uint32_t n = escape_count(i, j, w, h, xmin, xmax, ymin, ymax, (uint32_t)max_iter, &r2);
      unsigned char b[4] = {n & 255, (n >> 8) & 255, (n >> 16) & 255, n >> 24};
      if (fwrite(b, 1, 4, out) != 4) return perror(argv[8]), 1;
      cnt[j * w + i] = n;
      inside += n == (uint32_t)max_iter;
    }
  if (fclose(out)) return perror(argv[8]), 1;
  printf("inside %lld\n", inside);
  int rc = argc == 10 ? check_png(argv[9], cnt, w, h, (uint32_t)max_iter) : 0;
  free(cnt);
  return rc;
}
