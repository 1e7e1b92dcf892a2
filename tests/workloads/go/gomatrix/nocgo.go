//go:build !alloclat_cgo

package main

func cgoValue() int { return 0 }
