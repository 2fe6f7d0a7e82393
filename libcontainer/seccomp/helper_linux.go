//go:build seccomp && !cgo

package seccomp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/exeseal"
	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/helperbin"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/lazy"
)

// runc's own build links no C (package helperbin says why): libseccomp is
// in cmd/runc-seccomp, embedded in runc, which Compile runs on a cache
// miss and `runc features` for what only libseccomp knows. Everything
// else (the profile's checks, the kernel's flags, the cache, loading) is
// Go, here as in a build that links libseccomp.

// libVersion is the version of the libseccomp the embedded compiler links,
// set by the Makefile (-X) from the one it builds against.
var libVersion string

// helperTimeout bounds a run of the compiler (tens of milliseconds for a
// container engine's profile).
const helperTimeout = time.Minute

// Version returns the version of the libseccomp the embedded compiler
// links, such as "2.5.4".
func Version() string { return libVersion }

// compilerID names the compiler in the cache key: the embedded program's
// digest.
func compilerID() string { return "runc-seccomp " + helperbin.Sum() }

// compile validates c and compiles it with the embedded compiler, for the
// cache.
func compile(c *specs.LinuxSeccomp) (*Compiled, error) {
	in, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return runHelper[Compiled]("compile", in)
}

// helperFeatures asks the embedded compiler, once, what only libseccomp
// knows (nothing, with a warning, if it cannot).
var helperFeatures = lazy.Value[HelperFeatures]{New: func() HelperFeatures {
	f, err := runHelper[HelperFeatures]("features", nil)
	if err != nil {
		logrus.Warnf("seccomp features: %v", err)
		return HelperFeatures{}
	}
	return *f
}}

// KnownActions returns the actions this libseccomp and kernel support.
func KnownActions() []string { return helperFeatures.Get().Actions }

// KnownArchs returns the architectures the embedded libseccomp supports.
func KnownArchs() []string { return helperFeatures.Get().Archs }

// checkLibrary leaves to the embedded compiler what libseccomp decides of
// c (its architectures, the API level an action needs): it checks them
// when it compiles the profile, during the create or exec that first uses
// it (a cached program passed those checks when it was compiled).
func checkLibrary(*specs.LinuxSeccomp) error { return nil }

// runHelper runs the embedded compiler with mode and stdin, from a sealed
// memfd (exeseal.Memfd), and decodes what it prints; its error is what it
// says on stderr.
func runHelper[T any](mode string, stdin []byte) (*T, error) {
	prog := helperbin.Program()
	if prog == nil {
		return nil, errors.New("this runc has no seccomp compiler (build it with make, which embeds cmd/runc-seccomp)")
	}
	f, err := exeseal.Memfd("runc-seccomp", prog)
	if err != nil {
		return nil, fmt.Errorf("seccomp compiler: %w", err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), mode)
	cmd.Args[0] = "runc-seccomp"
	cmd.Env = []string{}
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Killed at the deadline; its pipes then wait no longer.
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" && ctx.Err() == nil {
			return nil, errors.New(msg)
		}
		return nil, fmt.Errorf("seccomp compiler: %w", err)
	}
	var out T
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("seccomp compiler: %w", err)
	}
	return &out, nil
}
