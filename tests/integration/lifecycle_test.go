package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

func TestRunForegroundOutputAndExitCode(t *testing.T) {
	b := newBundle(t, "sh", "-c", "echo out; echo err >&2; exit 3")
	r := b.run(nil, "run", b.ID)
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3 (stderr %q)", r.Code, r.Stderr)
	}
	if r.Stdout != "out\n" {
		t.Errorf("stdout %q", r.Stdout)
	}
	if r.Stderr != "err\n" {
		t.Errorf("stderr %q", r.Stderr)
	}
	// run deletes the container when it exits.
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); !os.IsNotExist(err) {
		t.Errorf("state directory still there after run: %v", err)
	}
}

func TestRunExitBySignal(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	r := b.runAsync("run", b.ID)
	b.waitStatus("running")
	b.mustRunc("kill", b.ID, "KILL")
	if res := r.wait(); res.Code != 128+9 {
		t.Fatalf("exit %d, want %d (stderr %q)", res.Code, 128+9, res.Stderr)
	}
}

func TestRunForwardsSignals(t *testing.T) {
	b := newBundle(t, "sh", "-c", "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done")
	r := b.runAsync("run", b.ID)
	b.waitStatus("running")
	// The shell has set its trap once it says so.
	harness.Eventually(t, 10*time.Second, func() bool { return strings.Contains(r.Stdout(), "ready\n") }, "the shell sets its trap")
	r.Cmd.Process.Signal(syscall.SIGTERM)
	res := r.wait()
	if res.Code != 7 || !strings.Contains(res.Stdout, "got TERM") {
		t.Fatalf("exit %d stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
	}
}

func TestRunStdin(t *testing.T) {
	b := newBundle(t, "sh", "-c", "read x; echo got:$x")
	r := b.run([]byte("hello\n"), "run", b.ID)
	if r.Code != 0 || r.Stdout != "got:hello\n" {
		t.Fatalf("exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

func TestCreateStartStateDelete(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("create", b.ID)
	st := b.state()
	if st["status"] != "created" {
		t.Fatalf("status %v after create", st["status"])
	}
	for _, k := range []string{"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"} {
		if _, ok := st[k]; !ok {
			t.Errorf("state has no %q: %v", k, st)
		}
	}
	if st["id"] != b.ID || st["bundle"] != b.Dir || st["rootfs"] != filepath.Join(b.Dir, "rootfs") {
		t.Errorf("state %v", st)
	}
	pid := b.initPid()
	if pid <= 0 {
		t.Fatalf("pid %d", pid)
	}
	// The init waits, in the container's cgroup, not yet exec'd.
	cg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	mustContain(t, "/proc/pid/cgroup", string(cg), b.CgroupPath())

	b.mustRunc("start", b.ID)
	if s := b.status(); s != "running" {
		t.Fatalf("status %q after start", s)
	}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if strings.TrimSpace(string(comm)) != "sleep" {
		t.Errorf("init comm %q, want sleep", comm)
	}
	// A second start is refused.
	if _, errOut, code := b.runc("start", b.ID); code == 0 || !strings.Contains(errOut, "cannot start an already running container") {
		t.Errorf("second start: exit %d, %q", code, errOut)
	}
	// delete without --force refuses a running container.
	if _, errOut, code := b.runc("delete", b.ID); code == 0 || !strings.Contains(errOut, "is not stopped") {
		t.Errorf("delete of running container: exit %d, %q", code, errOut)
	}
	b.mustRunc("kill", b.ID, "KILL")
	b.waitStatus("stopped")
	if p := b.initPid(); p != 0 {
		t.Errorf("stopped container reports pid %d", p)
	}
	b.mustRunc("delete", b.ID)
	if !pidGone(pid) {
		t.Errorf("init %d still there", pid)
	}
	if _, _, code := b.runc("state", b.ID); code == 0 {
		t.Error("state of a deleted container succeeded")
	}
}

// Start of a container whose process exits at once (a kubelet's failing
// container, `sh -c "exit 1"`) succeeds even when the process has run,
// exited and been reaped before start looks at the init again, as a
// shim's reaper does (critest's NRI "failed container" spec hit this on
// a busy host: "container init is gone: no such process"). The
// subreaper stands in for the shim; strace holds start's pidfd_open
// calls for 300ms, which today's start made after releasing the init.
func TestStartProcessReapedAtOnce(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Fatal("strace is not installed (scripts/deps.sh test)")
	}
	reaper := testCmd(t, "subreaper", "SUBREAPER_BINARY")
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		// strace itself fails now and then on a busy host ("strace:
		// ptrace(PTRACE_LISTEN,...): Input/output error" while the
		// runtime's threads come and go): that run says nothing of the
		// runtime and is made again.
		for attempt := 1; ; attempt++ {
			b := newBundleWith(t, bin, "true")
			create := b.runAsyncOpts(runOpts{wrap: []string{reaper}}, "create", b.ID)
			b.waitStatus("created")
			start := b.runAsyncOpts(runOpts{wrap: []string{
				strace, "-f", "-qq", "-o", "/dev/null",
				"-e", "trace=pidfd_open", "-e", "inject=pidfd_open:delay_enter=300000",
			}}, "start", b.ID).wait()
			if strings.HasPrefix(start.Stderr, strace+":") && attempt < 3 {
				t.Logf("attempt %d: strace failed: %s", attempt, strings.TrimSpace(start.Stderr))
				b.runc("delete", "--force", b.ID)
				create.wait()
				continue
			}
			// the subreaper exits once it has reaped the init
			if r := create.wait(); r.Code != 0 {
				t.Fatalf("create under the subreaper: %+v", r)
			}
			return result{Code: start.Code, Stderr: errMsg(start.Stderr)}
		}
	})
	if ours.Code != 0 || ref.Code != 0 {
		t.Fatalf("start of a process that exited and was reaped at once: ours exit %d %q, runc 1.5.3 exit %d %q",
			ours.Code, ours.Stderr, ref.Code, ref.Stderr)
	}
}

func TestDeleteCreatedWithoutForce(t *testing.T) {
	b := newBundle(t, "true")
	b.mustRunc("create", b.ID)
	pid := b.initPid()
	b.mustRunc("delete", b.ID)
	if !pidGone(pid) {
		t.Fatalf("init %d of the deleted container is still there", pid)
	}
}

func TestDeleteForceRunning(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	pid := b.initPid()
	b.mustRunc("delete", "--force", b.ID)
	if !pidGone(pid) {
		t.Fatalf("init %d still there", pid)
	}
}

func TestRunDetachedPidFile(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	pidFile := filepath.Join(b.Dir, "pid")
	b.mustRunc("run", "-d", "--pid-file", pidFile, b.ID)
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(data))
	if err != nil {
		t.Fatalf("pid file %q: %v", data, err)
	}
	if pid != b.initPid() {
		t.Errorf("pid file %d, state %d", pid, b.initPid())
	}
	if s := b.status(); s != "running" {
		t.Errorf("status %q", s)
	}
}

