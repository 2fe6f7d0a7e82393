//go:build seccomp && cgo

package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The real tests re-exec the test binary as a child (TestMain dispatches on
// envChild). The child locks its thread, loads the profile given in
// envProfile, then runs the probes listed in envProbes on that thread and
// prints one "probe=result" line per probe, where result is "ok",
// "ok:<value>" or an errno name such as "EPERM".
const (
	envChild   = "RUNC_SECCOMP_TEST_CHILD"
	envProfile = "RUNC_SECCOMP_TEST_PROFILE"
	envProbes  = "RUNC_SECCOMP_TEST_PROBES"
)

func TestMain(m *testing.M) {
	// No test program goes to the host's cache (TestCompileCache has a
	// cache of its own): compiled every time.
	cacheRoot = "/nonexistent/runc-seccomp-test"
	if os.Getenv(envChild) == "1" {
		childMain()
	}
	os.Exit(m.Run())
}

func childMain() {
	runtime.LockOSThread()
	// A SIGSYS kill must not leave a core file behind.
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	var c specs.LinuxSeccomp
	if err := json.Unmarshal([]byte(os.Getenv(envProfile)), &c); err != nil {
		fmt.Fprintf(os.Stderr, "child: bad profile: %v\n", err)
		os.Exit(3)
	}
	fd, err := load(&c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "child: load: %v\n", err)
		os.Exit(3)
	}
	fmt.Printf("load=ok:%d\n", fd)
	for _, p := range strings.Split(os.Getenv(envProbes), ",") {
		if p != "" {
			fmt.Printf("%s=%s\n", p, probe(p, fd))
		}
	}
	os.Exit(0)
}

// probe runs one named syscall probe in the child; name may carry
// colon-separated numeric arguments ("getpriority:0:12345").
func probe(name string, notifyFd int) string {
	parts := strings.Split(name, ":")
	arg := func(i int) uintptr {
		v, err := strconv.ParseUint(parts[i], 0, 64)
		if err != nil {
			panic(err)
		}
		return uintptr(v)
	}
	var (
		r     uintptr
		errno syscall.Errno
	)
	switch parts[0] {
	case "getcwd":
		_, err := unix.Getwd()
		return result(0, err, false)
	case "mkdir":
		return result(0, os.Mkdir("newdir", 0o700), false)
	case "personality":
		r, _, errno = unix.RawSyscall(unix.SYS_PERSONALITY, arg(1), 0, 0)
	case "getpriority":
		r, _, errno = unix.RawSyscall(unix.SYS_GETPRIORITY, arg(1), arg(2), 0)
	case "getppid":
		r, _, errno = unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		return result(r, errno, true)
	case "getpid":
		r, _, errno = unix.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
	case "faccessat2":
		p, _ := unix.BytePtrFromString("/")
		dirfd := unix.AT_FDCWD
		r, _, errno = unix.Syscall6(unix.SYS_FACCESSAT2, uintptr(dirfd), uintptr(unsafe.Pointer(p)), unix.F_OK, 0, 0, 0)
	case "clone3":
		// NULL args: EINVAL if it reaches the kernel, harmless.
		r, _, errno = unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)
	case "sendfd":
		return result(0, unix.Sendmsg(3, []byte("x"), unix.UnixRights(notifyFd), nil, 0), false)
	case "notifyfd_cloexec":
		flags, err := unix.FcntlInt(uintptr(notifyFd), unix.F_GETFD, 0)
		return result(uintptr(flags&unix.FD_CLOEXEC), err, true)
	default:
		return "unknown-probe"
	}
	return result(r, errno, false)
}

func result(r uintptr, err error, withValue bool) string {
	var errno syscall.Errno
	if errors.As(err, &errno) && errno != 0 {
		return unix.ErrnoName(errno)
	}
	if err != nil && !errors.As(err, &errno) {
		return "error:" + err.Error()
	}
	if withValue {
		return fmt.Sprintf("ok:%d", r)
	}
	return "ok"
}

type child struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	timer          *time.Timer
}

