// Command hello is the smallest Go program that prints a line: make bench
// times it beside `runc --version` (how fast a Go binary can start here).
package main

import "os"

func main() {
	os.Stdout.WriteString("hello\n")
}
