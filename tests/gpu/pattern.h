/* SPDX-License-Identifier: BSD-3-Clause */
/* pattern.h: the test byte pattern, the same on the host and in kernels. */
#ifndef HSHMFS_TEST_PATTERN_H
#define HSHMFS_TEST_PATTERN_H

#include <stdint.h>

#ifdef __CUDACC__
#define PATTERN_FN __host__ __device__ static inline
#else
#define PATTERN_FN static inline
#endif

/** Byte @i of pattern @seed: a cheap hash, so a shifted copy never matches. */
PATTERN_FN uint8_t test_pattern(uint64_t i, uint32_t seed)
{
	uint32_t x = (uint32_t)i * 2654435761u ^ (seed * 0x9e3779b9u + 1u);

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return (uint8_t)x;
}

#endif /* HSHMFS_TEST_PATTERN_H */
