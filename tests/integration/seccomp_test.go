package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// moduleRoot is the repository root, from tests/integration.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// goBuild builds the Go package pkg (relative to the repository root) with
// the given build tags into the test's temporary directory and returns the
// binary's path (Go's build cache makes a second build of the same package
// cheap). Where there is no Go toolchain (the VM lane), the environment
// variable env names a prebuilt binary instead.
func goBuild(t *testing.T, pkg, tags, env string) string {
	t.Helper()
	if bin := os.Getenv(env); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg)+".bin")
	// "go": go test puts its toolchain's GOROOT/bin first in PATH
	cmd := exec.Command("go", "build", "-tags", tags, "-o", bin, pkg)
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s (tags %q): %v\n%s", pkg, tags, err, out)
	}
	return bin
}

// agent is a running tests/cmd/seccompagent.
type agent struct {
	dir, socket string
}

// startAgent starts the test seccomp agent; it is killed at the end of the
// test.
func startAgent(t *testing.T) *agent {
	t.Helper()
	bin := goBuild(t, "./tests/cmd/seccompagent", "", "SECCOMPAGENT_BINARY")
	a := &agent{dir: t.TempDir()}
	a.socket = filepath.Join(a.dir, "agent.sock")
	cmd := exec.Command(bin, "-socket", a.socket, "-dir", a.dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	waitFile(t, a.socket)
	return a
}

// log returns the lines the agent logged.
func (a *agent) log() []string {
	data, _ := os.ReadFile(filepath.Join(a.dir, "log"))
	return strings.Fields(strings.ReplaceAll(string(data), "mkdir ", "mkdir:"))
}

// message returns the n-th message (from 1) the agent received.
func (a *agent) message(t *testing.T, n int) *specs.ContainerProcessState {
	t.Helper()
	path := filepath.Join(a.dir, fmt.Sprintf("state-%d.json", n))
	waitFile(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("agent message %d is not a ContainerProcessState: %v: %s", n, err, data)
	}
	return &st
}

// notifyProfile makes mkdir and mkdirat wait for the agent.
func notifyProfile(socket, metadata string) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction:    specs.ActAllow,
		ListenerPath:     socket,
		ListenerMetadata: metadata,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify},
		},
	}
}

func TestSeccompErrnoAndStatus(t *testing.T) {
	b := newBundle(t, "sh", "-c", "/bin/pwd; echo pwd=$?; mkdir /tmp/d; echo mkdir=$?; grep '^Seccomp:' /proc/self/status")
	eacces := uint(13)
	b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"getcwd"}, Action: specs.ActErrno},
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &eacces},
		},
	}
	b.write()
	r := b.run(nil, "run", b.ID)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	mustContain(t, "stderr", r.Stderr, "getcwd: Operation not permitted")
	mustContain(t, "stderr", r.Stderr, "Permission denied")
	mustContain(t, "stdout", r.Stdout, "pwd=1")
	mustContain(t, "stdout", r.Stdout, "mkdir=1")
	mustContain(t, "stdout", r.Stdout, "Seccomp:\t2")
	if _, err := os.Stat(filepath.Join(b.Dir, "rootfs/tmp/d")); err == nil {
		t.Error("the denied mkdir created the directory")
	}
}

// TestSeccompInitFiltered checks the container's init from the host, for
// both places the filter is loaded (with and without no_new_privs).
func TestSeccompInitFiltered(t *testing.T) {
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			b := newBundle(t, "sleep", "100")
			b.Spec.Process.NoNewPrivileges = nnp
			b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
			}
			b.write()
			b.mustRunc("create", b.ID)
			// Still waiting for start: with no_new_privs the filter
			// comes at the very end.
			pid := b.initPid()
			b.mustRunc("start", b.ID)
			b.waitStatus("running")
			harness.EventuallyErr(t, 5*time.Second, func() error {
				if st := procStatus(t, pid); st["Seccomp"] != "2" || st["Seccomp_filters"] != "1" {
					return fmt.Errorf("Seccomp %q, Seccomp_filters %q", st["Seccomp"], st["Seccomp_filters"])
				}
				return nil
			}, fmt.Sprintf("init %d: Seccomp 2, Seccomp_filters 1", pid))
			if want := map[bool]string{false: "0", true: "1"}[nnp]; procStatus(t, pid)["NoNewPrivs"] != want {
				t.Errorf("NoNewPrivs %q, want %s", procStatus(t, pid)["NoNewPrivs"], want)
			}
			b.mustRunc("kill", b.ID, "KILL")
			b.waitStatus("stopped")
		})
	}
}

