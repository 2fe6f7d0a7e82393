package cgroupmgr

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"
)

func mustTarget(t *testing.T, paths, sub map[string]string) *Target {
	t.Helper()
	tg, err := ExecTarget(paths, sub, 0, false)
	if err != nil {
		t.Fatalf("ExecTarget(%v): %v", sub, err)
	}
	return tg
}

// TestOpenJoinBornIn starts a process the way the runtime starts runc
// init: cloned into the cgroup v2 directory (Join.SysProcAttr), and moving
// itself into each v1 hierarchy by writing "0" to the tasks files it is
// handed (Join.Tasks), as the C stage does. It must end up in every
// directory of the container's cgroup, and in no other.
func TestOpenJoinBornIn(t *testing.T) {
	e := newTestEnv(t)
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/born"})
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	paths := m.Paths()
	j, err := m.OpenJoin()
	if err != nil {
		t.Fatalf("OpenJoin: %v", err)
	}
	defer j.Close()

	v1 := map[string]bool{}
	for k, dir := range paths {
		if k != "" && !cgroups.IsCgroup2UnifiedMode() {
			v1[dir] = true
		}
	}
	if len(j.Tasks()) != len(v1) {
		t.Errorf("OpenJoin: %d tasks files, want one per v1 directory (%d)", len(j.Tasks()), len(v1))
	}
	for _, f := range j.Tasks() {
		if filepath.Base(f.Name()) != "tasks" || !v1[filepath.Dir(f.Name())] {
			t.Errorf("OpenJoin: %s is not the tasks file of a v1 directory of the cgroup", f.Name())
		}
	}
	if _, ok := paths[""]; ok != (j.SysProcAttr() != nil) {
		t.Errorf("OpenJoin: SysProcAttr %+v for cgroup v2 directory %q", j.SysProcAttr(), paths[""])
	}

	// The child writes "0" to fds 3.. (its ExtraFiles), then sleeps.
	var script strings.Builder
	for i := range j.Tasks() {
		fmt.Fprintf(&script, "echo 0 >&%d || exit 1; ", 3+i)
	}
	script.WriteString("echo joined; exec sleep 1000")
	cmd := exec.Command("bash", "-c", script.String()) // dash takes no fd above 9
	cmd.ExtraFiles = j.Tasks()
	cmd.SysProcAttr = j.SysProcAttr()
	p := &proc{cmd: cmd, done: make(chan struct{}), out: &bytes.Buffer{}}
	cmd.Stderr = p.out
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout = w
	e.startCmd(cmd, p)
	w.Close()
	line, err := io.ReadAll(io.LimitReader(out, int64(len("joined\n"))))
	if err != nil || string(line) != "joined\n" {
		<-p.done
		t.Fatalf("child: %q, %v; %v, stderr %q", line, err, p.state, p.out)
	}
	for k, dir := range paths {
		if !slices.Contains(procsOf(t, dir), p.pid) {
			t.Errorf("born-in pid %d is not in the %q cgroup %s", p.pid, k, dir)
		}
	}
	if pids, err := m.Pids(); err != nil || !slices.Equal(pids, []int{p.pid}) {
		t.Errorf("Pids = %v, %v; want [%d]", pids, err, p.pid)
	}
}

func TestOpenJoinRefusesOtherFilesystems(t *testing.T) {
	j, err := openJoin([]string{t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "is not a cgroup directory") {
		j.Close()
		t.Fatalf("a temporary directory taken as a cgroup: %v", err)
	}
	if _, err := openJoin([]string{"/nonexistent/cgroup"}); err == nil {
		t.Fatal("a missing directory accepted")
	}
}

// TestExecTargetSubCgroups: exec's --cgroup on a v1 layout with cpu and
// cpuacct co-mounted.
func TestExecTargetSubCgroups(t *testing.T) {
	cpu, mem, pids := "/cg/cpu,cpuacct/ctr", "/cg/memory/ctr", "/cg/pids/ctr"
	paths := map[string]string{"cpu": cpu, "cpuacct": cpu, "memory": mem, "pids": pids}
	for _, tc := range []struct {
		sub  map[string]string
		want []string
	}{
		{nil, []string{cpu, mem, pids}},
		{map[string]string{"": "sub"}, []string{cpu + "/sub", mem + "/sub", pids + "/sub"}},
		{map[string]string{"cpuacct": "sub", "memory": "a/b"}, []string{cpu + "/sub", mem + "/a/b", pids}},
		{map[string]string{"": "all", "memory": "m"}, []string{cpu + "/all", mem + "/m", pids + "/all"}},
		// Joined as runc joins them: "/abs" is below, "x/../y" is y.
		{map[string]string{"memory": "/abs", "pids": "x/../y"}, []string{cpu, mem + "/abs", pids + "/y"}},
		{map[string]string{"memory": ""}, []string{cpu, mem, pids}},
		{map[string]string{"": "../ctr/z"}, []string{cpu + "/z", mem + "/z", pids + "/z"}},
	} {
		tg, err := ExecTarget(paths, tc.sub, 0, false)
		if err != nil || !reflect.DeepEqual(tg.Dirs(), tc.want) {
			t.Errorf("ExecTarget(%v) = %v, %v; want %v", tc.sub, tg, err, tc.want)
		}
	}
	for _, sub := range []map[string]string{{"nosuch": "sub"}, {"memory": "../.."}, {"": "../x"}, {"pids": "../ctr2"}} {
		if tg, err := ExecTarget(paths, sub, 0, false); err == nil {
			t.Errorf("sub-cgroups %v accepted: %v", sub, tg.Dirs())
		} else if sub["nosuch"] == "" && !strings.Contains(err.Error(), "bad sub cgroup path: ") {
			t.Errorf("sub-cgroups %v: %v, want runc's %q", sub, err, "bad sub cgroup path")
		}
	}
}

// TestExisting: Existing keeps the directories that are there (what a
// rootless container records), nil when none is.
func TestExisting(t *testing.T) {
	e := newTestEnv(t)
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/ex"})
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	paths := m.Paths()
	if got := m.Existing(); !maps.Equal(got, paths) {
		t.Errorf("Existing = %v, want every path %v", got, paths)
	}
	// Remove one directory (on cgroup v2, the only one), as if Apply
	// could not make it.
	keys := slices.Sorted(maps.Keys(paths))
	removed := paths[keys[0]]
	if err := unix.Rmdir(removed); err != nil {
		t.Fatal(err)
	}
	got := m.Existing()
	if len(got) != len(paths)-1 || (len(got) == 0 && got != nil) {
		t.Errorf("Existing after removing %s = %v, want the %d others (nil if none)", removed, got, len(paths)-1)
	}
	for k, dir := range got {
		if dir == removed || paths[k] != dir {
			t.Errorf("Existing has %q %s, want the paths but %s", k, dir, removed)
		}
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if got := m.Existing(); got != nil {
		t.Errorf("Existing after Destroy = %v, want nil", got)
	}
}

// TestProcCgroups: restore hands these to CRIU as the cgroup roots.
func TestProcCgroups(t *testing.T) {
	roots, err := ProcCgroups(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	got := roots
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		// Co-mounted controllers (cpu,cpuacct) come one by one.
		for _, c := range strings.Split(parts[1], ",") {
			if p, ok := got[c]; !ok || p != parts[2] {
				t.Errorf("controller %q: %q, want %q (from %q)", c, p, parts[2], line)
			}
		}
	}
}
