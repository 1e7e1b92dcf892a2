// A Go workload with exactly known allocations, for the end-to-end tests.
//
//	goalloc LARGE64K LARGE1M SMALL
//
// It makes LARGE64K allocations of 64 KiB and LARGE1M of 1 MiB (both take the heap's large-object path, which
// starts at 32 KiB), and SMALL allocations of 64 bytes, spread over 4 goroutines. Each goroutine first recurses
// deeply so its stack is copied to a larger one while allocations are in flight. The output is a checksum that
// depends only on the arguments.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

var sink [][]byte
var mu sync.Mutex

//go:noinline
func deep(n int, buf [64]byte) byte {
	if n == 0 {
		return buf[7]
	}
	buf[n%64]++
	return deep(n-1, buf) + 1
}

func keep(b []byte) {
	mu.Lock()
	sink = append(sink, b)
	if len(sink) > 8 {
		sink = sink[1:]
	}
	mu.Unlock()
}

func work(id, large64, large1m, small int, sum *uint64) {
	var local uint64
	for i := 0; i < large64+large1m+small; i++ {
		var n int
		switch {
		case i < large64:
			n = 64 << 10
		case i < large64+large1m:
			n = 1 << 20
		default:
			n = 64
		}
		if i%16 == 0 {
			// Grow (and later shrink) this goroutine's stack between allocations.
			local += uint64(deep(2000+id, [64]byte{}))
		}
		b := make([]byte, n)
		b[n-1] = byte(i)
		local += uint64(len(b)) + uint64(b[n-1])
		keep(b)
	}
	mu.Lock()
	*sum += local
	mu.Unlock()
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: goalloc LARGE64K LARGE1M SMALL")
		os.Exit(2)
	}
	arg := func(i int) int {
		v, err := strconv.Atoi(os.Args[i])
		if err != nil || v < 0 {
			fmt.Fprintln(os.Stderr, "bad count:", os.Args[i])
			os.Exit(2)
		}
		return v
	}
	large64, large1m, small := arg(1), arg(2), arg(3)
	runtime.GOMAXPROCS(4)
	const workers = 4
	var wg sync.WaitGroup
	var sum uint64
	for w := 0; w < workers; w++ {
		// Spread the counts so that the totals are exact.
		share := func(total int) int { return total/workers + btoi(w < total%workers) }
		wg.Add(1)
		go func(id, a, b, c int) {
			defer wg.Done()
			work(id, a, b, c, &sum)
		}(w, share(large64), share(large1m), share(small))
	}
	wg.Wait()
	fmt.Printf("goalloc: %d allocations, checksum %d\n", large64+large1m+small, sum)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