// TestSeccompDenyGetcwd: without no_new_privs the filter is loaded before
// the runtime checks the working directory with getcwd (CVE-2024-21626), so
// a profile denying getcwd cannot run; the error must say why. With
// no_new_privs the filter comes after the check and the process runs.
func TestSeccompDenyGetcwd(t *testing.T) {
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			b := newBundle(t, "/bin/pwd")
			b.Spec.Process.NoNewPrivileges = nnp
			b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno}},
			}
			b.write()
			// The runtime checks the cwd before the filter is loaded,
			// so only the process meets the denied getcwd.
			r := b.run(nil, "run", b.ID)
			if r.Code != 1 || !strings.Contains(r.Stderr, "getcwd: Operation not permitted") {
				t.Fatalf("exit %d stderr %q: want pwd itself to fail with EPERM", r.Code, r.Stderr)
			}
		})
	}
}

func TestSeccompKillProcess(t *testing.T) {
	b := newBundle(t, "uname")
	b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"uname"}, Action: specs.ActKillProcess}},
	}
	b.write()
	r := b.run(nil, "run", b.ID)
	if r.Code != 128+31 { // SIGSYS
		t.Fatalf("exit %d, want %d (killed by SIGSYS); stdout %q stderr %q", r.Code, 128+31, r.Stdout, r.Stderr)
	}
}

func TestSeccompNotify(t *testing.T) {
	a := startAgent(t)
	b := newBundle(t, "sh", "-c", "mkdir /tmp/notreal && echo mkdir-ok; test -d /tmp/notreal && echo exists || echo absent")
	b.Spec.Linux.Seccomp = notifyProfile(a.socket, "meta-run")
	b.write()
	r := b.run(nil, "run", b.ID)
	if r.Code != 0 {
		t.Fatalf("exit %d: stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	// The agent said yes without making the directory.
	if r.Stdout != "mkdir-ok\nabsent\n" {
		t.Fatalf("stdout %q, want mkdir-ok and absent", r.Stdout)
	}
	if log := a.log(); len(log) != 1 || log[0] != "mkdir:/tmp/notreal" {
		t.Fatalf("agent log %q, want one mkdir of /tmp/notreal", log)
	}
	m := a.message(t, 1)
	if m.Version != specs.Version || len(m.Fds) != 1 || m.Fds[0] != specs.SeccompFdName || m.Metadata != "meta-run" {
		t.Errorf("message %+v: want version %s, fds [%s], metadata meta-run", m, specs.Version, specs.SeccompFdName)
	}
	s := m.State
	if s.ID != b.ID || s.Status != specs.StateCreating || s.Bundle != b.Dir || s.Pid <= 0 || m.Pid != s.Pid {
		t.Errorf("state %+v (process pid %d): want id %s, status creating, bundle %s, the init's pid", s, m.Pid, b.ID, b.Dir)
	}
}

// TestSeccompNotifyCreateStart uses create and start with no_new_privs:
// the filter must still reach the agent before create returns.
func TestSeccompNotifyCreateStart(t *testing.T) {
	a := startAgent(t)
	b := newBundle(t, "sh", "-c", "mkdir /notreal; echo $? > /result; test -d /notreal && echo exists >> /result || echo absent >> /result")
	b.Spec.Process.NoNewPrivileges = true
	b.Spec.Linux.Seccomp = notifyProfile(a.socket, "meta-create")
	b.write()
	b.mustRunc("create", b.ID)
	m := a.message(t, 1) // already there: create has returned
	if m.Metadata != "meta-create" || m.State.Pid != b.initPid() || m.State.ID != b.ID {
		t.Errorf("message %+v: want metadata meta-create and the init pid %d", m, b.initPid())
	}
	b.mustRunc("start", b.ID)
	b.waitStatus("stopped")
	data, err := os.ReadFile(filepath.Join(b.Dir, "rootfs/result"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "0\nabsent\n" {
		t.Fatalf("result %q, want mkdir status 0 and the directory absent", data)
	}
}

func TestSeccompNotifyAgentMissing(t *testing.T) {
	b := newBundle(t, "true")
	b.Spec.Linux.Seccomp = notifyProfile(filepath.Join(b.Dir, "no-agent.sock"), "")
	b.write()
	_, stderr, code := b.runc("run", b.ID)
	if code == 0 {
		t.Fatal("run succeeded without the seccomp agent")
	}
	mustContain(t, "stderr", stderr, "failed to connect with seccomp agent")
	mustContain(t, "stderr", stderr, "listenerPath")
}

// TestSeccompWithoutBuildTag builds runc without the seccomp tag: a config
// without linux.seccomp runs, one with it is refused before anything starts.
func TestSeccompWithoutBuildTag(t *testing.T) {
	bin := goBuild(t, ".", "urfave_cli_no_docs", "RUNC_NOSECCOMP_BINARY")
	b := newBundle(t, "echo", "hello")
	runTagless := func() (string, string, int) {
		cmd := exec.Command(bin, "--root", b.Root, "run", b.ID)
		cmd.Dir = b.Dir
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), code
	}
	if out, errOut, code := runTagless(); code != 0 || out != "hello\n" {
		t.Fatalf("without linux.seccomp: exit %d stdout %q stderr %q", code, out, errOut)
	}
	b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno}},
	}
	b.write()
	out, errOut, code := runTagless()
	if code == 0 {
		t.Fatalf("a binary without seccomp ran a container with linux.seccomp (stdout %q)", out)
	}
	mustContain(t, "stderr", errOut, "linux.seccomp")
	mustContain(t, "stderr", errOut, "built without seccomp support")
	if out != "" {
		t.Errorf("the container ran: stdout %q", out)
	}
}

