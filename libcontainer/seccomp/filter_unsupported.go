//go:build !seccomp

package seccomp

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Filter is a compiled linux.seccomp section; this build has none.
type Filter struct{}

// Compile rejects any non-empty profile: this build cannot apply it. A nil
// or empty section gives a nil *Filter, which loads nothing.
func Compile(c *specs.LinuxSeccomp) (*Filter, error) {
	if isEmpty(c) {
		return nil, nil
	}
	return nil, errUnsupported
}

// Load loads nothing and returns -1.
func (f *Filter) Load() (int, error) { return -1, nil }
