// SPDX-License-Identifier: Apache-2.0
/*
 * C side of BandwidthBenchmark, called through the FFM Linker on the same
 * memory the Java side uses. memset/memcpy come from libc directly; the read
 * loop is here because libc has no "read sequentially" function.
 */
#include <stddef.h>
#include <stdint.h>

/* Sum of n 64-bit words: reads every byte once, sequentially. */
uint64_t bw_sum64(const uint64_t *p, size_t n)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		s0 += p[i];
		s1 += p[i + 1];
		s2 += p[i + 2];
		s3 += p[i + 3];
	}
	for (; i < n; i++)
		s0 += p[i];
	return s0 + s1 + s2 + s3;
}
