// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel doing slow work for the current thread: each pair of tracepoints adds the time between them to the
 * thread's cause record, which exists only while the thread has a traced call in flight (causes.bpf.h). */
#include "causes.bpf.h"

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
