// A loop of large allocations of one size (the heap's large-object path starts at 32 KiB).
//
//	golarge SIZE COUNT    prints "loop_ns <ns>"
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"
)

// A package-level sink makes every slice escape to the heap; the size is only known at run time as well.
var sink []byte

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: golarge SIZE COUNT")
		os.Exit(2)
	}
	size, err1 := strconv.Atoi(os.Args[1])
	count, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || size < 1 {
		fmt.Fprintln(os.Stderr, "usage: golarge SIZE COUNT")
		os.Exit(2)
	}
	hold()
	start := time.Now()
	for i := 0; i < count; i++ {
		b := make([]byte, size)
		b[size-1] = byte(i)
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
