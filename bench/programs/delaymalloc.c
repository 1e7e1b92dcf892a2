// An LD_PRELOAD allocator whose large allocations take a known, varied time, for checking reported percentiles
// against the truth.
//
// malloc of at least DELAYMALLOC_MIN bytes (default 32768) spins for a delay drawn from DELAYMALLOC_DIST, then
// returns a block of a static arena without calling any other allocator, so the delay is the whole call:
//   mixed  90% 20-40 us, 9% 100-200 us, 0.9% 1 ms, 0.1% 5 ms (uniform within each band)
//   zero   no delay: the function is nearly empty, and what a tracer reports for it is its own bias
// Each large call's own duration (entry to return, read from CLOCK_MONOTONIC inside the call) is written to
// DELAYMALLOC_TRUTH, one number of nanoseconds a line, when the process exits.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"

extern void *__libc_malloc(size_t size);
extern void __libc_free(void *ptr);

#define ARENA_SIZE (2u << 20)
#define MAX_CALLS 200000

static _Alignas(4096) char arena[ARENA_SIZE];
static long truth[MAX_CALLS];
static long calls;
static long min_size = -1;
static int zero;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static long draw_delay(void)
{
	uint64_t r = next_random() % 10000, u = next_random();

	if (zero)
		return 0;
	if (r < 9000)
		return 20000 + (long)(u % 20001);
	if (r < 9900)
		return 100000 + (long)(u % 100001);
	if (r < 9990)
		return 1000000;
	return 5000000;
}

static void setup(void)
{
	const char *v = getenv("DELAYMALLOC_MIN"), *d = getenv("DELAYMALLOC_DIST");

	min_size = v && *v ? atol(v) : 32768;
	zero = d && strcmp(d, "zero") == 0;
}

void *malloc(size_t size)
{
	long start = now_ns();

	if (min_size < 0)
		setup();
	if ((long)size < min_size || size > ARENA_SIZE)
		return __libc_malloc(size);
	for (long deadline = start + draw_delay(); now_ns() < deadline;)
		;
	if (calls < MAX_CALLS)
		truth[calls++] = now_ns() - start;
	return arena;
}

void free(void *ptr)
{
	if ((char *)ptr >= arena && (char *)ptr < arena + ARENA_SIZE)
		return;
	__libc_free(ptr);
}

__attribute__((destructor)) static void write_truth(void)
{
	const char *path = getenv("DELAYMALLOC_TRUTH");
	FILE *f;

	if (!path || !(f = fopen(path, "w")))
		return;
	for (long i = 0; i < calls; i++)
		fprintf(f, "%ld\n", truth[i]);
	fclose(f);
}
