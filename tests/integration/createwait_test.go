package integration

// A create must never hang: a cgroup the init would freeze in, or share
// with others, is refused before the init starts (as runc 1.5 does), and
// every wait on runc init ends, when it is gone or stuck (frozen, stopped),
// in a clear error with nothing left behind.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// freezerDir is the v1 freezer directory of cgroup path p.
func freezerDir(p string) string { return filepath.Join("/sys/fs/cgroup/freezer", p) }

// writeCgroupFile writes a cgroup file, failing the test on error.
func writeCgroupFile(t *testing.T, path, value string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		t.Fatal(err)
	}
}

// freezeV1 makes the v1 freezer cgroup dir (one of the test's) and freezes
// it; it is thawed when the test ends, before the bundles are cleaned up.
func freezeV1(t *testing.T, dir string) {
	t.Helper()
	requireCgroupV1(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeCgroupFile(t, filepath.Join(dir, "freezer.state"), "FROZEN")
	t.Cleanup(func() { _ = os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0) })
}

// within waits up to d for a background runc. On a timeout it kills it and
// fails the test: the command hung.
func (r *asyncRun) within(d time.Duration, what string) result {
	r.b.t.Helper()
	select {
	case <-r.Done():
		return r.Result()
	case <-time.After(d):
		r.Cmd.Process.Kill()
		r.b.t.Fatalf("%s: runc still waiting after %s (it hangs); stderr %q", what, d, r.Stderr())
		return result{}
	}
}

var runcLogMsg = regexp.MustCompile(`msg="((?:[^"\\]|\\.)*)"`)

// failure returns the text of runc's last error log line ("runc run
// failed: ..."), unquoted.
func failure(stderr string) string {
	m := runcLogMsg.FindAllStringSubmatch(stderr, -1)
	if len(m) == 0 {
		return strings.TrimSpace(stderr)
	}
	s, err := strconv.Unquote(`"` + m[len(m)-1][1] + `"`)
	if err != nil {
		return m[len(m)-1][1]
	}
	return s
}

// cgroupDirsOf lists the hierarchies in which cgroup path p exists.
func cgroupDirsOf(p string) []string {
	var out []string
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, p)); err == nil {
			out = append(out, filepath.Join(h, p))
		}
	}
	return out
}

// checkNothingMade checks that a refused create left no state directory
// and made no cgroup directory besides those in keep.
func checkNothingMade(t *testing.T, b *bundle, keep ...string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
		t.Errorf("state directory of %s left behind", b.ID)
	}
	for _, d := range cgroupDirsOf(b.CgroupPath()) {
		found := false
		for _, k := range keep {
			found = found || d == k
		}
		if !found {
			t.Errorf("cgroup %s made by a refused create", d)
		}
	}
}

// TestCreateRefusesFrozenCgroup: run -d and create with a cgroupsPath whose
// freezer is already FROZEN are refused before runc init starts, with
// runc 1.5's words and exit code (the init, born frozen, never reported:
// runc hung). The frozen cgroup, not ours, stays as it was.
func TestCreateRefusesFrozenCgroup(t *testing.T) {
	requireCgroupV1(t)
	ours, ref := differential(t, func(t *testing.T, bin string) []string {
		var got []string
		for _, cmd := range [][]string{{"run", "-d"}, {"create"}} {
			b := newBundleWith(t, bin, "true")
			dir := freezerDir(b.CgroupPath())
			freezeV1(t, dir)
			r := b.runAsync(append(cmd, b.ID)...).within(20*time.Second, strings.Join(cmd, " "))
			if r.Code != 1 {
				t.Errorf("%s: exit %d, want 1; stderr %q", cmd, r.Code, r.Stderr)
			}
			got = append(got, fmt.Sprintf("%d %s", r.Code, failure(r.Stderr)))
			checkNothingMade(t, b, dir)
			if st, err := os.ReadFile(filepath.Join(dir, "freezer.state")); err != nil || strings.TrimSpace(string(st)) != "FROZEN" {
				t.Errorf("freezer.state of the refused cgroup: %q, %v", st, err)
			}
			if procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs")); len(procs) != 0 {
				t.Errorf("processes left in the frozen cgroup: %q", procs)
			}
		}
		return got
	})
	want := []string{"1 runc run failed: container's cgroup unexpectedly frozen", "1 runc create failed: container's cgroup unexpectedly frozen"}
	if strings.Join(ours, "\n") != strings.Join(want, "\n") || strings.Join(ref, "\n") != strings.Join(want, "\n") {
		t.Errorf("ours %q, runc 1.5.3 %q, want %q", ours, ref, want)
	}
}

