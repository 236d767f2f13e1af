// SPDX-License-Identifier: GPL-2.0
/*
 * Fault tests of /dev/bigbuf, run as root in the guest:
 *
 *   bb_faults [-v] [--rounds N] [test...]
 *
 * - kill -9 of processes in the middle of allocations (large GRAB and
 *   CONTIG requests take long under TCG) and while they hold mappings;
 * - fork() with mappings: the child and the parent each outliving the
 *   other, a child freeing through the inherited file;
 * - allocations interrupted by signals: EINTR or success, and every page
 *   grabbed for an interrupted request is given back;
 * - injected failures: the answer cannot be written back (read-only
 *   argument, so the buffer is allocated and must be taken back), and
 *   ENOMEM forced through the module parameters (contig_tries=0, a small
 *   grab_cap_mb): clean ENOMEM, counters consistent, nothing held.
 * Each test ends with the module holding no buffer (checked by the
 * runner); run-in-guest also compares free memory before load and after
 * unload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bbtest.h"

#define DEFAULT_ROUNDS		12
#define KILL_DELAY_MAX_US	80000
#define SIGNAL_ALLOCS		24
#define SIGNAL_GAP_MAX_US	4000
#define GRAB_FAIL_CAP_MB	16
#define GRAB_FAIL_SIZE		(16 * MiB)
#define GRAB_FAIL_LIMIT		(32 * MiB - 1)	/* holds the kernel image */

static unsigned int opt_rounds = DEFAULT_ROUNDS;
static uint64_t rng = 0x7a11f00d;

/* What a killed child does between allocations. */
static void churn(int ready_fd, unsigned int seed)
{
	static const struct {
		uint64_t size;
		uint32_t flags;
	} reqs[] = {
		{ 32 * MiB, BIGBUF_STRATEGY_GRAB },
		{ 16 * MiB, BIGBUF_STRATEGY_CONTIG },
		{ 8 * MiB, BIGBUF_STRATEGY_AUTO },
		{ 4 * MiB, BIGBUF_STRATEGY_BUDDY },
		{ 64 * KiB, BIGBUF_STRATEGY_AUTO },
	};
	uint64_t s = seed | 1;
	struct bigbuf_alloc a;
	unsigned int i = 0;
	int fd = bbt_open();
	void *p;

	for (;;) {
		i = bbt_below(&s, ARRAY_LEN(reqs));
		if (write(ready_fd, "a", 1) != 1)
			_exit(3);
		if (bbt_alloc(fd, reqs[i].size, 0, 0, reqs[i].flags, &a))
			continue;
		p = bbt_map(fd, a.mmap_offset, a.actual_size);
		if (p)
			memset(p, 0x5a, a.actual_size);
		if (bbt_below(&s, 2))
			bbt_free(fd, a.id);
		/* Mapped buffers stay: the kill finds some of them held. */
	}
}

/* SIGKILL of children at random points of allocating, mapping, writing. */
static void t_kill9_mid_alloc(void)
{
	unsigned int round, killed = 0;
	int pipefd[2], status;
	char c;
	pid_t pid;

	for (round = 0; round < opt_rounds; round++) {
		if (pipe(pipefd)) {
			bbt_fail(__FILE__, __LINE__, "pipe: %s", strerror(errno));
			return;
		}
		fflush(stdout);
		pid = fork();
		if (!pid) {
			close(pipefd[0]);
			churn(pipefd[1], round + 1);
		}
		close(pipefd[1]);
		/* Wait until it is about to allocate, then at random later. */
		CHECK(read(pipefd[0], &c, 1) == 1);
		usleep(bbt_below(&rng, KILL_DELAY_MAX_US));
		CHECK(kill(pid, SIGKILL) == 0);
		CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
		      WTERMSIG(status) == SIGKILL, "status %#x", status);
		close(pipefd[0]);
		killed++;
		bbt_count(CNT_FAULTS, 1);
	}
	bbt_note("%u children killed while allocating\n", killed);
}

/* SIGKILL of a process that holds buffers only through mappings. */
static void t_kill9_mapped(void)
{
	struct bigbuf_alloc a;
	unsigned int round, i;
	int pipefd[2], status, fd;
	char c;
	pid_t pid;
	void *p;

	for (round = 0; round < opt_rounds; round++) {
		if (pipe(pipefd))
			return;
		fflush(stdout);
		pid = fork();
		if (!pid) {
			close(pipefd[0]);
			fd = bbt_open();
			for (i = 0; i < 4; i++) {
				if (bbt_alloc(fd, (i + 1) * 256 * KiB, 0, 0, 0, &a))
					_exit(3);
				p = bbt_map(fd, a.mmap_offset, a.actual_size);
				if (!p)
					_exit(4);
				memset(p, 0xa5, a.actual_size);
				if (i % 2)	/* half freed: mapping only */
					bbt_free(fd, a.id);
			}
			if (round % 2)
				close(fd);	/* only the mappings hold them */
			if (write(pipefd[1], "r", 1) != 1)
				_exit(5);
			pause();
			_exit(6);
		}
		close(pipefd[1]);
		CHECK(read(pipefd[0], &c, 1) == 1, "child failed to set up");
		CHECK(bbt_stats().buffers == 4);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
		close(pipefd[0]);
		bbt_count(CNT_FAULTS, 1);
	}
}

