package cgroupmgr

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestKillAllCgroupVanishes: a SIGKILL whose cgroup2 directory goes away
// right after cgroup.kill (the container exited, and a racing delete
// removed it) succeeds: the processes it held are gone. runc kill and
// delete -f used to fail there with "list pids of ...: no such file or
// directory".
func TestKillAllCgroupVanishes(t *testing.T) {
	e := newTestEnv(t)
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/gone"})
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	dir := m.Paths()[""]
	if dir == "" {
		t.Fatal("the cgroup has no cgroup2 directory (neither cgroup v2 nor hybrid host)")
	}
	defer func(f func(string)) { afterCgroupKill = f }(afterCgroupKill)
	removed := false
	afterCgroupKill = func(d string) {
		if d != dir {
			t.Errorf("cgroup.kill written in %s, want %s", d, dir)
		}
		if err := unix.Rmdir(d); err != nil {
			t.Errorf("remove %s: %v", d, err)
		}
		removed = true
	}
	if err := m.KillAll(unix.SIGKILL); err != nil {
		t.Errorf("KillAll with the cgroup vanishing: %v", err)
	}
	if !removed {
		t.Error("KillAll(SIGKILL) did not write cgroup.kill")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there: %v", dir, err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
}

// TestPidsSubcgroupAndSignal covers Pids across forks and sub-cgroups,
// Target.Join (exec's move, into the cgroup or a sub-cgroup), and KillAll
// with a catchable signal.
func TestPidsSubcgroupAndSignal(t *testing.T) {
	e := newTestEnv(t)
	sh := e.start(false, "sh", "-c", "sleep 1000 & sleep 1000 & wait")
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/tree"})
	if err := m.Apply(sh.pid); err != nil {
		t.Fatal(err)
	}
	// The shell was moved before or after forking; make sure the children
	// exist, then move any that escaped (started before Apply).
	eventually(t, "children of sh", func() bool {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(sh.pid) + "/task/" + strconv.Itoa(sh.pid) + "/children")
		return len(strings.Fields(string(b))) == 2
	})
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(sh.pid) + "/task/" + strconv.Itoa(sh.pid) + "/children")
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		if err := mustTarget(t, m.Paths(), nil).Join(pid); err != nil {
			t.Fatal(err)
		}
	}
	paths := m.Paths()

	// A sub-cgroup, as exec --cgroup uses: it must exist in every hierarchy.
	mkSub(t, paths, "sub")
	extra := e.start(false, "sleep", "1000")
	if err := mustTarget(t, paths, map[string]string{"": "sub"}).Join(extra.pid); err != nil {
		t.Fatalf("Join(sub): %v", err)
	}
	for k, dir := range paths {
		if !slices.Contains(procsOf(t, filepath.Join(dir, "sub")), extra.pid) {
			t.Errorf("pid %d not in %s sub-cgroup %s", extra.pid, k, dir)
		}
	}
	for _, bad := range []string{"../escape", "sub/../.."} {
		if tg, err := ExecTarget(paths, map[string]string{"": bad}, 0, false); err == nil {
			t.Errorf("sub-cgroup %q accepted: %v", bad, tg.Dirs())
		}
	}
	// A sub-cgroup that does not exist is not made.
	if err := mustTarget(t, paths, map[string]string{"": "nosuch"}).Join(extra.pid); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Join(nosuch) = %v, want not exist", err)
	}

	pids, err := m.Pids()
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 4 || !slices.Contains(pids, sh.pid) || !slices.Contains(pids, extra.pid) {
		t.Fatalf("Pids = %v, want sh %d, its two sleeps and %d", pids, sh.pid, extra.pid)
	}

	if err := m.KillAll(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*proc{sh, extra} {
		if sig := p.wait(t, 5*time.Second); sig != syscall.SIGTERM {
			t.Errorf("pid %d ended with signal %v, want SIGTERM", p.pid, sig)
		}
	}
	eventually(t, "empty cgroup", func() bool {
		pids, err := m.Pids()
		return err == nil && len(pids) == 0
	})
	if paused, _ := m.Paused(); paused {
		t.Error("KillAll left the cgroup frozen")
	}
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy with a sub-cgroup: %v", err)
	}
	checkGone(t, paths)
}