// TestCreateRefusesFrozenAncestor: a cgroup yet to be made, below a
// frozen one, would be born frozen too (runc 1.5.3 hangs there): ours
// refuses before making it, naming the frozen cgroup; for the v1 freezer
// and for the cgroup v2 freezer of a hybrid host's unified hierarchy.
func TestCreateRefusesFrozenAncestor(t *testing.T) {
	requireCgroupV1(t)
	for _, tc := range []struct{ name, hier, file, value, thaw string }{
		{"v1", "/sys/fs/cgroup/freezer", "freezer.state", "FROZEN", "THAWED"},
		{"unified", "/sys/fs/cgroup/unified", "cgroup.freeze", "1", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(tc.hier, "cgroup.procs")); err != nil {
				t.Fatalf("no %s hierarchy: %v", tc.hier, err)
			}
			b := newBundle(t, "true")
			parent := b.CgroupPath()
			b.Spec.Linux.CgroupsPath = parent + "/ct"
			b.write()
			pdir := filepath.Join(tc.hier, parent)
			if err := os.MkdirAll(pdir, 0o755); err != nil {
				t.Fatal(err)
			}
			writeCgroupFile(t, filepath.Join(pdir, tc.file), tc.value)
			t.Cleanup(func() { _ = os.WriteFile(filepath.Join(pdir, tc.file), []byte(tc.thaw), 0) })
			r := b.runAsync("run", "-d", b.ID).within(20*time.Second, "run -d")
			want := "runc run failed: container's cgroup unexpectedly frozen: " + pdir + " is frozen"
			if r.Code != 1 || failure(r.Stderr) != want {
				t.Errorf("run -d: exit %d, %q; want 1, %q", r.Code, failure(r.Stderr), want)
			}
			if d := cgroupDirsOf(b.Spec.Linux.CgroupsPath); len(d) > 0 {
				t.Errorf("cgroups made by a refused create: %v", d)
			}
			if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
				t.Errorf("state directory left behind")
			}
		})
	}
}

// startInCgroups starts a `sleep` and moves it into cgroup path p of the
// v1 hierarchies ctrls (made if need be); it is killed when the test ends.
func startInCgroups(t *testing.T, p string, ctrls ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		for _, c := range ctrls {
			os.Remove(filepath.Join("/sys/fs/cgroup", c, p))
		}
	})
	for _, c := range ctrls {
		dir := filepath.Join("/sys/fs/cgroup", c, p)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeCgroupFile(t, filepath.Join(dir, "cgroup.procs"), strconv.Itoa(cmd.Process.Pid))
	}
	return cmd
}

// inCgroup reports whether pid is in cgroup path p of v1 hierarchy ctrl.
func inCgroup(pid int, ctrl, p string) bool {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && f[2] == p {
			for _, c := range strings.Split(f[1], ",") {
				if c == ctrl {
					return true
				}
			}
		}
	}
	return false
}

