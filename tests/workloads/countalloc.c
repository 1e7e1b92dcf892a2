// An LD_PRELOAD counter of large allocator calls: an independent count to compare the collector's with.
// malloc, calloc and realloc requesting at least COUNTALLOC_MIN bytes (default 1 MiB) are counted per process and
// handed to glibc; when the process exits, it writes "malloc N calloc N realloc N" to COUNTALLOC_DIR/PID.
// A child forked without exec starts from zero: the counts belong to the process that made the calls.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static size_t min_size = 1024 * 1024;
static long counts[3];
static pid_t owner;

static void count(int which, size_t size)
{
	pid_t self;

	if (size < min_size)
		return;
	self = getpid();
	if (self != owner) {
		owner = self;
		counts[0] = counts[1] = counts[2] = 0;
	}
	counts[which]++;
}

void *malloc(size_t size)
{
	count(0, size);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	count(1, n * size);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	count(2, size);
	return __libc_realloc(p, size);
}

__attribute__((constructor)) static void start(void)
{
	const char *v = getenv("COUNTALLOC_MIN");

	if (v && *v)
		min_size = strtoul(v, NULL, 10);
	owner = getpid();
}

__attribute__((destructor)) static void finish(void)
{
	const char *dir = getenv("COUNTALLOC_DIR");
	char path[4096], line[128];
	int fd, n;

	if (!dir)
		return;
	if (getpid() != owner) {
		owner = getpid();
		counts[0] = counts[1] = counts[2] = 0;
	}
	snprintf(path, sizeof(path), "%s/%d", dir, (int)owner);
	n = snprintf(line, sizeof(line), "malloc %ld calloc %ld realloc %ld\n", counts[0], counts[1], counts[2]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, line, n) != n)
			unlink(path);
		close(fd);
	}
}
