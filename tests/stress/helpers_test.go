package stress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

var idSeq atomic.Int64

// bundle is one container: a bundle directory whose config.json uses the
// shared rootfs, and the state root it is created under.
type bundle struct {
	t    testing.TB
	ID   string
	Dir  string
	Root string // --root
	Bin  string // the runtime binary (runcBin unless comparing)
	Spec *specs.Spec
}

// newBundle makes a bundle under baseDir running args, with its own state
// root unless root is given.
func newBundle(t testing.TB, root string, args ...string) *bundle {
	t.Helper()
	id := fmt.Sprintf("%s-%d", tag, idSeq.Add(1))
	dir := filepath.Join(baseDir, id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if root == "" {
		root = filepath.Join(dir, "state")
	}
	b := &bundle{t: t, ID: id, Dir: dir, Root: root, Bin: runcBin}
	b.Spec = newSpec(t, b.CgroupPath(), args...)
	b.write()
	// A safety net, so that a failed test does not spill into the next:
	// the tests check for leaks before this runs.
	t.Cleanup(func() {
		b.runc("delete", "--force", b.ID)
		removeCgroups(b.CgroupPath())
	})
	return b
}

// CgroupPath is the container's cgroupsPath.
func (b *bundle) CgroupPath() string { return cgPrefix + "/" + b.ID }

func (b *bundle) write() {
	b.t.Helper()
	data, err := json.MarshalIndent(b.Spec, "", "\t")
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "config.json"), data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// remove deletes the bundle directory (after the container is gone).
func (b *bundle) remove() { os.RemoveAll(b.Dir) }

// result is what one runc invocation gave.
type result struct {
	Stdout, Stderr string
	Code           int // 128+N if killed by signal N
	Dur            time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
}

// call describes one runc invocation.
type call struct {
	stdin  io.Reader
	stdout *os.File // nil: a temporary file whose content goes in result
	env    []string // added to the environment
}

// runc runs the bundle's runtime with --root b.Root in the bundle
// directory, with a 60s timeout.
func (b *bundle) runc(args ...string) result {
	b.t.Helper()
	return b.runcWith(call{}, args...)
}

func (b *bundle) runcWith(c call, args ...string) result {
	b.t.Helper()
	p := b.start(c, args...)
	return p.wait(60 * time.Second)
}

// mustRunc runs runc and fails the test unless it exits 0.
func (b *bundle) mustRunc(args ...string) result {
	b.t.Helper()
	r := b.runc(args...)
	if r.Code != 0 {
		b.t.Fatalf("runc %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// proc is a runc invocation in progress.
type proc struct {
	b              *bundle
	args           []string
	cmd            *exec.Cmd
	stdout, stderr *os.File
	ownStdout      bool
	start          time.Time
	done           chan struct{}
	err            error
}

// start starts runc in the background. Its output goes to files, not
// pipes: a container started by create or run -d keeps runc's stdio open.
func (b *bundle) start(c call, args ...string) *proc {
	b.t.Helper()
	p := &proc{b: b, args: args, done: make(chan struct{})}
	p.cmd = exec.Command(b.Bin, append([]string{"--root", b.Root}, args...)...)
	p.cmd.Dir = b.Dir
	if _, err := os.Stat(b.Dir); err != nil {
		p.cmd.Dir = baseDir // a cleanup after the bundle was removed
	}
	p.cmd.Stdin = c.stdin
	p.cmd.Env = append(os.Environ(), c.env...)
	p.stdout, p.ownStdout = c.stdout, c.stdout == nil
	if p.ownStdout {
		p.stdout = tempFile(b.t)
	}
	p.stderr = tempFile(b.t)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := startTracked(p.cmd); err != nil {
		b.t.Fatal(err)
	}
	p.start = time.Now()
	b.t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	go func() {
		p.err = p.cmd.Wait()
		untrack(p.cmd.Process.Pid)
		close(p.done)
	}()
	return p
}

// wait waits for runc to exit; after timeout it is killed and the test
// fails.
func (p *proc) wait(timeout time.Duration) result {
	p.b.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		r := p.result()
		p.b.t.Fatalf("runc %s: timed out after %v: %s", strings.Join(p.args, " "), timeout, r)
	}
	return p.result()
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) result() result {
	r := result{Stderr: readAll(p.stderr), Dur: time.Since(p.start)}
	if p.ownStdout {
		r.Stdout = readAll(p.stdout)
		p.stdout.Close()
	}
	p.stderr.Close()
	if ee, ok := p.err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
		}
	} else if p.err != nil {
		r.Code = -1
		r.Stderr += p.err.Error()
	}
	return r
}

// waitStderr waits until runc's stderr contains s and returns it.
func (p *proc) waitStderr(s string, timeout time.Duration) string {
	p.b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := readAll(p.stderr)
		if strings.Contains(out, s) {
			return out
		}
		if time.Now().After(deadline) || p.exited() {
			p.b.t.Fatalf("runc %s: no %q on stderr (exited %v): %q", strings.Join(p.args, " "), s, p.exited(), out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func tempFile(t testing.TB) *os.File {
	f, err := os.CreateTemp(baseDir, ".out-*")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(f.Name())
	return f
}

func readAll(f *os.File) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	return string(data)
}

// The processes this test started and is waiting for; any other child is
// an orphan we adopted as subreaper, reaped by reapOrphans.
var (
	trackMu sync.Mutex
	tracked = map[int]bool{}
)

func startTracked(cmd *exec.Cmd) error {
	trackMu.Lock()
	defer trackMu.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	tracked[cmd.Process.Pid] = true
	return nil
}

// combinedOutput is exec.Cmd.CombinedOutput for a command the orphan
// reaper must leave alone.
func combinedOutput(name string, args ...string) ([]byte, error) {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := startTracked(cmd); err != nil {
		return nil, err
	}
	err := cmd.Wait()
	untrack(cmd.Process.Pid)
	return out.Bytes(), err
}

func untrack(pid int) {
	trackMu.Lock()
	delete(tracked, pid)
	trackMu.Unlock()
}

// children returns the pids of our children (every thread's).
func children() []int {
	var pids []int
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(s); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	sort.Ints(pids)
	return pids
}

// reapOrphans reaps adopted children that have exited and returns the
// live ones (besides the runc invocations in progress).
func reapOrphans() []int {
	trackMu.Lock()
	defer trackMu.Unlock()
	var live []int
	for _, pid := range children() {
		if tracked[pid] {
			continue
		}
		var ws unix.WaitStatus
		if p, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); p == pid || err == unix.ECHILD {
			continue
		}
		live = append(live, pid)
	}
	return live
}

// describe names a process for a leak report.
func describe(pid int) string {
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	state := "?"
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) {
		state = string(stat[i+2])
	}
	return fmt.Sprintf("%d (%s) %q", pid, state, strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " "))
}

