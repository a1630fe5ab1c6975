/* crc32c.c - CRC-32C (see crc32c.h). On x86-64 the SSE4.2 crc32 instruction does eight bytes
 * per step; elsewhere, or on a CPU without SSE4.2, slicing-by-8 tables do the same work with
 * eight table lookups per eight bytes. The choice is made once, at load time. */
#include "crc32c.h"

#include <endian.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define TF_CRC32C_X86 1
#include <nmmintrin.h>
#else
#define TF_CRC32C_X86 0
#endif

#define POLY 0x82F63B78u

/* table[0] is the classic byte table; table[k][b] is the CRC of byte b followed by k zero
 * bytes, which lets eight bytes be folded in at once. */
static uint32_t table[8][256];
static int table_ready;
static int use_hw;

static void init_tables(void) {
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (POLY & (0u - (c & 1u)));
    table[0][b] = c;
  }
  for (int k = 1; k < 8; k++)
    for (int b = 0; b < 256; b++)
      table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xffu];
  table_ready = 1;
}

/* Build the tables and probe the CPU before main, so that no call has to, and no two threads
 * can race to do it. __builtin_cpu_init must run first when the probe is in a constructor. */
__attribute__((constructor)) static void crc32c_init(void) {
  if (!table_ready) init_tables();
#if TF_CRC32C_X86
  __builtin_cpu_init();
  use_hw = __builtin_cpu_supports("sse4.2") != 0;
#endif
}

uint32_t tf__crc32c_sw(uint32_t crc, const void *buf, size_t len) {
  /* Only a call from another constructor that ran before ours can get here first. */
  if (!table_ready) init_tables();
  const unsigned char *p = buf;
  crc = ~crc;
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    w = le64toh(w);
    uint32_t lo = (uint32_t)w ^ crc, hi = (uint32_t)(w >> 32);
    crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
          table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
          table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
    p += 8;
    len -= 8;
  }
  while (len--)
    crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

#if TF_CRC32C_X86
/* The instruction works on the register form of the CRC (no inversions), one to eight bytes at
 * a time. Bytes up to an 8-byte boundary go one by one so that the 8-byte loads are aligned. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const void *buf,
                                                            size_t len) {
  const unsigned char *p = buf;
  uint32_t c = ~crc;
  while (len && ((uintptr_t)p & 7u)) {
    c = _mm_crc32_u8(c, *p++);
    len--;
  }
  uint64_t c64 = c;
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    len -= 8;
  }
  c = (uint32_t)c64;
  while (len--)
    c = _mm_crc32_u8(c, *p++);
  return ~c;
}
#endif

uint32_t tf__crc32c(uint32_t crc, const void *buf, size_t len) {
#if TF_CRC32C_X86
  if (use_hw) return crc32c_hw(crc, buf, len);
#endif
  return tf__crc32c_sw(crc, buf, len);
}

int tf__crc32c_hw(void) { return use_hw; }
