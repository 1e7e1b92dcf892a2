// An LD_PRELOAD allocator whose large allocations take a known time: malloc sleeps SLOWALLOC_NS nanoseconds
// (default 2 ms) for requests of at least SLOWALLOC_MIN bytes (default 32768), then hands over to glibc.
// With SLOWALLOC_AFTER_MS set, it is fast until that many milliseconds after its first call, then slow,
// and fast again after SLOWALLOC_UNTIL_MS if set: a latency step for alerting tests.
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

extern void *__libc_malloc(size_t size);

static long slow_ns = -1, slow_min, after_ms, until_ms;
static struct timespec start;

static long env_long(const char *name, long fallback)
{
	const char *v = getenv(name);
	return v && *v ? atol(v) : fallback;
}

static long elapsed_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
}

void *malloc(size_t size)
{
	if (slow_ns < 0) {
		slow_min = env_long("SLOWALLOC_MIN", 32768);
		after_ms = env_long("SLOWALLOC_AFTER_MS", 0);
		until_ms = env_long("SLOWALLOC_UNTIL_MS", 0);
		clock_gettime(CLOCK_MONOTONIC, &start);
		slow_ns = env_long("SLOWALLOC_NS", 2000000);
	}
	if (size >= (size_t)slow_min && slow_ns > 0) {
		long t = elapsed_ms();
		if (t >= after_ms && (until_ms == 0 || t < until_ms)) {
			struct timespec d = { slow_ns / 1000000000, slow_ns % 1000000000 };
			while (nanosleep(&d, &d) != 0)
				;
		}
	}
	return __libc_malloc(size);
}
