// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Precise mode: uprobes on the malloc family, attached by the collector with a cookie naming the allocator and the
 * function (ALLOCLAT_COOKIE). Calls below cfg.min_size are dropped before any map is touched, so small calls cost
 * only the trap itself. A completed call is counted into the kernel's histograms (loghist.bpf.h) when the collector
 * turned them on, and sent as an event otherwise.
 *
 * A free is measured when its block is large: glibc says so in the block's own chunk header; for the other
 * allocators the blocks that traced calls returned are kept in `live`. */
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "causes.bpf.h"
#include "inflight.bpf.h"
#include "loghist.bpf.h"

struct live_key {
	__u64 addr;
	__u32 pid;
	__u32 pad;
};

/* Blocks allocated by a traced large call of an allocator other than glibc, so that their free can be measured
 * without tracking every block. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_LIVE);
	__type(key, struct live_key);
	__type(value, __u64);
} live SEC(".maps");

static __always_inline int call_enter(struct pt_regs *ctx, __u64 size, __u64 arg)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 sp = PT_REGS_SP(ctx);
	struct thread_state *st;
	struct call_start *c;
	__u64 cookie;

	if (size < cfg.min_size)
		return 0;
	cookie = bpf_get_attach_cookie(ctx);
	if (!is_target(id >> 32) && COOKIE_ALLOCATOR(cookie) != ALLOCATOR_CALIBRATION)
		return 0;
	st = thread_state_get(true);
	if (!st) {
		count(STAT_INFLIGHT_DROPPED);
		return 0;
	}
	c = &st->call;
	/* An outer call still running has its frame above ours (the stack grows down), or at ours when it tail-called
	 * us (an LD_PRELOAD malloc ending in `jmp __libc_malloc`): both returns then come back as one, the outer's.
	 * Only an entry whose frame is below ours is stale: a call that left without returning (longjmp). */
	if (c->ts && c->sp >= sp)
		return 0;
	c->size = size;
	c->sp = sp;
	c->arg = arg;
	c->cookie = cookie;
	causes_open(&c->snap, st->has_causes);
	c->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter_size1, __u64 size)
{
	return call_enter(ctx, size, 0);
}

/* realloc(ptr, size), aligned_alloc(align, size), memalign(align, size) */
SEC("uprobe")
int BPF_KPROBE(alloc_enter_size2, __u64 first, __u64 size)
{
	return call_enter(ctx, size, first);
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter_calloc, __u64 nmemb, __u64 size)
{
	/* Both factors below 2^32 cannot overflow. Beyond that the product is reported as at least 4 GiB, which is
	 * where such a call lands anyway; clang turns an exact overflow test into a 128-bit multiply BPF lacks. */
	if (((nmemb | size) >> 32) && nmemb > 1 && size > 1)
		return call_enter(ctx, (nmemb > size ? nmemb : size), 0);
	return call_enter(ctx, nmemb * size, 0);
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter_posix_memalign, void **memptr, __u64 align, __u64 size)
{
	return call_enter(ctx, size, (__u64)memptr);
}

/* The usable size of a block glibc's malloc returned (malloc_usable_size), from its chunk header, the word before it:
 * the chunk's size less its three flag bits and the header, and for a chunk glibc mapped on its own (IS_MMAPPED, 2)
 * less the previous-size word it does not use either. 0 when the word cannot be read without a fault. */
static __always_inline __u64 glibc_usable_size(const void *ptr)
{
	__u64 head = 0, chunk;

	if (bpf_probe_read_user(&head, sizeof(head), (const char *)ptr - 8))
		return 0;
	chunk = head & ~7ULL;
	if (chunk < 32)
		return 0;
	return chunk - (head & 2 ? 16 : 8);
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter_free, void *ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct live_key k = { .addr = (__u64)ptr, .pid = id >> 32 };
	__u64 *size;

	if (!ptr)
		return 0;
	/* glibc's own free: the block says how large it is, so no block needs keeping for it. */
	if (COOKIE_ALLOCATOR(bpf_get_attach_cookie(ctx)) == ALLOCATOR_GLIBC)
		return call_enter(ctx, glibc_usable_size(ptr), (__u64)ptr);
	size = bpf_map_lookup_elem(&live, &k);
	if (!size)
		return 0;
	return call_enter(ctx, *size, (__u64)ptr);
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thread_state *st = thread_state_get(false);
	struct live_key k = { .pid = id >> 32 };
	__u64 addr = (__u64)ret, now;
	struct call_start *c;
	__u8 op, allocator;

	if (!st)
		return 0;
	c = &st->call;
	/* Only the return of the call that was recorded: its entry stack pointer plus the popped return address. */
	if (!c->ts || c->sp + 8 != PT_REGS_SP(ctx))
		return 0;
	/* The clock first: the bookkeeping below is the probes' own time, not the call's. */
	now = bpf_ktime_get_ns();
	op = COOKIE_OP(c->cookie);
	allocator = COOKIE_ALLOCATOR(c->cookie);
	/* The collector calibrating its probes on this CPU: the raw latency is all it needs. */
	if (allocator == ALLOCATOR_CALIBRATION) {
		emit_at(ctx, now, c->ts, c->size, 0, op, allocator, 0);
		c->ts = 0;
		return 0;
	}

	if (op == OP_FREE || op == OP_DELETE || op == OP_DELETE_ARRAY) {
		addr = c->arg;
		if (allocator != ALLOCATOR_GLIBC) {
			k.addr = addr;
			bpf_map_delete_elem(&live, &k);
		}
	} else {
		if (op == OP_POSIX_MEMALIGN) {
			addr = 0;
			if (ret == 0)
				bpf_probe_read_user(&addr, sizeof(addr), (void *)c->arg);
		}
		/* A glibc block says its own size at its free (glibc_usable_size): only the others' blocks are kept. */
		if (allocator != ALLOCATOR_GLIBC) {
			if (op == OP_REALLOC && c->arg && addr) {
				k.addr = c->arg;
				bpf_map_delete_elem(&live, &k);
			}
			if (addr) {
				k.addr = addr;
				if (bpf_map_update_elem(&live, &k, &c->size, BPF_ANY))
					count(STAT_LIVE_DROPPED);
			}
		}
	}
	/* Counted in the kernel's histograms; one event per call only when they are off or full. */
	if (!hist_record(now - c->ts, c->size, op, allocator))
		emit_at(ctx, now, c->ts, c->size, addr, op, allocator, 0);
	spike_check(ctx, c->ts, now, c->size, op, allocator, &c->snap);
	c->ts = 0;
	return 0;
}
