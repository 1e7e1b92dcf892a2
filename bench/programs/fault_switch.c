// A program alloclat does not trace, heavy on what used to cost every process on the host: page faults and
// context switches. Its loop time is compared untraced and while alloclat traces another process.
//
//   fault_switch PAGES SWITCHES     prints "loop_ns <ns>"
//
// Touches PAGES fresh 4 KiB pages of one anonymous mapping (one fault each), then makes SWITCHES round trips
// with a second thread over two pipes (two context switches each). No allocation syscall in the loop.
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "clock.h"

static int ping[2], pong[2];

static void *echo(void *arg)
{
	long n = (long)arg;
	char c;

	for (long i = 0; i < n; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			exit(1);
	return NULL;
}

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 100000, switches = argc > 2 ? atol(argv[2]) : 50000;
	long page = sysconf(_SC_PAGESIZE), start;
	pthread_t t;
	char c = 'x', *p;

	if (pipe(ping) || pipe(pong))
		return 1;
	p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	madvise(p, pages * page, MADV_NOHUGEPAGE);
	if (pthread_create(&t, NULL, echo, (void *)switches))
		return 1;
	hold();
	start = now_ns();
	for (long i = 0; i < pages; i++)
		p[i * page] = 1;
	for (long i = 0; i < switches; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	printf("loop_ns %ld\n", now_ns() - start);
	pthread_join(t, NULL);
	return 0;
}
