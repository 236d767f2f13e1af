// SPDX-License-Identifier: GPL-2.0
/*
 * Load test of /dev/bigbuf, run as root in the guest:
 *
 *   bb_load [-v] [--threads T] [--seconds S] [--min-ops N]
 *
 * T threads (default 8) allocate and free buffers of mixed sizes (mostly
 * small, some up to 4 MiB) for S seconds; half of them share one open file
 * (contention on its id table), the others have their own.  Some buffers
 * are mapped and written.  With --min-ops the threads go on after S
 * seconds until each has completed N alloc/free pairs (and fail if that
 * takes more than MAX_OVERTIME times S).  At the end the module's
 * counters must equal what the threads saw (allocations, failures,
 * frees) and no buffer may be held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bbtest.h"

#define MAX_THREADS	64
#define LIVE_PER_THREAD	4
#define MAP_EVERY	16	/* map and write every Nth buffer */
#define MAX_OVERTIME	20	/* --min-ops may stretch the run this much */

static unsigned int opt_threads = 8;
static double opt_seconds = 20;
static uint64_t opt_min_ops;

struct lthread {
	pthread_t tid;
	unsigned int index;
	int fd;
	uint64_t rng;
	uint64_t allocs, failures, frees;
};

static atomic_bool stop;	/* the fixed time is over */
static atomic_bool give_up;	/* --min-ops not reached in time */

static uint64_t pick_size(uint64_t *rng)
{
	uint64_t r = bbt_below(rng, 100);

	if (r < 80)
		return 1 + bbt_below(rng, 64 * KiB);
	if (r < 98)
		return 64 * KiB + bbt_below(rng, 448 * KiB);	/* < 512 KiB */
	return MiB + bbt_below(rng, 3 * MiB);			/* < 4 MiB */
}

static void *load_thread(void *arg)
{
	struct lthread *t = arg;
	struct bigbuf_alloc a;
	uint64_t live[LIVE_PER_THREAD];
	unsigned int nr = 0, i;
	uint64_t *p;

	while (!atomic_load_explicit(&stop, memory_order_relaxed) ||
	       t->frees < opt_min_ops) {
		if (atomic_load_explicit(&give_up, memory_order_relaxed))
			break;
		if (nr < LIVE_PER_THREAD && (!nr || bbt_below(&t->rng, 2))) {
			if (bbt_alloc(t->fd, pick_size(&t->rng), 0, 0, 0, &a)) {
				if (errno != ENOMEM)
					bbt_fail(__FILE__, __LINE__, "alloc: %s",
						 strerror(errno));
				t->failures++;
				continue;
			}
			t->allocs++;
			live[nr++] = a.id;
			if (t->allocs % MAP_EVERY)
				continue;
			p = bbt_map(t->fd, a.mmap_offset, a.actual_size);
			CHECK(p != NULL, "mmap: %s", strerror(errno));
			if (p) {
				CHECK(p[0] == 0 && p[a.actual_size / 8 - 1] == 0,
				      "buffer not zero");
				p[0] = t->allocs;
				p[a.actual_size / 8 - 1] = ~t->allocs;
				munmap(p, a.actual_size);
			}
		} else {
			i = bbt_below(&t->rng, nr);
			if (bbt_free(t->fd, live[i]))
				bbt_fail(__FILE__, __LINE__, "free of %llu: %s",
					 (unsigned long long)live[i],
					 strerror(errno));
			else
				t->frees++;
			live[i] = live[--nr];
		}
	}
	while (nr)
		if (bbt_free(t->fd, live[--nr]) == 0)
			t->frees++;
	return NULL;
}

static void t_load(void)
{
	static struct lthread th[MAX_THREADS];
	struct bigbuf_stats s0, s1;
	uint64_t allocs = 0, failures = 0, frees = 0, min = UINT64_MAX;
	unsigned int i;
	int shared = bbt_open();
	double t0;

	s0 = bbt_stats();
	t0 = bbt_now();
	for (i = 0; i < opt_threads; i++) {
		th[i] = (struct lthread){ .index = i,
					  .fd = i % 2 ? shared : bbt_open(),
					  .rng = 0x10ad0000ULL + i };
		CHECK(pthread_create(&th[i].tid, NULL, load_thread, &th[i]) == 0);
	}
	usleep((useconds_t)(opt_seconds * 1e6));
	atomic_store(&stop, true);
	for (i = 0; i < opt_threads; i++) {
		while (pthread_tryjoin_np(th[i].tid, NULL)) {
			if (bbt_now() - t0 > MAX_OVERTIME * opt_seconds)
				atomic_store(&give_up, true);
			usleep(100000);
		}
		allocs += th[i].allocs;
		failures += th[i].failures;
		frees += th[i].frees;
		if (th[i].frees < min)
			min = th[i].frees;
		if (th[i].fd != shared)
			close(th[i].fd);
	}
	t0 = bbt_now() - t0;
	close(shared);
	s1 = bbt_stats();
	printf("    %u threads, %.1f s: %llu alloc/free pairs (%.0f/s), fewest per thread %llu, %llu ENOMEM, peak held %llu MiB\n",
	       opt_threads, t0, (unsigned long long)frees, frees / t0,
	       (unsigned long long)min, (unsigned long long)failures,
	       (unsigned long long)(s1.peak_bytes_held / MiB));
	bbt_count(CNT_LOAD_OPS, frees);
	CHECK(frees == allocs, "%llu frees for %llu allocations",
	      (unsigned long long)frees, (unsigned long long)allocs);
	CHECK(s1.allocations - s0.allocations == allocs,
	      "module counted %llu allocations, threads %llu",
	      (unsigned long long)(s1.allocations - s0.allocations),
	      (unsigned long long)allocs);
	CHECK(s1.failures - s0.failures == failures);
	CHECK(s1.frees - s0.frees == frees);
	CHECK(s1.buffers == 0 && s1.bytes_held == 0);
	CHECK(min >= opt_min_ops, "a thread did only %llu pairs, want %llu",
	      (unsigned long long)min, (unsigned long long)opt_min_ops);
}

static int load_opt(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	if (!strcmp(argv[0], "--threads")) {
		opt_threads = strtoul(argv[1], NULL, 0);
		if (!opt_threads || opt_threads > MAX_THREADS) {
			fprintf(stderr, "--threads: 1..%d\n", MAX_THREADS);
			exit(2);
		}
	} else if (!strcmp(argv[0], "--seconds")) {
		opt_seconds = strtod(argv[1], NULL);
	} else if (!strcmp(argv[0], "--min-ops")) {
		opt_min_ops = strtoull(argv[1], NULL, 0);
	} else {
		return 0;
	}
	return 2;
}

int main(int argc, char **argv)
{
	static const struct bbt_test tests[] = {
		{ "load", t_load },
	};

	return bbt_main(argc, argv, tests, ARRAY_LEN(tests), load_opt);
}