/* fork() with mappings: both processes share the pages; either may go first. */
static void t_fork_mappings(void)
{
	struct bigbuf_alloc a;
	int fd = bbt_open(), status, go[2];
	uint64_t *p;
	char c = 0;
	pid_t pid;

	if (bbt_alloc(fd, 64 * KiB, 0, 0, 0, &a)) {
		bbt_fail(__FILE__, __LINE__, "alloc: %s", strerror(errno));
		return;
	}
	p = bbt_map(fd, a.mmap_offset, a.actual_size);
	CHECK(p != NULL);
	if (!p)
		return;

	/* 1. The child writes, exits; the parent sees it. */
	fflush(stdout);
	pid = fork();
	if (!pid) {
		p[0] = 0xc0ffee;
		p[a.actual_size / 8 - 1] = 0xdecaf;
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK(p[0] == 0xc0ffee && p[a.actual_size / 8 - 1] == 0xdecaf);
	bbt_count(CNT_FAULTS, 1);

	/* 2. The parent frees, unmaps and closes; the child's copy holds it. */
	CHECK(pipe(go) == 0);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		/* The parent is done with it: still ours, still intact. */
		if (p[0] != 0xc0ffee)
			_exit(3);
		p[1] = 1;
		_exit(munmap(p, a.actual_size) ? 4 : 0);
	}
	close(go[0]);
	CHECK(bbt_free(fd, a.id) == 0);
	CHECK(munmap(p, a.actual_size) == 0);
	CHECK(close(fd) == 0);
	CHECK(bbt_stats().buffers == 1, "the child's mapping holds the buffer");
	CHECK(write(go[1], "g", 1) == 1);
	close(go[1]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "child status %#x", status);
	bbt_count(CNT_FAULTS, 1);

	/* 3. The child frees through the inherited file: it is the same file. */
	fd = bbt_open();
	CHECK(bbt_alloc(fd, bbt_page, 0, 0, 0, &a) == 0);
	p = bbt_map(fd, a.mmap_offset, a.actual_size);
	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(bbt_free(fd, a.id) ? 1 : 0);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	CHECK_ERR(bbt_free(fd, a.id), ENOENT);
	/* Our mapping still works after the child's FREE and exit. */
	if (p) {
		p[0] = 7;
		CHECK(p[0] == 7);
		munmap(p, a.actual_size);
	}
	close(fd);
	bbt_count(CNT_FAULTS, 1);
}

static void on_signal(int sig)
{
	(void)sig;
}

struct interrupted {
	pthread_t worker;
	atomic_bool done;
};

static void *signaller(void *arg)
{
	struct interrupted *in = arg;
	uint64_t s = 0x5157;

	while (!atomic_load(&in->done)) {
		usleep(200 + bbt_below(&s, SIGNAL_GAP_MAX_US));
		pthread_kill(in->worker, SIGUSR1);
	}
	return NULL;
}

