/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What every program of the object shares: the load-time configuration, the maps more than one concern uses, and
 * the checks every program makes first. The maps are defined once, in alloclat.bpf.c (which defines
 * ALLOCLAT_DEFINE_MAPS before including this); every other file sees the same text as extern declarations, and the
 * static linker joins them into one map each. */
#ifndef ALLOCLAT_MAPS_BPF_H
#define ALLOCLAT_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "alloclat.h"

#define MAX_TARGETS 16384
#define MAX_INFLIGHT 10240
#define MAX_LIVE 65536
#define E2BIG 7

#ifdef ALLOCLAT_DEFINE_MAPS
#define SHARED
#else
#define SHARED extern
#endif

#ifdef ALLOCLAT_DEFINE_MAPS
const volatile struct alloclat_config cfg = {};
#else
extern const volatile struct alloclat_config cfg;
#endif

/* One struct alloc_event per completed call. */
SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/* One struct spike_event per call over the spike threshold. */
SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} spikes SEC(".maps");

/* User stacks of slow calls, each frame as the mapped file's build-id and file offset: a process that lives for
 * milliseconds is symbolized after it has exited, when its memory map is gone. A frame in a file without a GNU
 * build-id (a Go binary, anonymous JIT code) or taken while the mmap lock was contended keeps its address
 * (status BPF_STACK_BUILD_ID_IP). */
SHARED struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_STACK_BUILD_ID);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(struct bpf_stack_build_id));
} stacks SEC(".maps");

/* Thread-group ids being traced (and, transiently, tids of their threads: see tp_fork), each TARGET_ACTIVE or
 * TARGET_AT_EXEC. */
SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Per-CPU counters, indexed by enum alloclat_stat. */
SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &stat);
	if (v)
		*v += 1;
}

static __always_inline bool is_target(__u32 tgid)
{
	__u8 *state;

	if (!cfg.filter_pids)
		return true;
	state = bpf_map_lookup_elem(&targets, &tgid);
	return state && *state == TARGET_ACTIVE;
}

#endif
