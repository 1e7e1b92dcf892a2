// Anonymous and file mappings with exactly known counts, for the tests of what counts as an allocation.
//
//   map_workload ANON FILE
//
// Makes ANON anonymous private mappings of 1 MiB and FILE shared mappings of a 1 MiB temporary file, touches
// each and unmaps it at once.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIZE (1024 * 1024)

int main(int argc, char **argv)
{
	char path[] = "/tmp/map_workload.XXXXXX";
	long anon, file;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: map_workload ANON FILE\n");
		return 2;
	}
	anon = atol(argv[1]);
	file = atol(argv[2]);
	fd = mkstemp(path);
	if (fd < 0 || unlink(path) || ftruncate(fd, SIZE)) {
		perror("temporary file");
		return 1;
	}
	for (long i = 0; i < anon + file; i++) {
		volatile char *p = i < anon ? mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
					    : mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		p[0] = 1;
		if (munmap((void *)p, SIZE)) {
			perror("munmap");
			return 1;
		}
	}
	printf("map_workload: done %ld anonymous, %ld file\n", anon, file);
	return 0;
}
