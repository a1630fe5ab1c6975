/* uniform.h - a uniform number in (0, 1) from a task id (splitmix64), so that
 * the benchmarks and the simulator draw the very same task times for the same
 * ids, on any rank count and in any order. */
#ifndef TF_BENCH_UNIFORM_H
#define TF_BENCH_UNIFORM_H

#include <stdint.h>

static inline double tf_bench_uniform(uint64_t id) {
  uint64_t z = id * UINT64_C(0x9e3779b97f4a7c15) + UINT64_C(0x632be59bd9b4e019);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  z ^= z >> 31;
  return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

#endif
