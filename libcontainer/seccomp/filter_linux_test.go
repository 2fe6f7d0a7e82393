//go:build seccomp && cgo

package seccomp

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

const envFilterChild = "RUNC_SECCOMP_TEST_FILTER_CHILD"

// TestCompileNil: an empty section compiles to a nil filter that loads
// nothing.
func TestCompileNil(t *testing.T) {
	for _, c := range []*specs.LinuxSeccomp{nil, {}} {
		f, err := Compile(c)
		if err != nil || f != nil {
			t.Fatalf("Compile(%v) = %v, %v; want nil, nil", c, f, err)
		}
		if fd, err := f.Load(); fd != -1 || err != nil {
			t.Fatalf("nil Filter Load = %d, %v; want -1, nil", fd, err)
		}
	}
	if _, err := Compile(&specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_BOGUS"}); err == nil {
		t.Fatal("Compile accepted an unknown default action")
	}
}

// TestCompiledFilterUnderRlimitAS is process_rlimits of the OCI suite: the
// init gets the compiled filter, applies an RLIMIT_AS below what it has
// already mapped, then loads the filter. Loading must not need memory.
func TestCompiledFilterUnderRlimitAS(t *testing.T) {
	if mode := os.Getenv(envFilterChild); mode != "" {
		filterChild(mode == "compiled")
		return
	}
	run := func(mode string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCompiledFilterUnderRlimitAS$", "-test.count=1")
		cmd.Env = append(os.Environ(), envFilterChild+"="+mode)
		cmd.Dir = t.TempDir()
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	out := run("compiled")
	if !strings.Contains(out, "\nload=ok\n") || !strings.Contains(out, "\ngetcwd=EPERM\n") {
		t.Fatalf("compiled before the limit, the filter did not load and work:\n%s", out)
	}
	// Compiling after the limit is what the init used to do: it shows the
	// limit bites (where libseccomp finds no free heap left).
	if out := run("uncompiled"); strings.Contains(out, "\nload=ok\n") {
		t.Logf("note: compiling after the limit worked too here:\n%s", out)
	}
}

// filterChild runs in the re-executed test binary: limit the address space
// to what is mapped now, then load a large profile compiled before the
// limit (compiled) or after it, and probe getcwd.
func filterChild(compiled bool) {
	runtime.LockOSThread()
	say := func(s string) { _, _ = unix.Write(1, []byte("\n"+s+"\n")) }
	c := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno}},
	}
	// Many rules that never match keep libseccomp busy allocating.
	for nr := 0; nr < 450; nr++ {
		name, err := libseccomp.ScmpSyscall(nr).GetName()
		if err != nil || name == "getcwd" {
			continue
		}
		c.Syscalls = append(c.Syscalls, specs.LinuxSyscall{
			Names: []string{name}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 5, Value: 0x5eccdeadbeef, Op: specs.OpEqualTo}},
		})
	}
	var f *bpf.Filter
	if compiled {
		var err error
		if f, err = Compile(c); err != nil {
			say("compile=" + err.Error())
			os.Exit(3)
		}
	}
	vm, err := vmSize()
	if err != nil {
		say("vmsize=" + err.Error())
		os.Exit(3)
	}
	var lim unix.Rlimit
	_ = unix.Getrlimit(unix.RLIMIT_AS, &lim)
	lim.Cur = vm
	if err := unix.Setrlimit(unix.RLIMIT_AS, &lim); err != nil {
		say("setrlimit=" + err.Error())
		os.Exit(3)
	}
	if compiled {
		_, err = f.Load()
	} else {
		_, err = load(c)
	}
	if err != nil {
		say("load=" + errName(err))
		os.Exit(3)
	}
	say("load=ok")
	_, err = unix.Getwd()
	say("getcwd=" + errName(err))
	os.Exit(0)
}

func errName(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return unix.ErrnoName(errno)
	}
	if err != nil {
		return "error"
	}
	return "ok"
}

// vmSize returns VmSize from /proc/self/status, in bytes.
func vmSize() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmSize in /proc/self/status")
}
