/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test library of the /dev/bigbuf programs (bigbuf_test and the
 * reliability programs fuzz, faults, isolation, load, holder): a tiny test
 * runner, counters the guest drivers add up, and thin wrappers around the
 * /dev/bigbuf ioctls.
 *
 * Output contract (parsed by run-in-guest):
 *   "ok   <test> (<s> s)" / "FAIL <test> (<s> s)"  one line per test
 *   "COUNT <name> <n>"                              totals of this program
 *   "<N> passed, <N> failed"                        last line
 */
#ifndef BB_TEST_LIB_H
#define BB_TEST_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/bigbuf.h>

#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Freed buffers are returned by an asynchronous fput() after exit/close. */
#define SETTLE_MS	5000

extern const char *bbt_dev;
extern long bbt_page;
extern struct bigbuf_info bbt_info;
extern bool bbt_verbose;

/* Counters printed as "COUNT name n" at exit; updated atomically. */
enum bbt_counter {
	CNT_FUZZ_CALLS,		/* ioctl/mmap/munmap/mremap/close calls by the fuzzer */
	CNT_BAD_INPUTS,		/* calls made with input the ABI must reject */
	CNT_FAULTS,		/* injected faults: kills, signals, failures */
	CNT_LOAD_OPS,		/* successful alloc+free pairs under load */
	CNT_NR
};
void bbt_count(enum bbt_counter c, uint64_t n);

/* Record a failed check of the current test (thread safe). */
void bbt_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void bbt_check_failed(const char *file, int line, const char *cond,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void bbt_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CHECK(cond) or CHECK(cond, "format", args...): the format is optional. */
#define CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			bbt_check_failed(__FILE__, __LINE__, #cond,	\
					 " " __VA_ARGS__);		\
	} while (0)

/* A call that must fail with errno e. */
#define CHECK_ERR(call, e)						\
	do {								\
		errno = 0;						\
		long r_ = (long)(call);					\
		int e_ = errno;						\
		if (r_ != -1 || e_ != (e))				\
			bbt_fail(__FILE__, __LINE__,			\
				 "%s: got %ld/%s, want %s", #call, r_,	\
				 strerror(e_), strerror(e));		\
	} while (0)

struct bbt_test {
	const char *name;
	void (*fn)(void);
};

/*
 * Parse the common options (-v, --dev PATH, test names), open the device
 * once for INFO, run the selected tests (each must leave the module
 * holding what it held before the test), print counters and the summary;
 * returns the exit status.  Program-specific options are handled by @opt (return the
 * number of argv entries consumed, 0 if unknown) before that.
 */
int bbt_main(int argc, char **argv, const struct bbt_test *tests,
	     size_t nr_tests, int (*opt)(int argc, char **argv));
/* bbt_main, calling @setup (if not NULL) after INFO, before the tests. */
int bbt_main_with(int argc, char **argv, const struct bbt_test *tests,
		  size_t nr_tests, int (*opt)(int argc, char **argv),
		  void (*setup)(void));

double bbt_now(void);
int bbt_open(void);			/* O_RDWR|O_CLOEXEC, exits on failure */
struct bigbuf_stats bbt_stats(void);	/* through a fresh fd */
/* Wait until the module holds no buffer; false (and a failure) if not. */
bool bbt_settle_empty(const char *what);
/*
 * Wait until the module holds @buffers buffers of @bytes bytes in all;
 * false (and a failure naming @what) if it does not within SETTLE_MS.
 */
bool bbt_settle(uint64_t buffers, uint64_t bytes, const char *what);
int bbt_alloc(int fd, uint64_t size, uint64_t align, uint64_t max_addr,
	      uint32_t flags, struct bigbuf_alloc *a);
int bbt_free(int fd, uint64_t id);
/* BIGBUF_IOC_MEMMAP of @nr_blocks blocks from @start_pfn into @states. */
int bbt_memmap(int fd, uint64_t start_pfn, uint8_t *states, uint32_t nr_blocks,
	       struct bigbuf_memmap *m);

/* A PCI function: its address for the ioctls and its sysfs name. */
struct bbt_pci {
	struct bigbuf_pci_dev addr;
	char name[16];			/* "0000:00:04.0" */
};
/* A (sysfs) file's text, trailing newlines and blanks cut; -1 on error. */
int bbt_read_file(const char *path, char *buf, size_t len);
/* Numeric attribute of PCI function @name ("vendor", "numa_node"); -1 on error. */
long bbt_pci_attr(const char *name, const char *attr);
/* Name of the driver bound to PCI function @name, "" if none. */
void bbt_pci_driver(const char *name, char *out, size_t len);
/* "0000:00:04.0" into @p; -1 if it is not a PCI function address. */
int bbt_parse_pci(const char *s, struct bbt_pci *p);
/*
 * First PCI function with @vendor:@device, or (@bound) the first one bound
 * to a kernel driver other than bigbuf's stub; -1 if there is none.
 */
int bbt_find_pci(int vendor, int device, bool bound, struct bbt_pci *out);
/* How the kernel translates @name's DMA (sysfs iommu_group/type): BIGBUF_DMA_*, -1 unknown. */
int bbt_pci_dma_mode(const char *name);
/* BIGBUF_IOC_ALLOC_EXT; with @dev the buffer is mapped for it too. */
int bbt_alloc_ext(int fd, const struct bbt_pci *dev, uint64_t size,
		  uint64_t max_addr, uint32_t flags, struct bigbuf_alloc_ext *a);
/* BIGBUF_IOC_MAP / UNMAP of buffer @id, or (id 0) the one mapped at @addr. */
int bbt_devmap(int fd, uint64_t id, const void *addr, const struct bbt_pci *dev,
	       uint64_t mask, uint32_t flags, struct bigbuf_map *m);
int bbt_devunmap(int fd, uint64_t id, const void *addr,
		 const struct bbt_pci *dev);
void *bbt_map(int fd, uint64_t offset, size_t len);	/* NULL on error */
bool bbt_is_zero(const void *p, size_t len);
void bbt_fill(void *p, size_t len, uint64_t seed);
/* Module parameter in /sys/module/bigbuf/parameters; -1 on error. */
long bbt_param_get(const char *name);
/* As a string (trailing newline stripped); 0, or -1 with errno. */
int bbt_param_read(const char *name, char *buf, size_t len);
/* Writes VALUE as is; 0, or -1 with errno as the kernel's ->set() left it. */
int bbt_param_write(const char *name, const char *value);
int bbt_param_set(const char *name, long value);

/* xorshift64*: fast, seedable, good enough to pick test inputs. */
static inline uint64_t bbt_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t bbt_below(uint64_t *s, uint64_t n)
{
	return n ? bbt_rand(s) % n : 0;
}

#endif /* BB_TEST_LIB_H */
