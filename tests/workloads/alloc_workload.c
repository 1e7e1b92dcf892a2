// A workload with exactly known allocations, for the end-to-end tests.
//
//   alloc_workload LARGE HEAP SMALL
//
// For each of malloc, calloc, realloc, aligned_alloc and posix_memalign it makes LARGE allocations of 1 MiB
// (glibc's mmap path: the threshold is pinned at 128 KiB so it cannot drift), HEAP allocations of 40 KiB
// (glibc's heap path) and SMALL allocations of 64 bytes. Each block is touched and freed at once.
// realloc grows a 16-byte block (which is below any size filter) to the target size. With ALLOC_WORKLOAD_PAUSE_US
// set, it sleeps that long after each allocation (outside any allocator call): a paced, long-running workload.
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LARGE_SIZE (1024 * 1024)
#define HEAP_SIZE (40 * 1024)
#define SMALL_SIZE 64

static void *alloc_with(int fn, size_t size)
{
	void *p = NULL;

	switch (fn) {
	case 0:
		return malloc(size);
	case 1:
		return calloc(1, size);
	case 2:
		p = malloc(16);
		return realloc(p, size);
	case 3:
		return aligned_alloc(4096, size);
	default:
		return posix_memalign(&p, 4096, size) == 0 ? p : NULL;
	}
}

static long pause_us;

static long run(int fn, size_t size, long count)
{
	long done = 0;
	struct timespec pause = { pause_us / 1000000, (pause_us % 1000000) * 1000 };

	for (long i = 0; i < count; i++) {
		volatile char *p = alloc_with(fn, size);
		if (!p)
			return -1;
		p[0] = 1;
		p[size - 1] = 1;
		free((void *)p);
		done++;
		if (pause_us > 0)
			nanosleep(&pause, NULL);
	}
	return done;
}

int main(int argc, char **argv)
{
	long large, heap, small, total = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: %s LARGE HEAP SMALL\n", argv[0]);
		return 2;
	}
	large = atol(argv[1]);
	heap = atol(argv[2]);
	small = atol(argv[3]);
	pause_us = getenv("ALLOC_WORKLOAD_PAUSE_US") ? atol(getenv("ALLOC_WORKLOAD_PAUSE_US")) : 0;
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	for (int fn = 0; fn < 5; fn++) {
		long n = run(fn, LARGE_SIZE, large) + run(fn, HEAP_SIZE, heap) + run(fn, SMALL_SIZE, small);
		if (n != large + heap + small) {
			fprintf(stderr, "allocation failed\n");
			return 1;
		}
		total += n;
	}
	printf("alloc_workload: done %ld\n", total);
	return 0;
}
