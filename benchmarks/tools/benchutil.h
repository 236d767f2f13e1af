/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the in-guest benchmark clients share: a monotonic clock, the vmstat
 * counters read around a try, waiting for background reclaim to settle,
 * and running the fragmenter (fragment.c) while a try runs.
 */
#ifndef BENCH_BENCHUTIL_H
#define BENCH_BENCHUTIL_H

#include <stdint.h>
#include <sys/types.h>

#define MIB		((uint64_t)1 << 20)
#define MAX_FRAG_ARGS	32

struct vm_counters {
	uint64_t oom_kill, pswpout, pgsteal, compact_stall, pgmigrate;
};

/* A running fragmenter. */
struct frag {
	pid_t pid;		/* -1: none */
	uint64_t seed;
	char line[512];		/* its FRAG line */
	uint64_t free_mib, maxorder_mib;
};

/* The fragmenter binary and its arguments besides --seed. */
struct frag_cmd {
	const char *path;
	char *args[MAX_FRAG_ARGS];
	int nr_args;
};

double now_us(void);
/* Print "PROG: WHAT: strerror(errno)" and exit 1. */
void die(const char *what);
void vm_read(struct vm_counters *c);
/* Whether memory changed between @a and @b (migrated, reclaimed, swapped, OOM). */
int vm_changed(const struct vm_counters *a, const struct vm_counters *b);
/* Wait until kswapd, swap-out and compaction counters stop moving (max 5 s). */
void settle(void);
/* Start the fragmenter with --seed @seed and wait until it has fragmented memory. */
int frag_start(const struct frag_cmd *cmd, uint64_t seed, struct frag *fr);
/* Stop the fragmenter and reap it. */
void frag_stop(struct frag *fr);
/* Whether the fragmenter ended on its own (OOM-killed); reaps it then. */
int frag_died(struct frag *fr);

extern const char *bench_prog;

#endif /* BENCH_BENCHUTIL_H */
