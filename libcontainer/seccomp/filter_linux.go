//go:build seccomp

package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Filter is a linux.seccomp section compiled to the program the kernel
// loads. Compiling takes memory (libseccomp builds and exports the
// program); loading it is a single seccomp(2) call. The init compiles the
// filter before it applies process.rlimits, since a small RLIMIT_AS or
// RLIMIT_DATA can leave it unable to allocate afterwards, and loads it as
// late as it can.
type Filter struct {
	prog  []unix.SockFilter
	flags uint
}

// Compile validates c and compiles it, without loading anything. A nil or
// empty section gives a nil *Filter, which loads nothing.
func Compile(c *specs.LinuxSeccomp) (*Filter, error) {
	if isEmpty(c) {
		return nil, nil
	}
	prog, flags, err := buildProgram(c)
	if err != nil {
		return nil, err
	}
	return &Filter{prog: prog, flags: flags}, nil
}

// Load installs the filter on the calling thread, as the package's Load
// does (same requirements, same listener fd or -1).
func (f *Filter) Load() (int, error) {
	if f == nil {
		return -1, nil
	}
	return loadProgram(f.prog, f.flags)
}
