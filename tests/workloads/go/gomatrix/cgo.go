//go:build alloclat_cgo

// Built with -tags alloclat_cgo, the program calls into C, so the Go linker hands the final link to the C
// toolchain (external linking) and the C runtime starts the process.
package main

// static int zero(void) { return 0; }
import "C"

func cgoValue() int { return int(C.zero()) }