/* Signals during long allocations: EINTR or success; grabs give back all. */
static void t_signal_interrupt(void)
{
	static const struct {
		uint64_t size;
		uint32_t flags;
	} reqs[] = {
		{ 96 * MiB, BIGBUF_STRATEGY_GRAB },
		{ 32 * MiB, BIGBUF_STRATEGY_CONTIG },
		{ 48 * MiB, BIGBUF_STRATEGY_AUTO },
	};
	struct sigaction sa = { .sa_handler = on_signal }, old;
	struct interrupted in = { .worker = pthread_self() };
	struct bigbuf_stats s0, s1;
	uint64_t grab_pages = 0, n_ok = 0, n_intr = 0, n_nomem = 0;
	struct bigbuf_alloc a;
	unsigned int i;
	pthread_t sig;
	int fd = bbt_open();

	/* No SA_RESTART: the ioctl returns EINTR (it is not restarted anyway). */
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, &old) == 0);
	s0 = bbt_stats();
	CHECK(pthread_create(&sig, NULL, signaller, &in) == 0);
	for (i = 0; i < SIGNAL_ALLOCS; i++) {
		unsigned int r = i % ARRAY_LEN(reqs);

		if (!(bbt_info.strategies & (1U << reqs[r].flags)) && reqs[r].flags)
			continue;
		if (bbt_alloc(fd, reqs[r].size, 0, 0, reqs[r].flags, &a) == 0) {
			n_ok++;
			if (a.strategy == BIGBUF_STRATEGY_GRAB)
				grab_pages += a.actual_size / bbt_page;
			CHECK(bbt_free(fd, a.id) == 0);
		} else if (errno == EINTR) {
			n_intr++;
			bbt_count(CNT_FAULTS, 1);
		} else if (errno == ENOMEM) {
			n_nomem++;
		} else {
			bbt_fail(__FILE__, __LINE__, "alloc %s", strerror(errno));
		}
	}
	atomic_store(&in.done, true);
	pthread_join(sig, NULL);
	sigaction(SIGUSR1, &old, NULL);
	close(fd);
	s1 = bbt_stats();
	printf("    %llu ok, %llu interrupted (EINTR), %llu ENOMEM\n",
	       (unsigned long long)n_ok, (unsigned long long)n_intr,
	       (unsigned long long)n_nomem);
	CHECK(n_intr > 0, "no allocation was ever interrupted");
	/* Only the pages of GRAB buffers were kept; everything else went back. */
	CHECK((s1.pages_grabbed - s0.pages_grabbed) -
	      (s1.pages_returned - s0.pages_returned) == grab_pages,
	      "grabbed %llu, returned %llu, kept for buffers %llu",
	      (unsigned long long)(s1.pages_grabbed - s0.pages_grabbed),
	      (unsigned long long)(s1.pages_returned - s0.pages_returned),
	      (unsigned long long)grab_pages);
	CHECK(s1.failures - s0.failures == n_intr + n_nomem);
}

/*
 * The module allocates, then cannot write the answer (read-only argument):
 * it must take the buffer back, whatever strategy produced it.
 */
static void t_efault_answer(void)
{
	static const struct {
		uint64_t size;
		uint32_t flags;
	} reqs[] = {
		{ 12 * KiB, BIGBUF_STRATEGY_BUDDY },
		{ 2 * MiB, BIGBUF_STRATEGY_CONTIG },
		{ 8 * MiB, BIGBUF_STRATEGY_GRAB },
		{ 1 * MiB, BIGBUF_STRATEGY_AUTO },
	};
	struct bigbuf_stats s0, s1;
	struct bigbuf_alloc *ro, *edge;
	unsigned char *pages;
	unsigned int i;
	int fd = bbt_open();

	/* Page 0 read-only, page 1 writable, page 2 inaccessible. */
	pages = mmap(NULL, 3 * bbt_page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pages != MAP_FAILED);
	if (pages == MAP_FAILED)
		return;
	ro = (struct bigbuf_alloc *)pages;
	edge = (struct bigbuf_alloc *)(pages + 3 * bbt_page - sizeof(*edge) / 2);
	CHECK(mprotect(pages + 2 * bbt_page, bbt_page, PROT_NONE) == 0);
	for (i = 0; i < ARRAY_LEN(reqs); i++) {
		if (reqs[i].flags && !(bbt_info.strategies & (1U << reqs[i].flags)))
			continue;
		memset(ro, 0, sizeof(*ro));
		ro->size = reqs[i].size;
		ro->flags = reqs[i].flags;
		CHECK(mprotect(pages, bbt_page, PROT_READ) == 0);
		s0 = bbt_stats();
		CHECK_ERR(ioctl(fd, BIGBUF_IOC_ALLOC, ro), EFAULT);
		s1 = bbt_stats();
		CHECK(s1.allocations == s0.allocations + 1 &&
		      s1.frees == s0.frees + 1 && s1.buffers == s0.buffers &&
		      s1.bytes_held == s0.bytes_held,
		      "strategy %u: allocations +%llu frees +%llu buffers %llu",
		      reqs[i].flags,
		      (unsigned long long)(s1.allocations - s0.allocations),
		      (unsigned long long)(s1.frees - s0.frees),
		      (unsigned long long)s1.buffers);
		CHECK(mprotect(pages, bbt_page, PROT_READ | PROT_WRITE) == 0);
		bbt_count(CNT_FAULTS, 1);
	}
	/* Argument straddling into an inaccessible page: nothing happens. */
	s0 = bbt_stats();
	CHECK_ERR(ioctl(fd, BIGBUF_IOC_ALLOC, edge), EFAULT);
	CHECK_ERR(ioctl(fd, BIGBUF_IOC_QUERY, edge), EFAULT);
	CHECK_ERR(ioctl(fd, BIGBUF_IOC_FREE, pages + 3 * bbt_page - 8), EFAULT);
	s1 = bbt_stats();
	CHECK(s1.allocations == s0.allocations && s1.failures == s0.failures);
	bbt_count(CNT_FAULTS, 3);
	munmap(pages, 3 * bbt_page);
	close(fd);
}

