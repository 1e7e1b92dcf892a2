// A loop of large allocations of one size, each freed at once. The blocks are not touched: page faults would
// only add noise to the cost of the allocation itself.
//
//   large_alloc SIZE COUNT    prints "loop_ns <ns>"
//
// With glibc every block of 128 KiB or more is its own mmap/munmap pair (the threshold is pinned so glibc's
// dynamic threshold cannot move the loop onto the heap halfway through). Linked to another allocator the
// mallopt call is a no-op and the allocator decides.
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include "clock.h"

void *volatile sink;

int main(int argc, char **argv)
{
	size_t size;
	long count, start;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SIZE COUNT\n", argv[0]);
		return 2;
	}
	size = strtoul(argv[1], NULL, 0);
	count = atol(argv[2]);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	hold();
	start = now_ns();
	for (long i = 0; i < count; i++) {
		char *p = malloc(size);
		if (!p)
			return 1;
		sink = p;
		free(sink);
	}
	printf("loop_ns %ld\n", now_ns() - start);
	/* With BENCH_HOLD_END set it waits for a second line before exiting: a tracer's counters can be read while
	 * the process still runs (a collector tracing it by PID stops when it exits). */
	if (getenv("BENCH_HOLD_END")) {
		fflush(stdout);
		hold();
	}
	return 0;
}
