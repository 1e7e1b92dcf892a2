/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Calls in flight, from their entry to their return: shared by the programs that pair them and by the exit
 * tracepoint, which clears what a thread left behind. */
#ifndef ALLOCLAT_INFLIGHT_BPF_H
#define ALLOCLAT_INFLIGHT_BPF_H

#include "maps.bpf.h"
#include "causes.bpf.h"

struct sys_start {
	__u64 ts;
	__u64 size;
	__u8 op;
	struct task_snap snap;  /* the thread's counters at entry, for the causes of a slow call */
};

/* A thread is in at most one syscall at a time, so the tid is a complete key. */
SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct sys_start);
} sys_inflight SEC(".maps");

struct call_start {
	__u64 ts;
	__u64 size;
	__u64 sp;      /* stack pointer at entry: the return leaves it at sp + 8 */
	__u64 arg;     /* realloc: the old block; posix_memalign: where the result is stored */
	__u64 cookie;
	struct task_snap snap;
};

/* One outstanding traced call per thread: calls nested inside it (glibc's realloc calling malloc) are not
 * counted again, and the saved stack pointer tells the outer call's return from the inner ones. */
SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct call_start);
} call_inflight SEC(".maps");

#endif
