// Threads with names of their own, with exactly known large allocations, for the targeting tests.
//
//   named_threads THREADS COUNT [wait]
//
// Starts THREADS threads named worker-0, worker-1, ...; each names itself, then maps and unmaps COUNT anonymous
// 1 MiB regions (mmap/munmap, nothing else of that size). With "wait" it first prints "named_threads: ready PID"
// to stderr and waits for SIGUSR1, so a test can put it under a tracer (or into a cgroup) before it allocates.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REGION (1024 * 1024)

static long count;

static void *worker(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "worker-%ld", (long)arg);
	pthread_setname_np(pthread_self(), name);
	for (long i = 0; i < count; i++) {
		volatile char *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			exit(1);
		p[0] = 1;
		munmap((void *)p, REGION);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: named_threads THREADS COUNT [wait]\n");
		return 2;
	}
	long threads = atol(argv[1]);
	count = atol(argv[2]);
	if (argc > 3 && strcmp(argv[3], "wait") == 0) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		fprintf(stderr, "named_threads: ready %d\n", getpid());
		if (sigwait(&set, &sig) != 0)
			return 1;
	}
	pthread_t *ids = calloc(threads, sizeof(*ids));
	for (long t = 0; t < threads; t++)
		if (pthread_create(&ids[t], NULL, worker, (void *)t) != 0)
			return 1;
	for (long t = 0; t < threads; t++)
		pthread_join(ids[t], NULL);
	printf("named_threads: done %ld\n", threads * count);
	return 0;
}
