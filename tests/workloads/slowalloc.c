// An LD_PRELOAD allocator whose large allocations take a known time: malloc waits SLOWALLOC_NS nanoseconds
// (default 2 ms) for requests of at least SLOWALLOC_MIN bytes (default 32768), then hands over to glibc.
// It waits by spinning on CLOCK_MONOTONIC, which ends within a microsecond of the deadline; SLOWALLOC_SLEEP=1
// sleeps instead (nanosleep overshoots by the timer slack and the scheduler's delay, tens to hundreds of us).
// With SLOWALLOC_AFTER_MS set, it is fast until that many milliseconds after its first call, then slow,
// and fast again after SLOWALLOC_UNTIL_MS if set: a latency step for alerting tests.
// SLOWALLOC_SERIES=ns1,ns2,... makes the n-th slow call wait the n-th value instead (cycling): calls of known,
// different latencies.
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

extern void *__libc_malloc(size_t size);

static long slow_ns = -1, slow_min, after_ms, until_ms, sleep_mode;
static struct timespec start;
static long series[64];
static int series_len, series_next;

static long env_long(const char *name, long fallback)
{
	const char *v = getenv(name);
	return v && *v ? atol(v) : fallback;
}

static long now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000000L + now.tv_nsec;
}

static long elapsed_ms(void)
{
	return (now_ns() - (start.tv_sec * 1000000000L + start.tv_nsec)) / 1000000;
}

static void wait_ns(long ns)
{
	if (sleep_mode) {
		struct timespec d = { ns / 1000000000, ns % 1000000000 };
		while (nanosleep(&d, &d) != 0)
			;
		return;
	}
	for (long deadline = now_ns() + ns; now_ns() < deadline;)
		;
}

void *malloc(size_t size)
{
	if (slow_ns < 0) {
		slow_min = env_long("SLOWALLOC_MIN", 32768);
		after_ms = env_long("SLOWALLOC_AFTER_MS", 0);
		until_ms = env_long("SLOWALLOC_UNTIL_MS", 0);
		sleep_mode = env_long("SLOWALLOC_SLEEP", 0);
		clock_gettime(CLOCK_MONOTONIC, &start);
		slow_ns = env_long("SLOWALLOC_NS", 2000000);
		for (const char *v = getenv("SLOWALLOC_SERIES"); v && *v && series_len < 64;) {
			char *end;
			series[series_len++] = strtol(v, &end, 10);
			v = *end == ',' ? end + 1 : "";
		}
	}
	if (size >= (size_t)slow_min && slow_ns > 0) {
		long t = elapsed_ms();
		if (t >= after_ms && (until_ms == 0 || t < until_ms))
			wait_ns(series_len ? series[series_next++ % series_len] : slow_ns);
	}
	return __libc_malloc(size);
}