// startChild starts the test binary as a probing child for profile c.
func startChild(t *testing.T, c *specs.LinuxSeccomp, extra []*os.File, probes ...string) *child {
	t.Helper()
	profile, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	ch := &child{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	ch.cmd.Env = append(os.Environ(),
		envChild+"=1",
		envProfile+"="+string(profile),
		envProbes+"="+strings.Join(probes, ","))
	ch.cmd.Dir = t.TempDir()
	ch.cmd.Stdout = &ch.stdout
	ch.cmd.Stderr = &ch.stderr
	ch.cmd.ExtraFiles = extra
	if err := ch.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch.timer = time.AfterFunc(30*time.Second, func() { _ = ch.cmd.Process.Kill() })
	return ch
}

// wait waits for the child and returns its probe results.
func (ch *child) wait(t *testing.T) map[string]string {
	t.Helper()
	_ = ch.cmd.Wait() // the exit status is in ch.cmd.ProcessState
	ch.timer.Stop()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(ch.stdout.String()), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// runChild runs a probing child to completion and requires that it
// loaded the filter and exited 0.
func runChild(t *testing.T, c *specs.LinuxSeccomp, probes ...string) map[string]string {
	t.Helper()
	ch := startChild(t, c, nil, probes...)
	out := ch.wait(t)
	if !ch.cmd.ProcessState.Success() {
		t.Fatalf("child failed: %v\nstdout:\n%s\nstderr:\n%s", ch.cmd.ProcessState, ch.stdout.String(), ch.stderr.String())
	}
	if out["load"] != "ok:-1" && !usesNotify(c) {
		t.Fatalf("load: got %q, want ok:-1", out["load"])
	}
	return out
}

func expect(t *testing.T, out map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s: got %q, want %q", k, out[k], v)
		}
	}
}

func TestLoadErrnoAndArgs(t *testing.T) {
	const who = 0x7ffff000 // beyond pid_max: getpriority fails with ESRCH
	c := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"getcwd"}, Action: specs.ActErrno},
			{Names: []string{"no_such_syscall_xyz", "mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: uintp(38)},
			{Names: []string{"personality"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0xffffffff, Op: specs.OpEqualTo},
			}},
			// Two arguments: ANDed.
			{Names: []string{"getpriority"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EXDEV)), Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0, Op: specs.OpEqualTo},
				{Index: 1, Value: who, Op: specs.OpEqualTo},
			}},
			// The same argument twice: split into ORed rules.
			{Names: []string{"getpriority"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EXDEV)), Args: []specs.LinuxSeccompArg{
				{Index: 1, Value: who + 1, Op: specs.OpEqualTo},
				{Index: 1, Value: who + 2, Op: specs.OpEqualTo},
			}},
			// Same as the default action: skipped, not an error.
			{Names: []string{"getpid"}, Action: specs.ActAllow},
		},
	}
	ch := startChild(t, c, nil, "getcwd", "mkdir", "personality:0xffffffff", "personality:0",
		fmt.Sprintf("getpriority:0:%d", who), fmt.Sprintf("getpriority:1:%d", who),
		fmt.Sprintf("getpriority:0:%d", who+1), fmt.Sprintf("getpriority:1:%d", who+2),
		fmt.Sprintf("getpriority:0:%d", who+3), "getpid", "faccessat2")
	out := ch.wait(t)
	if !ch.cmd.ProcessState.Success() {
		t.Fatalf("child failed: %v\n%s", ch.cmd.ProcessState, ch.stderr.String())
	}
	expect(t, out, map[string]string{
		"load":                                 "ok:-1",
		"getcwd":                               "EPERM",
		"mkdir":                                "ENOSYS", // errnoRet 38
		"personality:0xffffffff":               "EPERM",
		"personality:0":                        "ok",
		fmt.Sprintf("getpriority:0:%d", who):   "EXDEV", // both args match
		fmt.Sprintf("getpriority:1:%d", who):   "ESRCH", // arg0 differs
		fmt.Sprintf("getpriority:0:%d", who+1): "EXDEV", // first of the ORed pair
		fmt.Sprintf("getpriority:1:%d", who+2): "EXDEV", // second, any arg0
		fmt.Sprintf("getpriority:0:%d", who+3): "ESRCH",
		"getpid":                               "ok",
		// Default allow: no ENOSYS prologue, new syscalls work.
		"faccessat2": "ok",
	})
	// The unknown name was skipped with a warning naming it.
	if !strings.Contains(ch.stderr.String(), "no_such_syscall_xyz") || !strings.Contains(ch.stderr.String(), "level=warning") {
		t.Errorf("no warning about the unknown syscall; stderr:\n%s", ch.stderr.String())
	}
}