// A running process that names itself as runc's init does is still
// running: it cannot make `runc delete` (without --force) take it for a
// created container to remove, nor `runc start` for one to start.
func TestRunProcessNamedLikeInit(t *testing.T) {
	b := newBundle(t, "sh", "-c", "printf 'runc:[2:INIT]' >/proc/self/comm; touch /tmp/ready; sleep 100; true")
	b.mustRunc("run", "-d", b.ID)
	waitFile(t, filepath.Join(b.Dir, "rootfs/tmp/ready"))
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", b.initPid())); string(comm) != "runc:[2:INIT]\n" {
		t.Fatalf("comm %q", comm)
	}
	if s := b.status(); s != "running" {
		t.Errorf("status %q", s)
	}
	if _, errOut, code := b.runc("start", b.ID); code == 0 || !strings.Contains(errOut, "already running") {
		t.Errorf("start: exit %d %q", code, errOut)
	}
	if _, _, code := b.runc("delete", b.ID); code == 0 {
		t.Errorf("delete of a running container succeeded")
	}
}

// A relative --root is relative to where runc runs, also for create with
// --bundle elsewhere (runc #2613): the container is found again by state
// and delete run from the same directory.
func TestRelativeRootWithBundle(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	cwd := t.TempDir()
	rc := func(args ...string) (string, error) {
		cmd := exec.Command(runcBin, append([]string{"--root", "relroot"}, args...)...)
		cmd.Dir = cwd
		// A file, not a pipe: the created container keeps it open.
		out := b.tempFile()
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
		err := cmd.Run()
		return readAll(out), err
	}
	t.Cleanup(func() {
		for _, root := range []string{filepath.Join(cwd, "relroot"), filepath.Join(b.Dir, "relroot")} {
			exec.Command(runcBin, "--root", root, "delete", "-f", b.ID).Run()
		}
	})
	if out, err := rc("create", "--bundle", b.Dir, b.ID); err != nil {
		t.Fatalf("create: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(cwd, "relroot", b.ID, "state.json")); err != nil {
		t.Errorf("state not under the working directory's relroot: %v", err)
	}
	if out, err := rc("state", b.ID); err != nil || !strings.Contains(out, `"status": "created"`) {
		t.Errorf("state: %v %s", err, out)
	}
	if out, err := rc("delete", "-f", b.ID); err != nil {
		t.Errorf("delete: %v %s", err, out)
	}
}

func TestKillSignalForms(t *testing.T) {
	for _, sig := range []string{"SIGUSR1", "USR1", "10", "usr1"} {
		b := newBundle(t, "sh", "-c", "trap 'exit 0' USR1; touch /tmp/ready; while :; do sleep 0.1; done")
		b.mustRunc("run", "-d", b.ID)
		waitFile(t, filepath.Join(b.Dir, "rootfs/tmp/ready"))
		if _, errOut, code := b.runc("kill", b.ID, sig); code != 0 {
			t.Fatalf("kill %s: %d %s", sig, code, errOut)
		}
		b.waitStatus("stopped")
	}
	// The container is looked up first, then the signal (as runc).
	b := newBundle(t, "true")
	b.mustRunc("create", b.ID)
	if _, errOut, code := b.runc("kill", b.ID, "NOSUCHSIG"); code == 0 || !strings.Contains(errOut, `unknown signal \"NOSUCHSIG\"`) {
		t.Errorf("bad signal: exit %d %q", code, errOut)
	}
}

func TestList(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("create", b.ID)
	out := b.mustRunc("list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], b.ID) || !strings.Contains(lines[1], "created") {
		t.Fatalf("list:\n%s", out)
	}
	if q := strings.TrimSpace(b.mustRunc("list", "-q")); q != b.ID {
		t.Errorf("list -q: %q", q)
	}
	var states []map[string]any
	if err := json.Unmarshal([]byte(b.mustRunc("list", "-f", "json")), &states); err != nil || len(states) != 1 || states[0]["id"] != b.ID {
		t.Errorf("list -f json: %v %v", states, err)
	}
}

func TestDuplicateID(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("create", b.ID)
	_, errOut, code := b.runc("create", b.ID)
	if code == 0 || !strings.Contains(errOut, "container with id exists") {
		t.Fatalf("duplicate create: exit %d %q", code, errOut)
	}
}

func TestBadIDsRejected(t *testing.T) {
	b := newBundle(t, "true")
	for _, id := range []string{"../x", "a/b", "..", "."} {
		if _, _, code := b.runc("run", id); code == 0 {
			t.Errorf("id %q accepted", id)
		}
	}
	if ents, _ := os.ReadDir(b.Root); len(ents) != 0 {
		t.Errorf("state root not empty: %v", ents)
	}
}

func TestMissingExecutableReportedByCreate(t *testing.T) {
	b := newBundle(t, "nosuchcommand")
	_, errOut, code := b.runc("create", b.ID)
	if code == 0 {
		t.Fatal("create succeeded")
	}
	mustContain(t, "stderr", errOut, `exec: \"nosuchcommand\": executable file not found in $PATH`)
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); !os.IsNotExist(err) {
		t.Errorf("state directory left after failed create")
	}
}
