// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the GRAB strategy's coalescing core (src/coalesce.c),
 * built for userspace with AddressSanitizer and UBSan.  Randomised cases
 * are checked against a brute-force oracle.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalesce.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ORDER		10		/* 4 MiB blocks of 4 KiB pages */
#define BP		(1UL << ORDER)
#define RANDOM_ROUNDS	2000
#define MAX_BLOCKS	96

static int failures;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			failures++;					\
			fprintf(stderr, "    FAIL %s:%d: %s\n",		\
				__FILE__, __LINE__, #cond);		\
		}							\
	} while (0)

static void t_init_args(void)
{
	struct bb_coalesce c;

	CHECK(bb_coalesce_init(&c, 0, 10 * BP, ORDER, 0, 1) == -EINVAL);
	CHECK(bb_coalesce_init(&c, 0, 10 * BP, ORDER, 1, 0) == -EINVAL);
	CHECK(bb_coalesce_init(&c, 0, 10 * BP, ORDER, 1, 3) == -EINVAL);
	CHECK(bb_coalesce_init(&c, 5 * BP, 5 * BP, ORDER, 1, 1) == -EINVAL);
	/* Less than one whole block in the window. */
	CHECK(bb_coalesce_init(&c, 0, BP - 1, ORDER, 1, 1) == -EINVAL);
	CHECK(bb_coalesce_init(&c, 0, 10 * BP, BITS_PER_LONG, 1, 1) == -EINVAL);
	CHECK(bb_coalesce_init(&c, 3, 10 * BP + 7, ORDER, 1, 1) == 0);
	CHECK(c.base_pfn == 0 && c.nr_blocks == 10);
	bb_coalesce_destroy(&c);
	CHECK(c.map == NULL);
}

static void t_covers_and_dups(void)
{
	struct bb_coalesce c;
	unsigned long found = 0;

	CHECK(bb_coalesce_init(&c, 4 * BP, 8 * BP, ORDER, 3 * BP, 1) == 0);
	CHECK(!bb_coalesce_covers(&c, 3 * BP));		/* below */
	CHECK(!bb_coalesce_covers(&c, 8 * BP));		/* at end */
	CHECK(!bb_coalesce_covers(&c, 4 * BP + 1));	/* misaligned */
	CHECK(bb_coalesce_covers(&c, 7 * BP));
	CHECK(bb_coalesce_add(&c, 8 * BP, &found) == -EINVAL);
	CHECK(bb_coalesce_add(&c, 5 * BP + 3, &found) == -EINVAL);
	CHECK(bb_coalesce_add(&c, 5 * BP, &found) == 0);
	CHECK(bb_coalesce_add(&c, 5 * BP, &found) == -EINVAL);	/* dup */
	CHECK(c.held == 1);
	CHECK(found == 0);
	bb_coalesce_destroy(&c);
}

static void t_merge_both_sides(void)
{
	struct bb_coalesce c;
	unsigned long found = 0, cursor = 0, pfn, n = 0;

	CHECK(bb_coalesce_init(&c, 0, 64 * BP, ORDER, 3 * BP, 1) == 0);
	CHECK(bb_coalesce_add(&c, 20 * BP, &found) == 0);
	CHECK(bb_coalesce_add(&c, 5 * BP, &found) == 0);
	CHECK(bb_coalesce_add(&c, 7 * BP, &found) == 0);
	/* 6 joins 5 and 7 into a run of three. */
	CHECK(bb_coalesce_add(&c, 6 * BP, &found) == 1);
	CHECK(found == 5 * BP);
	while (bb_coalesce_next(&c, &cursor, &pfn)) {
		static const unsigned long want[] = { 5, 6, 7, 20 };

		CHECK(n < 4 && pfn == want[n] * BP);
		n++;
	}
	CHECK(n == 4);
	bb_coalesce_destroy(&c);
}

static void t_partial_and_alignment(void)
{
	struct bb_coalesce c;
	unsigned long found = 0;

	/* 1.5 blocks need two adjacent blocks. */
	CHECK(bb_coalesce_init(&c, 0, 64 * BP, ORDER, BP + BP / 2, 1) == 0);
	CHECK(bb_coalesce_add(&c, 9 * BP, &found) == 0);
	CHECK(bb_coalesce_add(&c, 10 * BP, &found) == 1 && found == 9 * BP);
	bb_coalesce_destroy(&c);

	/* One block at 2-block alignment: block 1 alone is useless. */
	CHECK(bb_coalesce_init(&c, 0, 64 * BP, ORDER, BP, 2 * BP) == 0);
	CHECK(bb_coalesce_add(&c, 1 * BP, &found) == 0);
	CHECK(bb_coalesce_add(&c, 3 * BP, &found) == 0);
	CHECK(bb_coalesce_add(&c, 2 * BP, &found) == 1 && found == 2 * BP);
	bb_coalesce_destroy(&c);

	/* Sub-block alignment and need inside a single block. */
	CHECK(bb_coalesce_init(&c, 0, 64 * BP, ORDER, 3, 16) == 0);
	CHECK(bb_coalesce_add(&c, 33 * BP, &found) == 1 && found == 33 * BP);
	bb_coalesce_destroy(&c);
}

