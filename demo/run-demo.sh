#!/bin/sh
# The workload `make run` traces: a native service doing large allocations (with a few slow, populated mappings)
# and a Go service allocating large buffers with its garbage collector running, side by side for SECONDS.
seconds=${1:-15}
dir=$(dirname "$0")
"$dir/alloc_demo" "$seconds" &
"$dir/go_demo" "$seconds" &
wait
