package integration

// Checkpoint and restore. CRIU works only on some kernels (`criu check`):
// the TestCriuErrors* tests run anywhere and check what a user sees where
// CRIU is missing, too old or cannot work (with tests/cmd/fakecriu, and
// with this machine's criu if it fails its check); the TestCheckpoint*
// tests need a working CRIU and are skipped elsewhere (`make
// test-vm-criu` runs them in the VM lane). Their containers write to
// pipes: CRIU dumps a process's pipes to the outside world as external
// and restore hands it new ones (files of the host are outside the
// container's mounts, which CRIU refuses).

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

var (
	testCmdMu    sync.Mutex
	testCmdBuilt = map[string]string{}
)

// testCmd returns tests/cmd/<name> built statically (once per run), or the
// binary $env names, if env is set (the VM lane has no Go: they come
// prebuilt).
func testCmd(t *testing.T, name, env string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	testCmdMu.Lock()
	defer testCmdMu.Unlock()
	if p, ok := testCmdBuilt[name]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	// "go": go test puts its toolchain's GOROOT/bin first in PATH
	cmd := exec.Command("go", "build", "-o", p, "../cmd/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v: %s", name, err, out)
	}
	testCmdBuilt[name] = p
	return p
}

// removeTestCmds removes what testCmd built (TestMain's teardown): a
// directory of /tmp each.
func removeTestCmds() {
	testCmdMu.Lock()
	defer testCmdMu.Unlock()
	for _, p := range testCmdBuilt {
		os.RemoveAll(filepath.Dir(p))
	}
}

// requireCriu skips the test unless this machine's criu passes `criu
// check` (`make test-vm-criu` runs it in the VM lane).
func requireCriu(t *testing.T) {
	t.Helper()
	harness.Requires(t, harness.Criu)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// stdioPipes are the stdio of a detached container: pipes whose other
// ends the test holds. Everything the container writes is collected.
type stdioPipes struct {
	t              *testing.T
	inR, inW       *os.File
	outR, outW     *os.File
	mu             sync.Mutex
	out            strings.Builder
	eof            chan struct{}
	closedChildEnd bool
}

func newStdioPipes(t *testing.T) *stdioPipes {
	t.Helper()
	p := &stdioPipes{t: t, eof: make(chan struct{})}
	var err error
	if p.inR, p.inW, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	if p.outR, p.outW, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.closeChildEnds()
		p.inW.Close()
		p.outR.Close()
	})
	go func() {
		defer close(p.eof)
		buf := make([]byte, 4096)
		for {
			n, err := p.outR.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return p
}

func (p *stdioPipes) closeChildEnds() {
	if !p.closedChildEnd {
		p.inR.Close()
		p.outW.Close()
		p.closedChildEnd = true
	}
}

func (p *stdioPipes) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// runcPiped runs runc (detaching: run -d, restore -d) with the pipes as its
// stdio, which the container keeps; runc's own errors go to a log file.
func (b *bundle) runcPiped(p *stdioPipes, args ...string) {
	b.t.Helper()
	logFile := filepath.Join(b.Dir, fmt.Sprintf("runc-%d.log", time.Now().UnixNano()))
	cmd := exec.Command(runcBin, append([]string{"--root", b.Root, "--log", logFile}, args...)...)
	cmd.Dir = b.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.inR, p.outW, p.outW
	r := harness.RunCmd(b.t, cmd, 300*time.Second)
	p.closeChildEnds()
	if r.Code != 0 {
		log, _ := os.ReadFile(logFile)
		b.t.Fatalf("runc %s: exit %d\nlog: %s\noutput: %s", strings.Join(args, " "), r.Code, log, p.output())
	}
}

// waitOutput waits (up to 2 minutes: the VM lane is slow) until re matches
// the output after offset from, and returns the last match's submatches.
func waitOutput(t *testing.T, what string, get func() string, from int, re *regexp.Regexp) []string {
	t.Helper()
	var last []string
	harness.EventuallyErr(t, 2*time.Minute, func() error {
		out := get()
		from := min(from, len(out))
		if m := re.FindAllStringSubmatch(out[from:], -1); len(m) > 0 {
			last = m[len(m)-1]
			return nil
		}
		return fmt.Errorf("%q does not match %s", lastLines(out, 10), re)
	}, what)
	return last
}

var tickRE = regexp.MustCompile(`tick (\d+) pid (\d+) child (\d+)\r?\n`)

// loopArgs is a shell counting in its memory, "tick N pid P child C" ten
// times a second, with a child (a long sleep, pid C) to keep.
var loopArgs = []string{"sh", "-c", `sleep 1000 & i=0; while true; do echo "tick $i pid $$ child $!"; i=$((i+1)); sleep 0.1; done`}

// ticks returns the counter values in out, in order.
func ticks(t *testing.T, out string) []int {
	t.Helper()
	var n []int
	for _, m := range tickRE.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.Atoi(m[1])
		n = append(n, v)
	}
	return n
}