// TestSeccompExec: a process started with runc exec gets the container's
// filter too.
func TestSeccompExec(t *testing.T) {
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			b := newBundle(t, "sleep", "100")
			b.Spec.Process.NoNewPrivileges = nnp
			b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
			}
			b.write()
			b.mustRunc("run", "-d", b.ID)
			r := b.run(nil, "exec", b.ID, "sh", "-c", "mkdir /tmp/d; echo mkdir=$?; grep '^Seccomp' /proc/self/status")
			if r.Code != 0 {
				t.Fatalf("exec: exit %d: %s", r.Code, r.Stderr)
			}
			mustContain(t, "stdout", r.Stdout, "mkdir=1")
			mustContain(t, "stdout", r.Stdout, "Seccomp:\t2")
			// One filter, not the init's inherited plus our own.
			mustContain(t, "stdout", r.Stdout, "Seccomp_filters:\t1")
			mustContain(t, "stderr", r.Stderr, "Operation not permitted")
		})
	}
}

// TestSeccompNotifyExec: an exec'd process's filter reaches the agent too,
// with the running container's state and the exec'd process's own pid.
func TestSeccompNotifyExec(t *testing.T) {
	a := startAgent(t)
	b := newBundle(t, "sleep", "100")
	b.Spec.Linux.Seccomp = notifyProfile(a.socket, "meta-exec")
	b.write()
	b.mustRunc("run", "-d", b.ID)
	a.message(t, 1) // the init's filter
	r := b.run(nil, "exec", b.ID, "sh", "-c", "mkdir /tmp/viaexec && echo ok; test -d /tmp/viaexec && echo exists || echo absent")
	if r.Code != 0 || !strings.Contains(r.Stdout, "ok\nabsent\n") {
		t.Fatalf("exec: exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	m := a.message(t, 2)
	if m.Metadata != "meta-exec" || m.State.Status != specs.StateRunning || m.State.ID != b.ID {
		t.Errorf("message %+v: want metadata meta-exec and status running", m)
	}
	if m.State.Pid != b.initPid() || m.Pid == m.State.Pid || m.Pid <= 0 {
		t.Errorf("message pids: process %d, state %d; want the exec'd process and the init (%d)", m.Pid, m.State.Pid, b.initPid())
	}
	found := false
	for _, l := range a.log() {
		found = found || l == "mkdir:/tmp/viaexec"
	}
	if !found {
		t.Errorf("agent log %q has no mkdir of /tmp/viaexec", a.log())
	}
}

// TestSeccompFlags: the filter flags runc knows are applied (TSYNC is
// accepted as a no-op, as runc does), WAIT_KILLABLE_RECV works with a
// listener, and an unknown flag is refused by create, naming the field.
func TestSeccompFlags(t *testing.T) {
	t.Run("log spec_allow tsync", func(t *testing.T) {
		b := newBundle(t, "sh", "-c", "mkdir /tmp/d; echo mkdir=$?")
		b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, "SECCOMP_FILTER_FLAG_TSYNC"},
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
		}
		b.write()
		r := b.run(nil, "run", b.ID)
		if r.Code != 0 || r.Stdout != "mkdir=1\n" {
			t.Fatalf("exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("wait_killable_recv with a listener", func(t *testing.T) {
		a := startAgent(t)
		b := newBundle(t, "sh", "-c", "mkdir /tmp/x && echo mkdir-ok")
		b.Spec.Linux.Seccomp = notifyProfile(a.socket, "")
		b.Spec.Linux.Seccomp.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}
		b.write()
		r := b.run(nil, "run", b.ID)
		if r.Code != 0 || r.Stdout != "mkdir-ok\n" {
			t.Fatalf("exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("unknown flag", func(t *testing.T) {
		b := newBundle(t, "true")
		b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_BOGUS"}}
		b.write()
		_, stderr, code := b.runc("run", b.ID)
		if code == 0 {
			t.Fatal("run succeeded")
		}
		mustContain(t, "stderr", stderr, `linux.seccomp.flags[0]: unknown flag`)
		mustContain(t, "stderr", stderr, `SECCOMP_FILTER_FLAG_BOGUS`)
	})
}

// TestSeccompProgramCache: runc compiles a profile once and keeps the
// program in its root-only cache (/run/runc-init/seccomp, one file per
// profile); the next start takes it from there. A cache file anyone but
// root could have written is not taken, and is replaced.
func TestSeccompProgramCache(t *testing.T) {
	b := newBundle(t, "sh", "-c", "mkdir /tmp/d; echo mkdir=$?")
	// An errno of this run's own: a profile, and so a cache file, no
	// other run has.
	errno := uint(1000 + time.Now().UnixNano()%3000)
	b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno},
			{Names: []string{"getpriority"}, Action: specs.ActErrno, ErrnoRet: &errno},
		},
	}
	b.write()
	run := func(what string) string {
		t.Helper()
		r := b.run(nil, "--debug", "run", b.ID)
		if r.Code != 0 || r.Stdout != "mkdir=1\n" {
			t.Fatalf("%s: exit %d stdout %q stderr %q", what, r.Code, r.Stdout, r.Stderr)
		}
		return r.Stderr
	}
	hit := regexp.MustCompile(`seccomp: program from the cache \(([0-9a-f]{32})\)`)
	if log := run("first run"); hit.MatchString(log) {
		t.Fatalf("first run of a new profile: taken from the cache:\n%s", log)
	}
	m := hit.FindStringSubmatch(run("second run"))
	if m == nil {
		t.Fatal("second run: the program was not taken from the cache")
	}
	file := filepath.Join("/run/runc-init/seccomp", m[1])
	t.Cleanup(func() { os.Remove(file) })
	var st syscall.Stat_t
	if err := syscall.Stat(file, &st); err != nil || st.Uid != 0 || st.Mode&0o7777 != 0o400 {
		t.Fatalf("cache file %s: %v, uid %d, mode %#o; want root's, 0400", file, err, st.Uid, st.Mode&0o7777)
	}
	if err := os.Chmod(file, 0o420); err != nil {
		t.Fatal(err)
	}
	if log := run("group-writable cache file"); hit.MatchString(log) || !strings.Contains(log, "not taken") {
		t.Fatalf("a group-writable cache file was taken:\n%s", log)
	}
	if err := syscall.Stat(file, &st); err != nil || st.Mode&0o7777 != 0o400 {
		t.Errorf("the group-writable cache file was not replaced: %v, mode %#o", err, st.Mode&0o7777)
	}
}

