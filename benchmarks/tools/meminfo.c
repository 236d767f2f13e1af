// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meminfo.h"

#define PAGE 4096UL

static uint64_t read_keyed(const char *path, const char *key, uint64_t scale)
{
	size_t klen = strlen(key);
	char line[256];
	uint64_t v = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* vmstat keys have no colon: require a separator after the key. */
		if (!strncmp(line, key, klen) &&
		    (key[klen - 1] == ':' || line[klen] == ' ')) {
			v = strtoull(line + klen, NULL, 10) * scale;
			break;
		}
	}
	fclose(f);
	return v;
}

uint64_t meminfo_bytes(const char *key)
{
	return read_keyed("/proc/meminfo", key, 1024);
}

uint64_t vmstat_read(const char *key)
{
	return read_keyed("/proc/vmstat", key, 1);
}

int buddy_read(struct buddy_summary *out)
{
	char line[512];
	FILE *f = fopen("/proc/buddyinfo", "r");

	*out = (struct buddy_summary){ .max_order = -1 };
	if (!f) {
		perror("/proc/buddyinfo");
		return -1;
	}
	/* "Node 0, zone    DMA32      2      2 ...      752" */
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "zone");
		int order = 0;
		uint64_t n, last = 0;

		if (!p)
			continue;
		p += 4;
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;	/* zone name */
		for (;;) {
			char *end;

			n = strtoull(p, &end, 10);
			if (end == p)
				break;
			out->free_pages += n << order;
			last = n;
			p = end;
			order++;
		}
		if (order > 0) {
			out->max_order = order - 1;
			out->maxorder_free_pages += last << (order - 1);
		}
	}
	fclose(f);
	return out->max_order < 0 ? -1 : 0;
}

uint64_t zone_high_watermarks_bytes(void)
{
	char line[256];
	uint64_t sum = 0, v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " high %" SCNu64, &v) == 1)
			sum += v * PAGE;
	}
	fclose(f);
	return sum;
}
