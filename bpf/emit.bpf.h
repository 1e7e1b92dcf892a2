/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sending one completed call to the collector. */
#ifndef ALLOCLAT_EMIT_BPF_H
#define ALLOCLAT_EMIT_BPF_H

#include "maps.bpf.h"

/* The process's name, not the thread's: a runtime's named worker threads must not split a process into series. */
static __always_inline void process_comm(char (*comm)[ALLOCLAT_COMM_LEN])
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	BPF_CORE_READ_STR_INTO(comm, task, group_leader, comm);
}

/* A call that returned at `now` (CLOCK_MONOTONIC). */
static __always_inline void emit_at(void *ctx, __u64 now, __u64 start, __u64 size, __u64 addr, __u8 op, __u8 allocator,
				    __u16 flags)
{
	struct alloc_event ev = {};
	__u64 id = bpf_get_current_pid_tgid();

	ev.ts_ns = now;
	ev.latency_ns = ev.ts_ns - start;
	ev.size = size;
	ev.addr = addr;
	ev.pid = id >> 32;
	ev.tid = (__u32)id;
	ev.op = op;
	ev.allocator = allocator;
	ev.flags = flags;
	process_comm(&ev.comm);
	bpf_get_current_comm(&ev.thread_comm, sizeof(ev.thread_comm));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
}

static __always_inline void emit_flags(void *ctx, __u64 start, __u64 size, __u64 addr, __u8 op, __u8 allocator,
				       __u16 flags)
{
	emit_at(ctx, bpf_ktime_get_ns(), start, size, addr, op, allocator, flags);
}

static __always_inline void emit(void *ctx, __u64 start, __u64 size, __u64 addr, __u8 op, __u8 allocator)
{
	emit_flags(ctx, start, size, addr, op, allocator, 0);
}

#endif
