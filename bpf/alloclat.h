/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by the BPF programs and the collector. The collector's mirror is
 * src/Tracer.Native/Interop/AllocEvent.cs; tests/Tracer.Native.Tests compiles this header and compares layouts. */
#ifndef ALLOCLAT_H
#define ALLOCLAT_H

#define ALLOCLAT_COMM_LEN 16

enum alloc_op {
	OP_MMAP = 0,
	OP_MUNMAP = 1,
	OP_MREMAP = 2,
	OP_BRK = 3,
	OP_MALLOC = 4,
	OP_CALLOC = 5,
	OP_REALLOC = 6,
	OP_ALIGNED_ALLOC = 7,
	OP_POSIX_MEMALIGN = 8,
	OP_MEMALIGN = 9,
	OP_VALLOC = 10,
	OP_PVALLOC = 11,
	OP_FREE = 12,
	OP_GO_LARGE = 13,
	/* Not a call: a target process was stopped for its probes (it has just executed a new image, or been forked). */
	OP_EXEC_STOPPED = 14,
	/* A Go stop-the-world pause: from stopping the world to its restart. */
	OP_GC_PAUSE = 15,
	/* mprotect making reserved (inaccessible anonymous) memory accessible: a runtime committing its heap. */
	OP_MPROTECT = 16,
	/* madvise giving pages back (MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTNEED_LOCKED). */
	OP_MADVISE = 17,
	/* C++ operator new and new[] (plain, nothrow and aligned), delete and delete[] (plain, sized, nothrow, aligned). */
	OP_NEW = 18,
	OP_NEW_ARRAY = 19,
	OP_DELETE = 20,
	OP_DELETE_ARRAY = 21,
};

/* Indices of the per-CPU counters in the `stats` map. */
enum alloclat_stat {
	STAT_INFLIGHT_DROPPED = 0,
	STAT_LIVE_DROPPED = 1,
	STAT_TARGETS_FULL = 2,
	STAT_HIST_FULL = 3,     /* calls sent as events because the kernel's histogram tables were full */
	STAT_MAX = 4,
};

/* One completed call. Emitted at return, so ts_ns is the return time (CLOCK_MONOTONIC). */
struct alloc_event {
	__u64 ts_ns;
	__u64 latency_ns;
	__u64 size;
	__u64 addr;
	__u32 pid;  /* thread-group id */
	__u32 tid;
	__u8 op;    /* enum alloc_op */
	__u8 allocator;
	__u16 flags;  /* OP_GC_PAUSE from Go: the runtime's stop-the-world reason plus one (0: not passed) */
	__u32 reserved;
	char comm[ALLOCLAT_COMM_LEN];        /* the process's name: its thread group leader's */
	char thread_comm[ALLOCLAT_COMM_LEN]; /* the calling thread's own name */
};

/* Load-time configuration, written into .rodata before the object is loaded. */
struct alloclat_config {
	__u64 min_size;        /* calls requesting fewer bytes are ignored in BPF */
	__u64 target_ino;      /* --binary: inode of the executable whose processes are followed; 0 = off */
	__u64 target_dev;      /* kernel dev_t (MAJOR << 20 | MINOR) of that inode's filesystem */
	__u32 filter_pids;     /* 1: only processes in the `targets` map; 0: every process */
	__u32 follow_forks;    /* 1: children forked by a target become targets */
	__u32 stop_on_exec;    /* 1: stop a target at exec so the collector can probe its new image first */
	__u32 stop_on_fork;    /* 1: stop a target's forked child before its first instruction, for its own probes */
	__u64 spike_threshold_ns; /* calls at least this slow are reported with stack and kernel cause; 0 = off */
};

/* Where the time of a slow call went. The first three are measured by tracepoints that fire only while the kernel
 * does that work; the others are differences of the calling thread's own counters between entry and return. */
enum spike_cause {
	CAUSE_RECLAIM = 0,         /* direct reclaim, global or memcg (vmscan tracepoints) */
	CAUSE_COMPACTION = 1,      /* direct compaction (compaction tracepoints) */
	CAUSE_MMAP_LOCK = 2,       /* waiting to take mmap_lock (mmap_lock tracepoints, only when asked for) */
	CAUSE_ON_CPU = 3,          /* se.sum_exec_runtime, brought up to the instants of entry and return */
	CAUSE_RUNQUEUE = 4,        /* sched_info.run_delay: runnable but waiting for a CPU (preempted) */
	CAUSE_DELAY_RECLAIM = 5,   /* delay accounting (kernel.task_delayacct=1): freepages_delay */
	CAUSE_DELAY_COMPACT = 6,   /* compact_delay */
	CAUSE_SWAPIN = 7,          /* swapin_delay */
	CAUSE_THRASHING = 8,       /* thrashing_delay */
	CAUSE_BLKIO = 9,           /* blkio_delay: waiting for block I/O */
	CAUSE_MAX = 10,
};

/* spike_event.flags */
#define SPIKE_MOVED 1          /* returned on another thread than it entered on (Go): counter differences unknown */
#define SPIKE_NO_RUNQUEUE 2    /* this kernel keeps no sched_info.run_delay */