func TestLoadOperators(t *testing.T) {
	const base = 0x7ffff000
	errRule := func(op specs.LinuxSeccompOperator, v, v2 uint64) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{
				Names: []string{"getpriority"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EXDEV)),
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: v, ValueTwo: v2, Op: op}},
			}},
		}
	}
	for _, tc := range []struct {
		op        specs.LinuxSeccompOperator
		v, v2     uint64
		match, no []uint64 // who values that match / do not
	}{
		{specs.OpNotEqual, base + 5, 0, []uint64{base + 6}, []uint64{base + 5}},
		{specs.OpLessThan, base + 5, 0, []uint64{base + 4}, []uint64{base + 5, base + 6}},
		{specs.OpLessEqual, base + 5, 0, []uint64{base + 4, base + 5}, []uint64{base + 6}},
		{specs.OpEqualTo, base + 5, 0, []uint64{base + 5}, []uint64{base + 4, base + 6}},
		{specs.OpGreaterEqual, base + 5, 0, []uint64{base + 5, base + 6}, []uint64{base + 4}},
		{specs.OpGreaterThan, base + 5, 0, []uint64{base + 6}, []uint64{base + 4, base + 5}},
		// value is the mask, valueTwo the expected masked value.
		{specs.OpMaskedEqual, 0xff, 0x05, []uint64{base + 0x05, base + 0x105}, []uint64{base + 0x06}},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			var probes []string
			want := map[string]string{}
			for _, w := range tc.match {
				p := fmt.Sprintf("getpriority:0:%d", w)
				probes, want[p] = append(probes, p), "EXDEV"
			}
			for _, w := range tc.no {
				p := fmt.Sprintf("getpriority:0:%d", w)
				probes, want[p] = append(probes, p), "ESRCH"
			}
			expect(t, runChild(t, errRule(tc.op, tc.v, tc.v2), probes...), want)
		})
	}
}

func TestLoadKillProcess(t *testing.T) {
	c := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActKillProcess}},
	}
	out := runKilledChild(t, c, "getpid", "getppid", "getcwd")
	if out["getpid"] != "ok" {
		t.Errorf("getpid before the kill: got %q", out["getpid"])
	}
	if _, ran := out["getcwd"]; ran {
		t.Error("the child kept running after getppid")
	}
}

// TestLoadKillDefaultENOSYS: with a kill-by-default profile, syscalls newer
// than the profile get ENOSYS rather than a kill; older unlisted ones kill.
func TestLoadKillDefaultENOSYS(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("syscall numbers are for amd64")
	}
	c := enosysProfile(t)
	c.DefaultAction = specs.ActKillProcess
	out := runKilledChild(t, c, "faccessat2", "clone3", "getcwd", "getpid")
	expect(t, out, map[string]string{"faccessat2": "ENOSYS", "clone3": "ENOSYS"})
	if _, ran := out["getpid"]; ran {
		t.Error("the child kept running after getcwd")
	}
}

// runKilledChild runs a probing child that must die of SIGSYS.
func runKilledChild(t *testing.T, c *specs.LinuxSeccomp, probes ...string) map[string]string {
	t.Helper()
	ch := startChild(t, c, nil, probes...)
	out := ch.wait(t)
	ws, ok := ch.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != unix.SIGSYS {
		t.Fatalf("child should die of SIGSYS, got %v\nstdout:\n%s\nstderr:\n%s", ch.cmd.ProcessState, ch.stdout.String(), ch.stderr.String())
	}
	if out["load"] != "ok:-1" {
		t.Fatalf("load: got %q", out["load"])
	}
	return out
}

