//go:build !seccomp || cgo

package seccomp

import specs "github.com/opencontainers/runtime-spec/specs-go"

// load compiles c and installs it on the calling thread, the two steps
// runc takes apart (Compile in the runtime, bpf.Filter.Load in the init).
func load(c *specs.LinuxSeccomp) (int, error) {
	f, err := Compile(c)
	if err != nil {
		return -1, err
	}
	return f.Load()
}
