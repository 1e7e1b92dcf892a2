// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Allocation latency probes: the object's license, its load-time configuration and the maps more than one file
 * uses (maps.bpf.h, causes.bpf.h, inflight.bpf.h), defined here once. The programs are in one file per concern,
 * linked with this one into alloclat.bpf.o:
 *
 *   syscalls.bpf.c   default mode: mmap/munmap/mremap/brk, and mprotect/madvise commits and releases
 *   lifecycle.bpf.c  fork, exec (--name, --binary, the stop at exec) and exit keep `targets` true
 *   malloc.bpf.c     precise mode: the malloc family's entry and return uprobes
 *   go.bpf.c         Go's large-object path and stop-the-world pauses
 *   causes.bpf.c     the reclaim, compaction and mmap_lock tracepoints behind a slow call's causes
 *
 * Every program drops calls below cfg.min_size before touching a map. */
#define ALLOCLAT_DEFINE_MAPS
#include "maps.bpf.h"
#include "causes.bpf.h"
#include "inflight.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
