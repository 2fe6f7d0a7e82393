package stress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// bundle is one container (harness.Bundle): a bundle directory under
// baseDir whose config.json uses the shared read-only rootfs, and the state
// root it is created under.
type bundle struct {
	*harness.Bundle
	t testing.TB
}

// newBundle makes a bundle under baseDir running args, with its own state
// root unless root is given. When the test ends the container is deleted,
// and the test fails if its state directory or cgroup is left (the tests
// check for every other leak themselves, with checkHost).
func newBundle(t testing.TB, root string, args ...string) *bundle {
	t.Helper()
	id := harness.NewID()
	b := harness.New(t, harness.Options{Args: args, ID: id, Dir: filepath.Join(baseDir, id), Root: root, Rootfs: rootfs})
	return &bundle{b, t}
}

func (b *bundle) write() {
	b.t.Helper()
	b.Write()
}

// remove deletes the bundle directory (after the container is gone).
func (b *bundle) remove() { os.RemoveAll(b.Dir) }

// result is what one runc invocation gave, and how long it took.
type result struct {
	harness.Result
	Dur time.Duration
}

// call describes one runc invocation.
type call struct {
	stdin  io.Reader
	stdout *os.File // nil: a temporary file whose content goes in result
	env    []string // added to the environment
	bin    string   // the runc to run instead of the bundle's
}

// runc runs the bundle's runtime with --root b.Root in the bundle
// directory, with a 60s timeout.
func (b *bundle) runc(args ...string) result {
	b.t.Helper()
	return b.runcWith(call{}, args...)
}

func (b *bundle) runcWith(c call, args ...string) result {
	b.t.Helper()
	return b.start(c, args...).wait(harness.RunTimeout)
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

// proc is a runc invocation in progress (harness.Proc).
type proc struct {
	*harness.Proc
}

// start starts runc in the background.
func (b *bundle) start(c call, args ...string) *proc {
	b.t.Helper()
	return &proc{b.Start(harness.Call{Stdin: c.stdin, Stdout: c.stdout, Env: c.env, Bin: c.bin}, args...)}
}

// wait waits for runc to exit; after timeout it is killed and the test
// fails. Its output files are closed: the tests count our open fds.
func (p *proc) wait(timeout time.Duration) result {
	defer p.Close()
	return result{p.Wait(timeout), p.Dur()}
}

// result is what the exited runc gave.
func (p *proc) result() result {
	defer p.Close()
	return result{p.Result(), p.Dur()}
}

// waitStderr waits until runc's stderr contains s and returns it.
func (p *proc) waitStderr(s string, timeout time.Duration) string {
	return p.WaitStderr(s, timeout)
}

// combinedOutput is exec.Cmd.CombinedOutput for a command the orphan
// reaper must leave alone.
func combinedOutput(name string, args ...string) ([]byte, error) {
	return harness.Output(name, args...)
}

// reapOrphans reaps adopted children that have exited and returns the
// live ones (besides the runc invocations in progress).
func reapOrphans() []int { return harness.Orphans() }

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
func removeCgroups(path string) []string { return harness.RemoveCgroups(path) }

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
// for processes on their way out. It returns the final snapshot. Our
// changes are a leak only if no snapshot was free of them: a leak stays,
// while what looks like one for a moment goes (an fd the background
// reaper has open while it reads /proc, a process on its way out); the
// changes of others are those of the last snapshot.
func checkHost(t testing.TB, before snapshot, roots ...string) snapshot {
	t.Helper()
	var (
		after         snapshot
		ours, foreign []string
		clean         bool
	)
	harness.Poll(10*time.Second, func() bool {
		after = takeSnapshot(roots...)
		var o []string
		o, foreign = after.leaks(before)
		if !clean {
			ours = o
			clean = len(o) == 0
		}
		return clean && (len(foreign) == 0 || !strict)
	})
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

// report prints before/after figures.
func report(t testing.TB, what string, before, after snapshot) {
	t.Logf("%s: mounts %d -> %d, cgroup dirs %d -> %d, adopted processes %d -> %d, host processes %d -> %d, caller fds %d -> %d, state entries %d -> %d",
		what, len(before.mounts), len(after.mounts), len(before.cgroups), len(after.cgroups),
		len(before.children), len(after.children), before.procs, after.procs,
		before.fds, after.fds, len(before.state), len(after.state))
}

// stateOf returns `runc state` decoded, or nil if it failed.
func (b *bundle) stateOf() (map[string]any, harness.Result) {
	b.t.Helper()
	return b.State()
}

func (b *bundle) status() string {
	b.t.Helper()
	return b.Status()
}

// waitStatus polls until the container shows want.
func (b *bundle) waitStatus(want string) {
	b.t.Helper()
	b.WaitStatus(want)
}

func (b *bundle) initPid() int {
	b.t.Helper()
	return b.InitPid()
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
