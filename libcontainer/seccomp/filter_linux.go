//go:build seccomp

package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

// Compile validates c and compiles it into the filter runc init loads
// (package bpf), without loading anything. A nil or empty section gives a
// nil *bpf.Filter, which loads nothing.
//
// A compiled program is kept in the cache (cache_linux.go) when we are
// root, and taken from there by the next start with the same profile:
// libseccomp takes tens of milliseconds over a container engine's default
// profile. A program in the cache was validated when it was compiled, on
// this kernel and libseccomp (both in its key), so a hit skips Validate
// (create has just run it, and exec's profile passed it at create). A
// miss compiles with the linked libseccomp or, in runc's own build, which
// links no C, with the compiler embedded in it (helper_linux.go).
func Compile(c *specs.LinuxSeccomp) (*bpf.Filter, error) {
	if isEmpty(c) {
		return nil, nil
	}
	key, cache := openCache(c)
	if cache != nil {
		defer cache.Close()
	}
	e, ok := cachedProgram(cache, key)
	if !ok {
		var err error
		if e, err = compile(c); err != nil {
			return nil, err
		}
		storeProgram(cache, key, e)
	}
	for _, w := range e.Warnings {
		logrus.Warn(w)
	}
	flags := filterFlags(c)
	// runc's words, which tests grep.
	logrus.Debugf("seccomp filter flags: %d", flags)
	return &bpf.Filter{Program: e.Program, Flags: flags, Listener: c.ListenerPath != ""}, nil
}
