// SPDX-License-Identifier: GPL-2.0
/*
 * Second opinion on a bigbuf buffer mapped by another process (the JVM of
 * the end-to-end tests), without /dev/mem:
 *
 *   bigbuf_e2e_reader PID VADDR LENGTH PHYS SEED     (numbers in hex or decimal)
 *
 * 1. /proc/PID/pagemap: every page of [VADDR, VADDR + LENGTH) is present and
 *    its page frame is PHYS / page size + i, i.e. the buffer is physically
 *    contiguous at PHYS (needs CAP_SYS_ADMIN to see frame numbers);
 * 2. /proc/PID/mem: 64-bit word i of the range holds i * 0x9E3779B97F4A7C15
 *    ^ SEED, the pattern the Java side wrote through its MemorySegment
 *    (needs ptrace access to PID, i.e. root).
 *
 * Prints one "ok ..." line and exits 0, or one "FAIL ..." line and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PM_PFN_MASK ((UINT64_C(1) << 55) - 1)
#define PM_PRESENT (UINT64_C(1) << 63)
#define GOLDEN UINT64_C(0x9E3779B97F4A7C15)
#define CHUNK (1 << 20)

static uint64_t number(const char *s, const char *what)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "FAIL %s: not a number: '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static int open_proc(long pid, const char *file)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("FAIL open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void read_at(int fd, void *buf, size_t len, uint64_t off, const char *what)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n != (ssize_t)len) {
		printf("FAIL read %zu bytes of %s at 0x%" PRIx64 ": %s\n", len, what,
		       off, n < 0 ? strerror(errno) : "short read");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	uint64_t vaddr, len, phys, seed, page, pages, i, first_pfn;
	static uint64_t words[CHUNK / 8];
	long pid;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: %s PID VADDR LENGTH PHYS SEED\n", argv[0]);
		return 2;
	}
	pid = (long)number(argv[1], "PID");
	vaddr = number(argv[2], "VADDR");
	len = number(argv[3], "LENGTH");
	phys = number(argv[4], "PHYS");
	seed = number(argv[5], "SEED");
	page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (vaddr % page || phys % page || len == 0 || len % 8) {
		fprintf(stderr, "FAIL VADDR/PHYS must be page aligned, LENGTH a multiple of 8\n");
		return 2;
	}

	fd = open_proc(pid, "pagemap");
	pages = (len + page - 1) / page;
	first_pfn = phys / page;
	for (i = 0; i < pages; i++) {
		uint64_t entry;

		read_at(fd, &entry, sizeof(entry), (vaddr / page + i) * 8, "pagemap");
		if (!(entry & PM_PRESENT)) {
			printf("FAIL page %" PRIu64 " of %" PRIu64 " not present\n", i, pages);
			return 1;
		}
		if ((entry & PM_PFN_MASK) != first_pfn + i) {
			printf("FAIL page %" PRIu64 ": PFN 0x%" PRIx64 ", expected 0x%" PRIx64 "\n",
			       i, entry & PM_PFN_MASK, first_pfn + i);
			return 1;
		}
	}
	close(fd);

	fd = open_proc(pid, "mem");
	for (uint64_t off = 0; off < len; off += CHUNK) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;

		read_at(fd, words, n, vaddr + off, "mem");
		for (size_t w = 0; w < n / 8; w++) {
			uint64_t index = off / 8 + w;
			uint64_t want = index * GOLDEN ^ seed;

			if (words[w] != want) {
				printf("FAIL word %" PRIu64 " (byte 0x%" PRIx64 "): 0x%" PRIx64
				       ", expected 0x%" PRIx64 "\n", index, index * 8,
				       words[w], want);
				return 1;
			}
		}
	}
	close(fd);
	printf("ok %" PRIu64 " pages contiguous at PFN 0x%" PRIx64 " (phys 0x%" PRIx64
	       "), %" PRIu64 " bytes match the pattern\n", pages, first_pfn, phys, len);
	return 0;
}
