// A pre-forking program with exactly known allocations, for the tests of children that fork without exec.
//
//   fork_workload CHILD GRANDCHILD
//
// The parent forks one child and waits for it. The child (no exec: the parent's image, libraries and probes'
// targets) makes CHILD mallocs of 100 KiB, each touched and freed at once, then forks a grandchild that makes
// GRANDCHILD more, and waits for it. glibc's mmap threshold is pinned at 128 KiB, so every block comes from the heap
// (no system call in the loop). Each process prints its pid and its count when done.
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCK (100 * 1024)

static long run(long count)
{
	long done = 0;

	for (long i = 0; i < count; i++) {
		volatile char *p = malloc(BLOCK);
		if (!p)
			return -1;
		p[0] = 1;
		p[BLOCK - 1] = 1;
		free((void *)p);
		done++;
	}
	return done;
}

static int spawn(long count, long next)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		long done = run(count);
		printf("fork_workload: %d done %ld\n", getpid(), done);
		if (done != count)
			exit(1);
		exit(next >= 0 ? spawn(next, -1) : 0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fork_workload CHILD GRANDCHILD\n");
		return 2;
	}
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	return spawn(atol(argv[1]), atol(argv[2]));
}