// TestCreateRefusesNonEmptyCgroup: a cgroup that already holds a process
// is not shared: run -d, create and run are refused with runc 1.5's words
// and exit code, the process is left alone where it was, and once it is
// gone the very same cgroup (existing, empty) is taken.
func TestCreateRefusesNonEmptyCgroup(t *testing.T) {
	requireCgroupV1(t)
	ours, ref := differential(t, func(t *testing.T, bin string) []string {
		b := newBundleWith(t, bin, "true")
		sleeper := startInCgroups(t, b.CgroupPath(), "devices", "memory", "freezer")
		keep := cgroupDirsOf(b.CgroupPath())
		var got []string
		for _, cmd := range [][]string{{"run", "-d"}, {"create"}, {"run"}} {
			r := b.runAsync(append(cmd, b.ID)...).within(20*time.Second, strings.Join(cmd, " "))
			got = append(got, fmt.Sprintf("%d %s", r.Code, failure(r.Stderr)))
			checkNothingMade(t, b, keep...)
		}
		if err := syscall.Kill(sleeper.Process.Pid, 0); err != nil {
			t.Errorf("the cgroup's process: %v", err)
		}
		for _, c := range []string{"devices", "memory", "freezer"} {
			if !inCgroup(sleeper.Process.Pid, c, b.CgroupPath()) {
				t.Errorf("the cgroup's process was moved out of its %s cgroup", c)
			}
		}
		// Empty now, it is the container's.
		sleeper.Process.Kill()
		sleeper.Wait()
		if r := b.runAsync("run", b.ID).within(20*time.Second, "run"); r.Code != 0 {
			t.Errorf("run in the existing, empty cgroup: exit %d, %q", r.Code, r.Stderr)
		}
		return got
	})
	var want []string
	for _, cmd := range []string{"run", "create", "run"} {
		want = append(want, "1 runc "+cmd+" failed: container's cgroup is not empty: 1 process(es) found")
	}
	if strings.Join(ours, "\n") != strings.Join(want, "\n") || strings.Join(ref, "\n") != strings.Join(want, "\n") {
		t.Errorf("ours %q, runc 1.5.3 %q, want %q", ours, ref, want)
	}
}

// TestCreateRefusesProcessInAnyHierarchy: runc 1.5 only looks at the
// devices hierarchy (and shares, say, the memory cgroup of a process that
// lives there alone); ours looks at each, sub-cgroups included.
func TestCreateRefusesProcessInAnyHierarchy(t *testing.T) {
	requireCgroupV1(t)
	b := newBundle(t, "true")
	startInCgroups(t, b.CgroupPath()+"/sub", "memory")
	r := b.runAsync("run", "-d", b.ID).within(20*time.Second, "run -d")
	if want := "runc run failed: container's cgroup is not empty: 1 process(es) found"; r.Code != 1 || failure(r.Stderr) != want {
		t.Errorf("run -d: exit %d, %q; want 1, %q", r.Code, failure(r.Stderr), want)
	}
	checkNothingMade(t, b, cgroupDirsOf(b.CgroupPath())...)
}

// heldAtMounts runs runc built with the fault hook (harness.FaultBinary),
// whose init stops among the container's mounts (the init:mounts stage of
// libcontainer/testfault).
func heldAtMounts(t *testing.T) runOpts {
	t.Helper()
	return runOpts{env: []string{harness.FaultEnv + "=init:mounts"}, bin: harness.FaultBinary(t)}
}

// faultLine waits for the line runc init prints on reaching a fault
// stage.
func faultLine(t *testing.T, r *asyncRun, stage string) {
	t.Helper()
	r.WaitStderr(harness.FaultEnv+" "+stage, 20*time.Second)
}

// stuckInitPid returns the pid in a "runc init (pid N) is ..." error.
func stuckInitPid(t *testing.T, msg string) int {
	t.Helper()
	m := regexp.MustCompile(`runc init \(pid (\d+)\) is`).FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("no stuck init named in %q", msg)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// checkCreateCleanedUp checks that a failed create left no state
// directory, no cgroup, and no live process (pid, its init).
func checkCreateCleanedUp(t *testing.T, b *bundle, pid int) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
		t.Errorf("state directory of %s left behind", b.ID)
	}
	if d := cgroupDirsOf(b.CgroupPath()); len(d) > 0 {
		t.Errorf("cgroups left behind: %v", d)
	}
	// Dead: gone, or a zombie that its new parent (pid 1) reaps.
	if err := harness.Await(5*time.Second, func() error { return initDead(pid) }); err != nil {
		t.Errorf("runc init %d left alive: %v", pid, err)
	}
}