/* ENOMEM forced through the module parameters, from each strategy. */
static void t_injected_enomem(void)
{
	long tries = bbt_param_get("contig_tries");
	long cap = bbt_param_get("grab_cap_mb");
	char search[32] = "module";
	struct bigbuf_stats s0, s1;
	struct bigbuf_alloc a;
	int fd = bbt_open();

	CHECK(tries >= 0 && cap >= 0, "module parameters not readable");
	if (tries < 0 || cap < 0)
		return;

	/*
	 * CONTIG without a single attempt allowed: contig_tries bounds the
	 * module's scan, the kernel's own search (where there is one) is
	 * switched off.
	 */
	if (bbt_info.strategies & (1U << BIGBUF_STRATEGY_CONTIG)) {
		CHECK(bbt_param_read("contig_search", search, sizeof(search)) == 0);
		CHECK(bbt_param_write("contig_search", "module") == 0);
		CHECK(bbt_param_set("contig_tries", 0) == 0);
		s0 = bbt_stats();
		CHECK_ERR(bbt_alloc(fd, MiB, 0, 0, BIGBUF_STRATEGY_CONTIG, &a),
			  ENOMEM);
		s1 = bbt_stats();
		CHECK(s1.failures == s0.failures + 1 && !s1.buffers);
		bbt_count(CNT_FAULTS, 1);
	}

	/* GRAB: larger than the cap, refused before grabbing anything. */
	CHECK(bbt_param_set("grab_cap_mb", 4) == 0);
	s0 = bbt_stats();
	CHECK_ERR(bbt_alloc(fd, 16 * MiB, 0, 0, BIGBUF_STRATEGY_GRAB, &a), ENOMEM);
	s1 = bbt_stats();
	CHECK(s1.failures == s0.failures + 1 &&
	      s1.pages_grabbed == s0.pages_grabbed);
	bbt_count(CNT_FAULTS, 1);

	/* AUTO with every strategy failing. */
	s0 = bbt_stats();
	CHECK_ERR(bbt_alloc(fd, 16 * MiB, 0, 0, BIGBUF_STRATEGY_AUTO, &a), ENOMEM);
	s1 = bbt_stats();
	CHECK(s1.failures == s0.failures + 1 && !s1.buffers);
	bbt_count(CNT_FAULTS, 1);

	/*
	 * GRAB failing after it grabbed up to the cap: no run of free blocks
	 * below 32 MiB (the kernel image is there), so it takes its cap in
	 * blocks, fails and must give every page back.
	 */
	CHECK(bbt_param_set("grab_cap_mb", GRAB_FAIL_CAP_MB) == 0);
	s0 = bbt_stats();
	CHECK_ERR(bbt_alloc(fd, GRAB_FAIL_SIZE, 0, GRAB_FAIL_LIMIT,
			    BIGBUF_STRATEGY_GRAB, &a), ENOMEM);
	s1 = bbt_stats();
	CHECK(s1.pages_grabbed > s0.pages_grabbed,
	      "the failed GRAB took no block: the partial-failure path was not run");
	CHECK(s1.pages_grabbed - s0.pages_grabbed ==
	      s1.pages_returned - s0.pages_returned,
	      "grabbed %llu, returned %llu",
	      (unsigned long long)(s1.pages_grabbed - s0.pages_grabbed),
	      (unsigned long long)(s1.pages_returned - s0.pages_returned));
	bbt_note("failed GRAB took and returned %llu pages\n",
		 (unsigned long long)(s1.pages_grabbed - s0.pages_grabbed));
	bbt_count(CNT_FAULTS, 1);

	CHECK(bbt_param_set("contig_tries", tries) == 0);
	CHECK(bbt_param_write("contig_search", search) == 0);
	CHECK(bbt_param_set("grab_cap_mb", cap) == 0);
	/* And the module works normally again. */
	CHECK(bbt_alloc(fd, 16 * MiB, 0, 0, 0, &a) == 0, "%s", strerror(errno));
	close(fd);
}

static int faults_opt(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[0], "--rounds")) {
		opt_rounds = strtoul(argv[1], NULL, 0);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct bbt_test tests[] = {
		{ "kill9_mid_alloc", t_kill9_mid_alloc },
		{ "kill9_mapped", t_kill9_mapped },
		{ "fork_mappings", t_fork_mappings },
		{ "signal_interrupt", t_signal_interrupt },
		{ "efault_answer", t_efault_answer },
		{ "injected_enomem", t_injected_enomem },
	};

	return bbt_main(argc, argv, tests, ARRAY_LEN(tests), faults_opt);
}
