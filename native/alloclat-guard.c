// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* alloclat-guard: releases the processes the collector stopped at exec when the collector can no longer do it.
 *
 * The collector starts it with the ids of two BPF maps: `held` (tgid -> when stopped) and `lease` (struct
 * hold_lease). It opens both maps and a pidfd of the collector, prints "ready", and then, every 250 ms, and at
 * once when the collector exits: if the collector has exited or its lease has lapsed (a SIGKILLed collector stops
 * renewing it at once, while the kernel may take minutes to tear the dying process down), every held process is
 * taken out of the map and sent SIGCONT. The BPF side stops nothing once the lease has lapsed, so after the
 * collector's death the map only empties.
 *
 * It also takes over, at the collector's exit, the uprobe links of processes that have already exited: removing a
 * uprobe walks every process that maps the file (every process maps libc) under locks the kernel serializes, so a
 * few hundred such links take seconds to close, for probes that can no longer fire. The collector writes
 * "links FD..." on this program's standard input; it takes a duplicate of each descriptor from the collector
 * (pidfd_getfd), answers "taken N", and closes them after the collector has exited. Exits after the final sweep
 * that follows the collector's exit and the closing of what it took.
 *
 * Usage: alloclat-guard COLLECTOR_PID HELD_MAP_ID LEASE_MAP_ID */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/types.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "alloclat.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define MAX_TAKEN 65536

static int taken[MAX_TAKEN];
static int ntaken;

/* Each link's removal ends in a wait for an RCU tasks-trace grace period; closed from many threads at once, the waits
 * are shared (one thread closed about 25 links a second here, 64 threads some hundreds). */
#define CLOSERS 64

static void *close_stripe(void *arg)
{
	for (int i = (int)(long)arg; i < ntaken; i += CLOSERS)
		close(taken[i]);
	return NULL;
}

static void close_taken(void)
{
	pthread_t threads[CLOSERS];
	int started = 0;

	for (long t = 0; t < CLOSERS && t < ntaken; t++) {
		if (pthread_create(&threads[started], NULL, close_stripe, (void *)t) != 0)
			break;
		started++;
	}
	/* A stripe no thread could be started for is closed here. */
	for (long t = started; t < CLOSERS && t < ntaken; t++)
		close_stripe((void *)t);
	for (int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}

/* One "links FD..." line: each descriptor duplicated from the collector; answers with how many were. */
static void take_links(int pidfd, char *line)
{
	char *p = line + 5, *end;
	char reply[32];
	int n = 0;

	while (*p) {
		long fd = strtol(p, &end, 10);

		if (end == p)
			break;
		p = end;
		if (ntaken < MAX_TAKEN) {
			int dup = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);

			if (dup >= 0) {
				taken[ntaken++] = dup;
				n++;
			}
		}
	}
	int len = snprintf(reply, sizeof(reply), "taken %d\n", n);
	if (write(1, reply, (size_t)len) < 0)
		return;
}

/* Reads what the collector wrote on standard input; false at its end. */
static bool read_commands(int pidfd)
{
	static char buf[1 << 20];
	static size_t used;
	ssize_t r = read(0, buf + used, sizeof(buf) - 1 - used);
	char *nl;

	if (r <= 0)
		return false;
	used += (size_t)r;
	buf[used] = 0;
	while ((nl = memchr(buf, '\n', used))) {
		*nl = 0;
		if (strncmp(buf, "links", 5) == 0)
			take_links(pidfd, buf);
		used -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, used);
	}
	return used < sizeof(buf) - 1;
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int map_by_id(__u32 id)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_id = id;
	return (int)bpf(BPF_MAP_GET_FD_BY_ID, &a);
}

static int lookup(int fd, const void *key, void *value)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(unsigned long)key;
	a.value = (__u64)(unsigned long)value;
	return (int)bpf(BPF_MAP_LOOKUP_ELEM, &a);
}

static int delete_key(int fd, const void *key)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(unsigned long)key;
	return (int)bpf(BPF_MAP_DELETE_ELEM, &a);
}

static int next_key(int fd, const void *key, void *next)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(unsigned long)key;
	a.next_key = (__u64)(unsigned long)next;
	return (int)bpf(BPF_MAP_GET_NEXT_KEY, &a);
}

static bool lease_lapsed(int lease_fd)
{
	__u32 zero = 0;
	struct hold_lease l;
	struct timespec ts;
	__u64 now;

	if (lookup(lease_fd, &zero, &l))
		return true;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	return !l.renewed_ns || now - l.renewed_ns >= l.valid_ns;
}

/* Continues every held process. Keys are collected first: deleting while walking a hash map restarts the walk. */
static void sweep(int held_fd)
{
	static __u32 keys[16384];
	__u32 key, next;
	int n = 0;
	void *prev = NULL;

	while (n < (int)(sizeof(keys) / sizeof(keys[0])) && next_key(held_fd, prev, &next) == 0) {
		keys[n++] = next;
		key = next;
		prev = &key;
	}
	for (int i = 0; i < n; i++)
		/* Key 0 is the collector's heartbeat for other collectors, not a process (kill(0) signals a group). Only the
		 * one who removes an entry continues the process: the collector may have just done it. */
		if (keys[i] != 0 && delete_key(held_fd, &keys[i]) == 0)
			kill((pid_t)keys[i], SIGCONT);
}

int main(int argc, char **argv)
{
	pid_t collector;
	int pidfd, held_fd, lease_fd, devnull;
	struct pollfd p[2];

	if (argc != 4) {
		fprintf(stderr, "usage: %s COLLECTOR_PID HELD_MAP_ID LEASE_MAP_ID\n", argv[0]);
		return 2;
	}
	collector = (pid_t)strtol(argv[1], NULL, 10);
	/* Terminal and service-manager signals are for the collector; this process ends when the collector has. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	setsid();
	pidfd = (int)syscall(SYS_pidfd_open, collector, 0);
	if (pidfd < 0 || getppid() != collector) {
		fprintf(stderr, "cannot watch process %d: %s\n", collector, strerror(pidfd < 0 ? errno : ESRCH));
		return 1;
	}
	held_fd = map_by_id((__u32)strtoul(argv[2], NULL, 10));
	lease_fd = map_by_id((__u32)strtoul(argv[3], NULL, 10));
	if (held_fd < 0 || lease_fd < 0) {
		fprintf(stderr, "cannot open the collector's maps: %s\n", strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	/* Standard input and output stay the collector's pipes, for the links it hands over. */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0)
		dup2(devnull, 2);
	p[0].fd = pidfd;
	p[0].events = POLLIN;
	p[1].fd = 0;
	p[1].events = POLLIN;
	for (;;) {
		int r = poll(p, 2, 250);
		bool exited = r > 0 && p[0].revents;

		if (r > 0 && p[1].revents && !read_commands(pidfd))
			p[1].fd = -1;  /* the collector closed its end */
		if (exited || lease_lapsed(lease_fd))
			sweep(held_fd);
		if (exited)
			break;
	}
	/* A stop sent by a program that checked the lease just before it lapsed lands in the map after the sweep. */
	struct timespec grace = { 0, 50 * 1000 * 1000 };
	nanosleep(&grace, NULL);
	sweep(held_fd);
	close_taken();
	return 0;
}