static void t_high_pfns_no_overflow(void)
{
	struct bb_coalesce c;
	unsigned long top = ~0UL & ~(BP - 1), found = 0;

	/* Window at the very top of the pfn space. */
	CHECK(bb_coalesce_init(&c, top - 8 * BP, ~0UL, ORDER, 2 * BP, 1) == 0);
	CHECK(bb_coalesce_add(&c, top - BP, &found) == 0);
	CHECK(bb_coalesce_add(&c, top - 2 * BP, &found) == 1 &&
	      found == top - 2 * BP);
	bb_coalesce_destroy(&c);

	/* An alignment whose ALIGN() wraps must not report a fit. */
	CHECK(bb_coalesce_init(&c, top - 8 * BP, ~0UL, ORDER, 1,
			       1UL << (BITS_PER_LONG - 1)) == 0);
	CHECK(bb_coalesce_add(&c, top - BP, &found) == 0);
	CHECK(bb_coalesce_add(&c, top - 2 * BP, &found) == 0);
	bb_coalesce_destroy(&c);
}

/* Oracle: does the held set contain an aligned range of need pages? */
static int oracle(const unsigned char *held, unsigned long nblocks,
		  unsigned long base, unsigned long need, unsigned long align)
{
	unsigned long i = 0, j, s, e, start;

	while (i < nblocks) {
		if (!held[i]) {
			i++;
			continue;
		}
		for (j = i; j < nblocks && held[j]; j++)
			;
		s = base + i * BP;
		e = base + j * BP;
		start = (s + align - 1) / align * align;
		if (start + need <= e)
			return 1;
		i = j;
	}
	return 0;
}

static void t_random_vs_oracle(void)
{
	unsigned int seed = 12345;
	int round;

	for (round = 0; round < RANDOM_ROUNDS; round++) {
		unsigned long nblocks = 1 + rand_r(&seed) % MAX_BLOCKS;
		unsigned long base = (rand_r(&seed) % 1000) * BP;
		unsigned long need = 1 + rand_r(&seed) % (nblocks * BP / 2 + 1);
		unsigned long align = 1UL << (rand_r(&seed) % (ORDER + 4));
		unsigned long perm[MAX_BLOCKS], i, found = 0, k;
		unsigned char held[MAX_BLOCKS] = { 0 };
		struct bb_coalesce c;
		int r, want, got_fit = 0;

		if (bb_coalesce_init(&c, base, base + nblocks * BP, ORDER, need,
				     align)) {
			CHECK(0);
			continue;
		}
		for (i = 0; i < nblocks; i++)
			perm[i] = i;
		for (i = nblocks - 1; i > 0; i--) {
			unsigned long j = rand_r(&seed) % (i + 1), t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
		for (i = 0; i < nblocks; i++) {
			held[perm[i]] = 1;
			r = bb_coalesce_add(&c, base + perm[i] * BP, &found);
			want = oracle(held, nblocks, base, need, align);
			CHECK(r == want);
			if (r != want) {
				fprintf(stderr, "    round %d n %lu need %lu align %lu step %lu\n",
					round, nblocks, need, align, i);
				break;
			}
			if (r == 1) {
				got_fit = 1;
				CHECK(found % align == 0);
				for (k = found; k < found + need; k += BP / 4)
					CHECK(held[(k - base) / BP]);
				CHECK(held[(found + need - 1 - base) / BP]);
				break;
			}
		}
		/* With every block held, a fit exists iff the window allows. */
		if (!got_fit && i == nblocks)
			CHECK(!oracle(held, nblocks, base, need, align));
		bb_coalesce_destroy(&c);
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "init_args", t_init_args },
	{ "covers_and_dups", t_covers_and_dups },
	{ "merge_both_sides", t_merge_both_sides },
	{ "partial_and_alignment", t_partial_and_alignment },
	{ "high_pfns_no_overflow", t_high_pfns_no_overflow },
	{ "random_vs_oracle", t_random_vs_oracle },
};

int main(void)
{
	int passed = 0, failed = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		failures = 0;
		tests[i].fn();
		printf("%s %s\n", failures ? "FAIL" : "ok  ", tests[i].name);
		if (failures)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
