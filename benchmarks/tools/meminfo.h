/* SPDX-License-Identifier: GPL-2.0 */
/* Readers for /proc/meminfo, /proc/buddyinfo, /proc/zoneinfo and /proc/vmstat. */
#ifndef BENCH_MEMINFO_H
#define BENCH_MEMINFO_H

#include <stdint.h>

struct buddy_summary {
	uint64_t free_pages;		/* all free pages in the buddy lists */
	uint64_t maxorder_free_pages;	/* free pages in blocks of the largest order */
	int max_order;			/* largest order listed */
};

/* Value of a /proc/meminfo line ("MemFree:") in bytes, 0 if absent. */
uint64_t meminfo_bytes(const char *key);
/* Sum of all zones' free block counts; 0 on success. */
int buddy_read(struct buddy_summary *out);
/* Sum of all zones' high watermarks, in bytes. */
uint64_t zone_high_watermarks_bytes(void);
/* Value of a /proc/vmstat counter, 0 if absent. */
uint64_t vmstat_read(const char *key);

#endif /* BENCH_MEMINFO_H */
