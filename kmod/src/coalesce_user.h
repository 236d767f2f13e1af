/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal userspace stand-ins for the kernel helpers coalesce.c uses, so
 * that the same source can be unit tested with AddressSanitizer.
 */
#ifndef BIGBUF_COALESCE_USER_H
#define BIGBUF_COALESCE_USER_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#define BITS_PER_LONG		(CHAR_BIT * sizeof(long))
#define GFP_KERNEL		0
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN(x, a)		ALIGN_DOWN((x) + (a) - 1, (a))

static inline unsigned long *bitmap_zalloc(unsigned long nbits, int gfp)
{
	(void)gfp;
	return calloc((nbits + BITS_PER_LONG - 1) / BITS_PER_LONG,
		      sizeof(unsigned long));
}

static inline void bitmap_free(unsigned long *map)
{
	free(map);
}

static inline bool test_bit(unsigned long nr, const unsigned long *map)
{
	return (map[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}

static inline void __set_bit(unsigned long nr, unsigned long *map)
{
	map[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

static inline unsigned long find_next_bit_val(const unsigned long *map,
					      unsigned long size,
					      unsigned long off, bool val)
{
	for (; off < size; off++)
		if (test_bit(off, map) == val)
			return off;
	return size;
}

#define find_next_bit(map, size, off)	find_next_bit_val(map, size, off, true)
#define find_next_zero_bit(map, size, off) \
	find_next_bit_val(map, size, off, false)

#endif /* BIGBUF_COALESCE_USER_H */