// removeCgroups removes the cgroup path from every hierarchy, deepest first,
// and returns the directories below it that were still there.
func removeCgroups(path string) []string {
	var left []string
	for _, h := range testhost.CgroupHierarchies() {
		root := filepath.Join(h, path)
		var dirs []string
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if dirs[i] != root {
				left = append(left, dirs[i])
			}
			os.Remove(dirs[i])
		}
	}
	return left
}

// machineCgroups returns the parents of our own cgroups (other than the
// roots): the machine that runs us makes and removes siblings of our cgroup
// there all the time. Nothing of ours is created there (every test cgroup
// path is absolute, under cgPrefix).
func machineCgroups() map[string]bool {
	skip := map[string]bool{}
	data, _ := os.ReadFile("/proc/self/cgroup")
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 || f[2] == "/" {
			continue
		}
		for _, h := range testhost.CgroupHierarchies() {
			if _, err := os.Stat(filepath.Join(h, f[2])); err == nil {
				skip[filepath.Join(h, filepath.Dir(f[2]))] = true
			}
		}
	}
	return skip
}

// snapshot is what the host looks like, as far as a runtime could leak.
type snapshot struct {
	mounts   []string // /proc/self/mountinfo without the mount IDs
	cgroups  map[string]bool
	children []int // live adopted orphans
	fds      int   // our open fds
	procs    int   // processes on the host
	state    []string
}

// takeSnapshot looks at the host; roots are state roots whose entries count.
func takeSnapshot(roots ...string) snapshot {
	s := snapshot{cgroups: map[string]bool{}}
	data, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if f := strings.SplitN(line, " ", 3); len(f) == 3 {
			s.mounts = append(s.mounts, f[2])
		}
	}
	sort.Strings(s.mounts)
	skip := machineCgroups()
	for _, h := range testhost.CgroupHierarchies() {
		filepath.WalkDir(h, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				if skip[p] {
					return filepath.SkipDir
				}
				s.cgroups[p] = true
			}
			return nil
		})
	}
	s.children = reapOrphans()
	s.fds = countFds()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			s.procs++
		}
	}
	for _, r := range roots {
		ents, _ := os.ReadDir(r)
		for _, e := range ents {
			s.state = append(s.state, filepath.Join(r, e.Name()))
		}
	}
	return s
}

