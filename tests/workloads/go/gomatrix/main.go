// The Go version matrix's workload: known numbers of large allocations and of collections, built by every
// toolchain in every build mode. It imports as little of the standard library as it can (os and runtime), so
// each toolchain compiles little before linking it.
//
//	gomatrix LARGE64K LARGE1M GCS
//
// It makes LARGE64K allocations of 64 KiB and LARGE1M of 1 MiB (the heap's large-object path starts at 32 KiB),
// 1000 small ones that must not be seen, and calls runtime.GC() GCS times (each stops the world twice). It prints
// one line that depends only on its arguments, and exits with status 3 so a changed exit code shows.
package main

import (
	"os"
	"runtime"
)

var sink [][]byte

func keep(b []byte) {
	sink = append(sink, b)
	if len(sink) > 4 {
		sink = sink[1:]
	}
}

func count(s string) int {
	n := 0
	if s == "" {
		usage()
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			usage()
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func usage() {
	os.Stderr.WriteString("usage: gomatrix LARGE64K LARGE1M GCS\n")
	os.Exit(2)
}

func itoa(v uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(buf[i:])
		}
	}
}

func main() {
	if len(os.Args) != 4 {
		usage()
	}
	large64, large1m, gcs := count(os.Args[1]), count(os.Args[2]), count(os.Args[3])
	var sum uint64
	for i := 0; i < large64+large1m+1000; i++ {
		n := 64
		if i < large64 {
			n = 64 << 10
		} else if i < large64+large1m {
			n = 1 << 20
		}
		b := make([]byte, n)
		b[n-1] = byte(i)
		sum += uint64(len(b)) + uint64(b[n-1]) + uint64(cgoValue())
		keep(b)
	}
	for i := 0; i < gcs; i++ {
		runtime.GC()
	}
	os.Stdout.WriteString("gomatrix: " + itoa(uint64(large64+large1m)) + " large, " + itoa(uint64(gcs)) + " collections, checksum " + itoa(sum) + "\n")
	os.Exit(3)
}