// initDead says how pid is alive, nil once it is gone or a zombie.
func initDead(pid int) error {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil || strings.Contains(string(st), ") Z ") {
		return nil
	}
	return fmt.Errorf("%s", st)
}

// TestCreateGivesUpOnStoppedInit: an init stopped half-way (here by the
// test fault hook, without a pid namespace, where it stops itself with
// SIGSTOP) made run -d wait for good; now it is given up on after a few
// seconds, with an error naming it, its state and what was awaited, and
// it is killed and everything removed.
func TestCreateGivesUpOnStoppedInit(t *testing.T) {
	b := newBundle(t, "true")
	b.withoutPidNS()
	r := b.runAsyncOpts(heldAtMounts(t), "run", "-d", b.ID)
	start := time.Now()
	res := r.within(30*time.Second, "run -d with a stopped init")
	msg := failure(res.Stderr)
	if res.Code != 1 || !regexp.MustCompile(`^runc run failed: unable to start container process: runc init \(pid \d+\) is stopped \(by a signal\): gave up after \ds waiting for runc init to set up the container$`).MatchString(msg) {
		t.Errorf("exit %d, %q", res.Code, msg)
	}
	if d := time.Since(start); d < 4*time.Second {
		t.Errorf("gave up after %s: too soon", d)
	}
	checkCreateCleanedUp(t, b, stuckInitPid(t, msg))
}

// TestCreateGivesUpOnFrozenInit: an init whose cgroup is frozen while it
// sets up (here held at its mounts by the fault hook, then frozen) is
// given up on, killed (its cgroup thawed for it to die) and everything
// removed; runc 1.5.3 waits for good.
func TestCreateGivesUpOnFrozenInit(t *testing.T) {
	requireCgroupV1(t)
	for _, cmd := range []string{"create", "run -d"} {
		t.Run(strings.ReplaceAll(cmd, " ", ""), func(t *testing.T) {
			b := newBundle(t, "true")
			r := b.runAsyncOpts(heldAtMounts(t), append(strings.Fields(cmd), b.ID)...)
			faultLine(t, r, "init:mounts")
			dir := freezerDir(b.CgroupPath())
			writeCgroupFile(t, filepath.Join(dir, "freezer.state"), "FROZEN")
			res := r.within(30*time.Second, cmd+" with a frozen init")
			msg := failure(res.Stderr)
			verb := strings.Fields(cmd)[0]
			want := `^runc ` + verb + ` failed: unable to start container process: runc init \(pid \d+\) is frozen by the freezer of cgroup ` + regexp.QuoteMeta(dir) + `: gave up after \ds waiting for runc init to set up the container$`
			if res.Code != 1 || !regexp.MustCompile(want).MatchString(msg) {
				t.Errorf("exit %d, %q", res.Code, msg)
			}
			checkCreateCleanedUp(t, b, stuckInitPid(t, msg))
		})
	}
}

