//go:build !seccomp

package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

// Compile rejects any non-empty profile: this build cannot apply it. A nil
// or empty section gives a nil *bpf.Filter, which loads nothing.
func Compile(c *specs.LinuxSeccomp) (*bpf.Filter, error) {
	if isEmpty(c) {
		return nil, nil
	}
	return nil, errUnsupported
}
