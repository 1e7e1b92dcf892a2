// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Allocation latency probes.
 *
 * Default mode: syscall tracepoints on mmap/munmap/mremap/brk, the kernel side of large allocations.
 * Precise mode: uprobes on the malloc family, attached by the collector with a cookie naming the allocator and
 * the function. Every program drops calls below cfg.min_size before touching a map, so small calls cost only
 * the trap itself. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "alloclat.h"

#define MAP_ANONYMOUS 0x20
#define MAX_TARGETS 16384
#define MAX_INFLIGHT 10240
#define MAX_LIVE 65536
#define E2BIG 7
#define SIGSTOP 19
#define SIGCONT 18

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct alloclat_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} spikes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

/* The process's name, not the thread's: a runtime's named worker threads must not split a process into series. */
static __always_inline void process_comm(char (*comm)[ALLOCLAT_COMM_LEN])
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	BPF_CORE_READ_STR_INTO(comm, task, group_leader, comm);
}

#include "causes.bpf.h"

/* Thread-group ids being traced (and, transiently, tids of their threads: see tp_fork), each TARGET_ACTIVE or
 * TARGET_AT_EXEC. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Process names (comm, NUL padded to 16 bytes) whose processes become targets when they execute: --name. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[ALLOCLAT_COMM_LEN]);
	__type(value, __u8);
} target_names SEC(".maps");

struct sys_start {
	__u64 ts;
	__u64 size;
	__u8 op;
	struct task_snap snap;  /* the thread's counters at entry, for the causes of a slow call */
};

/* A thread is in at most one syscall at a time, so the tid is a complete key. */
struct {
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
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct call_start);
} call_inflight SEC(".maps");

struct live_key {
	__u64 addr;
	__u32 pid;
	__u32 pad;
};

/* Blocks allocated by a traced large call, so that their free can be measured without tracking every block. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_LIVE);
	__type(key, struct live_key);
	__type(value, __u64);
} live SEC(".maps");

struct {
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

static __always_inline void emit_flags(void *ctx, __u64 start, __u64 size, __u64 addr, __u8 op, __u8 allocator,
				       __u16 flags)
{
	struct alloc_event ev = {};
	__u64 id = bpf_get_current_pid_tgid();

	ev.ts_ns = bpf_ktime_get_ns();
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

static __always_inline void emit(void *ctx, __u64 start, __u64 size, __u64 addr, __u8 op, __u8 allocator)
{
	emit_flags(ctx, start, size, addr, op, allocator, 0);
}

/* ---- syscalls ---- */

static __always_inline int sys_enter(__u64 size, __u8 op)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct sys_start s = {};

	if (size < cfg.min_size || !is_target(id >> 32))
		return 0;
	s.ts = bpf_ktime_get_ns();
	s.size = size;
	s.op = op;
	causes_open(&s.snap);
	if (bpf_map_update_elem(&sys_inflight, &tid, &s, BPF_ANY)) {
		count(STAT_INFLIGHT_DROPPED);
		causes_close(tid);
	}
	return 0;
}

