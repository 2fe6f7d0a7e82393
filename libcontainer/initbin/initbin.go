// Package initbin holds `runc init` as a program of its own (cmd/runc-init:
// the C stage and package initproc, without the CLI), embedded in runc.
//
// `make` builds cmd/runc-init (static, stripped) into this directory as
// runc-init, then runc with the runc_initbin build tag, which embeds it
// and stamps its digest (Name). Package exeseal writes it once per boot
// into a root-only directory and runs it from there, sealed: a third of
// runc's size and a tenth of its package initialisers at each container
// start, and the host's runc binary is never the executable of a process
// in a container. A runc built without the tag (plain `go build`, `go
// test` of the packages) has no embedded init and re-executes itself as
// `runc init`.
package initbin

// sum is the first 16 hex digits of the program's SHA-256, set by the
// Makefile (-X) when it embeds the program.
var sum string

// Program returns the embedded `runc init` program, or nil if this runc
// was built without one (it then re-executes itself).
func Program() []byte {
	if sum == "" {
		return nil
	}
	return program
}

// Name is the file name of the embedded program, unique to its content:
// "runc-init-" and its digest.
func Name() string { return "runc-init-" + sum }
