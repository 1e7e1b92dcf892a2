// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go: the large-object path and stop-the-world pauses.
 *
 * Never uretprobes on Go code: the runtime copies goroutine stacks, and a return address rewritten by a
 * uretprobe would be copied to the new stack pointing at the old one. The collector places the exit programs
 * as plain uprobes on every RET instruction of the function instead. Goroutines move between threads, so
 * in-flight calls are keyed by the goroutine (the g pointer, in R14 under Go's register ABI on amd64). */
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "causes.bpf.h"
#include "inflight.bpf.h"

/* The longest pause believed (the histograms' top value): a longer one means the frame did not hold the start time. */
#define MAX_PAUSE_NS (60ULL * 1000000000ULL)

struct go_key {
	__u64 g;
	__u32 pid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct go_key);
	__type(value, struct call_start);
} go_inflight SEC(".maps");

/* At most one stop-the-world is in progress in a process (the entry/return pair: Go before 1.22, or a build whose
 * startTheWorldWithSema does not keep its arguments to its return). */
struct stw {
	__u64 ts;
	__u64 reason;  /* the runtime's stwReason plus one; 0 when the release passes none */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct stw);
} stw_start SEC(".maps");

/* runtime.(*mcache).allocLarge(c *mcache, size uintptr, noscan bool) (Go 1.17-1.23) and
 * runtime.mallocgcLarge(size uintptr, typ *_type, needzero bool) (1.24+): the collector's cookie says which
 * register carries the size (bits 16-23: 0 = RAX, 1 = RBX). */
SEC("uprobe")
int go_large_enter(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 ax = ctx->ax, bx = ctx->bx, size;
	struct go_key k = { .g = ctx->r14, .pid = id >> 32 };
	struct call_start c = {};
	struct thread_state *st;

	/* Both registers are loaded first: the verifier refuses a load through a ctx pointer clang has offset. */
	barrier_var(ax);
	barrier_var(bx);
	size = ((cookie >> 16) & 0xff) ? bx : ax;

	if (size < cfg.min_size || !is_target(id >> 32))
		return 0;
	c.ts = bpf_ktime_get_ns();
	c.size = size;
	c.cookie = cookie;
	/* A function entered again after the prologue grew the stack keeps its first start: the growth is part of
	 * the call as the caller sees it. */
	if (bpf_map_lookup_elem(&go_inflight, &k))
		return 0;
	/* The thread the call starts on holds its cause record; its storage lets the cause tracepoints make one. */
	st = thread_state_get(true);
	causes_open(&c.snap, st && st->has_causes);
	int err = bpf_map_update_elem(&go_inflight, &k, &c, BPF_NOEXIST);

	if (err == -E2BIG)
		count(STAT_INFLIGHT_DROPPED);
	return 0;
}

SEC("uprobe")
int go_large_exit(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct go_key k = { .g = ctx->r14, .pid = id >> 32 };
	struct call_start *c = bpf_map_lookup_elem(&go_inflight, &k);

	if (!c)
		return 0;
	__u64 now = bpf_ktime_get_ns();

	emit_at(ctx, now, c->ts, c->size, ctx->ax, OP_GO_LARGE, COOKIE_ALLOCATOR(c->cookie), 0);
	spike_check(ctx, c->ts, now, c->size, OP_GO_LARGE, COOKIE_ALLOCATOR(c->cookie), &c->snap);
	bpf_map_delete_elem(&go_inflight, &k);
	return 0;
}

SEC("uprobe")
int go_stw_begin(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 ax = ctx->ax, bx = ctx->bx;
	struct stw s = {};

	barrier_var(ax);
	barrier_var(bx);
	if (!is_target(pid))
		return 0;
	s.ts = bpf_ktime_get_ns();
	/* Go 1.22+: stopTheWorldWithSema(reason stwReason), a uint8; cookie bit 24 says it is passed, bits 16-23 where. */
	if ((cookie >> 24) & 1)
		s.reason = 1 + ((((cookie >> 16) & 0xff) ? bx : ax) & 0xff);
	if (bpf_map_update_elem(&stw_start, &pid, &s, BPF_ANY))
		count(STAT_INFLIGHT_DROPPED);
	return 0;
}

SEC("uprobe")
int go_stw_end(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct stw *start = bpf_map_lookup_elem(&stw_start, &pid);

	if (!start)
		return 0;
	emit_flags(ctx, start->ts, 0, 0, OP_GC_PAUSE, COOKIE_ALLOCATOR(bpf_get_attach_cookie(ctx)), (__u16)start->reason);
	bpf_map_delete_elem(&stw_start, &pid);
	return 0;
}

/* The process's CLOCK_MONOTONIC minus the kernel's: the monotonic offset of its time namespace (0 outside one).
 * Go's nanotime() reads the vDSO clock, which a time namespace shifts; bpf_ktime_get_ns() is not shifted. */
static __always_inline __s64 timens_monotonic_offset(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	if (!bpf_core_field_exists(((struct nsproxy *)0)->time_ns))
		return 0;
	struct time_namespace *ns = BPF_CORE_READ(t, nsproxy, time_ns);

	if (!ns)
		return 0;
	return BPF_CORE_READ(ns, offsets.monotonic.tv_sec) * 1000000000LL + BPF_CORE_READ(ns, offsets.monotonic.tv_nsec);
}

/* Go 1.22+: startTheWorldWithSema(now int64, w worldStop) receives the stop's start time (w.start, from 1.23
 * w.startedStopping: the nanotime() stopTheWorldWithSema took once it held sched.lock) and its reason, and keeps both
 * in its frame until it returns. One probe on its RET instructions reads them from the popped frame (nothing runs on
 * this thread between the epilogue and the RET) and measures the whole pause, to where the pair ended it, with one
 * trap instead of two. Cookie bits 16-23 and 24-31: how far below the stack pointer at the RET the reason byte and the
 * start time lie, as the collector found them in this build's code; bits 32-47: how far the RET's stack pointer is
 * above the probe's, when the probe stands for the RET on an instruction before the epilogue (where it is emulated). */
SEC("uprobe")
int go_stw_done(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 sp = ctx->sp + ((cookie >> 32) & 0xffff), now;
	__s64 started = 0;
	__u8 reason = 0;

	if (!is_target(pid))
		return 0;
	if (bpf_probe_read_user(&reason, sizeof(reason), (void *)(sp - ((cookie >> 16) & 0xff))) ||
	    bpf_probe_read_user(&started, sizeof(started), (void *)(sp - ((cookie >> 24) & 0xff))))
		return 0;
	started -= timens_monotonic_offset();
	now = bpf_ktime_get_ns();
	/* A stop that never recorded its start (0) or a clock that is not the kernel's: no pause is made up. */
	if (started <= 0 || (__u64)started > now || now - (__u64)started > MAX_PAUSE_NS)
		return 0;
	emit_flags(ctx, (__u64)started, 0, 0, OP_GC_PAUSE, COOKIE_ALLOCATOR(cookie), (__u16)(1 + reason));
	return 0;
}
