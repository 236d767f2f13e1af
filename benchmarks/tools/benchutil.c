// SPDX-License-Identifier: GPL-2.0
/* Shared parts of the in-guest benchmark clients: see benchutil.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "meminfo.h"

double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", bench_prog, what, strerror(errno));
	exit(1);
}

void vm_read(struct vm_counters *c)
{
	c->oom_kill = vmstat_read("oom_kill");
	c->pswpout = vmstat_read("pswpout");
	c->pgsteal = vmstat_read("pgsteal_kswapd") + vmstat_read("pgsteal_direct");
	c->compact_stall = vmstat_read("compact_stall");
	c->pgmigrate = vmstat_read("pgmigrate_success");
}

int vm_changed(const struct vm_counters *a, const struct vm_counters *b)
{
	return a->pgmigrate != b->pgmigrate || a->pgsteal != b->pgsteal ||
	       a->pswpout != b->pswpout || a->oom_kill != b->oom_kill;
}

/*
 * Wait until reclaim in the background has stopped (kswapd woken earlier,
 * e.g. by watermark boosting while the fragmenter filled memory), so that
 * the counters read around a try count what that try caused: no change of
 * pgscan/pgsteal/pswpout for SETTLE_QUIET_MS, at most SETTLE_MAX_MS.
 */
#define SETTLE_POLL_MS	50
#define SETTLE_QUIET_MS	300
#define SETTLE_MAX_MS	5000

static uint64_t reclaim_activity(void)
{
	return vmstat_read("pgscan_kswapd") + vmstat_read("pgsteal_kswapd") +
	       vmstat_read("pswpout") + vmstat_read("compact_daemon_migrate_scanned");
}

void settle(void)
{
	const struct timespec poll = { 0, SETTLE_POLL_MS * 1000000L };
	uint64_t last = reclaim_activity(), cur;
	int quiet = 0, waited;

	for (waited = 0; waited < SETTLE_MAX_MS && quiet < SETTLE_QUIET_MS;
	     waited += SETTLE_POLL_MS) {
		nanosleep(&poll, NULL);
		cur = reclaim_activity();
		quiet = cur == last ? quiet + SETTLE_POLL_MS : 0;
		last = cur;
	}
}

int frag_start(const struct frag_cmd *cmd, uint64_t seed, struct frag *fr)
{
	char seed_str[32], *argv[MAX_FRAG_ARGS + 4];
	int pipefd[2], i, n = 0;
	const char *p, *q;
	FILE *in;

	fr->seed = seed;
	snprintf(seed_str, sizeof(seed_str), "%" PRIu64, seed);
	argv[n++] = (char *)cmd->path;
	argv[n++] = "--seed";
	argv[n++] = seed_str;
	for (i = 0; i < cmd->nr_args; i++)
		argv[n++] = cmd->args[i];
	argv[n] = NULL;

	if (pipe2(pipefd, O_CLOEXEC))
		die("pipe");
	fflush(NULL);
	fr->pid = fork();
	if (fr->pid < 0)
		die("fork");
	if (!fr->pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		execv(cmd->path, argv);
		perror("exec fragment");
		_exit(127);
	}
	close(pipefd[1]);
	in = fdopen(pipefd[0], "r");
	fr->line[0] = '\0';
	while (in && fgets(fr->line, sizeof(fr->line), in)) {
		if (!strncmp(fr->line, "FRAG ", 5))
			break;
	}
	if (in)
		fclose(in);
	if (strncmp(fr->line, "FRAG ", 5)) {
		fprintf(stderr, "%s: the fragmenter failed\n", bench_prog);
		return -1;
	}
	fr->line[strcspn(fr->line, "\n")] = '\0';
	p = strstr(fr->line, " free_after_mib=");
	q = strstr(fr->line, " maxorder_free_after_mib=");
	fr->free_mib = p ? strtoull(p + 16, NULL, 10) : 0;
	fr->maxorder_mib = q ? strtoull(q + 25, NULL, 10) : 0;
	return 0;
}

void frag_stop(struct frag *fr)
{
	int status;

	kill(fr->pid, SIGTERM);
	if (waitpid(fr->pid, &status, 0) != fr->pid)
		die("waitpid");
	fr->pid = -1;
}

int frag_died(struct frag *fr)
{
	int wstatus;

	if (fr->pid > 0 && waitpid(fr->pid, &wstatus, WNOHANG) == fr->pid) {
		fr->pid = -1;
		return 1;
	}
	return 0;
}
