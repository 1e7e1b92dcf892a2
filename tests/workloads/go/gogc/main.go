// A Go workload that collects garbage a known number of times.
//
//	gogc K
//
// Each of the K rounds allocates some garbage and calls runtime.GC(), which stops the world twice (sweep
// termination and mark termination). Run with GODEBUG=gctrace=1 to have the runtime print its own pause times.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
)

var sink [][]byte

func main() {
	k, err := strconv.Atoi(os.Args[len(os.Args)-1])
	if len(os.Args) != 2 || err != nil || k < 0 {
		fmt.Fprintln(os.Stderr, "usage: gogc K")
		os.Exit(2)
	}
	for i := 0; i < k; i++ {
		for j := 0; j < 200; j++ {
			sink = append(sink, make([]byte, 4096))
		}
		sink = nil
		runtime.GC()
	}
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	fmt.Printf("gogc: %d collections requested, NumGC %d\n", k, stats.NumGC)
}