// TestSeccompCompilerError: what only libseccomp can tell of a profile
// (here, an architecture it does not know) is found when the program is
// compiled, by the seccomp compiler runc embeds, while runc init starts:
// the create fails with that error alone, naming the field, and the init
// is stopped before it gets its config (nothing of it on stderr, nothing
// left: newBundle's cleanup checks).
func TestSeccompCompilerError(t *testing.T) {
	b := newBundle(t, "true")
	var features struct {
		Linux struct {
			Seccomp struct {
				Archs []string `json:"archs"`
			} `json:"seccomp"`
		} `json:"linux"`
	}
	if err := json.Unmarshal([]byte(b.mustRunc("features")), &features); err != nil {
		t.Fatal(err)
	}
	// Little-endian, as the native x86_64 and aarch64 are: another byte
	// order is refused before anything is compiled.
	var arch specs.Arch
	for _, a := range []specs.Arch{specs.ArchLOONGARCH64, specs.ArchSH} {
		if !slices.Contains(features.Linux.Seccomp.Archs, string(a)) {
			arch = a
			break
		}
	}
	if arch == "" {
		harness.Skipf(t, "this libseccomp knows every architecture tried (runc features: %v)", features.Linux.Seccomp.Archs)
	}
	b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{arch},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}},
	}
	b.write()
	_, stderr, code := b.runc("run", b.ID)
	if code == 0 {
		t.Fatal("run succeeded")
	}
	mustContain(t, "stderr", stderr, fmt.Sprintf("linux.seccomp.architectures[0]: %s is not supported by libseccomp", arch))
	if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
		t.Errorf("stderr has %d lines more than the error:\n%s", n, stderr)
	}
}