func TestLoadTrapTraceLog(t *testing.T) {
	c := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			// No tracer attached: the kernel fails the syscall with ENOSYS.
			{Names: []string{"getppid"}, Action: specs.ActTrace},
			{Names: []string{"getpid"}, Action: specs.ActLog},
		},
	}
	expect(t, runChild(t, c, "getppid", "getpid"), map[string]string{"getppid": "ENOSYS", "getpid": "ok"})

	// SIGSYS from SCMP_ACT_TRAP: the Go runtime treats it as fatal.
	c = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActTrap}},
	}
	ch := startChild(t, c, nil, "getppid", "getpid")
	out := ch.wait(t)
	if ch.cmd.ProcessState.Success() || !strings.Contains(ch.stderr.String(), "SIGSYS") {
		t.Fatalf("trap: want a SIGSYS crash, got %v\nstderr:\n%s", ch.cmd.ProcessState, ch.stderr.String())
	}
	if _, ran := out["getpid"]; ran {
		t.Error("trap: the child kept running after getppid")
	}
}

// allowList returns the names of the native syscalls numbered 0..last,
// leaving out except.
func allowList(t *testing.T, last int, except ...string) []string {
	t.Helper()
	var names []string
	for nr := 0; nr <= last; nr++ {
		name, err := libseccomp.ScmpSyscall(nr).GetName()
		if err != nil || slices.Contains(except, name) {
			continue
		}
		names = append(names, name)
	}
	if len(names) < 300 {
		t.Fatalf("only %d syscall names up to %d", len(names), last)
	}
	return names
}

// enosysProfile is a deny-by-default allow-list that names syscalls up to
// pidfd_open (434), except getcwd, and personality only with arg0 == 0.
func enosysProfile(t *testing.T) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: allowList(t, unix.SYS_PIDFD_OPEN, "getcwd", "personality"), Action: specs.ActAllow},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0, Op: specs.OpEqualTo},
			}},
		},
	}
}

func TestLoadENOSYSPrologue(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("syscall numbers below are for amd64")
	}
	probes := []string{"getcwd", "personality:0xffffffff", "personality:0", "mkdir", "faccessat2", "clone3"}
	c := enosysProfile(t)
	expect(t, runChild(t, c, probes...), map[string]string{
		"getcwd":                 "EPERM", // below the limit, not listed
		"personality:0xffffffff": "EPERM", // listed, but its condition fails
		"personality:0":          "ok",
		"mkdir":                  "ok",
		"faccessat2":             "ENOSYS", // 439 > 434: newer than the profile
		"clone3":                 "ENOSYS", // 435
	})

	// With defaultErrnoRet the old syscalls get that errno instead; the
	// new ones still get ENOSYS.
	c.DefaultErrnoRet = uintp(uint(unix.EXDEV))
	expect(t, runChild(t, c, probes...), map[string]string{
		"getcwd": "EXDEV", "personality:0xffffffff": "EXDEV", "faccessat2": "ENOSYS", "clone3": "ENOSYS",
	})
}