static __always_inline int sys_exit(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sys_start *s = bpf_map_lookup_elem(&sys_inflight, &tid);

	if (!s)
		return 0;
	emit(ctx, s->ts, s->size, ret < 0 ? 0 : (__u64)ret, s->op, 0);
	spike_check(ctx, s->ts, s->size, s->op, 0, &s->snap);
	bpf_map_delete_elem(&sys_inflight, &tid);
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

SEC("tracepoint/syscalls/sys_enter_munmap")
int tp_enter_munmap(struct trace_event_raw_sys_enter *ctx)
{
	return sys_enter(ctx->args[1], OP_MUNMAP);
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
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 want = ctx->args[0], cur;

	/* brk(0) only asks where the break is. */
	if (!want)
		return 0;
	cur = BPF_CORE_READ(task, mm, brk);
	return sys_enter(want > cur ? want - cur : cur - want, OP_BRK);
}

SEC("tracepoint/syscalls/sys_exit_brk")
int tp_exit_brk(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit(ctx, ctx->ret);
}

/* ---- commits and releases of reserved memory (managed runtimes: .NET, the JVM, V8) ---- */

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

/* ---- process lifecycle: keeps `targets` true as targets fork, exec and exit ---- */

/* Processes stopped at exec, by tgid (value: when). Whoever deletes an entry sends the SIGCONT: the collector once
 * the probes are placed, or the guard process when the collector is gone; an exiting process removes its own. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u64);
} held SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hold_lease);
} lease SEC(".maps");

static __always_inline bool lease_valid(__u64 now)
{
	__u32 zero = 0;
	struct hold_lease *l = bpf_map_lookup_elem(&lease, &zero);

	return l && l->renewed_ns && now - l->renewed_ns < l->valid_ns;
}

/* Stops the current process for the collector. The signal is sent before the entry is written, so whoever finds
 * the entry and continues the process cannot be overtaken by the stop. */
static __always_inline void hold(void *ctx, __u32 tgid)
{
	__u64 now = bpf_ktime_get_ns();

	if (!lease_valid(now))
		return;
	if (bpf_send_signal(SIGSTOP))
		return;
	if (bpf_map_update_elem(&held, &tgid, &now, BPF_ANY)) {
		bpf_send_signal(SIGCONT);
		count(STAT_TARGETS_FULL);
		return;
	}
	emit(ctx, now, 0, 0, OP_EXEC_STOPPED, 0);
}

SEC("tracepoint/sched/sched_process_fork")
int tp_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32;
	__u32 child = ctx->child_pid;
	__u8 one = TARGET_ACTIVE;

	if (!cfg.filter_pids || !cfg.follow_forks || !is_target(parent))
		return 0;
	/* child_pid is a tid: for a new thread it is never looked up as a tgid, and on_exit removes it. */
	if (bpf_map_update_elem(&targets, &child, &one, BPF_NOEXIST) == -E2BIG)
		count(STAT_TARGETS_FULL);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int tp_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 ino, dev;
	__u8 one = TARGET_ACTIVE, *state;

	if (cfg.target_ino) {
		task = (struct task_struct *)bpf_get_current_task();
		ino = BPF_CORE_READ(task, mm, exe_file, f_inode, i_ino);
		dev = BPF_CORE_READ(task, mm, exe_file, f_inode, i_sb, s_dev);
		if (ino != cfg.target_ino || dev != cfg.target_dev) {
			bpf_map_delete_elem(&targets, &tgid);
			return 0;
		}
		if (bpf_map_update_elem(&targets, &tgid, &one, BPF_ANY)) {
			count(STAT_TARGETS_FULL);
			return 0;
		}
	} else {
		state = bpf_map_lookup_elem(&targets, &tgid);
		if (!state) {
			/* exec has already renamed the process after its new image */
			char comm[ALLOCLAT_COMM_LEN] = {};

			bpf_get_current_comm(&comm, sizeof(comm));
			if (!bpf_map_lookup_elem(&target_names, &comm))
				return 0;
			if (bpf_map_update_elem(&targets, &tgid, &one, BPF_ANY)) {
				count(STAT_TARGETS_FULL);
				return 0;
			}
			state = bpf_map_lookup_elem(&targets, &tgid);
			if (!state)
				return 0;
		}
		/* A command is traced from its own first instruction, not from the shell that held it. */
		if (*state == TARGET_AT_EXEC)
			*state = TARGET_ACTIVE;
	}
	/* The new image has not run an instruction yet. Stopping it here lets the collector place uprobes on the
	 * allocators it will load before any of them runs; the collector sends SIGCONT when done (see hold()). */
	if (cfg.stop_on_exec)
		hold(ctx, tgid);
	return 0;
}

/* Thread-group ids of processes that have exited, for the collector to release what it keeps for them (their
 * uprobe links above all). Drained every poll; a process exit costs one push. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, MAX_TARGETS);
	__type(value, __u32);
} exits SEC(".maps");

SEC("tracepoint/sched/sched_process_exit")
int tp_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, tgid = id >> 32;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	/* The last thread of the group: signal->live has dropped to 0 before this tracepoint. */
	if (BPF_CORE_READ(task, signal, live.counter) == 0)
		bpf_map_push_elem(&exits, &tgid, 0);

	if (cfg.filter_pids)
		bpf_map_delete_elem(&targets, &tid);
	bpf_map_delete_elem(&sys_inflight, &tid);
	bpf_map_delete_elem(&call_inflight, &tid);
	bpf_map_delete_elem(&thread_causes, &tid);
	if (cfg.stop_on_exec)
		bpf_map_delete_elem(&held, &tid);
	return 0;
}

