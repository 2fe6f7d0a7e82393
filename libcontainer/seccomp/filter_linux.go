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

// Load installs the filter on the calling thread; it is inherited across
// execve and by children created afterwards. The caller must hold
// runtime.LockOSThread and should exec soon after.
//
// no_new_privs is not touched: if the spec does not ask for it, the caller
// must still hold CAP_SYS_ADMIN here. If a rule uses SCMP_ACT_NOTIFY, Load
// returns the listener fd (O_CLOEXEC) for the caller to pass on to the
// seccomp agent; otherwise (and for a nil Filter) it returns -1.
func (f *Filter) Load() (int, error) {
	if f == nil {
		return -1, nil
	}
	return loadProgram(f.prog, f.flags)
}
