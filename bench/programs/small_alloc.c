// Only allocations below any size filter: what a tracer costs a program that never allocates large blocks.
//
//   small_alloc COUNT      prints "loop_ns <ns>"
//
// Sizes cycle through 16..4096 bytes so both glibc's tcache and its bins are exercised.
#include <stdio.h>
#include <stdlib.h>
#include "clock.h"

// Published through a volatile global so the compiler cannot pair and delete the malloc/free.
void *volatile sink;

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 1000000;
	long start;

	hold();
	start = now_ns();

	for (long i = 0; i < count; i++) {
		size_t size = 16u << (i % 9);
		char *p = malloc(size);
		if (!p)
			return 1;
		p[0] = (char)i;
		sink = p;
		free(sink);
	}
	printf("loop_ns %ld\n", now_ns() - start);
	return 0;
}