/* ---- precise mode: the malloc family ---- */

static __always_inline int call_enter(struct pt_regs *ctx, __u64 size, __u64 arg)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 sp = PT_REGS_SP(ctx);
	struct call_start c = {}, *outer;

	if (size < cfg.min_size || !is_target(id >> 32))
		return 0;
	outer = bpf_map_lookup_elem(&call_inflight, &tid);
	/* An outer call still running has its frame above ours (the stack grows down), or at ours when it tail-called
	 * us (an LD_PRELOAD malloc ending in `jmp __libc_malloc`): both returns then come back as one, the outer's.
	 * Only an entry whose frame is below ours is stale: a call that left without returning (longjmp). */
	if (outer && outer->sp >= sp)
		return 0;
	c.ts = bpf_ktime_get_ns();
	c.size = size;
	c.sp = sp;
	c.arg = arg;
	c.cookie = bpf_get_attach_cookie(ctx);
	/* A stale entry replaced keeps its thread record: the new call joins it. */
	if (outer)
		snap_take(&c.snap, bpf_map_lookup_elem(&thread_causes, &tid));
	else
		causes_open(&c.snap);
	if (bpf_map_update_elem(&call_inflight, &tid, &c, BPF_ANY)) {
		count(STAT_INFLIGHT_DROPPED);
		if (!outer)
			causes_close(tid);
	}
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter_size1, __u64 size)
{
	return call_enter(ctx, size, 0);
}

/* realloc(ptr, size), aligned_alloc(align, size), memalign(align, size) */
SEC("uprobe")
int BPF_KPROBE(alloc_enter_size2, __u64 first, __u64 size)
{
	return call_enter(ctx, size, first);
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter_calloc, __u64 nmemb, __u64 size)
{
	/* Both factors below 2^32 cannot overflow. Beyond that the product is reported as at least 4 GiB, which is
	 * where such a call lands anyway; clang turns an exact overflow test into a 128-bit multiply BPF lacks. */
	if (((nmemb | size) >> 32) && nmemb > 1 && size > 1)
		return call_enter(ctx, (nmemb > size ? nmemb : size), 0);
	return call_enter(ctx, nmemb * size, 0);
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter_posix_memalign, void **memptr, __u64 align, __u64 size)
{
	return call_enter(ctx, size, (__u64)memptr);
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter_free, void *ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct live_key k = { .addr = (__u64)ptr, .pid = id >> 32 };
	__u64 *size;

	if (!ptr)
		return 0;
	size = bpf_map_lookup_elem(&live, &k);
	if (!size)
		return 0;
	return call_enter(ctx, *size, (__u64)ptr);
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct call_start *c = bpf_map_lookup_elem(&call_inflight, &tid);
	struct live_key k = { .pid = id >> 32 };
	__u64 addr = (__u64)ret;
	__u8 op, allocator;

	/* Only the return of the call that was recorded: its entry stack pointer plus the popped return address. */
	if (!c || c->sp + 8 != PT_REGS_SP(ctx))
		return 0;
	op = c->cookie & 0xff;
	allocator = (c->cookie >> 8) & 0xff;

	if (op == OP_FREE) {
		k.addr = c->arg;
		bpf_map_delete_elem(&live, &k);
		addr = c->arg;
	} else {
		if (op == OP_POSIX_MEMALIGN) {
			addr = 0;
			if (ret == 0)
				bpf_probe_read_user(&addr, sizeof(addr), (void *)c->arg);
		}
		if (op == OP_REALLOC && c->arg && addr) {
			k.addr = c->arg;
			bpf_map_delete_elem(&live, &k);
		}
		if (addr) {
			k.addr = addr;
			if (bpf_map_update_elem(&live, &k, &c->size, BPF_ANY))
				count(STAT_LIVE_DROPPED);
		}
	}
	emit(ctx, c->ts, c->size, addr, op, allocator);
	spike_check(ctx, c->ts, c->size, op, allocator, &c->snap);
	bpf_map_delete_elem(&call_inflight, &tid);
	return 0;
}

