// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel doing slow work for the current thread: each pair of tracepoints adds the time between them to the
 * thread's cause record (causes.bpf.h). A thread that never had a traced call has no storage of ours, and the
 * programs stop at that first lookup. */
#include "causes.bpf.h"
#include "inflight.bpf.h"

static __always_inline void cause_begin(int which)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct thread_state *st = thread_state_get(false);
	struct causes fresh = {}, *c;

	if (!st || which >= TRACED_CAUSES)
		return;
	c = bpf_map_lookup_elem(&thread_causes, &tid);
	if (!c) {
		bpf_map_update_elem(&thread_causes, &tid, &fresh, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&thread_causes, &tid);
		if (!c)
			return;
		st->has_causes = 1;
	}
	c->since[which] = bpf_ktime_get_ns();
}

static __always_inline void cause_end(int which)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct thread_state *st = thread_state_get(false);
	struct causes *c;

	/* A thread whose record cause_begin never made has nothing to end. */
	if (which >= TRACED_CAUSES || !st || !st->has_causes)
		return;
	c = bpf_map_lookup_elem(&thread_causes, &tid);
	if (c && c->since[which]) {
		c->ns[which] += bpf_ktime_get_ns() - c->since[which];
		c->since[which] = 0;
	}
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_begin")
int tp_reclaim_begin(void *ctx) { cause_begin(CAUSE_RECLAIM); return 0; }

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_end")
int tp_reclaim_end(void *ctx) { cause_end(CAUSE_RECLAIM); return 0; }

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_begin")
int tp_memcg_reclaim_begin(void *ctx) { cause_begin(CAUSE_RECLAIM); return 0; }

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_end")
int tp_memcg_reclaim_end(void *ctx) { cause_end(CAUSE_RECLAIM); return 0; }

SEC("tracepoint/compaction/mm_compaction_begin")
int tp_compaction_begin(void *ctx) { cause_begin(CAUSE_COMPACTION); return 0; }

SEC("tracepoint/compaction/mm_compaction_end")
int tp_compaction_end(void *ctx) { cause_end(CAUSE_COMPACTION); return 0; }

/* Attached only with --cause-mmap-lock: these fire on every mmap_lock acquisition on the host. */
SEC("tracepoint/mmap_lock/mmap_lock_start_locking")
int tp_lock_wait(void *ctx) { cause_begin(CAUSE_MMAP_LOCK); return 0; }

SEC("tracepoint/mmap_lock/mmap_lock_acquire_returned")
int tp_lock_taken(void *ctx) { cause_end(CAUSE_MMAP_LOCK); return 0; }