// TestCreateGivesUpOnInitFrozenByAncestor: the same, the freeze coming
// from an ancestor cgroup, which is not the runtime's to thaw: the killed
// init cannot die before it is thawed. The create fails at once (no wait
// for a death that cannot come, nor for busy cgroups to go) saying so;
// the state directory is removed, and once thawed the init dies.
func TestCreateGivesUpOnInitFrozenByAncestor(t *testing.T) {
	requireCgroupV1(t)
	b := newBundle(t, "true")
	parent := b.CgroupPath()
	b.Spec.Linux.CgroupsPath = parent + "/ct"
	b.write()
	r := b.runAsyncOpts(heldAtMounts(t), "run", "-d", b.ID)
	faultLine(t, r, "init:mounts")
	freezeV1(t, freezerDir(parent))
	start := time.Now()
	res := r.within(30*time.Second, "run -d with an init frozen by an ancestor")
	msg := failure(res.Stderr)
	dir := regexp.QuoteMeta(freezerDir(b.Spec.Linux.CgroupsPath))
	want := `^runc run failed: unable to start container process: runc init \(pid (\d+)\) is frozen by the freezer of cgroup ` + dir +
		`: gave up after \ds waiting for runc init to set up the container \(and cleaning up: container's init is frozen: init \(pid (\d+)\) killed, but the freezer of cgroup ` + dir + ` holds it until thawed \(its cgroups are left\)\)$`
	m := regexp.MustCompile(want).FindStringSubmatch(msg)
	if res.Code != 1 || m == nil || m[1] != m[2] {
		t.Fatalf("exit %d, %q", res.Code, msg)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %s to give up and clean up", d)
	}
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
		t.Errorf("state directory left behind")
	}
	writeCgroupFile(t, filepath.Join(freezerDir(parent), "freezer.state"), "THAWED")
	pid, _ := strconv.Atoi(m[1])
	harness.EventuallyErr(t, 5*time.Second, func() error { return initDead(pid) }, fmt.Sprintf("killed init %d dead once thawed", pid))
	// Left, as said: removable once the dead init is reaped (by pid 1).
	if d := cgroupDirsOf(b.Spec.Linux.CgroupsPath); len(d) == 0 {
		t.Errorf("no cgroup left, though the error said so")
	}
	harness.EventuallyErr(t, 20*time.Second, func() error {
		if removeCgroups(b.Spec.Linux.CgroupsPath) != nil || len(cgroupDirsOf(b.Spec.Linux.CgroupsPath)) > 0 {
			return fmt.Errorf("left: %v", cgroupDirsOf(b.Spec.Linux.CgroupsPath))
		}
		return nil
	}, "the cgroups left removed")
}

