// The floor of a tracer's cost: empty BPF programs on the same probes the tracer places.
//
//   floor [-u BINARY:SYMBOL] [-r BINARY:SYMBOL] [-o BINARY:OFFSET] [-t CATEGORY:NAME] ...
//
// -u places an entry uprobe on SYMBOL, -r a uretprobe, -o an uprobe at a file offset (a return instruction of a
// Go function, where a uretprobe would break Go's stack handling), -t attaches to a tracepoint. Every probe
// fires for every process. Prints "attached N" once all are placed, then waits for SIGINT, SIGTERM or the end of
// its standard input.
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

static struct bpf_link *attach(struct floor_bpf *skel, int kind, char *arg)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	char *left, *right;

	if (split(arg, &left, &right))
		return NULL;
	switch (kind) {
	case 'u':
	case 'r':
		opts.func_name = right;
		opts.retprobe = kind == 'r';
		return bpf_program__attach_uprobe_opts(kind == 'r' ? skel->progs.empty_uretprobe : skel->progs.empty_uprobe,
						       -1, left, 0, &opts);
	case 'o':
		return bpf_program__attach_uprobe_opts(skel->progs.empty_uprobe, -1, left, strtoul(right, NULL, 0), &opts);
	default:
		return bpf_program__attach_tracepoint(skel->progs.empty_tracepoint, left, right);
	}
}

int main(int argc, char **argv)
{
	struct floor_bpf *skel = floor_bpf__open_and_load();
	struct pollfd in = { .fd = 0, .events = POLLIN };
	int opt, attached = 0;
	char buf[64];

	if (!skel) {
		fprintf(stderr, "floor: cannot load the BPF object: %s\n", strerror(errno));
		return 1;
	}
	while ((opt = getopt(argc, argv, "u:r:o:t:")) != -1) {
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
		if (poll(&in, 1, 200) > 0 && read(0, buf, sizeof(buf)) <= 0)
			break;
	}
	// Links and programs go with the process.
	return 0;
}
