// SPDX-License-Identifier: GPL-2.0
/*
 * fragment - leave physical memory in a reproducible fragmented state.
 *
 * 1. Fill free memory, in 4 MiB chunks, with anonymous pages (THP off) and
 *    page cache pages (a file, written), in a fixed ratio, until free memory
 *    is down to a floor 8 MiB above the zones' high watermarks, so that
 *    neither kswapd nor direct reclaim is woken. The watermark reserve the
 *    kernel keeps free stays free, mostly in max-order blocks: the FRAG line
 *    reports how much (maxorder_free_after_mib).
 * 2. Free a seeded pseudo-random subset of those 4 KiB pages (each page with
 *    probability --free-pct): anonymous ones with MADV_DONTNEED, file ones
 *    by punching a hole (tmpfs, regular files) or dropping them from the
 *    page cache (block devices). What is left free is then scattered single
 *    pages and short runs: plenty of free memory, no free 4 MiB block, and
 *    every used page movable (anonymous and page cache pages can be
 *    migrated), so compaction and alloc_contig_range() can still succeed.
 * 3. Print the state, create --ready FILE, and hold everything until
 *    SIGTERM or SIGINT.
 *
 * Same seed and same guest: same pattern over the same fill order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "meminfo.h"

#define PAGE		4096UL
#define CHUNK		(4UL << 20)

struct opts {
	uint64_t seed;
	unsigned int free_pct;		/* % of filled pages to free */
	unsigned int cache_pct;		/* % of filled memory put in the page cache */
	const char *cache_path;		/* file or block device; NULL: anon only */
	const char *ready_path;
	uint64_t floor_bytes;		/* 0: derive from the watermarks */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fragment [--seed N] [--free-pct P] [--cache-pct P] [--cache PATH]\n"
		"                [--floor-mib M] [--ready FILE]\n"
		"  --seed N       pattern seed (default 1)\n"
		"  --free-pct P   free each filled page with probability P%% (default 50)\n"
		"  --cache-pct P  put P%% of the filled memory in the page cache of PATH (default 40)\n"
		"  --cache PATH   file (unlinked at once) or block device for the page cache part;\n"
		"                 without it everything is anonymous memory\n"
		"  --floor-mib M  stop filling at M MiB free (default: high watermarks + 8 MiB)\n"
		"  --ready FILE   create FILE once fragmented, then hold until SIGTERM/SIGINT\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){ .seed = 1, .free_pct = 50, .cache_pct = 40 };
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!v) {
			usage(stderr);
			return -1;
		}
		if (!strcmp(a, "--seed"))
			o->seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--free-pct"))
			o->free_pct = (unsigned int)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--cache-pct"))
			o->cache_pct = (unsigned int)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--cache"))
			o->cache_path = v;
		else if (!strcmp(a, "--floor-mib"))
			o->floor_bytes = strtoull(v, NULL, 0) << 20;
		else if (!strcmp(a, "--ready"))
			o->ready_path = v;
		else {
			usage(stderr);
			return -1;
		}
		i++;
	}
	if (o->free_pct > 100 || o->cache_pct > 100) {
		fprintf(stderr, "fragment: percentages must be 0..100\n");
		return -1;
	}
	return 0;
}

struct cache {
	int fd;
	bool is_bdev;
	uint64_t bytes;
	char *pattern;
};

static int cache_open(struct cache *c, const char *path)
{
	struct stat st;

	c->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->fd < 0 || fstat(c->fd, &st)) {
		fprintf(stderr, "fragment: %s: %s\n", path, strerror(errno));
		return -1;
	}
	c->is_bdev = S_ISBLK(st.st_mode);
	/* A file lives exactly as long as we do. */
	if (!c->is_bdev && (unlink(path) || ftruncate(c->fd, 0))) {
		fprintf(stderr, "fragment: %s: %s\n", path, strerror(errno));
		return -1;
	}
	c->pattern = malloc(CHUNK);
	if (!c->pattern)
		return -1;
	memset(c->pattern, 0x5a, CHUNK);
	return 0;
}

/* Returns 1 when the file is full (tmpfs size limit): fill the rest with anon. */
static int cache_fill(struct cache *c)
{
	ssize_t n = pwrite(c->fd, c->pattern, CHUNK, (off_t)c->bytes);

	if (n >= 0 && n < (ssize_t)CHUNK)
		n = ftruncate(c->fd, (off_t)c->bytes) ? -1 : 0;
	if (n == 0 || (n < 0 && (errno == ENOSPC || errno == EFBIG)))
		return 1;
	if (n != (ssize_t)CHUNK) {
		fprintf(stderr, "fragment: page cache write: %s\n", strerror(errno));
		return -1;
	}
	c->bytes += CHUNK;
	return 0;
}

static int cache_drop(struct cache *c, uint64_t off, uint64_t len)
{
	int err;

	if (c->is_bdev) {
		err = posix_fadvise(c->fd, (off_t)off, (off_t)len, POSIX_FADV_DONTNEED);
		if (err)
			errno = err;
		return err ? -1 : 0;
	}
	return fallocate(c->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)off, (off_t)len);
}

/* Free pages [first, first + n) of a region; is_anon selects the method. */
static int drop_run(char *anon, struct cache *c, bool is_anon,
		    uint64_t first, uint64_t n)
{
	if (is_anon)
		return madvise(anon + first * PAGE, n * PAGE, MADV_DONTNEED);
	return cache_drop(c, first * PAGE, n * PAGE);
}

