/* Reserves address space the way managed runtimes do (mmap PROT_NONE) and commits and releases it in known
 * pieces: COUNT commits (mprotect to read/write) and COUNT releases (madvise MADV_DONTNEED) of SIZE bytes each.
 * Around them, calls that are not commits or releases: taking access away, re-protecting committed memory, a
 * file mapping made readable again, a commit below the size filter, and advice that releases nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void check(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s COUNT SIZE\n", argv[0]);
		return 2;
	}
	long count = atol(argv[1]), size = atol(argv[2]);
	char *base = mmap(NULL, count * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	check(base != MAP_FAILED, "mmap");

	for (long i = 0; i < count; i++) {
		check(mprotect(base + i * size, size, PROT_READ | PROT_WRITE) == 0, "mprotect");
		base[i * size] = 1;
	}
	/* Already accessible: not a commit. Taking access away: not a commit. */
	check(mprotect(base, size, PROT_READ | PROT_WRITE) == 0, "mprotect");
	check(mprotect(base, size, PROT_NONE) == 0, "mprotect");
	for (long i = 0; i < count; i++)
		check(madvise(base + i * size, size, MADV_DONTNEED) == 0, "madvise");
	check(madvise(base, size, MADV_WILLNEED) == 0, "madvise");

	/* A file mapping made inaccessible and readable again (as RELRO-like code does): not a commit. */
	char path[] = "/tmp/commit_workload-XXXXXX";
	int fd = mkstemp(path);
	check(fd >= 0 && unlink(path) == 0 && ftruncate(fd, size) == 0, "file");
	char *file = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	check(file != MAP_FAILED, "mmap file");
	check(mprotect(file, size, PROT_NONE) == 0, "mprotect file");
	check(mprotect(file, size, PROT_READ) == 0, "mprotect file");
	munmap(file, size);
	close(fd);

	/* One page: below the default 32K filter. */
	char *small = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(small != MAP_FAILED, "mmap small");
	check(mprotect(small, 4096, PROT_READ | PROT_WRITE) == 0, "mprotect small");
	munmap(small, 4096);

	check(munmap(base, count * size) == 0, "munmap");
	printf("committed %ld x %ld\n", count, size);
	return 0;
}
