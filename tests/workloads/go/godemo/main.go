// The Go part of the demo traced by `make run`: a request loop whose responses need large buffers of varied
// sizes, with the garbage collector running as it would in a service.
//
//	godemo SECONDS
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

var cache [][]byte

func main() {
	seconds, err := strconv.ParseFloat(os.Args[len(os.Args)-1], 64)
	if len(os.Args) != 2 || err != nil {
		fmt.Fprintln(os.Stderr, "usage: godemo SECONDS")
		os.Exit(2)
	}
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	seed, requests := uint32(7), 0
	for time.Now().Before(end) {
		for i := 0; i < 50; i++ {
			seed = seed*1664525 + 1013904223
			buf := make([]byte, (32<<10)<<(seed>>29%6)) // 32 KiB .. 1 MiB
			buf[len(buf)-1] = byte(i)
			cache = append(cache, buf)
			if len(cache) > 64 {
				cache = cache[32:]
			}
			requests++
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("godemo: %d requests\n", requests)
}