// TestKillAllPaused: a catchable signal leaves a paused container paused
// (delivered on thaw); SIGKILL kills it even while paused.
func TestKillAllPaused(t *testing.T) {
	e := newTestEnv(t)
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			p := e.start(false, "sleep", "1000")
			m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/paused-" + strconv.Itoa(int(sig))})
			if err := m.Apply(p.pid); err != nil {
				t.Fatal(err)
			}
			if err := m.Freeze(); err != nil {
				t.Fatal(err)
			}
			if err := m.KillAll(sig); err != nil {
				t.Fatal(err)
			}
			if sig == unix.SIGTERM {
				time.Sleep(200 * time.Millisecond)
				// The v2 freezer lets a fatal signal through (sleep has
				// no handler); v1 holds it until the thaw.
				if p.exited() && !cgroups.IsCgroup2UnifiedMode() {
					t.Fatal("paused process died before thaw")
				}
				if paused, err := m.Paused(); err != nil || !paused {
					t.Fatalf("KillAll(SIGTERM) unpaused the cgroup: %v, %v", paused, err)
				}
				if err := m.Thaw(); err != nil {
					t.Fatal(err)
				}
			}
			if got := p.wait(t, 5*time.Second); got != sig {
				t.Errorf("ended with %v, want %v", got, sig)
			}
			paths := m.Paths()
			if err := m.Destroy(); err != nil {
				t.Fatal(err)
			}
			checkGone(t, paths)
		})
	}
}

// TestKillAllForkBomb: processes forking as fast as they can are all gone
// after one KillAll(SIGKILL).
func TestKillAllForkBomb(t *testing.T) {
	e := newTestEnv(t)
	p := e.start(true, "sh", "-c", "read x; while :; do sleep 1000 & done")
	m := mustNew(t, &Config{
		ID: "c", Path: e.prefix + "/bomb",
		Resources: &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(64))}},
	})
	if err := m.Apply(p.pid); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := p.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the bomb to fill the pids limit", func() bool {
		pids, _ := m.Pids()
		return len(pids) >= 32
	})
	if err := m.KillAll(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 5*time.Second)
	eventually(t, "every process to die", func() bool {
		pids, err := m.Pids()
		return err == nil && len(pids) == 0
	})
	paths := m.Paths()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, paths)
}

// TestKillAllHybridStraggler: on a hybrid host, a process that is in the
// container's v1 cgroups but not in its cgroup2 directory is still killed.
func TestKillAllHybridStraggler(t *testing.T) {
	if !cgroups.IsCgroup2HybridMode() {
		t.Skip("host is not in hybrid mode")
	}
	e := newTestEnv(t)
	in := e.start(false, "sleep", "1000")
	out := e.start(false, "sleep", "1000")
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/hyb"})
	if err := m.Apply(in.pid); err != nil {
		t.Fatal(err)
	}
	if err := mustTarget(t, m.Paths(), nil).Join(out.pid); err != nil {
		t.Fatal(err)
	}
	// Move "out" to a sibling cgroup2 directory of ours.
	side := filepath.Join("/sys/fs/cgroup/unified", e.prefix, "side")
	if err := os.Mkdir(side, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(side, "cgroup.procs"), []byte(strconv.Itoa(out.pid)), 0); err != nil {
		t.Fatal(err)
	}
	if err := m.KillAll(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*proc{in, out} {
		if sig := p.wait(t, 5*time.Second); sig != syscall.SIGKILL {
			t.Errorf("pid %d ended with %v, want SIGKILL", p.pid, sig)
		}
	}
	paths := m.Paths()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, paths)
}
