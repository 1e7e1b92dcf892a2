// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Default mode: the kernel side of large allocations. Syscall tracepoints on mmap/munmap/mremap/brk, and the commits
 * and releases of reserved memory that managed runtimes (.NET, the JVM, V8) make with mprotect and madvise. Completed
 * calls are counted into the kernel's histograms when they are on (loghist.bpf.h), sent as events otherwise. */
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "causes.bpf.h"
#include "inflight.bpf.h"
#include "loghist.bpf.h"

#define MAP_ANONYMOUS 0x20

static __always_inline int sys_enter(__u64 size, __u8 op)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thread_state *st;

	if (size < cfg.min_size || !is_target(id >> 32))
		return 0;
	st = thread_state_get(true);
	if (!st) {
		count(STAT_INFLIGHT_DROPPED);
		return 0;
	}
	st->sys.size = size;
	st->sys.op = op;
	causes_open(&st->sys.snap, st->has_causes);
	st->sys.ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int sys_exit(void *ctx, long ret)
{
	struct thread_state *st = thread_state_get(false);
	struct sys_start *s;
	__u64 now;

	if (!st || !st->sys.ts)
		return 0;
	s = &st->sys;
	now = bpf_ktime_get_ns();
	if (!hist_record(now - s->ts, s->size, s->op, 0))
		emit_at(ctx, now, s->ts, s->size, ret < 0 ? 0 : (__u64)ret, s->op, 0, 0);
	spike_check(ctx, s->ts, now, s->size, s->op, 0, &s->snap);
	s->ts = 0;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int tp_enter_mmap(struct trace_event_raw_sys_enter *ctx)
{
	/* File mappings are not allocations. */
	if (!(ctx->args[3] & MAP_ANONYMOUS))
		return 0;
	return sys_enter(ctx->args[1], OP_MMAP);
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int tp_exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit(ctx, ctx->ret);
}

static long vma_file_backed(struct task_struct *task, struct vm_area_struct *vma, void *file)
{
	*(bool *)file = vma->vm_file != NULL;
	return 0;
}

/* Only the release of anonymous memory, as for mmap: the mapping is looked up (for targets only) before the call
 * removes it; an address with no mapping is counted, as the kernel's own answer to it is. */
SEC("tracepoint/syscalls/sys_enter_munmap")
int tp_enter_munmap(struct trace_event_raw_sys_enter *ctx)
{
	__u64 len = ctx->args[1];
	bool file = false;

	if (len < cfg.min_size || !is_target(bpf_get_current_pid_tgid() >> 32))
		return 0;
	bpf_find_vma(bpf_get_current_task_btf(), ctx->args[0], vma_file_backed, &file, 0);
	if (file)
		return 0;
	return sys_enter(len, OP_MUNMAP);
}

SEC("tracepoint/syscalls/sys_exit_munmap")
int tp_exit_munmap(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit(ctx, 0);
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int tp_enter_mremap(struct trace_event_raw_sys_enter *ctx)
{
	__u64 old_len = ctx->args[1], new_len = ctx->args[2];

	return sys_enter(new_len > old_len ? new_len : old_len, OP_MREMAP);
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int tp_exit_mremap(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_brk")
int tp_enter_brk(struct trace_event_raw_sys_enter *ctx)
{
	__u64 want = ctx->args[0], cur;

	/* brk(0) only asks where the break is. The current break is read for targets only: every process's brk
	 * passes here. */
	if (!want || !is_target(bpf_get_current_pid_tgid() >> 32))
		return 0;
	cur = bpf_get_current_task_btf()->mm->brk;
	return sys_enter(want > cur ? want - cur : cur - want, OP_BRK);
}

SEC("tracepoint/syscalls/sys_exit_brk")
int tp_exit_brk(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit(ctx, ctx->ret);
}

/* Commits and releases of reserved memory. */

#define PROT_ACCESS 0x7       /* PROT_READ | PROT_WRITE | PROT_EXEC */
#define VM_ACCESS 0x7         /* VM_READ | VM_WRITE | VM_EXEC */
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9
#define MADV_DONTNEED_LOCKED 24

static long vma_reserved(struct task_struct *task, struct vm_area_struct *vma, void *reserved)
{
	*(bool *)reserved = !vma->vm_file && !(vma->vm_flags & VM_ACCESS);
	return 0;
}

/* A commit makes reserved address space (an anonymous PROT_NONE mapping) accessible; RELRO and other file
 * mappings, and calls that take access away, are not allocations. The mapping is looked up for targets only. */
SEC("tracepoint/syscalls/sys_enter_mprotect")
int tp_enter_mprotect(struct trace_event_raw_sys_enter *ctx)
{
	__u64 len = ctx->args[1];
	bool reserved = false;

	if (!(ctx->args[2] & PROT_ACCESS) || len < cfg.min_size || !is_target(bpf_get_current_pid_tgid() >> 32))
		return 0;
	if (bpf_find_vma(bpf_get_current_task_btf(), ctx->args[0], vma_reserved, &reserved, 0) || !reserved)
		return 0;
	return sys_enter(len, OP_MPROTECT);
}

SEC("tracepoint/syscalls/sys_exit_mprotect")
int tp_exit_mprotect(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit(ctx, 0);
}

/* Releases: the pages go back to the kernel, the address range stays reserved. */
SEC("tracepoint/syscalls/sys_enter_madvise")
int tp_enter_madvise(struct trace_event_raw_sys_enter *ctx)
{
	long advice = (long)ctx->args[2];

	if (advice != MADV_DONTNEED && advice != MADV_FREE && advice != MADV_REMOVE && advice != MADV_DONTNEED_LOCKED)
		return 0;
	return sys_enter(ctx->args[1], OP_MADVISE);
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int tp_exit_madvise(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit(ctx, 0);
}