/* ---- Go: the large-object path and stop-the-world pauses ----
 *
 * Never uretprobes on Go code: the runtime copies goroutine stacks, and a return address rewritten by a
 * uretprobe would be copied to the new stack pointing at the old one. The collector places the exit programs
 * as plain uprobes on every RET instruction of the function instead. Goroutines move between threads, so
 * in-flight calls are keyed by the goroutine (the g pointer, in R14 under Go's register ABI on amd64). */

struct go_key {
	__u64 g;
	__u32 pid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct go_key);
	__type(value, struct call_start);
} go_inflight SEC(".maps");

/* At most one stop-the-world is in progress in a process. */
struct stw {
	__u64 ts;
	__u64 reason;  /* the runtime's stwReason plus one; 0 when the release passes none */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct stw);
} stw_start SEC(".maps");

/* runtime.(*mcache).allocLarge(c *mcache, size uintptr, noscan bool) (Go 1.17-1.23) and
 * runtime.mallocgcLarge(size uintptr, typ *_type, needzero bool) (1.24+): the collector's cookie says which
 * register carries the size (bits 16-23: 0 = RAX, 1 = RBX). */
SEC("uprobe")
int go_large_enter(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 ax = ctx->ax, bx = ctx->bx, size;
	struct go_key k = { .g = ctx->r14, .pid = id >> 32 };
	struct call_start c = {};

	/* Both registers are loaded first: the verifier refuses a load through a ctx pointer clang has offset. */
	barrier_var(ax);
	barrier_var(bx);
	size = ((cookie >> 16) & 0xff) ? bx : ax;

	if (size < cfg.min_size || !is_target(id >> 32))
		return 0;
	c.ts = bpf_ktime_get_ns();
	c.size = size;
	c.cookie = cookie;
	/* A function entered again after the prologue grew the stack keeps its first start: the growth is part of
	 * the call as the caller sees it. */
	if (bpf_map_lookup_elem(&go_inflight, &k))
		return 0;
	causes_open(&c.snap);  /* the thread the call starts on holds its cause record */
	int err = bpf_map_update_elem(&go_inflight, &k, &c, BPF_NOEXIST);

	if (err) {
		if (err == -E2BIG)
			count(STAT_INFLIGHT_DROPPED);
		causes_close((__u32)id);
	}
	return 0;
}

SEC("uprobe")
int go_large_exit(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct go_key k = { .g = ctx->r14, .pid = id >> 32 };
	struct call_start *c = bpf_map_lookup_elem(&go_inflight, &k);

	if (!c)
		return 0;
	emit(ctx, c->ts, c->size, ctx->ax, OP_GO_LARGE, (c->cookie >> 8) & 0xff);
	spike_check(ctx, c->ts, c->size, OP_GO_LARGE, (c->cookie >> 8) & 0xff, &c->snap);
	bpf_map_delete_elem(&go_inflight, &k);
	return 0;
}

SEC("uprobe")
int go_stw_begin(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 ax = ctx->ax, bx = ctx->bx;
	struct stw s = {};

	barrier_var(ax);
	barrier_var(bx);
	if (!is_target(pid))
		return 0;
	s.ts = bpf_ktime_get_ns();
	/* Go 1.22+: stopTheWorldWithSema(reason stwReason), a uint8; cookie bit 24 says it is passed, bits 16-23 where. */
	if ((cookie >> 24) & 1)
		s.reason = 1 + ((((cookie >> 16) & 0xff) ? bx : ax) & 0xff);
	if (bpf_map_update_elem(&stw_start, &pid, &s, BPF_ANY))
		count(STAT_INFLIGHT_DROPPED);
	return 0;
}

SEC("uprobe")
int go_stw_end(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct stw *start = bpf_map_lookup_elem(&stw_start, &pid);

	if (!start)
		return 0;
	emit_flags(ctx, start->ts, 0, 0, OP_GC_PAUSE, (bpf_get_attach_cookie(ctx) >> 8) & 0xff, (__u16)start->reason);
	bpf_map_delete_elem(&stw_start, &pid);
	return 0;
}
