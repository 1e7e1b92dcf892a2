// The floor of a tracer's cost: empty BPF programs on the same probes the tracer places.
//
//   floor [-P PID] [-e] [-u BINARY:SYMBOL] [-r BINARY:SYMBOL] [-o BINARY:OFFSET] [-t CATEGORY:NAME] ...
//
// -u places an entry uprobe on SYMBOL, -r a uretprobe, -o an uprobe at a file offset (a return instruction of a
// Go function, where a uretprobe would break Go's stack handling), -t attaches to a tracepoint. Every probe
// fires for every process, or with -P (given first) the uprobes only for that process. With -e (given before the
// probes) every probe also sends a 32-byte record through a perf buffer
// that this process reads (only for the process of -P), which is the floor of a tracer that hands each event
// to user space. Prints
// "attached N" once all are placed, then waits for SIGINT, SIGTERM or the end of its standard input.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int split(char *arg, char **left, char **right)
{
	char *colon = strrchr(arg, ':');

	if (!colon || colon == arg || !colon[1])
		return -1;
	*colon = 0;
	*left = arg;
	*right = colon + 1;
	return 0;
}

static int deliver, pid = -1;
static unsigned long long received;

static void on_event(void *ctx, int cpu, void *data, __u32 size)
{
	received++;
}

static struct bpf_link *attach(struct floor_bpf *skel, int kind, char *arg)
{
	struct bpf_program *entry = deliver ? skel->progs.event_uprobe : skel->progs.empty_uprobe;
	struct bpf_program *ret = deliver ? skel->progs.event_uretprobe : skel->progs.empty_uretprobe;
	struct bpf_program *tp = deliver ? skel->progs.event_tracepoint : skel->progs.empty_tracepoint;
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	char *left, *right;

	if (split(arg, &left, &right))
		return NULL;
	switch (kind) {
	case 'u':
	case 'r':
		opts.func_name = right;
		opts.retprobe = kind == 'r';
		return bpf_program__attach_uprobe_opts(kind == 'r' ? ret : entry, pid, left, 0, &opts);
	case 'o':
		return bpf_program__attach_uprobe_opts(entry, pid, left, strtoul(right, NULL, 0), &opts);
	default:
		return bpf_program__attach_tracepoint(tp, left, right);
	}
}

int main(int argc, char **argv)
{
	struct floor_bpf *skel = floor_bpf__open_and_load();
	struct pollfd in = { .fd = 0, .events = POLLIN };
	struct perf_buffer *pb = NULL;
	int opt, attached = 0;
	char buf[64];

	if (!skel) {
		fprintf(stderr, "floor: cannot load the BPF object: %s\n", strerror(errno));
		return 1;
	}
	while ((opt = getopt(argc, argv, "P:eu:r:o:t:")) != -1) {
		if (opt == 'P') {
			pid = atoi(optarg);
			skel->bss->target_tgid = pid;
			continue;
		}
		if (opt == 'e') {
			deliver = 1;
			pb = perf_buffer__new(bpf_map__fd(skel->maps.events), 64, on_event, NULL, NULL, NULL);
			if (!pb) {
				fprintf(stderr, "floor: cannot open the perf buffer: %s\n", strerror(errno));
				return 1;
			}
			continue;
		}
		if (!strchr("urot", opt))
			return 2;
		char *copy = strdup(optarg);
		if (!attach(skel, opt, copy)) {
			fprintf(stderr, "floor: cannot attach -%c %s: %s\n", opt, optarg, strerror(errno));
			return 1;
		}
		attached++;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached %d\n", attached);
	fflush(stdout);
	while (!stop) {
		if (pb)
			perf_buffer__poll(pb, 100);
		if (poll(&in, 1, pb ? 0 : 200) > 0 && read(0, buf, sizeof(buf)) <= 0)
			break;
	}
	if (pb)
		printf("received %llu\n", received);
	// Links and programs go with the process.
	return 0;
}
