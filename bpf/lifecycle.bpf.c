// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process lifecycle: keeps `targets` true as targets fork, exec and exit, adds processes executing under a --name,
 * holds a target stopped at exec while the collector probes its new image, and tells the collector who exited. */
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "causes.bpf.h"
#include "inflight.bpf.h"

#define SIGSTOP 19
#define SIGCONT 18

/* Process names (comm, NUL padded to 16 bytes) whose processes become targets when they execute: --name. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[ALLOCLAT_COMM_LEN]);
	__type(value, __u8);
} target_names SEC(".maps");

/* Processes stopped for their probes (at exec, or forked), by tgid. Whoever deletes an entry sends the SIGCONT: the
 * collector once the probes are placed, or the guard process when the collector is gone; an exiting process removes
 * its own. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct held_process);
} held SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hold_lease);
} lease SEC(".maps");

/* One record (the tgid) per process held, read without a watermark: the collector wakes as a process is held
 * instead of at its next poll (the events ring is read in batches). */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} held_wakeups SEC(".maps");

static __always_inline bool lease_valid(__u64 now)
{
	__u32 zero = 0;
	struct hold_lease *l = bpf_map_lookup_elem(&lease, &zero);

	return l && l->renewed_ns && now - l->renewed_ns < l->valid_ns;
}

/* Stops the current process for the collector. The signal is sent before the entry is written, so whoever finds
 * the entry and continues the process cannot be overtaken by the stop. */
static __always_inline void hold(void *ctx, __u32 tgid, __u32 kind, __u32 parent)
{
	__u64 now = bpf_ktime_get_ns();
	struct held_process h = { .since_ns = now, .kind = kind, .parent = parent };

	if (!lease_valid(now))
		return;
	if (bpf_send_signal(SIGSTOP))
		return;
	if (bpf_map_update_elem(&held, &tgid, &h, BPF_ANY)) {
		bpf_send_signal(SIGCONT);
		count(STAT_TARGETS_FULL);
		return;
	}
	emit(ctx, now, 0, 0, OP_EXEC_STOPPED, 0);
	bpf_perf_event_output(ctx, &held_wakeups, BPF_F_CURRENT_CPU, &tgid, sizeof(tgid));
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
		hold(ctx, tgid, HOLD_EXEC, 0);
	return 0;
}

/* A forked child's first moment in its own context: the return of its parent's clone/fork, run by the child before
 * it goes back to user space. Uprobes are placed per process, and a child does not inherit its parent's (the kernel
 * drops the inherited breakpoints at their first hit), so a target forked without exec (a pre-forking server's
 * worker) is stopped here, before its first instruction, until the collector has placed its own. Unlike a
 * BTF-typed fork tracepoint signalling the child (bpf_send_signal_task, 6.13+), this needs only a syscall
 * tracepoint and bpf_send_signal, and it is paid only by processes that fork. */
static __always_inline int fork_return(void *ctx, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct task_struct *task;

	/* The parent's return carries the child's pid; a new thread's tid is not its tgid. */
	if (ret != 0 || (__u32)id != tgid || !cfg.stop_on_fork || !is_target(tgid))
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	/* A vfork child runs in its parent's memory until it executes, and the exec hook holds it then. */
	if (BPF_CORE_READ(task, vfork_done))
		return 0;
	hold(ctx, tgid, HOLD_FORK, BPF_CORE_READ(task, real_parent, tgid));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_clone")
int tp_exit_clone(struct trace_event_raw_sys_exit *ctx)
{
	return fork_return(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_clone3")
int tp_exit_clone3(struct trace_event_raw_sys_exit *ctx)
{
	return fork_return(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_fork")
int tp_exit_fork(struct trace_event_raw_sys_exit *ctx)
{
	return fork_return(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_vfork")
int tp_exit_vfork(struct trace_event_raw_sys_exit *ctx)
{
	return fork_return(ctx, ctx->ret);
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
	/* The thread's storage (thread_state) goes with it. */
	bpf_map_delete_elem(&thread_causes, &tid);
	if (cfg.stop_on_exec || cfg.stop_on_fork)
		bpf_map_delete_elem(&held, &tid);
	return 0;
}
