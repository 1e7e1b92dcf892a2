// Only small allocations (16 B to 4 KiB, all below the large-object threshold of 32 KiB): what a tracer costs a Go
// program that never takes the large path.
//
//	gosmall COUNT    prints "loop_ns <ns>" and "gc_count <collections during the loop>"
//
// With BENCH_LIVE_MB=N it first builds a live heap of N MiB that it keeps to the end: the collector then runs
// once per N MiB allocated (GOGC=100), a few times a second, as in a service. Without it the heap stays at the
// runtime's 4 MiB minimum and the loop collects hundreds of times a second.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

// A package-level sink makes every slice escape to the heap.
var sink []byte

// The live heap: 64 KiB blocks without pointers, which the collector keeps but need not scan.
var live [][]byte

func main() {
	count, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "usage: gosmall COUNT")
		os.Exit(2)
	}
	if mb, err := strconv.Atoi(os.Getenv("BENCH_LIVE_MB")); err == nil {
		for i := 0; i < mb*16; i++ {
			live = append(live, make([]byte, 64<<10))
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	hold()
	start := time.Now()
	for i := 0; i < count; i++ {
		b := make([]byte, 16<<(i%9))
		b[0] = byte(i)
		sink = b
	}
	elapsed := time.Since(start).Nanoseconds()
	runtime.ReadMemStats(&after)
	fmt.Printf("loop_ns %d\ngc_count %d\n", elapsed, after.NumGC-before.NumGC)
	// With BENCH_HOLD_END set it waits for a second line before exiting, so a tracer's counters can be read while
	// its programs are still loaded.
	if os.Getenv("BENCH_HOLD_END") != "" {
		hold()
	}
	runtime.KeepAlive(live)
}

// With BENCH_HOLD set the program waits for a line on its standard input before its loop, so a tracer given its
// PID can attach first.
func hold() {
	if os.Getenv("BENCH_HOLD") != "" {
		if _, err := stdin.ReadString('\n'); err != nil {
			os.Exit(3)
		}
	}
}

var stdin = bufio.NewReader(os.Stdin)
