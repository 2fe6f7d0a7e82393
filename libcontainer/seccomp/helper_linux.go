//go:build seccomp && !cgo

package seccomp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/helperbin"
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
	e, err := runHelper[Compiled]("compile", in)
	if err != nil {
		return nil, err
	}
	if _, err := (&bpf.Filter{Program: e.Program}).Insns(); err != nil {
		return nil, fmt.Errorf("seccomp compiler: %w", err)
	}
	return e, nil
}

// helperFeatures asks the embedded compiler, once, what only libseccomp
// knows (nothing, with a warning, if it cannot).
var helperFeatures = sync.OnceValue(func() HelperFeatures {
	f, err := runHelper[HelperFeatures]("features", nil)
	if err != nil {
		logrus.Warnf("seccomp features: %v", err)
		return HelperFeatures{}
	}
	return *f
})

// KnownActions returns the actions this libseccomp and kernel support.
func KnownActions() []string { return helperFeatures().Actions }

// KnownArchs returns the architectures the embedded libseccomp supports.
func KnownArchs() []string { return helperFeatures().Archs }

// goArchs maps Go's architectures to the runtime-spec's (libseccomp's
// native architecture for a program of that GOARCH).
var goArchs = map[string]specs.Arch{
	"386": specs.ArchX86, "amd64": specs.ArchX86_64, "arm": specs.ArchARM,
	"arm64": specs.ArchAARCH64, "loong64": specs.ArchLOONGARCH64,
	"mips": specs.ArchMIPS, "mipsle": specs.ArchMIPSEL,
	"mips64": specs.ArchMIPS64, "mips64le": specs.ArchMIPSEL64,
	"ppc64": specs.ArchPPC64, "ppc64le": specs.ArchPPC64LE,
	"riscv64": specs.ArchRISCV64, "s390x": specs.ArchS390X,
}

// nativeArch returns the runtime-spec name of this program's architecture.
func nativeArch() (specs.Arch, error) {
	if a, ok := goArchs[runtime.GOARCH]; ok {
		return a, nil
	}
	return "", fmt.Errorf("seccomp: native architecture %s has no runtime-spec name", runtime.GOARCH)
}

// checkSupport checks what runc can without libseccomp: the architectures'
// byte order and the flags, by asking the kernel. What libseccomp decides
// (its architectures, the API level an action needs) the compiler checks
// when it compiles the profile, during the create or exec that first uses
// it (a cached program passed those checks when it was compiled).
func checkSupport(c *specs.LinuxSeccomp) error {
	native, err := nativeArch()
	if err != nil {
		return err
	}
	for i, a := range c.Architectures {
		if _, ok := knownArchs[a]; ok && littleEndian(a) != littleEndian(native) {
			return fmt.Errorf("linux.seccomp.architectures[%d]: %s cannot share a filter with the native %s (different byte order)", i, a, native)
		}
	}
	for i, f := range c.Flags {
		if err := flagSupported(f); err != nil {
			return fmt.Errorf("linux.seccomp.flags[%d]: %s is not supported: %w", i, f, err)
		}
	}
	return nil
}

// runHelper runs the embedded compiler with mode and stdin, from a memfd,
// and decodes what it prints; its error is what it says on stderr.
func runHelper[T any](mode string, stdin []byte) (*T, error) {
	prog := helperbin.Program()
	if prog == nil {
		return nil, errors.New("this runc has no seccomp compiler (build it with make, which embeds cmd/runc-seccomp)")
	}
	f, err := memfdProgram(prog)
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

// memfdProgram returns prog in a memfd, opened read-only (a file open for
// writing cannot be executed) at or above fd 64 (exec.Cmd moves a child's
// files onto low fds before execve resolves /proc/self/fd/N).
func memfdProgram(prog []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("runc-seccomp", unix.MFD_CLOEXEC|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) { // MFD_EXEC is Linux 6.3
		fd, err = unix.MemfdCreate("runc-seccomp", unix.MFD_CLOEXEC)
	}
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	defer unix.Close(fd)
	for len(prog) > 0 {
		n, err := unix.Write(fd, prog)
		if err != nil {
			return nil, fmt.Errorf("write memfd: %w", err)
		}
		prog = prog[n:]
	}
	ro, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("reopen memfd: %w", err)
	}
	defer unix.Close(ro)
	high, err := unix.FcntlInt(uintptr(ro), unix.F_DUPFD_CLOEXEC, 64)
	if err != nil {
		return nil, fmt.Errorf("dup memfd: %w", err)
	}
	return os.NewFile(uintptr(high), "/memfd:runc-seccomp"), nil
}
