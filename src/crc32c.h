/* crc32c.h - CRC-32C (Castagnoli), the checksum of the run journal. The common variant:
 * reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF, as in iSCSI, ext4
 * and SSE4.2, so that other tools can check a journal. */
#ifndef TF_CRC32C_H
#define TF_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of buf[0..len) continuing from crc (0 to start): tf__crc32c(tf__crc32c(0, a, n), b, m)
 * is the CRC of a followed by b. Uses the CPU's crc32 instruction when it has one. */
uint32_t tf__crc32c(uint32_t crc, const void *buf, size_t len);
/* The same value computed with tables only; the tests check the fast path against it. */
uint32_t tf__crc32c_sw(uint32_t crc, const void *buf, size_t len);
/* 1 when tf__crc32c uses the crc32 instruction (x86-64 with SSE4.2), else 0. */
int tf__crc32c_hw(void);

#endif
