/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Calls in flight, from their entry to their return, in the traced thread's own storage: the entry and return
 * programs of one call run on the same thread (the malloc family's uprobes, the syscall tracepoints), so the state is
 * found from the task without a hash lookup, is never inserted or deleted per call, and is freed by the kernel with
 * the thread. Go's calls are keyed by the goroutine instead (go.bpf.c): a goroutine can return on another thread. */
#ifndef ALLOCLAT_INFLIGHT_BPF_H
#define ALLOCLAT_INFLIGHT_BPF_H

#include "maps.bpf.h"
#include "causes.bpf.h"

struct sys_start {
	__u64 ts;      /* 0: no syscall in flight */
	__u64 size;
	__u8 op;
	struct task_snap snap;  /* the thread's counters at entry, for the causes of a slow call */
};

struct call_start {
	__u64 ts;      /* 0: no call in flight */
	__u64 size;
	__u64 sp;      /* stack pointer at entry: the return leaves it at sp + 8 */
	__u64 arg;     /* realloc: the old block; posix_memalign: where the result is stored */
	__u64 cookie;
	struct task_snap snap;
};

struct thread_state {
	/* One outstanding traced call: calls nested inside it (glibc's realloc calling malloc) are not counted again,
	 * and the saved stack pointer tells the outer call's return from the inner ones. */
	struct call_start call;
	/* A thread is in at most one syscall at a time. */
	struct sys_start sys;
	/* thread_causes has a record of this thread: the entry reads it only then. */
	__u32 has_causes;
	__u32 pad;
};

SHARED struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} thread_state SEC(".maps");

/* The current thread's state, made on its first traced call (`create`); null for a thread that never had one, or
 * when the kernel cannot make it (counted by the caller as an in-flight drop). */
static __always_inline struct thread_state *thread_state_get(bool create)
{
	return bpf_task_storage_get(&thread_state, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

#endif
