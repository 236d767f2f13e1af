// SPDX-License-Identifier: GPL-2.0
/*
 * Holds a bigbuf buffer for run-in-guest's module unload checks:
 *
 *   bb_holder fd|map [size]
 *
 * fd:  opens the device and allocates a buffer, keeps the file open;
 * map: the same, maps the buffer and closes the file, so that only the
 *      mapping holds the buffer (and the module).
 * Prints "ready" once it holds the buffer, then waits to be killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bbtest.h"

int main(int argc, char **argv)
{
	struct bigbuf_alloc a;
	uint64_t size = argc > 2 ? strtoull(argv[2], NULL, 0) : MiB;
	int fd;
	void *p;

	if (argc < 2 || (strcmp(argv[1], "fd") && strcmp(argv[1], "map"))) {
		fprintf(stderr, "usage: %s fd|map [size]\n", argv[0]);
		return 2;
	}
	if (getenv("BIGBUF_DEV"))
		bbt_dev = getenv("BIGBUF_DEV");
	bbt_page = sysconf(_SC_PAGESIZE);
	fd = bbt_open();
	if (bbt_alloc(fd, size, 0, 0, 0, &a)) {
		fprintf(stderr, "%s: alloc: %s\n", argv[0], strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "map")) {
		p = bbt_map(fd, a.mmap_offset, a.actual_size);
		if (!p) {
			fprintf(stderr, "%s: mmap: %s\n", argv[0], strerror(errno));
			return 1;
		}
		memset(p, 0x77, a.actual_size);
		close(fd);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
