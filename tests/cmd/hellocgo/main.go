// Command hellocgo is tests/cmd/hello linking C (cgo, statically, as runc
// init is built): make bench times it beside hello, the start-up a Go
// program pays for linking C, which runc itself does not (it is pure Go).
package main

// static int one(void) { return 1; }
import "C"

import "os"

func main() {
	if C.one() == 1 {
		os.Stdout.WriteString("hello\n")
	}
}
