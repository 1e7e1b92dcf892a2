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
