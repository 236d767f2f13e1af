// SPDX-License-Identifier: GPL-2.0
/*
 * Fragmentation benchmark: fills a share of free memory with movable
 * anonymous pages, releases every other page so that almost no free
 * max-order block is left, then finds for each strategy the largest buffer
 * (doubling from 4 MiB, then bisecting in
 * 4 MiB steps) it can allocate, with the time it took.
 *
 * Usage: bigbuf_frag [-p percent-of-free-RAM-to-fill] [device]
 * Prints one "strategy <name> max <bytes> time <s>" line per strategy and
 * exits 0 if the device worked (allocation failures are results, not
 * errors); 1 if any buffer was left held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/bigbuf.h>

#define MiB		(1ULL << 20)
#define START_SIZE	(4 * MiB)
#define DEFAULT_FILL	70

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int try_alloc(int fd, uint64_t size, uint32_t strategy, double *secs)
{
	struct bigbuf_alloc a = { .size = size, .flags = strategy };
	struct bigbuf_free f = { 0 };
	double t = now();
	int ret = ioctl(fd, BIGBUF_IOC_ALLOC, &a);

	*secs = now() - t;
	if (ret)
		return -errno;
	f.id = a.id;
	return ioctl(fd, BIGBUF_IOC_FREE, &f) ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "auto", "buddy", "contig", "grab" };
	const char *dev = getenv("BIGBUF_DEV") ? getenv("BIGBUF_DEV") : "/dev/bigbuf";
	long ps = sysconf(_SC_PAGESIZE);
	unsigned int fill = DEFAULT_FILL;
	struct bigbuf_info info;
	struct bigbuf_stats st;
	uint32_t s;
	size_t len, i;
	char *mem;
	int fd, opt;

	while ((opt = getopt(argc, argv, "p:")) != -1)
		if (opt == 'p')
			fill = atoi(optarg);
	if (optind < argc)
		dev = argv[optind];
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, BIGBUF_IOC_INFO, &info)) {
		perror(dev);
		return 2;
	}
	len = info.free_ram / 100 * fill / ps * ps;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	/* 4 KiB pages only: a THP would be freed as a whole. */
	madvise(mem, len, MADV_NOHUGEPAGE);
	for (i = 0; i < len; i += ps)
		mem[i] = 1;
	for (i = ps; i < len; i += 2 * ps)
		madvise(mem + i, ps, MADV_DONTNEED);
	ioctl(fd, BIGBUF_IOC_INFO, &info);
	printf("filled %zu MiB with movable pages, freed every other page; free now %llu MiB, grab cap %llu MiB\n",
	       (size_t)(len / MiB), (unsigned long long)(info.free_ram / MiB),
	       (unsigned long long)(info.grab_cap_bytes / MiB));

	for (s = BIGBUF_STRATEGY_AUTO; s < BIGBUF_STRATEGY_COUNT; s++) {
		uint64_t size, best = 0, max = (uint64_t)ps << info.max_order;
		double secs, total = 0;
		int ret = 0;

		if (s != BIGBUF_STRATEGY_AUTO && !(info.strategies & 1U << s))
			continue;
		/* Double until a failure, then bisect in START_SIZE steps. */
		for (size = START_SIZE; size <= info.total_ram; size *= 2) {
			if (s == BIGBUF_STRATEGY_BUDDY && size > max)
				break;
			ret = try_alloc(fd, size, s, &secs);
			total += secs;
			if (ret)
				break;
			best = size;
		}
		/* Stopped by RAM size, not by failure: bisect up to RAM. */
		if (!ret && best && s != BIGBUF_STRATEGY_BUDDY) {
			size = info.max_alloc_size / START_SIZE * START_SIZE;
			ret = try_alloc(fd, size, s, &secs);
			total += secs;
			if (!ret)
				best = size;
		}
		while (ret && best && size - best > START_SIZE) {
			uint64_t mid = (best + size) / 2 / START_SIZE * START_SIZE;

			if (try_alloc(fd, mid, s, &secs) == 0)
				best = mid;
			else
				size = mid;
			total += secs;
		}
		printf("strategy %-6s max %4llu MiB  time %.2f s  (stopped: %s)\n",
		       names[s], (unsigned long long)(best / MiB), total,
		       ret ? strerror(-ret) : "size limit");
	}
	munmap(mem, len);
	if (ioctl(fd, BIGBUF_IOC_STATS, &st))
		return 2;
	close(fd);
	return st.buffers ? 1 : 0;
}