// TestExecIntoFrozenCgroup: exec into a container whose cgroup an ancestor
// freezes (the container does not show as paused) gave up nowhere: now
// it fails after a few seconds naming the frozen process, and once thawed
// the container has its init alone. exec --ignore-paused into a paused
// container still waits, frozen, for the resume (longer than that), and
// then runs, as in runc.
func TestExecIntoFrozenCgroup(t *testing.T) {
	requireCgroupV1(t)
	t.Run("ancestor-frozen", func(t *testing.T) {
		b := newBundle(t, "sleep", "1000")
		parent := b.CgroupPath()
		b.Spec.Linux.CgroupsPath = parent + "/ct"
		b.write()
		b.mustRunc("run", "-d", b.ID)
		freezeV1(t, freezerDir(parent))
		if s := b.status(); s != "running" {
			t.Fatalf("status %q with a frozen ancestor, want running", s)
		}
		res := b.runAsync("exec", b.ID, "true").within(30*time.Second, "exec into a frozen cgroup")
		msg := failure(res.Stderr)
		if res.Code == 0 || !regexp.MustCompile(`runc init stage 0 \(pid \d+\) is frozen by the freezer of cgroup `+regexp.QuoteMeta(freezerDir(b.Spec.Linux.CgroupsPath))+`: gave up after \ds waiting for `).MatchString(msg) {
			t.Errorf("exec: exit %d, %q", res.Code, msg)
		}
		writeCgroupFile(t, filepath.Join(freezerDir(parent), "freezer.state"), "THAWED")
		// The killed exec'd process dies once thawed.
		ct := filepath.Join(freezerDir(b.Spec.Linux.CgroupsPath), "cgroup.procs")
		harness.EventuallyErr(t, 10*time.Second, func() error {
			data, _ := os.ReadFile(ct)
			if procs := strings.Fields(string(data)); len(procs) == 1 && procs[0] == strconv.Itoa(b.initPid()) {
				return nil
			}
			return fmt.Errorf("processes in the container: %q", data)
		}, "the container has its init alone after the failed exec")
		b.mustRunc("delete", "--force", b.ID)
	})
	t.Run("ignore-paused", func(t *testing.T) {
		b := newBundle(t, "sleep", "1000")
		b.mustRunc("run", "-d", b.ID)
		b.mustRunc("pause", b.ID)
		r := b.runAsync("exec", "--ignore-paused", b.ID, "echo", "resumed")
		// Longer than any give-up: it waits for the resume.
		if !harness.Consistently(t, 7*time.Second, func() error {
			if r.Exited() {
				return fmt.Errorf("exec --ignore-paused ended while paused: %s", r.Result())
			}
			return nil
		}) {
			t.FailNow()
		}
		b.mustRunc("resume", b.ID)
		res := r.within(20*time.Second, "exec --ignore-paused after resume")
		if res.Code != 0 || res.Stdout != "resumed\n" {
			t.Errorf("exec --ignore-paused: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
		}
	})
}

// TestCgroupV2CreateRefusesFrozenOrNonEmpty: the same refusals on a cgroup
// v2 host (VM lane): a frozen cgroup (cgroup.freeze), one below a frozen
// ancestor, one holding a process.
func TestCgroupV2CreateRefusesFrozenOrNonEmpty(t *testing.T) {
	requireCgroupV2(t)
	for _, tc := range []struct {
		name, want string
		setup      func(t *testing.T, b *bundle) (keep string)
	}{
		{"frozen", "container's cgroup unexpectedly frozen", func(t *testing.T, b *bundle) string {
			dir := b.v2Dir()
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			writeCgroupFile(t, filepath.Join(dir, "cgroup.freeze"), "1")
			t.Cleanup(func() { _ = os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte("0"), 0) })
			return dir
		}},
		{"ancestor-frozen", "container's cgroup unexpectedly frozen: /sys/fs/cgroup%s is frozen", func(t *testing.T, b *bundle) string {
			parent := b.v2Dir()
			b.Spec.Linux.CgroupsPath += "/ct"
			b.write()
			if err := os.MkdirAll(parent, 0o755); err != nil {
				t.Fatal(err)
			}
			writeCgroupFile(t, filepath.Join(parent, "cgroup.freeze"), "1")
			t.Cleanup(func() { _ = os.WriteFile(filepath.Join(parent, "cgroup.freeze"), []byte("0"), 0) })
			return ""
		}},
		{"not-empty", "container's cgroup is not empty: 1 process(es) found", func(t *testing.T, b *bundle) string {
			dir := b.v2Dir()
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sleep", "1000")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				cmd.Process.Kill()
				cmd.Wait()
			})
			writeCgroupFile(t, filepath.Join(dir, "cgroup.procs"), strconv.Itoa(cmd.Process.Pid))
			return dir
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBundle(t, "true")
			want := tc.want
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, b.CgroupPath())
			}
			keep := tc.setup(t, b)
			r := b.runAsync("run", "-d", b.ID).within(60*time.Second, "run -d")
			if got := failure(r.Stderr); r.Code != 1 || got != "runc run failed: "+want {
				t.Errorf("run -d: exit %d, %q; want 1, %q", r.Code, got, "runc run failed: "+want)
			}
			if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
				t.Errorf("state directory left behind")
			}
			if keep == "" {
				if _, err := os.Stat(b.v2Dir()); err == nil {
					t.Errorf("%s made by a refused create", b.v2Dir())
				}
			}
		})
	}
}

// TestCgroupV2CreateGivesUpOnFrozenInit: an init whose cgroup v2 is frozen
// while it sets up is given up on, killed and removed (VM lane).
func TestCgroupV2CreateGivesUpOnFrozenInit(t *testing.T) {
	requireCgroupV2(t)
	b := newBundle(t, "true")
	r := b.runAsyncOpts(heldAtMounts(t), "create", b.ID)
	faultLine(t, r, "init:mounts")
	writeCgroupFile(t, filepath.Join(b.v2Dir(), "cgroup.freeze"), "1")
	res := r.within(60*time.Second, "create with a frozen init")
	msg := failure(res.Stderr)
	want := `^runc create failed: unable to start container process: runc init \(pid \d+\) is frozen by the freezer of cgroup ` + regexp.QuoteMeta(b.v2Dir()) + `: gave up after \d+s waiting for runc init to set up the container$`
	if res.Code != 1 || !regexp.MustCompile(want).MatchString(msg) {
		t.Errorf("exit %d, %q", res.Code, msg)
	}
	checkCreateCleanedUp(t, b, stuckInitPid(t, msg))
}