/* Walk @pages pages, freeing each with probability free_pct; returns pages freed. */
static int64_t punch_pattern(uint64_t *rng, unsigned int free_pct, char *anon,
			     struct cache *c, bool is_anon, uint64_t pages)
{
	uint64_t i, run_start = 0, run = 0, freed = 0;

	for (i = 0; i <= pages; i++) {
		bool drop = i < pages && splitmix64(rng) % 100 < free_pct;

		if (drop) {
			if (!run)
				run_start = i;
			run++;
			continue;
		}
		if (run) {
			if (drop_run(anon, c, is_anon, run_start, run)) {
				perror("fragment: freeing pages");
				return -1;
			}
			freed += run;
			run = 0;
		}
	}
	return (int64_t)freed;
}

int main(int argc, char **argv)
{
	struct cache c = { .fd = -1 };
	struct buddy_summary before, filled, after;
	struct opts o;
	uint64_t anon_bytes = 0, reserve, floor_bytes, rng, t0, t1, t2;
	int64_t freed_anon, freed_cache = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, old;
	bool cache_full = false;
	char *anon;
	FILE *ready;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (o.cache_path && o.cache_pct && cache_open(&c, o.cache_path))
		return 1;
	if (buddy_read(&before))
		return 1;

	floor_bytes = o.floor_bytes ? o.floor_bytes :
		      zone_high_watermarks_bytes() + (8UL << 20);
	/* Reserve address space for all of RAM; only what we touch is used. */
	reserve = meminfo_bytes("MemTotal:");
	anon = mmap(NULL, reserve, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (anon == MAP_FAILED || madvise(anon, reserve, MADV_NOHUGEPAGE)) {
		perror("fragment: anonymous region");
		return 1;
	}

	/* 1. Fill down to the floor, keeping the anon:cache ratio. */
	t0 = now_ms();
	/* Steps of half the distance to the floor (whole chunks): few meminfo reads. */
	for (;;) {
		uint64_t free_now = meminfo_bytes("MemFree:"), step;

		if (free_now <= floor_bytes + CHUNK)
			break;
		step = (free_now - floor_bytes) / 2 / CHUNK * CHUNK;
		if (step < CHUNK)
			step = CHUNK;
		while (step) {
			bool to_cache = c.fd >= 0 && !cache_full &&
				c.bytes * 100 < (c.bytes + anon_bytes) * o.cache_pct;
			int ret;

			if (to_cache) {
				ret = cache_fill(&c);
				if (ret < 0)
					return 1;
				cache_full = ret > 0;
				if (cache_full)
					continue;
			} else {
				if (anon_bytes + CHUNK > reserve)
					break;
				if (madvise(anon + anon_bytes, CHUNK,
					    MADV_POPULATE_WRITE)) {
					perror("fragment: populating anonymous memory");
					return 1;
				}
				anon_bytes += CHUNK;
			}
			step -= CHUNK;
		}
		if (step)
			break;	/* address space reserve exhausted */
	}
	if (c.fd >= 0 && c.is_bdev && fsync(c.fd)) {
		perror("fragment: fsync");
		return 1;
	}

	/* 2. Free the seeded pattern. */
	if (buddy_read(&filled))
		return 1;
	t1 = now_ms();
	rng = o.seed;
	freed_anon = punch_pattern(&rng, o.free_pct, anon, &c, true,
				   anon_bytes / PAGE);
	if (freed_anon < 0)
		return 1;
	if (c.fd >= 0) {
		freed_cache = punch_pattern(&rng, o.free_pct, anon, &c, false,
					    c.bytes / PAGE);
		if (freed_cache < 0)
			return 1;
	}
	t2 = now_ms();
	if (buddy_read(&after))
		return 1;

	printf("FRAG seed=%" PRIu64 " free_pct=%u anon_mib=%" PRIu64
	       " cache_mib=%" PRIu64 " freed_mib=%" PRIu64
	       " free_before_mib=%" PRIu64 " maxorder_free_before_mib=%" PRIu64
	       " free_filled_mib=%" PRIu64 " maxorder_free_filled_mib=%" PRIu64
	       " floor_mib=%" PRIu64
	       " free_after_mib=%" PRIu64 " maxorder_free_after_mib=%" PRIu64
	       " max_order=%d fill_ms=%" PRIu64 " free_ms=%" PRIu64 "\n",
	       o.seed, o.free_pct, anon_bytes >> 20, c.bytes >> 20,
	       ((uint64_t)(freed_anon + freed_cache) * PAGE) >> 20,
	       before.free_pages * PAGE >> 20,
	       before.maxorder_free_pages * PAGE >> 20,
	       filled.free_pages * PAGE >> 20,
	       filled.maxorder_free_pages * PAGE >> 20, floor_bytes >> 20,
	       after.free_pages * PAGE >> 20,
	       after.maxorder_free_pages * PAGE >> 20, after.max_order,
	       t1 - t0, t2 - t1);
	fflush(stdout);

	/* 3. Hold until told to stop; no signal is lost between check and wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (o.ready_path) {
		ready = fopen(o.ready_path, "w");
		if (!ready || fclose(ready)) {
			perror("fragment: ready file");
			return 1;
		}
	}
	while (!stop)
		sigsuspend(&old);

	if (c.fd >= 0 && c.is_bdev)
		posix_fadvise(c.fd, 0, (off_t)c.bytes, POSIX_FADV_DONTNEED);
	return 0;
}