/* A call slower than spike_threshold_ns, with its causes and the caller's stack (an id in the `stacks` map). */
struct spike_event {
	__u64 ts_ns;
	__u64 latency_ns;
	__u64 size;
	__u64 cause_ns[CAUSE_MAX];
	__s64 user_stack_id;   /* negative: no stack */
	__u32 pid;
	__u32 tid;
	__u32 min_faults;      /* task min_flt / maj_flt during the call: user faults and faults taken populating */
	__u32 maj_faults;
	__u32 voluntary_switches;   /* task nvcsw: the thread blocked */
	__u32 involuntary_switches; /* task nivcsw: the thread was preempted */
	__u8 op;
	__u8 allocator;
	__u16 flags;           /* SPIKE_* */
	__u32 pad;
	char comm[ALLOCLAT_COMM_LEN];
};

/* Values in the `targets` map. */
#define TARGET_ACTIVE 1
#define TARGET_AT_EXEC 2   /* becomes a target when it executes its next image: a command alloclat starts */

/* Why a process is in the `held` map. */
#define HOLD_EXEC 0        /* it has just executed a new image */
#define HOLD_FORK 1        /* it was forked by a target (no exec) and has not run an instruction of its own */

/* Values in the `held` map: when and why the process was stopped, and who forked it. */
struct held_process {
	__u64 since_ns;        /* CLOCK_MONOTONIC */
	__u32 kind;            /* HOLD_* */
	__u32 parent;          /* HOLD_FORK: the thread-group id of the process that forked it */
};

/* The exec hold's lease, renewed by the collector while it runs: a target is stopped at exec only while
 * bpf_ktime_get_ns() - renewed_ns < valid_ns, so a collector that died (SIGKILL) holds nothing new after valid_ns,
 * and the guard process releases what it held then. */
struct hold_lease {
	__u64 renewed_ns;      /* CLOCK_MONOTONIC; 0 = revoked */
	__u64 valid_ns;
};

/* In-kernel latency histograms: one series as the collector keys it (SeriesKey). */
struct hist_series_key {
	__u32 pid;             /* thread-group id */
	__u8 allocator;
	__u8 op;               /* enum alloc_op */
	__u8 size_class;       /* base-2 exponent of the requested size, 0 also for sizes 0 and 1 (SizeClass.Of) */
	__u8 pad;
};

/* The buckets are HdrHistogram's for 3 significant digits: values below 2048 ns are their own bucket, above that
 * each power of two has 1024 linear buckets (index ((e - 9) << 10) + (v >> (e - 10)) - 1024 for a value v of highest
 * bit e), so a histogram filled from them is the one the exact values would have filled. They are kept in blocks of
 * HIST_BLOCK_BUCKETS consecutive buckets: a series' calls fall into a few of them, a call adds to a counter of a
 * block that is already there, and a new block is made only where a series' latencies reach a range of 512 buckets
 * (half a power of two) it has not reached before. */
#define HIST_BLOCK_BITS 9
#define HIST_BLOCK_BUCKETS (1 << HIST_BLOCK_BITS)

/* One block of one series. */
struct hist_block_key {
	struct hist_series_key series;
	__u32 block;           /* the buckets from block << HIST_BLOCK_BITS */
};

/* A block's counts, shared by every CPU (the programs add atomically): a series' block is one cache line or two in
 * use, where an entry per bucket made a table insert of many of a run's calls. */
struct hist_block {
	__u64 bytes;           /* requested bytes of the calls counted in this block */
	char comm[ALLOCLAT_COMM_LEN];  /* the process's name, taken when the block was made */
	__u32 counts[HIST_BLOCK_BUCKETS];
};

/* Written by the collector: which of the two sets of tables the programs fill (the other is read and emptied). */
struct hist_control {
	__u32 slot;            /* 0 or 1 */
	__u32 enabled;         /* 0: every call is an event; HIST_* otherwise */
	/* Bit per OP_*: the operations whose latencies have the probes' cost (probe_bias) taken off before they are
	 * counted, as the collector takes it off each event's. 0 with --raw-latency or before calibration. */
	__u32 corrected_ops;
	__u32 pad;
};

/* The probes' own cost on one CPU, entry to return, as the collector last calibrated it there (the `probe_bias`
 * table, indexed by CPU): a virtual CPU's traps can slow down by half for seconds while another's do not, so one
 * figure for the host would be wrong for some calls whatever it was. */
struct probe_bias {
	__u32 bias_ns;         /* functions whose first instruction is emulated */
	__u32 stepped_bias_ns; /* functions whose first instruction is single-stepped (marked in hist_stepped) */
};

#define ALLOCLAT_MAX_CPUS 1024

/* The allocator id of glibc's malloc family in libc.so (Allocators.Glibc). */
#define ALLOCATOR_GLIBC 1

/* The allocator id of the collector's own calibration functions (alloclat-calib.c), probed in the collector only:
 * their calls are recorded whether or not the collector is a target, and always sent as events, never counted. */
#define ALLOCATOR_CALIBRATION 7

/* Index of an allocator's operation in the hist_stepped table. */
#define HIST_STEPPED_INDEX(allocator, op) (((__u32)(allocator) << 5) | ((__u32)(op) & 31))
#define HIST_STEPPED_ENTRIES (256 << 5)

#define HIST_AGGREGATE 1   /* calls are counted in the tables, not sent */
#define HIST_AND_EVENTS 2  /* counted in the tables and also sent as events: the two can be compared */

/* The cookie given to each uprobe: which allocator and which function it sits on. */
#define ALLOCLAT_COOKIE(allocator, op) (((__u64)(allocator) << 8) | (__u64)(op))
#define COOKIE_OP(cookie) ((__u8)((cookie) & 0xff))
#define COOKIE_ALLOCATOR(cookie) ((__u8)(((cookie) >> 8) & 0xff))

#endif