func countFds() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents) - 1 // the directory itself
}

// leaks compares a later snapshot with an earlier one. ours are changes
// that carry the run's tag (or are our children, fds, state entries);
// foreign ones could be another user's on a shared machine.
func (after snapshot) leaks(before snapshot) (ours, foreign []string) {
	add := func(s string, mine bool) {
		if mine {
			ours = append(ours, s)
		} else {
			foreign = append(foreign, s)
		}
	}
	mine := func(s string) bool {
		return strings.Contains(s, tag) || strings.Contains(s, baseDir)
	}
	bm := map[string]int{}
	for _, m := range before.mounts {
		bm[m]++
	}
	for _, m := range after.mounts {
		if bm[m] > 0 {
			bm[m]--
			continue
		}
		add("new mount: "+m, mine(m))
	}
	for m, n := range bm {
		for ; n > 0; n-- {
			add("mount gone: "+m, mine(m))
		}
	}
	for p := range after.cgroups {
		// The parent of every test cgroup stays until TestMain ends, as
		// runtimes leave parents of a cgroupsPath in place.
		if !before.cgroups[p] && !strings.HasSuffix(p, cgPrefix) {
			add("new cgroup: "+p, mine(p))
		}
	}
	for p := range before.cgroups {
		if !after.cgroups[p] && mine(p) {
			add("cgroup gone: "+p, true)
		}
	}
	for _, pid := range after.children {
		add("process left: "+describe(pid), true)
	}
	if after.fds > before.fds {
		add(fmt.Sprintf("open fds: %d, were %d", after.fds, before.fds), true)
	}
	for _, s := range after.state {
		add("state entry left: "+s, true)
	}
	sort.Strings(ours)
	sort.Strings(foreign)
	return ours, foreign
}

// checkHost fails t if the host changed since before; it waits up to 10s
// for processes on their way out. It returns the final snapshot.
func checkHost(t testing.TB, before snapshot, roots ...string) snapshot {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		after := takeSnapshot(roots...)
		ours, foreign := after.leaks(before)
		if (len(ours) == 0 && (len(foreign) == 0 || !strict)) || time.Now().After(deadline) {
			for _, l := range foreign {
				if strict {
					t.Errorf("host changed (not tagged %s; STRESS_STRICT=0 to only report): %s", tag, l)
				} else {
					t.Logf("host changed, not by us: %s", l)
				}
			}
			for _, l := range ours {
				t.Errorf("leak: %s", l)
			}
			return after
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// report prints before/after figures.
func report(t testing.TB, what string, before, after snapshot) {
	t.Logf("%s: mounts %d -> %d, cgroup dirs %d -> %d, adopted processes %d -> %d, host processes %d -> %d, caller fds %d -> %d, state entries %d -> %d",
		what, len(before.mounts), len(after.mounts), len(before.cgroups), len(after.cgroups),
		len(before.children), len(after.children), before.procs, after.procs,
		before.fds, after.fds, len(before.state), len(after.state))
}

// stateOf returns `runc state` decoded, or nil if it failed.
func (b *bundle) stateOf() (map[string]any, result) {
	b.t.Helper()
	r := b.runc("state", b.ID)
	if r.Code != 0 {
		return nil, r
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		b.t.Fatalf("state: bad JSON: %v: %q", err, r.Stdout)
	}
	return st, r
}

func (b *bundle) status() string {
	b.t.Helper()
	st, r := b.stateOf()
	if st == nil {
		b.t.Fatalf("state %s: %s", b.ID, r)
	}
	s, _ := st["status"].(string)
	return s
}

// waitStatus polls until the container shows want.
func (b *bundle) waitStatus(want string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := b.status()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: status %q, want %q", b.ID, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (b *bundle) initPid() int {
	b.t.Helper()
	st, r := b.stateOf()
	if st == nil {
		b.t.Fatalf("state %s: %s", b.ID, r)
	}
	pid, _ := st["pid"].(float64)
	return int(pid)
}

// cgroupProcs lists the processes in the container's pids cgroup (or the
// v2 cgroup).
func (b *bundle) cgroupProcs() []int {
	var pids []int
	for _, h := range testhost.CgroupHierarchies() {
		if filepath.Base(h) != "pids" && h != "/sys/fs/cgroup" {
			continue
		}
		data, _ := os.ReadFile(filepath.Join(h, b.CgroupPath(), "cgroup.procs"))
		for _, s := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(s); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

func mustContain(t testing.TB, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%s: %q does not contain %q", what, s, sub)
	}
}

// waitFor polls cond for up to timeout.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