// TestBuildProgramEmulated runs the program Load would install through the
// cBPF interpreter, without loading anything.
func TestBuildProgramEmulated(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("syscall numbers below are for amd64")
	}
	c := enosysProfile(t)
	prog, _, err := buildProgram(c)
	if err != nil {
		t.Fatal(err)
	}
	if flags := filterFlags(c); flags != 0 {
		t.Errorf("flags: got %#x, want none (the profile lists none; SettleFlags adds runc's default earlier)", flags)
	}
	checkJumps(t, prog)
	eperm := unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	x32 := func(nr uint32) uint32 { return nr | x32SyscallBit }
	for _, tc := range []struct {
		name     string
		arch, nr uint32
		want     uint32
	}{
		{"x86-64 read", unix.AUDIT_ARCH_X86_64, unix.SYS_READ, unix.SECCOMP_RET_ALLOW},
		{"x86-64 getcwd", unix.AUDIT_ARCH_X86_64, unix.SYS_GETCWD, eperm},
		{"x86-64 pidfd_open (the limit)", unix.AUDIT_ARCH_X86_64, unix.SYS_PIDFD_OPEN, unix.SECCOMP_RET_ALLOW},
		{"x86-64 clone3", unix.AUDIT_ARCH_X86_64, unix.SYS_CLONE3, retENOSYS},
		{"x86-64 far above", unix.AUDIT_ARCH_X86_64, 1000, retENOSYS},
		{"i386 read", unix.AUDIT_ARCH_I386, 3, unix.SECCOMP_RET_ALLOW},
		{"i386 getcwd", unix.AUDIT_ARCH_I386, 183, eperm},
		{"i386 clone3", unix.AUDIT_ARCH_I386, 435, retENOSYS},
		{"x32 read", unix.AUDIT_ARCH_X86_64, x32(0), unix.SECCOMP_RET_ALLOW},
		{"x32 getcwd", unix.AUDIT_ARCH_X86_64, x32(79), eperm},
		{"x32 far above", unix.AUDIT_ARCH_X86_64, x32(0x3000), retENOSYS},
		// Not in the filter: libseccomp's bad-arch action (kill).
		{"aarch64", unix.AUDIT_ARCH_AARCH64, 1000, unix.SECCOMP_RET_KILL_THREAD},
	} {
		got, err := runBPF(prog, seccompData{arch: tc.arch, nr: tc.nr})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: got %#x, want %#x", tc.name, got, tc.want)
		}
	}

	// A permissive default gets no prologue: the program is libseccomp's.
	c = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno}},
	}
	prog, _, err = buildProgram(c)
	if err != nil {
		t.Fatal(err)
	}
	if flags := filterFlags(c); flags != 0 {
		t.Errorf("explicit empty flags: got %#x, want 0", flags)
	}
	if got, _ := runBPF(prog, seccompData{arch: unix.AUDIT_ARCH_X86_64, nr: 1000}); got != unix.SECCOMP_RET_ALLOW {
		t.Errorf("default allow, nr 1000: got %#x, want ALLOW", got)
	}
	if prog[0].Code != unix.BPF_LD|unix.BPF_W|unix.BPF_ABS || prog[1].Code != unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K {
		t.Errorf("default allow: program does not start with libseccomp's arch check: %+v", prog[:2])
	}
	for _, in := range prog {
		if in.Code == unix.BPF_RET|unix.BPF_K && in.K == retENOSYS {
			t.Fatal("default allow: found an ENOSYS return, want no prologue")
		}
	}
}

func TestNeedsENOSYS(t *testing.T) {
	for _, tc := range []struct {
		act  specs.LinuxSeccompAction
		ret  *uint
		want bool
	}{
		{specs.ActAllow, nil, false},
		{specs.ActLog, nil, false},
		{specs.ActTrace, nil, false},
		{specs.ActErrno, nil, true},
		{specs.ActErrno, uintp(uint(unix.EXDEV)), true},
		{specs.ActErrno, uintp(uint(unix.ENOSYS)), false},
		{specs.ActKill, nil, true},
		{specs.ActKillProcess, nil, true},
		{specs.ActKillThread, nil, true},
		{specs.ActTrap, nil, true},
	} {
		if got := needsENOSYS(&specs.LinuxSeccomp{DefaultAction: tc.act, DefaultErrnoRet: tc.ret}); got != tc.want {
			t.Errorf("%s (errnoRet %v): got %v, want %v", tc.act, tc.ret, got, tc.want)
		}
	}
}

func TestLoadFlags(t *testing.T) {
	for _, flags := range [][]specs.LinuxSeccompFlag{
		nil,
		{},
		{flagTsync},
		{specs.LinuxSeccompFlagLog},
		{specs.LinuxSeccompFlagSpecAllow},
		{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, flagTsync},
		// Without a listener it is dropped, not passed to the kernel.
		{specs.LinuxSeccompFlagWaitKillableRecv},
	} {
		t.Run(fmt.Sprint(flags), func(t *testing.T) {
			c := &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Flags:         flags,
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActErrno}},
			}
			expect(t, runChild(t, c, "getppid"), map[string]string{"getppid": "EPERM"})
		})
	}
}

