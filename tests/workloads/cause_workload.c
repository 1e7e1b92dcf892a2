// Workloads whose slow calls have a known kernel cause, for the spike-cause tests.
//
//   cause_workload populate PAGES COUNT
//       COUNT times: one anonymous mmap of PAGES pages with MAP_POPULATE (the kernel faults every page in during
//       the call), then munmap.
//   cause_workload reclaim FILE FILE_MB CHUNK_MB COUNT
//       Writes FILE_MB of FILE and syncs it (clean page cache charged to this process's memory cgroup), then maps
//       and populates COUNT anonymous mappings of CHUNK_MB, keeping them all until the end: under a memory limit
//       below FILE_MB each one is charged only after reclaim has dropped as much page cache.
//   cause_workload noise PAGES SWITCHES
//       Not an allocation workload: touches PAGES fresh pages of one mapping (PAGES page faults) and makes SWITCHES
//       context switches between two threads over a pair of pipes. Prints "faults=N switches=M" from getrusage.
//
// Every mode prints "ready" and waits for a line on stdin first when CAUSE_WAIT=1, so a test can start tracing
// before the work begins.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void wait_for_go(void)
{
	char line[16];
	const char *w = getenv("CAUSE_WAIT");

	if (!w || strcmp(w, "1"))
		return;
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		exit(1);
}

static void *populated(size_t bytes)
{
	// With transparent huge pages in "always" mode the kernel may fill 2 MiB per fault: the tests read the mode.
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void populate(size_t bytes)
{
	if (munmap(populated(bytes), bytes))
		die("munmap");
}

static int pipes[2][2];

static void *echo(void *arg)
{
	long n = (long)arg;
	char c;

	for (long i = 0; i < n; i++) {
		if (read(pipes[0][0], &c, 1) != 1 || write(pipes[1][1], &c, 1) != 1)
			die("echo");
	}
	return NULL;
}

static int noise(long pages, long switches)
{
	long page = sysconf(_SC_PAGESIZE);
	struct rusage before, after;
	pthread_t t;
	char c = 'x';
	char *p;

	if (pipe(pipes[0]) || pipe(pipes[1]))
		die("pipe");
	p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, pages * page, MADV_NOHUGEPAGE);
	if (pthread_create(&t, NULL, echo, (void *)switches))
		die("pthread_create");
	wait_for_go();
	getrusage(RUSAGE_SELF, &before);
	for (long i = 0; i < pages; i++)
		p[i * page] = 1;
	for (long i = 0; i < switches; i++) {
		if (write(pipes[0][1], &c, 1) != 1 || read(pipes[1][0], &c, 1) != 1)
			die("ping");
	}
	pthread_join(t, NULL);
	getrusage(RUSAGE_SELF, &after);
	printf("faults=%ld switches=%ld\n", after.ru_minflt + after.ru_majflt - before.ru_minflt - before.ru_majflt,
	       after.ru_nvcsw + after.ru_nivcsw - before.ru_nvcsw - before.ru_nivcsw);
	return 0;
}

static int reclaim(const char *file, long file_mb, long chunk_mb, long count)
{
	static char buf[1 << 20];
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		die("open");
	memset(buf, 'p', sizeof(buf));
	for (long i = 0; i < file_mb; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
	if (fsync(fd))
		die("fsync");
	close(fd);
	wait_for_go();
	for (long i = 0; i < count; i++)
		populated((size_t)chunk_mb << 20);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "populate")) {
		long pages = atol(argv[2]), count = atol(argv[3]);

		wait_for_go();
		for (long i = 0; i < count; i++)
			populate((size_t)pages * sysconf(_SC_PAGESIZE));
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "reclaim"))
		return reclaim(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "noise"))
		return noise(atol(argv[2]), atol(argv[3]));
	fprintf(stderr, "usage: cause_workload populate PAGES COUNT | reclaim FILE FILE_MB CHUNK_MB COUNT | noise PAGES SWITCHES\n");
	return 2;
}
