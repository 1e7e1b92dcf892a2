#include <time.h>

static inline long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline long wall_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

#include <stdio.h>
#include <stdlib.h>

// With BENCH_HOLD set the program waits for a line on its standard input before its loop, so a tracer that
// needs the process's libraries mapped (one given a PID) can attach first.
static inline void hold(void)
{
	char line[16];

	if (getenv("BENCH_HOLD") && !fgets(line, sizeof(line), stdin))
		exit(3);
}