// waitTick waits for a counter value of at least min after offset from.
func waitTick(t *testing.T, get func() string, from, least int) int {
	t.Helper()
	var last int
	harness.EventuallyErr(t, 2*time.Minute, func() error {
		out := get()
		if n := ticks(t, out[min(from, len(out)):]); len(n) > 0 && n[len(n)-1] >= least {
			last = n[len(n)-1]
			return nil
		}
		return fmt.Errorf("not in %q", lastLines(out, 5))
	}, fmt.Sprintf("a tick >= %d", least))
	return last
}

// checkContinues checks that the counting after a restore (out) goes on
// from where it was before the checkpoint (before) rather than starting
// over, one by one, in the same processes (pids inside the container).
func checkContinues(t *testing.T, before, out string) {
	t.Helper()
	b := ticks(t, before)
	if len(b) == 0 {
		t.Fatalf("no ticks before the checkpoint: %q", before)
	}
	last := b[len(b)-1]
	n := ticks(t, out)
	if len(n) < 3 {
		t.Fatalf("restored output %q: too few ticks", out)
	}
	// CRIU may hand over what was still in the old pipe: a few values
	// again, but never a restart.
	if n[0] > last+1 || n[0] < last-20 {
		t.Fatalf("counter restored at %d, was at %d before the checkpoint: %v", n[0], last, n)
	}
	for i := 1; i < len(n); i++ {
		if n[i] != n[i-1]+1 {
			t.Fatalf("counter not consecutive after restore: %v", n)
		}
	}
	was, m := tickRE.FindStringSubmatch(before), tickRE.FindStringSubmatch(out)
	if m[2] != "1" || m[3] != was[3] {
		t.Fatalf("restored shell has pid %s and child %s inside, was 1 and %s", m[2], m[3], was[3])
	}
}

// cgroupOf returns pid's cgroup: on cgroup v2 its path, on v1 (or hybrid)
// its path in the memory hierarchy.
func cgroupOf(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	unified := ""
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			unified = parts[2]
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				return parts[2]
			}
		}
	}
	if unified == "" {
		t.Fatalf("no cgroup in %s", data)
	}
	return unified
}