func TestLoadNotify(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	childSock := os.NewFile(uintptr(fds[1]), "child-sock")

	c := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		ListenerPath:  "/run/seccomp-agent.sock", // required; Load does not use it
		Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}},
	}
	ch := startChild(t, c, []*os.File{childSock}, "notifyfd_cloexec", "sendfd", "getppid")
	childSock.Close()

	// Receive the listener fd from the child.
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(fds[0], buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil || oobn == 0 {
		ch.wait(t)
		t.Fatalf("no fd from the child (%v)\nstdout:\n%s\nstderr:\n%s", err, ch.stdout.String(), ch.stderr.String())
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("parse control message: %v", err)
	}
	rights, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(rights) != 1 {
		t.Fatalf("parse rights: %v", err)
	}
	notifyFd := rights[0]
	defer unix.Close(notifyFd)

	// Wait for the child's getppid to arrive, then answer it.
	pfd := []unix.PollFd{{Fd: int32(notifyFd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(pfd, 10000)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n != 1 {
			ch.wait(t)
			t.Fatalf("no notification (poll: %d, %v)\nstderr:\n%s", n, err, ch.stderr.String())
		}
		break
	}
	req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(notifyFd))
	if err != nil {
		t.Fatalf("NotifReceive: %v", err)
	}
	if req.Data.Syscall != libseccomp.ScmpSyscall(unix.SYS_GETPPID) {
		t.Errorf("notified syscall %d, want getppid (%d)", req.Data.Syscall, unix.SYS_GETPPID)
	}
	if err := libseccomp.NotifRespond(libseccomp.ScmpFd(notifyFd), &libseccomp.ScmpNotifResp{ID: req.ID, Val: 4242}); err != nil {
		t.Fatalf("NotifRespond: %v", err)
	}

	out := ch.wait(t)
	if !ch.cmd.ProcessState.Success() {
		t.Fatalf("child failed: %v\nstderr:\n%s", ch.cmd.ProcessState, ch.stderr.String())
	}
	if fd, err := strconv.Atoi(strings.TrimPrefix(out["load"], "ok:")); err != nil || fd <= 0 {
		t.Errorf("load: got %q, want ok:<fd > 0>", out["load"])
	}
	expect(t, out, map[string]string{
		"notifyfd_cloexec": "ok:1",
		"sendfd":           "ok",
		"getppid":          "ok:4242", // the value our response gave
	})
}

func TestLoadRejectsInvalid(t *testing.T) {
	// Load validates before touching the thread, so it is safe to call
	// here: an invalid profile must fail without installing anything.
	fd, err := load(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: "SCMP_ACT_FOO"}},
	})
	if fd != -1 || err == nil || !strings.Contains(err.Error(), `linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_FOO"`) {
		t.Fatalf("got %d, %v", fd, err)
	}
	if fd, err := load(nil); fd != -1 || err != nil {
		t.Fatalf("load(nil) = %d, %v", fd, err)
	}
	if fd, err := load(&specs.LinuxSeccomp{}); fd != -1 || err != nil {
		t.Fatalf("load(empty) = %d, %v", fd, err)
	}
	// libseccomp cannot mix byte orders in one filter: a clear error,
	// before anything is loaded, and already from Validate (what create
	// checks), not only when the init builds the filter (found by
	// FuzzProfile).
	mixed := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, specs.ArchMIPS64}}
	_, _, err = buildProgram(mixed)
	if hostLittleEndian() && (err == nil || !strings.Contains(err.Error(), "SCMP_ARCH_MIPS64 cannot share a filter")) {
		t.Errorf("big-endian arch on a little-endian host: got %v", err)
	}
	err = Validate(mixed)
	if hostLittleEndian() && (err == nil || !strings.Contains(err.Error(), "linux.seccomp.architectures[1]: SCMP_ARCH_MIPS64 cannot share a filter with the native")) {
		t.Errorf("Validate of a big-endian arch on a little-endian host: got %v", err)
	}
	// The test process itself must still be unfiltered.
	status, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Seccomp:\s+0$`).Match(status) {
		t.Fatal("the test thread has a seccomp filter")
	}
}

func TestScmpTables(t *testing.T) {
	eperm := libseccomp.ActErrno.SetReturnCode(int16(unix.EPERM))
	for _, tc := range []struct {
		act  specs.LinuxSeccompAction
		ret  *uint
		want libseccomp.ScmpAction
	}{
		{specs.ActKill, nil, libseccomp.ActKillThread},
		{specs.ActKillThread, nil, libseccomp.ActKillThread},
		{specs.ActKillProcess, nil, libseccomp.ActKillProcess},
		{specs.ActTrap, nil, libseccomp.ActTrap},
		{specs.ActErrno, nil, eperm},
		{specs.ActErrno, uintp(38), libseccomp.ActErrno.SetReturnCode(38)},
		{specs.ActErrno, uintp(0xffff), libseccomp.ActErrno | 0xffff<<16},
		{specs.ActTrace, nil, libseccomp.ActTrace.SetReturnCode(int16(unix.EPERM))},
		{specs.ActTrace, uintp(7), libseccomp.ActTrace.SetReturnCode(7)},
		{specs.ActAllow, nil, libseccomp.ActAllow},
		{specs.ActLog, nil, libseccomp.ActLog},
		{specs.ActNotify, nil, libseccomp.ActNotify},
	} {
		got, err := scmpAction(tc.act, tc.ret)
		if err != nil || got != tc.want {
			t.Errorf("scmpAction(%s, %v) = %#x, %v; want %#x", tc.act, tc.ret, uint(got), err, uint(tc.want))
		}
	}
	for _, a := range knownActions {
		if _, err := scmpAction(a, nil); err != nil {
			t.Errorf("action %s not mapped: %v", a, err)
		}
	}
	if _, err := scmpAction("SCMP_ACT_FOO", nil); err == nil {
		t.Error("unknown action accepted")
	}
	wantOps := map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
		specs.OpNotEqual: libseccomp.CompareNotEqual, specs.OpLessThan: libseccomp.CompareLess,
		specs.OpLessEqual: libseccomp.CompareLessOrEqual, specs.OpEqualTo: libseccomp.CompareEqual,
		specs.OpGreaterEqual: libseccomp.CompareGreaterEqual, specs.OpGreaterThan: libseccomp.CompareGreater,
		specs.OpMaskedEqual: libseccomp.CompareMaskedEqual,
	}
	for _, op := range knownOperators {
		if got, err := scmpOperator(op); err != nil || got != wantOps[op] {
			t.Errorf("scmpOperator(%s) = %v, %v; want %v", op, got, err, wantOps[op])
		}
	}
	if len(scmpArchs) != len(knownArchs) {
		t.Errorf("scmpArchs has %d entries, knownArchs %d", len(scmpArchs), len(knownArchs))
	}
	for _, a := range knownArchs.Keys() {
		if _, ok := scmpArchs[a]; !ok {
			t.Errorf("%s missing from scmpArchs", a)
		}
	}
}

// TestAuditArchsMatchLibseccomp checks our AUDIT_ARCH table against the
// values libseccomp itself compares seccomp_data.arch with.
func TestAuditArchsMatchLibseccomp(t *testing.T) {
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		t.Fatal(err)
	}
	// nativeArch (from GOARCH, as in runc's own build, without
	// libseccomp) names libseccomp's native architecture.
	if a, err := nativeArch(); err != nil || scmpArchs[a] != native {
		t.Errorf("nativeArch() = %s, %v; libseccomp's native is %s", a, err, native)
	}
	checked := 0
	for a, sa := range scmpArchs {
		if !archSupported.Get()[a] {
			continue
		}
		// libseccomp writes a program in its architecture's byte order
		// (always the host's for a loadable filter, which holds the
		// native arch); only decode those of the host's endianness.
		if littleEndian(a) != hostLittleEndian() {
			continue
		}
		f, err := libseccomp.NewFilter(libseccomp.ActErrno.SetReturnCode(1))
		if err != nil {
			t.Fatal(err)
		}
		// Alone in the filter: libseccomp refuses to mix endiannesses.
		if sa != native {
			if err := f.RemoveArch(native); err != nil {
				t.Fatalf("%s: remove native: %v", a, err)
			}
		}
		if err := f.AddArch(sa); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		nr, err := libseccomp.GetSyscallFromName("getppid")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.AddRule(nr, libseccomp.ActAllow); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		prog, err := exportProgram(f)
		f.Release()
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		var archValues []uint32
		for i := 0; i+1 < len(prog); i++ {
			if prog[i].Code == unix.BPF_LD|unix.BPF_W|unix.BPF_ABS && prog[i].K == offsetArch &&
				prog[i+1].Code == unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K {
				archValues = append(archValues, prog[i+1].K)
			}
		}
		info, _ := knownArchs.Lookup(a)
		if !slices.Contains(archValues, info.audit) {
			t.Errorf("%s: libseccomp compares arch with %#x, our table says %#x", a, archValues, info.audit)
		}
		checked++
	}
	if checked < 8 {
		t.Fatalf("only %d architectures checked", checked)
	}
}

func TestFeatures(t *testing.T) {
	if !Enabled {
		t.Fatal("Enabled is false in the seccomp build")
	}
	major, minor, micro := libseccomp.GetLibraryVersion()
	if v := Version(); v != fmt.Sprintf("%d.%d.%d", major, minor, micro) || !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("Version() = %q", v)
	}
	if api, _ := libseccomp.GetAPI(); api >= 6 {
		if got := KnownActions(); len(got) != len(knownActions) {
			t.Errorf("API level %d: KnownActions = %v, want all %d", api, got, len(knownActions))
		}
	}
	if got := KnownOperators(); len(got) != 7 || !slices.IsSorted(got) {
		t.Errorf("KnownOperators = %v", got)
	}
	archs := KnownArchs()
	for _, a := range []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"} {
		if !slices.Contains(archs, a) {
			t.Errorf("KnownArchs lacks %s: %v", a, archs)
		}
	}
	if !slices.IsSorted(archs) {
		t.Errorf("KnownArchs not sorted: %v", archs)
	}
	// libseccomp before 2.6 has no loongarch64: it must be neither listed
	// nor accepted.
	if major == 2 && minor < 6 {
		if slices.Contains(archs, "SCMP_ARCH_LOONGARCH64") {
			t.Error("KnownArchs lists SCMP_ARCH_LOONGARCH64 with libseccomp < 2.6")
		}
		err := Validate(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchLOONGARCH64}})
		if err == nil || !strings.Contains(err.Error(), "linux.seccomp.architectures[1]: SCMP_ARCH_LOONGARCH64 is not supported") {
			t.Errorf("Validate with loongarch64: %v", err)
		}
	}
	// Kernel 5.19+ knows every flag we do.
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	var kmaj, kmin int
	fmt.Sscanf(unix.ByteSliceToString(uts.Release[:]), "%d.%d", &kmaj, &kmin)
	if kmaj > 5 || (kmaj == 5 && kmin >= 19) {
		if got := SupportedFlags(); !slices.Equal(got, KnownFlags()) {
			t.Errorf("kernel %d.%d: SupportedFlags = %v, want %v", kmaj, kmin, got, KnownFlags())
		}
	}
}

func hostLittleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// SettleFlags writes runc's default (SPEC_ALLOW) only where flags are
// absent: an empty list stays empty, set flags stay as they are.
func TestSettleFlags(t *testing.T) {
	want := []specs.LinuxSeccompFlag{}
	if flagSupported(specs.LinuxSeccompFlagSpecAllow) == nil {
		want = append(want, specs.LinuxSeccompFlagSpecAllow)
	}
	c := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	SettleFlags(c)
	if !slices.Equal(c.Flags, want) || c.Flags == nil {
		t.Errorf("absent flags settled to %q, want %q", c.Flags, want)
	}
	c = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{}}
	if SettleFlags(c); len(c.Flags) != 0 {
		t.Errorf("empty flags settled to %q", c.Flags)
	}
	c = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}}
	if SettleFlags(c); !slices.Equal(c.Flags, []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}) {
		t.Errorf("set flags changed to %q", c.Flags)
	}
	c = &specs.LinuxSeccomp{}
	if SettleFlags(c); c.Flags != nil {
		t.Errorf("a profile that loads nothing got flags %q", c.Flags)
	}
}
