// The demo traced by `make run`: a service-like loop of large allocations of varied sizes, with an occasional
// slow one that the kernel makes slow for real (a populated 64-256 MiB mapping has to fault in every page).
//
//   alloc_demo SECONDS
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 15, end = now() + seconds;
	unsigned seed = 42;
	long allocations = 0, slow = 0;

	while (now() < end) {
		for (int i = 0; i < 200; i++) {
			size_t size = (size_t)(64 * 1024) << (rand_r(&seed) % 7); /* 64 KiB .. 4 MiB */
			char *p = malloc(size);
			if (!p)
				return 1;
			memset(p, 1, size / 8);
			free(p);
			allocations++;
		}
		if (rand_r(&seed) % 10 == 0) {
			size_t size = (size_t)(64 * 1024 * 1024) << (rand_r(&seed) % 3);
			void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
			if (p != MAP_FAILED) {
				munmap(p, size);
				slow++;
			}
		}
		struct timespec pause = { 0, 20 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
	printf("alloc_demo: %ld allocations, %ld populated mappings\n", allocations, slow);
	return 0;
}