// cgroupFile reads a file of pid's cgroup (v2: name as in v2; v1: the
// memory/pids hierarchy's equivalent).
func cgroupFile(t *testing.T, pid int, v2name, v1dir, v1name string) string {
	t.Helper()
	cg := cgroupOf(t, pid)
	p := filepath.Join("/sys/fs/cgroup", cg, v2name)
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		p = filepath.Join("/sys/fs/cgroup", v1dir, cg, v1name)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// deleteLater deletes container id at the end of the test.
func (b *bundle) deleteLater(id string) {
	b.t.Cleanup(func() {
		b.runc("delete", "--force", id)
		if _, err := os.Stat(filepath.Join(b.Root, id)); err == nil {
			b.t.Errorf("state directory of %s left behind", id)
		}
	})
}

// A shell counting in its memory is checkpointed and restored into a new
// ID: the count goes on from where it was, pid 1 inside is the same shell,
// the cgroup and its limits are back, exec joins the restored namespaces.
func TestCheckpointRestoreShellLoop(t *testing.T) {
	requireCriu(t)
	b := newBundle(t, loopArgs...)
	mem, pids := int64(64<<20), int64(64)
	b.Spec.Linux.Resources = &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &mem},
		Pids:   &specs.LinuxPids{Limit: &pids},
	}
	b.write()
	io := newStdioPipes(t)
	b.runcPiped(io, "run", "-d", b.ID)
	waitTick(t, io.output, 0, 5)
	img, work := filepath.Join(b.Dir, "image"), filepath.Join(b.Dir, "work")
	b.mustRunc("checkpoint", "--image-path", img, "--work-path", work, b.ID)
	// The processes are gone, and the container with them.
	select {
	case <-io.eof:
	case <-time.After(time.Minute):
		t.Fatal("the container still holds its stdout after the checkpoint")
	}
	if _, _, code := b.runc("state", b.ID); code == 0 {
		t.Fatal("the container still exists after the checkpoint")
	}
	for _, f := range []string{"descriptors.json", "inventory.img"} {
		if _, err := os.Stat(filepath.Join(img, f)); err != nil {
			t.Errorf("image: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "dump.log")); err != nil {
		t.Errorf("work directory: %v", err)
	}
	before := ticks(t, io.output())
	last := before[len(before)-1]
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, b.CgroupPath())); err == nil {
			t.Errorf("cgroup %s left after the checkpoint", filepath.Join(h, b.CgroupPath()))
		}
	}

	newID := b.ID + "-restored"
	b.deleteLater(newID)
	io2 := newStdioPipes(t)
	pidFile := filepath.Join(b.Dir, "restored.pid")
	b.runcPiped(io2, "restore", "-d", "--pid-file", pidFile, "--image-path", img, "--work-path", work, newID)
	waitTick(t, io2.output, 0, last+5)
	checkContinues(t, io.output(), io2.output())

	st := b.runcState(newID)
	if st["status"] != "running" {
		t.Fatalf("restored container: status %v", st["status"])
	}
	pid := int(st["pid"].(float64))
	if p := readPidFile(t, pidFile); p != pid {
		t.Errorf("--pid-file has %d, state says %d", p, pid)
	}
	if cg := cgroupOf(t, pid); cg != b.CgroupPath() {
		t.Errorf("restored init in cgroup %s, want %s", cg, b.CgroupPath())
	}
	if got := cgroupFile(t, pid, "memory.max", "memory", "memory.limit_in_bytes"); got != strconv.FormatInt(mem, 10) {
		t.Errorf("memory limit after restore: %s, want %d", got, mem)
	}
	if got := cgroupFile(t, pid, "pids.max", "pids", "pids.max"); got != strconv.FormatInt(pids, 10) {
		t.Errorf("pids limit after restore: %s, want %d", got, pids)
	}
	child := tickRE.FindStringSubmatch(io2.output())[3]
	out := b.mustRunc("exec", newID, "ps", "-o", "pid,args")
	if !regexp.MustCompile(`(?m)^\s*1 sh -c sleep 1000 &`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^\s*`+child+` sleep 1000`).MatchString(out) {
		t.Errorf("exec in the restored container sees:\n%s", out)
	}
	// runc ps lists the cgroup's processes: the restored ones are there.
	out = b.mustRunc("ps", newID)
	if !strings.Contains(out, "sleep 1000") || !strings.Contains(out, strconv.Itoa(pid)) {
		t.Errorf("runc ps of the restored container:\n%s", out)
	}
	b.mustRunc("delete", "--force", newID)
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", b.CgroupPath())); err == nil {
		t.Errorf("cgroup %s left after delete", b.CgroupPath())
	}
}

// runcState is `runc state id`.
func (b *bundle) runcState(id string) map[string]any {
	b.t.Helper()
	out := b.mustRunc("state", id)
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		b.t.Fatalf("state JSON: %v: %s", err, out)
	}
	return st
}

// A process with an open file and unix sockets (tests/cmd/criuhold)
// restored in the foreground: its file offset and both connections still
// work, and runc restore exits with the process's status.
func TestCheckpointOpenFileAndSockets(t *testing.T) {
	requireCriu(t)
	b := newBundle(t, "/bin/criuhold", "/tmp/held")
	data, err := os.ReadFile(testCmd(t, "criuhold", "CRIUHOLD_BINARY"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "rootfs/bin/criuhold"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	okRE := regexp.MustCompile(`n=(\d+) pid=(\d+) ok\n`)
	io := newStdioPipes(t)
	b.runcPiped(io, "run", "-d", b.ID)
	m := waitOutput(t, "criuhold", io.output, 0, okRE)
	for n, _ := strconv.Atoi(m[1]); n < 5; n, _ = strconv.Atoi(m[1]) {
		m = waitOutput(t, "criuhold", io.output, 0, okRE)
	}
	img := filepath.Join(b.Dir, "image")
	b.mustRunc("checkpoint", "--image-path", img, b.ID)
	<-io.eof
	before := okRE.FindAllStringSubmatch(io.output(), -1)
	last, _ := strconv.Atoi(before[len(before)-1][1])

	// In the foreground: runc's own stdout gets the output.
	r := b.runAsync("restore", "--image-path", img, b.ID)
	get := r.Stdout
	harness.EventuallyErr(t, 2*time.Minute, func() error {
		exited := r.Exited()
		if all := okRE.FindAllStringSubmatch(get(), -1); len(all) > 0 {
			if n, _ := strconv.Atoi(all[len(all)-1][1]); n >= last+5 {
				return nil
			}
		}
		if strings.Contains(get(), "error:") {
			t.Fatalf("restored criuhold: stdout %q, stderr %q", lastLines(get(), 5), r.Stderr())
		}
		if exited {
			t.Fatalf("runc restore exited: stdout %q, stderr %q", lastLines(get(), 5), r.Stderr())
		}
		return fmt.Errorf("stdout %q, stderr %q", lastLines(get(), 5), r.Stderr())
	}, fmt.Sprintf("restored criuhold counting past %d", last+5))
	after := okRE.FindAllStringSubmatch(get(), -1)
	if first, _ := strconv.Atoi(after[0][1]); first > last+1 || after[0][2] != before[0][2] {
		t.Fatalf("restored at %v, was at %v before the checkpoint", after[0], before[len(before)-1])
	}
	b.mustRunc("kill", b.ID, "KILL")
	if res := r.wait(); res.Code != 128+9 {
		t.Fatalf("runc restore exited %d, want 137 (stderr %q)", res.Code, res.Stderr)
	}
	// The file was written at its fd's offset all along: every number
	// once, in order, none lost or overwritten at the restore.
	held, err := os.ReadFile(filepath.Join(b.Dir, "rootfs/tmp/held"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(held))
	for i, l := range lines {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("held file line %d is %q: %q", i+1, l, lines)
		}
	}
	if len(lines) < last+5 {
		t.Fatalf("held file has %d lines, want at least %d", len(lines), last+5)
	}
	// A foreground restore removes the container once its process exits.
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
		t.Fatal("state directory left after the foreground restore exited")
	}
}

// A pre-dump, then a dump on top of it (--parent-path), then a restore.
func TestCheckpointPreDump(t *testing.T) {
	requireCriu(t)
	b := newBundle(t, loopArgs...)
	io := newStdioPipes(t)
	b.runcPiped(io, "run", "-d", b.ID)
	waitTick(t, io.output, 0, 3)
	pre, final := filepath.Join(b.Dir, "image", "pre"), filepath.Join(b.Dir, "image", "final")
	pid := b.initPid()
	b.mustRunc("checkpoint", "--pre-dump", "--image-path", pre, b.ID)
	if st := b.state(); st["status"] != "running" || int(st["pid"].(float64)) != pid {
		t.Fatalf("after the pre-dump: %v (pid was %d)", st, pid)
	}
	mark := len(io.output())
	n := waitTick(t, io.output, mark, 0)
	waitTick(t, io.output, mark, n+3) // still counting
	if pages, _ := filepath.Glob(filepath.Join(pre, "pages-*.img")); len(pages) == 0 {
		t.Fatal("the pre-dump wrote no memory pages")
	}
	b.mustRunc("checkpoint", "--parent-path", "../pre", "--image-path", final, b.ID)
	<-io.eof
	if target, err := os.Readlink(filepath.Join(final, "parent")); err != nil || target != "../pre" {
		t.Errorf("final dump's parent link: %q, %v", target, err)
	}
	before := ticks(t, io.output())
	last := before[len(before)-1]
	io2 := newStdioPipes(t)
	b.runcPiped(io2, "restore", "-d", "--image-path", final, b.ID)
	waitTick(t, io2.output, 0, last+3)
	checkContinues(t, io.output(), io2.output())

	// Once more: a restored container checkpoints and restores as well
	// (its new pipes are the ones handed over).
	again := filepath.Join(b.Dir, "image", "again")
	b.mustRunc("checkpoint", "--image-path", again, b.ID)
	<-io2.eof
	io3 := newStdioPipes(t)
	b.runcPiped(io3, "restore", "-d", "--image-path", again, b.ID)
	n = ticks(t, io2.output())[len(ticks(t, io2.output()))-1]
	waitTick(t, io3.output, 0, n+3)
	checkContinues(t, io2.output(), io3.output())
}

// --leave-running: the container goes on as if nothing happened.
func TestCheckpointLeaveRunning(t *testing.T) {
	requireCriu(t)
	b := newBundle(t, loopArgs...)
	io := newStdioPipes(t)
	b.runcPiped(io, "run", "-d", b.ID)
	waitTick(t, io.output, 0, 3)
	pid := b.initPid()
	img := filepath.Join(b.Dir, "image")
	b.mustRunc("checkpoint", "--leave-running", "--image-path", img, b.ID)
	if st := b.state(); st["status"] != "running" || int(st["pid"].(float64)) != pid {
		t.Fatalf("after checkpoint --leave-running: %v (pid was %d)", st, pid)
	}
	mark := len(io.output())
	n := waitTick(t, io.output, mark, 0)
	waitTick(t, io.output, mark, n+3)
	if _, err := os.Stat(filepath.Join(img, "descriptors.json")); err != nil {
		t.Fatal(err)
	}
}

// A container with a terminal: restored with --console-socket, the new pty
// master arrives there and the shell goes on writing to it.
func TestCheckpointRestoreConsoleSocket(t *testing.T) {
	requireCriu(t)
	b := newBundle(t, loopArgs...)
	b.Spec.Process.Terminal = true
	b.write()
	recv := newFdReceiver(t)
	b.mustRunc("run", "-d", "--console-socket", recv.Path, b.ID)
	_, master := recv.receive()
	s := newConsoleSession(t, master)
	get := func() string { s.mu.Lock(); defer s.mu.Unlock(); return s.out.String() }
	waitTick(t, get, 0, 3)
	img := filepath.Join(b.Dir, "image")
	b.mustRunc("checkpoint", "--image-path", img, b.ID)
	before := ticks(t, get())
	last := before[len(before)-1]

	recv2 := newFdReceiver(t)
	b.mustRunc("restore", "-d", "--console-socket", recv2.Path, "--image-path", img, b.ID)
	name, master2 := recv2.receive()
	if name == "" {
		t.Error("the pty master came without a name")
	}
	s2 := newConsoleSession(t, master2)
	get2 := func() string { s2.mu.Lock(); defer s2.mu.Unlock(); return s2.out.String() }
	waitTick(t, get2, 0, last+3)
	checkContinues(t, get(), get2())
	if b.status() != "running" {
		t.Fatalf("status %q", b.status())
	}
}

// What a user sees where CRIU is missing: a clear error, and nothing
// changed (the container runs on, no images directory, no state or
// cgroup of a restored container).
func TestCriuErrorsMissingBinary(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	img := filepath.Join(b.Dir, "image")
	criuFails(t, b, nil, "checkpoint error", "criu binary not found: /nonexistent/criu",
		"--criu", "/nonexistent/criu", "checkpoint", "--image-path", img, b.ID)
	checkUnchanged(t, b, img)

	r := restoreBundle(t)
	criuFails(t, r, nil, "restore error", `criu binary not found: criu-not-installed-here: executable file not found in $PATH`,
		"--criu", "criu-not-installed-here", "restore", "-d", "--image-path", fakeImages(t), r.ID)
	checkNoContainer(t, r)
}

// A criu older than 3.0 is refused by version, before anything is done.
func TestCriuErrorsTooOld(t *testing.T) {
	fake := testCmd(t, "fakecriu", "FAKECRIU_BINARY")
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	img := filepath.Join(b.Dir, "image")
	trace := filepath.Join(b.Dir, "trace")
	criuFails(t, b, []string{"FAKECRIU_VERSION=2.9", "FAKECRIU_TRACE=" + trace}, "checkpoint error", "criu version 2.9.0 is too old, need 3.0.0 or later",
		"--criu", fake, "checkpoint", "--image-path", img, b.ID)
	checkUnchanged(t, b, img)
	if got, _ := os.ReadFile(trace); string(got) != "VERSION\n" {
		t.Fatalf("criu was asked %q, want only its version", got)
	}

	r := restoreBundle(t)
	criuFails(t, r, []string{"FAKECRIU_VERSION=2.99.1"}, "restore error", "criu version 2.99.1 is too old, need 3.0.0 or later",
		"--criu", fake, "restore", "-d", "--image-path", fakeImages(t), r.ID)
	checkNoContainer(t, r)
	// A feature a newer CRIU has: --lsm-profile needs 3.16.
	criuFails(t, r, []string{"FAKECRIU_VERSION=3.15"}, "restore error", "criu version 3.15.0 is too old, need 3.16.0 or later for --lsm-profile",
		"--criu", fake, "restore", "-d", "--lsm-profile", "apparmor:x", "--image-path", fakeImages(t), r.ID)
	checkNoContainer(t, r)
}

// A criu that cannot work on this kernel: the error says so (with CRIU's
// reason), not "criu failed: type DUMP errno 0"; nothing is changed.
func TestCriuErrorsCheckFails(t *testing.T) {
	fake := testCmd(t, "fakecriu", "FAKECRIU_BINARY")
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	img := filepath.Join(b.Dir, "image")
	env := []string{"FAKECRIU_ERROR=kerndat_vdso_fill_symtable failed when initializing kerndat."}
	want := "criu cannot work on this system: `criu check` fails: kerndat_vdso_fill_symtable failed when initializing kerndat."
	criuFails(t, b, env, "checkpoint error", want, "--criu", fake, "checkpoint", "--image-path", img, b.ID)
	checkUnchanged(t, b, img)
	// Features are asked for first: missing ones are named.
	criuFails(t, b, []string{"FAKECRIU_NO_FEATURES=1"}, "pre-dump error", "criu 3.17.1 on this system lacks memory tracking (--pre-dump)",
		"--criu", fake, "checkpoint", "--pre-dump", "--image-path", img, b.ID)
	checkUnchanged(t, b, img)

	r := restoreBundle(t)
	images := fakeImages(t)
	criuFails(t, r, env, "restore error", want, "--criu", fake, "restore", "-d", "--image-path", images, r.ID)
	checkNoContainer(t, r)
	if ents, _ := os.ReadDir(images); len(ents) != 1 {
		t.Errorf("images directory changed: %v", ents)
	}
}

// This machine's own criu, if it is installed but fails `criu check`
// (the CI host's kernel): the same clear error.
func TestCriuErrorsHostCriu(t *testing.T) {
	// Without criu, TestCriuErrorsMissingBinary covers this; where criu
	// works, the TestCheckpoint* tests run.
	harness.Requires(t, harness.CriuInstalled, harness.Not(harness.Criu))
	out, err := exec.Command("criu", "check").CombinedOutput()
	t.Logf("criu check: %v: %s", err, lastLines(string(out), 2))
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	img := filepath.Join(b.Dir, "image")
	want := "criu cannot work on this system: `criu check` fails: "
	criuFails(t, b, nil, "checkpoint error", want, "checkpoint", "--image-path", img, b.ID)
	checkUnchanged(t, b, img)
	r := restoreBundle(t)
	criuFails(t, r, nil, "restore error", want, "restore", "-d", "--image-path", fakeImages(t), r.ID)
	checkNoContainer(t, r)
}

// criuFails runs runc with env added and args: it must fail (exit 1) with
// want in its error message.
func criuFails(t *testing.T, b *bundle, env []string, what, want string, args ...string) {
	t.Helper()
	res := b.runEnv(env, args...)
	if res.Code != 1 {
		t.Fatalf("%s: exit %d, stderr %q", what, res.Code, res.Stderr)
	}
	mustContain(t, what, errMsg(res.Stderr), want)
}

// Checkpoint's own errors, before CRIU is asked anything (runc's wording).
func TestCriuErrorsUsage(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("create", b.ID)
	fake := testCmd(t, "fakecriu", "FAKECRIU_BINARY")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"checkpoint", b.ID}, "Container cannot be checkpointed in created state"},
		{[]string{"checkpoint", "nosuch"}, "container does not exist"},
		{[]string{"checkpoint", "--manage-cgroups-mode", "bogus", b.ID}, "Invalid manage cgroups mode"},
		{[]string{"checkpoint", "--page-server", "nowhere", b.ID}, "Use --page-server ADDRESS:PORT to specify page server"},
		{[]string{"checkpoint", "--parent-path", "/abs", b.ID}, "--parent-path must be relative"},
		{[]string{"checkpoint", "--empty-ns", "pid", b.ID}, `namespace "pid" is not supported`},
		{[]string{"restore", "-d", "--image-path", filepath.Join(b.Dir, "none"), b.ID + "-r"}, "images directory: stat " + filepath.Join(b.Dir, "none")},
		{[]string{"restore", "-d", "--image-path", fakeImages(t), b.ID}, "container with id exists: " + b.ID},
	} {
		_, stderr, code := b.runc(append([]string{"--criu", fake}, c.args...)...)
		if code != 1 {
			t.Errorf("runc %v: exit %d", c.args, code)
		}
		mustContain(t, fmt.Sprint(c.args), errMsg(stderr), c.want)
	}
	b.mustRunc("start", b.ID)
	img := filepath.Join(b.Dir, "checkpoint")
	_, stderr, _ := b.runc("--criu", fake, "checkpoint", "--parent-path", "nosuch", b.ID)
	mustContain(t, "missing parent", errMsg(stderr), "invalid --parent-path: stat "+filepath.Join(img, "nosuch"))
	if _, err := os.Stat(img); err == nil {
		t.Errorf("%s created by a failed checkpoint", img)
	}
}

// checkUnchanged checks that a failed checkpoint left b running, not
// frozen, with no images directory.
func checkUnchanged(t *testing.T, b *bundle, img string) {
	t.Helper()
	if s := b.status(); s != "running" {
		t.Fatalf("container %s after a failed checkpoint", s)
	}
	if _, err := os.Stat(img); err == nil {
		t.Fatalf("images directory %s made by a failed checkpoint", img)
	}
	if _, err := os.Stat(filepath.Join(b.Dir, "checkpoint")); err == nil {
		t.Fatal("default images directory made by a failed checkpoint")
	}
}

// restoreBundle is a bundle to restore into (nothing runs in it).
func restoreBundle(t *testing.T) *bundle {
	t.Helper()
	return newBundle(t, "sleep", "100")
}

// checkNoContainer checks that a failed restore left no trace of b.
func checkNoContainer(t *testing.T, b *bundle) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
		t.Fatal("state directory left by a failed restore")
	}
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, b.CgroupPath())); err == nil {
			t.Fatalf("cgroup %s left by a failed restore", filepath.Join(h, b.CgroupPath()))
		}
	}
}

// fakeImages is an images directory as a checkpoint leaves it, for the
// restore error paths (CRIU never gets to read it).
func fakeImages(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "descriptors.json"), []byte(`["/dev/null","pipe:[1]","pipe:[1]"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runEnv is run with extra environment variables for runc.
func (b *bundle) runEnv(env []string, args ...string) result {
	b.t.Helper()
	return b.runAsyncOpts(runOpts{env: env}, args...).wait()
}

// Lazy migration: checkpoint --lazy-pages serves the memory from a page
// server and says so on --status-fd; restore --lazy-pages (into a new ID
// and cgroup, while the checkpoint still serves) fetches it through
// `criu lazy-pages`.
func TestCheckpointLazyPages(t *testing.T) {
	requireCriu(t)
	b := newBundle(t, loopArgs...)
	io := newStdioPipes(t)
	b.runcPiped(io, "run", "-d", b.ID)
	waitTick(t, io.output, 0, 3)
	img := filepath.Join(b.Dir, "image")
	statusR, statusW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer statusR.Close()
	const port = "27277"
	cpt := b.runAsyncFiles([]*os.File{statusW}, "checkpoint", "--lazy-pages", "--page-server", "127.0.0.1:"+port,
		"--status-fd", "3", "--image-path", img, b.ID)
	statusW.Close()
	ready := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 8)
		n, _ := statusR.Read(buf)
		ready <- buf[:n]
	}()
	select {
	case got := <-ready:
		if string(got) != "\x00" {
			res := cpt.wait()
			if strings.Contains(res.Stderr, "lacks lazy pages") {
				harness.Skipf(t, "no lazy pages here: %s", errMsg(res.Stderr))
			}
			t.Fatalf("--status-fd got %q; checkpoint: %+v", got, res)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("--status-fd: nothing after 2 minutes")
	}
	if _, err := os.Stat(filepath.Join(img, "inventory.img")); err != nil {
		t.Fatal(err)
	}
	lazy := exec.Command("criu", "lazy-pages", "--page-server", "--address", "127.0.0.1", "--port", port, "-D", img)
	lazyOut := b.tempFile()
	lazy.Stdout, lazy.Stderr = lazyOut, lazyOut
	if err := lazy.Start(); err != nil {
		t.Fatal(err)
	}
	lazyDone := make(chan error, 1)
	go func() { lazyDone <- lazy.Wait() }()
	t.Cleanup(func() {
		select {
		case <-lazyDone:
		default:
			lazy.Process.Kill()
			<-lazyDone
		}
	})

	// Another bundle directory on the same rootfs, with its own cgroup.
	b2 := filepath.Join(b.Dir, "bundle2")
	if err := os.Mkdir(b2, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := *b.Spec
	root, linux := *spec.Root, *spec.Linux
	root.Path = filepath.Join(b.Dir, "rootfs")
	linux.CgroupsPath = b.CgroupPath() + "-lazy"
	spec.Root, spec.Linux = &root, &linux
	data, err := json.Marshal(&spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b2, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	newID := b.ID + "-lazy"
	b.deleteLater(newID)
	t.Cleanup(func() {
		if err := removeCgroups(linux.CgroupsPath); err != nil {
			t.Errorf("cgroups left behind: %v", err)
		}
	})
	io2 := newStdioPipes(t)
	b.runcPiped(io2, "restore", "-d", "--lazy-pages", "--image-path", img, "--bundle", b2, newID)
	waitTick(t, io2.output, 0, 0)
	select {
	case <-cpt.Done():
	case <-time.After(2 * time.Minute):
		t.Fatal("checkpoint --lazy-pages still serving pages 2 minutes after the restore")
	}
	if res := cpt.wait(); res.Code != 0 {
		t.Fatalf("checkpoint --lazy-pages: exit %d: %s", res.Code, res.Stderr)
	}
	<-io.eof
	last := waitTick(t, io2.output, 0, 0)
	waitTick(t, io2.output, 0, last+3)
	checkContinues(t, io.output(), io2.output())
	if _, _, code := b.runc("state", b.ID); code == 0 {
		t.Error("the checkpointed container still exists")
	}
	select {
	case err := <-lazyDone:
		lazyDone <- err
		if err != nil {
			t.Errorf("criu lazy-pages: %v: %s", err, readAll(lazyOut))
		}
	case <-time.After(time.Minute):
		t.Errorf("criu lazy-pages still running: %s", readAll(lazyOut))
	}
}
