// Only small allocations (16 B to 4 KiB, all below the large-object threshold of 32 KiB): what a tracer costs a Go
// program that never takes the large path.
//
//	gosmall COUNT    prints "loop_ns <ns>"
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"
)

// A package-level sink makes every slice escape to the heap.
var sink []byte

func main() {
	count, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "usage: gosmall COUNT")
		os.Exit(2)
	}
	hold()
	start := time.Now()
	for i := 0; i < count; i++ {
		b := make([]byte, 16<<(i%9))
		b[0] = byte(i)
		sink = b
	}
	fmt.Printf("loop_ns %d\n", time.Since(start).Nanoseconds())
}

// With BENCH_HOLD set the program waits for a line on its standard input before its loop, so a tracer given its
// PID can attach first.
func hold() {
	if os.Getenv("BENCH_HOLD") != "" {
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			os.Exit(3)
		}
	}
}
