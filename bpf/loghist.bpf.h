/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Latency histograms built in the kernel, per series in blocks of buckets (struct hist_block), in two tables: the
 * programs fill the one `hist_control.slot` names while the collector empties the other, so a read never races the
 * writers and every call is counted once, in the interval it was read in. The tables are defined in
 * histograms.bpf.c. */
#ifndef ALLOCLAT_LOGHIST_BPF_H
#define ALLOCLAT_LOGHIST_BPF_H

#include "maps.bpf.h"
#include "emit.bpf.h"

/* Blocks per table: a series whose calls span two powers of two of latency uses four. A call that finds its table
 * full is sent as an event instead. */
#define HIST_MAX_BLOCKS 4096
/* The collector's histograms end at 60 s and clamp beyond it. */
#define HIST_MAX_NS 60000000000ULL
/* Bits of the linear part of a bucket: 2048 sub-buckets, the upper half per power of two (3 significant digits). */
#define HIST_SUB_BITS 11

#ifdef ALLOCLAT_DEFINE_HISTOGRAMS
#define HIST_SHARED
#else
#define HIST_SHARED extern
#endif

HIST_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist_control);
} hist_control SEC(".maps");

/* Made by the programs as calls need them, so the table takes memory for the blocks in use only. */
#define HIST_BLOCKS(name) \
	HIST_SHARED struct { \
		__uint(type, BPF_MAP_TYPE_HASH); \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__uint(max_entries, HIST_MAX_BLOCKS); \
		__type(key, struct hist_block_key); \
		__type(value, struct hist_block); \
	} name SEC(".maps")

/* Per allocator and operation (HIST_STEPPED_INDEX): 1 where the probed function's first instruction is single-stepped,
 * so its latencies carry the stepped figure of hist_control. Written by the collector as it attaches. */
HIST_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HIST_STEPPED_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} hist_stepped SEC(".maps");

HIST_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ALLOCLAT_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct probe_bias);
} probe_bias SEC(".maps");

HIST_BLOCKS(hist_blocks0);
HIST_BLOCKS(hist_blocks1);

/* What a new block starts from, all zero and never written (a block is too large for the BPF stack; in .rodata it
 * would share the section with the load-time configuration). */
HIST_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist_block);
} hist_empty_block SEC(".maps");

/* Index of the highest set bit of v (v > 0): BPF has no count-leading-zeros instruction. */
static __always_inline __u32 highest_bit(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

/* HdrHistogram's counts index of a value, for 1 ns to 60 s and 3 significant digits (see HIST_BLOCK_BITS). */
static __always_inline __u32 hist_bucket(__u64 ns)
{
	__u32 shift;

	if (ns > HIST_MAX_NS)
		ns = HIST_MAX_NS;
	if (ns < (1 << HIST_SUB_BITS))
		return (__u32)ns;
	shift = highest_bit(ns) - (HIST_SUB_BITS - 1);
	return ((shift + 1) << (HIST_SUB_BITS - 1)) + (__u32)(ns >> shift) - (1 << (HIST_SUB_BITS - 1));
}

static __always_inline __u8 size_class(__u64 size)
{
	return size <= 1 ? 0 : (__u8)highest_bit(size);
}

static __always_inline bool hist_add(void *blocks, __u64 latency, __u64 size, __u8 op, __u8 allocator)
{
	__u32 bucket = hist_bucket(latency), zero = 0;
	struct hist_block_key k = {};
	struct hist_block *b, *empty;

	k.series.pid = bpf_get_current_pid_tgid() >> 32;
	k.series.allocator = allocator;
	k.series.op = op;
	k.series.size_class = size_class(size);
	k.block = bucket >> HIST_BLOCK_BITS;
	b = bpf_map_lookup_elem(blocks, &k);
	if (!b) {
		/* The first call of the series in this range of buckets since the collector found the block unused. Only the
		 * program that made the block names it; one that lost the race to make it adds to the winner's. */
		bool made;

		empty = bpf_map_lookup_elem(&hist_empty_block, &zero);
		if (!empty)
			return false;
		made = bpf_map_update_elem(blocks, &k, empty, BPF_NOEXIST) == 0;

		b = bpf_map_lookup_elem(blocks, &k);
		if (!b)
			return false;
		if (made)
			process_comm(&b->comm);
	}
	/* Atomic: every CPU adds to the same block, and a uprobe's program can be preempted by another on its CPU. */
	__sync_fetch_and_add(&b->counts[bucket & (HIST_BLOCK_BUCKETS - 1)], 1);
	__sync_fetch_and_add(&b->bytes, size);
	return true;
}

/* Counts one completed call in the current slot's tables. False when it must be sent as an event: histograms are
 * off, asked to be compared with events, or a table is full (counted as STAT_HIST_FULL). */
static __always_inline bool hist_record(__u64 latency, __u64 size, __u8 op, __u8 allocator)
{
	__u32 zero = 0;
	struct hist_control *ctl = bpf_map_lookup_elem(&hist_control, &zero);
	bool added;

	if (!ctl || !ctl->enabled)
		return false;
	/* Corrected before the bucket is chosen: taking the cost off a bucket's value afterwards would move every call
	 * of a bucket wider than the cost into the bucket below. */
	if (ctl->corrected_ops & (1u << (op & 31))) {
		__u32 idx = HIST_STEPPED_INDEX(allocator, op), cpu = bpf_get_smp_processor_id();
		__u32 *stepped = bpf_map_lookup_elem(&hist_stepped, &idx);
		struct probe_bias *b = bpf_map_lookup_elem(&probe_bias, &cpu);
		__u64 bias = !b ? 0 : stepped && *stepped ? b->stepped_bias_ns : b->bias_ns;

		latency = latency > bias ? latency - bias : 0;
	}
	if (ctl->slot)
		added = hist_add(&hist_blocks1, latency, size, op, allocator);
	else
		added = hist_add(&hist_blocks0, latency, size, op, allocator);
	if (!added)
		count(STAT_HIST_FULL);
	return added && ctl->enabled == HIST_AGGREGATE;
}

#endif
