/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Where the time of a slow call went: the helpers every traced call's entry and return programs use. The
 * tracepoints that add to a thread's record are in causes.bpf.c.
 *
 * At a call's entry the programs that already run there read the thread's own counters (faults, context switches,
 * on-CPU time, run-queue wait, and the delay accounting totals); at its return, only when the call was slow, they
 * read them again and send the differences. Nothing is inserted or deleted per call. The only tracepoints are those
 * that fire when the kernel does the slow work itself: direct and memcg reclaim and compaction (and mmap_lock, only
 * when the collector attaches it on request: it fires on every acquisition). They add to a thread's record only for
 * a thread that has had a traced call (causes.bpf.c); for every other thread they stop at an empty task storage. */
#ifndef ALLOCLAT_CAUSES_BPF_H
#define ALLOCLAT_CAUSES_BPF_H

#include "maps.bpf.h"
#include "emit.bpf.h"

/* Tracepoint-measured causes, accumulated in the thread's record while a traced call is in flight. */
#define TRACED_CAUSES 3

/* The delay accounting totals read, in the order of enum spike_cause from CAUSE_DELAY_RECLAIM. */
#define DELAYS 5

/* One thread's counters at one instant. */
struct task_snap {
	__u64 on_cpu;          /* se.sum_exec_runtime minus the run-queue clock instant it is up to date at */
	__u64 run_delay;
	__u64 delay[DELAYS];
	__u64 traced[TRACED_CAUSES];
	__u32 min_flt;
	__u32 maj_flt;
	__u32 nvcsw;
	__u32 nivcsw;
	__u32 tid;
	__u32 clock_based;     /* on_cpu is relative to the run-queue clock (see snap_take) */
};

/* One thread's time in each kind of slow work, summed since the first of it: a call's share is the difference
 * between its return and its entry, so calls nested in one another (a syscall inside a traced malloc) and calls
 * that never return need no bookkeeping. */
struct causes {
	__u64 ns[TRACED_CAUSES];
	__u64 since[TRACED_CAUSES];
};

/* Per thread, made by the cause tracepoints the first time the kernel does slow work for a thread that has had a
 * traced call, and deleted when the thread exits. Keyed by tid, not kept in the thread's storage: the return of a
 * Go call that moved to another thread reads the record of the thread it started on. */
SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct causes);
} thread_causes SEC(".maps");

/* The running thread's counters. se.sum_exec_runtime is brought up to date only at ticks and scheduler events,
 * at the run-queue clock instant se.exec_start (in clock_task, which excludes IRQ and steal time). Subtracting that
 * instant, moved to the run-queue clock, gives a value whose difference between two reads plus the time between
 * them is the on-CPU time in between, exact to the scheduler's clock rather than to a tick. The run queue is the
 * one of the task's CFS queue (CONFIG_FAIR_GROUP_SCHED); without it the value is exact to a tick only. */
static __always_inline void snap_take(struct task_snap *s, const struct causes *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct task_delay_info *d;
	struct rq *rq = 0;

	/* `s` may hold the thread's previous call: every field is written. */
	__builtin_memset(s, 0, sizeof(*s));
	s->tid = t->pid;
	s->min_flt = t->min_flt;
	s->maj_flt = t->maj_flt;
	s->nvcsw = t->nvcsw;
	s->nivcsw = t->nivcsw;
	s->on_cpu = t->se.sum_exec_runtime;
	if (bpf_core_field_exists(t->se.cfs_rq) && bpf_core_field_exists(((struct cfs_rq *)0)->rq))
		rq = t->se.cfs_rq->rq;
	if (rq) {
		s->on_cpu -= t->se.exec_start + (rq->clock - rq->clock_task);
		s->clock_based = 1;
	}
	if (bpf_core_field_exists(t->sched_info))
		s->run_delay = t->sched_info.run_delay;
	if (bpf_core_field_exists(t->delays)) {
		d = t->delays;
		if (d) {
			s->delay[0] = d->freepages_delay;
			s->delay[1] = d->compact_delay;
			s->delay[2] = d->swapin_delay;
			s->delay[3] = d->thrashing_delay;
			s->delay[4] = d->blkio_delay;
		}
	}
	if (c)
		for (int i = 0; i < TRACED_CAUSES; i++)
			s->traced[i] = c->ns[i];
}

/* At a traced call's entry: reads the thread's counters into `entry`, with its cause record when it has one. */
static __always_inline void causes_open(struct task_snap *entry, bool has_record)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!cfg.spike_threshold_ns)
		return;
	snap_take(entry, has_record ? bpf_map_lookup_elem(&thread_causes, &tid) : 0);
}

/* Called at the return of every traced call, with the clock read the call's latency was taken from: reports it if
 * it was slow, with the traced causes from the record of the thread the call started on (`entry->tid`: a goroutine
 * can return on another thread). */
static __always_inline void spike_check(void *ctx, __u64 start, __u64 now_ns, __u64 size, __u8 op, __u8 allocator,
					const struct task_snap *entry)
{
	__u64 id, latency = now_ns - start;
	__u32 entry_tid = entry->tid;
	struct spike_event ev;
	struct task_snap now;
	struct causes *c;
	__s64 on_cpu;

	/* Most calls stop here, before the two records below are cleared. */
	if (!cfg.spike_threshold_ns || latency < cfg.spike_threshold_ns)
		return;
	__builtin_memset(&ev, 0, sizeof(ev));
	__builtin_memset(&now, 0, sizeof(now));
	id = bpf_get_current_pid_tgid();
	ev.ts_ns = now_ns;
	ev.latency_ns = latency;
	c = bpf_map_lookup_elem(&thread_causes, &entry_tid);
	if ((__u32)id == entry_tid) {
		snap_take(&now, c);
		on_cpu = (__s64)(now.on_cpu - entry->on_cpu);
		if (now.clock_based && entry->clock_based)
			on_cpu += (__s64)ev.latency_ns;
		if (on_cpu < 0)
			on_cpu = 0;
		if (on_cpu > (__s64)ev.latency_ns)
			on_cpu = ev.latency_ns;
		ev.cause_ns[CAUSE_ON_CPU] = on_cpu;
		ev.cause_ns[CAUSE_RUNQUEUE] = now.run_delay - entry->run_delay;
		for (int i = 0; i < DELAYS; i++)
			ev.cause_ns[CAUSE_DELAY_RECLAIM + i] = now.delay[i] - entry->delay[i];
		ev.min_faults = now.min_flt - entry->min_flt;
		ev.maj_faults = now.maj_flt - entry->maj_flt;
		ev.voluntary_switches = now.nvcsw - entry->nvcsw;
		ev.involuntary_switches = now.nivcsw - entry->nivcsw;
	} else {
		ev.flags |= SPIKE_MOVED;
		if (c)
			for (int i = 0; i < TRACED_CAUSES; i++)
				now.traced[i] = c->ns[i];
	}
	if (!bpf_core_field_exists(((struct task_struct *)0)->sched_info))
		ev.flags |= SPIKE_NO_RUNQUEUE;
	for (int i = 0; i < TRACED_CAUSES; i++)
		ev.cause_ns[i] = now.traced[i] - entry->traced[i];
	ev.size = size;
	ev.pid = id >> 32;
	ev.tid = (__u32)id;
	ev.op = op;
	ev.allocator = allocator;
	ev.user_stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK | BPF_F_REUSE_STACKID);
	process_comm(&ev.comm);
	bpf_perf_event_output(ctx, &spikes, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
}

#endif
