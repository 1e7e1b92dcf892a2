// Empty programs: attached where a tracer attaches its own, they cost exactly the probe mechanism itself
// (the trap, the return trampoline, the tracepoint dispatch) and nothing a tracer does with the event.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int empty_uprobe(void *ctx)
{
	return 0;
}

SEC("uretprobe")
int empty_uretprobe(void *ctx)
{
	return 0;
}

SEC("tracepoint")
int empty_tracepoint(void *ctx)
{
	return 0;
}

// The same, plus the one thing a tracer that reports every event cannot skip: handing a small record to user
// space through a perf buffer, with libbpf's default of a wakeup per record.
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} events SEC(".maps");

// Set by the harness: only the traced process's events are handed over, as a tracer filtering on its targets does.
__u32 target_tgid;

static __always_inline int deliver(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 record[4] = { bpf_ktime_get_ns(), id };

	if ((__u32)(id >> 32) != target_tgid)
		return 0;

	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, record, sizeof(record));
	return 0;
}

SEC("uprobe")
int event_uprobe(void *ctx)
{
	return deliver(ctx);
}

SEC("uretprobe")
int event_uretprobe(void *ctx)
{
	return deliver(ctx);
}

SEC("tracepoint")
int event_tracepoint(void *ctx)
{
	return deliver(ctx);
}
