// Moves the program break up and back down COUNT times by SIZE bytes (sbrk), so a tracer sees exactly 2 * COUNT brk
// calls of SIZE bytes beyond what the process does at start-up and exit.
//
//   brk_workload COUNT SIZE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s COUNT SIZE\n", argv[0]);
		return 2;
	}
	long count = atol(argv[1]), size = atol(argv[2]);

	for (long i = 0; i < count; i++) {
		if (sbrk(size) == (void *)-1 || sbrk(-size) == (void *)-1) {
			perror("sbrk");
			return 1;
		}
	}
	printf("brk_workload: done %ld\n", 2 * count);
	return 0;
}
