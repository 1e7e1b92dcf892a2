// The highest rate of large mmap/munmap pairs the kernel can give: threads that map and unmap a region
// without touching it (no page faults, so the syscalls themselves are the whole loop).
//
//   mmap_storm THREADS MILLISECONDS SIZE    prints "pairs <n>" and "elapsed_ns <ns>"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "clock.h"

static long deadline;
static size_t size;
static atomic_long pairs;

static void *storm(void *arg)
{
	long n = 0;

	(void)arg;
	while (now_ns() < deadline) {
		for (int i = 0; i < 64; i++) {
			void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				exit(1);
			munmap(p, size);
		}
		n += 64;
	}
	atomic_fetch_add(&pairs, n);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[64];
	int threads;
	long start;

	if (argc != 4) {
		fprintf(stderr, "usage: %s THREADS MILLISECONDS SIZE\n", argv[0]);
		return 2;
	}
	threads = atoi(argv[1]);
	if (threads < 1 || threads > 64)
		return 2;
	size = strtoul(argv[3], NULL, 0);
	start = now_ns();
	deadline = start + atol(argv[2]) * 1000000L;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, storm, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("pairs %ld\nelapsed_ns %ld\n", atomic_load(&pairs), now_ns() - start);
	return 0;
}
