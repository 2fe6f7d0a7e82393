// Package helperbin holds the seccomp compiler runc embeds: cmd/runc-seccomp
// (libseccomp, statically linked), which runc runs when a profile's program
// is not in its cache (package seccomp, helper_linux.go). runc itself then
// links no C at all: a program that does starts up later (the C library's
// and cgo's start, threads made by pthread_create; make bench times a Go
// hello world both ways).
//
// `make` builds cmd/runc-seccomp (static, stripped) into this directory as
// runc-seccomp, then runc with the runc_initbin build tag, which embeds it
// and stamps its digest (Sum).
package helperbin

// sum is the first 16 hex digits of the program's SHA-256, set by the
// Makefile (-X) when it embeds the program.
var sum string

// Program returns the embedded compiler, or nil if this runc has none.
func Program() []byte {
	if sum == "" {
		return nil
	}
	return program
}

// Sum is the digest of the embedded compiler ("" without one).
func Sum() string { return sum }
