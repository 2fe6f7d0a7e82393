package stress

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// The stages of create at which the runtime built with the fault hook
// (harness.FaultBinary, with _RUNC_TEST_FAULT: see libcontainer/testfault)
// stops itself or its init, in order.
var createStages = []struct {
	stage, what string
	byInit      bool // the init stops, not the runtime
}{
	{"create:statedir", "before namespaces: state directory made", false},
	{"spawn:started", "runc init started, namespaces being made", false},
	{"create:cgroup", "after cgroup creation", false},
	{"init:mounts", "during mounts", true},
	{"create:ready", "set up, init not yet released", false},
}

// faultProc starts `runc args` with the fault stage set and waits until
// the process that reached it is stopped; it returns its (host) pid. That
// one command runs the binary with the fault hook, the test's others the
// one under test. A runc init prints its pid in the container's pid
// namespace (and, as the namespace's init, cannot stop: it blocks): it is
// found in the container's cgroup by its name instead.
func faultProc(t *testing.T, b *bundle, stage string, byInit bool, args ...string) (*proc, int) {
	t.Helper()
	p := b.start(call{env: []string{harness.FaultEnv + "=" + stage}, bin: harness.FaultBinary(t)}, args...)
	out := p.waitStderr(harness.FaultEnv+" "+stage+" ", 20*time.Second)
	i := strings.Index(out, harness.FaultEnv+" "+stage+" ")
	line, _, _ := strings.Cut(out[i:], "\n")
	f := strings.Fields(line)
	pid, err := strconv.Atoi(f[len(f)-1])
	if err != nil {
		t.Fatalf("fault line %q", line)
	}
	if !harness.Poll(10*time.Second, func() bool {
		if byInit {
			for _, p := range b.cgroupProcs() {
				if strings.HasPrefix(procComm(p), "runc:[") {
					pid = p
					return true
				}
			}
			return false
		}
		return procState(pid) == "T"
	}) {
		t.Fatalf("%s: process %d did not stop (state %q)", stage, pid, procState(pid))
	}
	if byInit {
		t.Cleanup(func() { unix.Kill(pid, unix.SIGKILL) })
	}
	return p, pid
}

func procComm(pid int) string {
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(comm))
}

func procState(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}

// listed returns the container's entry in `runc list --format json`
// (which must succeed), or nil.
func (b *bundle) listed() map[string]any {
	b.t.Helper()
	r := b.runc("list", "--format", "json")
	if r.Code != 0 {
		b.t.Fatalf("list: %s", r)
	}
	var states []map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &states); err != nil {
		b.t.Fatalf("list: %v: %q", err, r.Stdout)
	}
	for _, st := range states {
		if st["id"] == b.ID {
			return st
		}
	}
	return nil
}

// checkStatus checks that state and list agree on the status, which must
// be one of want.
func (b *bundle) checkStatus(when string, want ...string) {
	b.t.Helper()
	st, r := b.stateOf()
	if st == nil {
		b.t.Errorf("%s: state: %s", when, r)
		return
	}
	got, _ := st["status"].(string)
	ok := false
	for _, w := range want {
		ok = ok || got == w
	}
	if !ok {
		b.t.Errorf("%s: status %q, want one of %v", when, got, want)
	}
	if l := b.listed(); l == nil || l["status"] != got {
		b.t.Errorf("%s: list shows %v, state %q", when, l, got)
	}
}

// TestKillRuntimeDuringCreate SIGKILLs `runc create` at each stage; state
// and list must report the half-made container, and `delete --force` must
// leave nothing.
func TestKillRuntimeDuringCreate(t *testing.T) {
	for _, s := range createStages {
		t.Run(s.stage, func(t *testing.T) {
			b := newBundle(t, "", "sleep", "1000")
			defer b.remove()
			before := takeSnapshot(b.Root)
			p, stopped := faultProc(t, b, s.stage, s.byInit, "create", b.ID)
			// The runtime is alive (stopped, or waiting for its stopped
			// init) and holds the container's lock.
			if s.stage == "create:ready" {
				b.checkStatus("runtime stopped "+s.what, "created")
			} else {
				b.checkStatus("runtime stopped "+s.what, "creating")
			}
			p.Cmd.Process.Kill()
			if r := p.wait(10 * time.Second); r.Code != 128+int(syscall.SIGKILL) {
				t.Errorf("runtime: %s", r)
			}
			// The init is left stopped at init:mounts; otherwise it sees
			// its runtime gone and exits.
			if !s.byInit {
				harness.Poll(5*time.Second, func() bool { return len(reapOrphans()) == 0 })
			}
			b.checkStatus("runtime killed "+s.what, "stopped")
			if r := b.runc("start", b.ID); r.Code == 0 || !strings.Contains(r.Stderr, "cannot start a container that has stopped") {
				t.Errorf("start: %s", r)
			}
			if r := b.runc("kill", b.ID, "KILL"); r.Code == 0 || !strings.Contains(r.Stderr, "container not running") {
				t.Errorf("kill: %s", r)
			}
			if r := b.runc("delete", "--force", b.ID); r.Code != 0 {
				t.Errorf("delete --force: %s", r)
			}
			if s.byInit && procState(stopped) != "" && procState(stopped) != "Z" {
				t.Errorf("stopped init %d survived delete --force (%s)", stopped, describe(stopped))
			}
			checkHost(t, before, b.Root)
		})
	}
}

// TestKillInitDuringCreate SIGKILLs `runc init` at each stage of create
// (the runtime stopped there, then let go on): create must fail with a
// clear error (or, past the point of no return, succeed with a stopped
// container) and leave nothing behind.
func TestKillInitDuringCreate(t *testing.T) {
	for _, s := range createStages[1:] {
		t.Run(s.stage, func(t *testing.T) {
			b := newBundle(t, "", "sleep", "1000")
			defer b.remove()
			before := takeSnapshot(b.Root)
			p, stopped := faultProc(t, b, s.stage, s.byInit, "create", b.ID)
			var victims []int
			if s.byInit {
				victims = []int{stopped}
			} else {
				// stage 0 (our child's child) or the init (in the cgroup)
				victims = append(childrenOf(stopped), b.cgroupProcs()...)
			}
			if len(victims) == 0 {
				t.Fatalf("no runc init found at %s", s.stage)
			}
			for _, v := range victims {
				unix.Kill(v, unix.SIGKILL)
			}
			if !s.byInit {
				unix.Kill(stopped, unix.SIGCONT)
			}
			r := p.wait(30 * time.Second)
			switch {
			case r.Code == 0 && s.stage == "create:ready":
				// The init died after it was set up: a stopped container.
				b.checkStatus("init killed "+s.what, "stopped")
			case r.Code == 0 && s.stage == "spawn:started":
				// Stage 0 had done its work (and forked the init)
				// before it was killed: a normal container.
				t.Log("stage 0 was done before it was killed")
				b.checkStatus("stage 0 killed late", "created")
			case r.Code == 1:
				if !strings.Contains(r.Stderr, "runc create failed: ") || !strings.Contains(r.Stderr, "init") {
					t.Errorf("unclear error: %s", r)
				}
				t.Logf("create: %s", strings.TrimSpace(r.Stderr))
				if st, _ := b.stateOf(); st != nil {
					t.Errorf("failed create left a container: %v", st)
				}
			default:
				t.Errorf("create: %s", r)
			}
			b.runc("delete", "--force", b.ID)
			checkHost(t, before, b.Root)
		})
	}
}

// childrenOf lists pid's children.
func childrenOf(pid int) []int {
	var pids []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(data)) {
			if p, err := strconv.Atoi(s); err == nil {
				pids = append(pids, p)
			}
		}
	}
	return pids
}

// TestKillWhileWaitingForStart: the created container's init is killed
// while it waits for `runc start`.
func TestKillWhileWaitingForStart(t *testing.T) {
	b := newBundle(t, "", "sleep", "1000")
	defer b.remove()
	before := takeSnapshot(b.Root)
	b.mustRunc("create", b.ID)
	pid := b.initPid()
	unix.Kill(pid, unix.SIGKILL)
	harness.Poll(5*time.Second, func() bool { return procState(pid) == "" || procState(pid) == "Z" })
	b.checkStatus("init killed before start", "stopped")
	if r := b.runc("start", b.ID); r.Code == 0 || !strings.Contains(r.Stderr, "cannot start a container that has stopped") {
		t.Errorf("start: %s", r)
	}
	// A stopped container is deleted without --force.
	b.mustRunc("delete", b.ID)
	checkHost(t, before, b.Root)
}

// TestKillForegroundRun: SIGKILL of a foreground `runc run` leaves the
// container running; delete --force cleans it up.
func TestKillForegroundRun(t *testing.T) {
	b := newBundle(t, "", "sleep", "1000")
	defer b.remove()
	before := takeSnapshot(b.Root)
	p := b.start(call{}, "run", b.ID)
	if !harness.Poll(10*time.Second, func() bool {
		st, _ := b.stateOf()
		return st != nil && st["status"] == "running"
	}) {
		t.Fatal("container did not start")
	}
	p.Cmd.Process.Kill()
	p.wait(10 * time.Second)
	b.checkStatus("runc run killed", "running")
	b.mustRunc("delete", "--force", b.ID)
	checkHost(t, before, b.Root)
}

// TestProcessDiesAtStart: a process that exits at once, and one whose
// startContainer... poststart hook fails.
func TestProcessDiesAtStart(t *testing.T) {
	t.Run("exits at once", func(t *testing.T) {
		b := newBundle(t, "", "false")
		defer b.remove()
		before := takeSnapshot(b.Root)
		b.mustRunc("create", b.ID)
		b.mustRunc("start", b.ID)
		b.waitStatus("stopped")
		b.mustRunc("delete", b.ID)
		checkHost(t, before, b.Root)
	})
	t.Run("poststart hook fails", func(t *testing.T) {
		b := newBundle(t, "", "sleep", "1000")
		defer b.remove()
		b.Spec.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo hook-broke >&2; exit 3"}}}}
		b.write()
		before := takeSnapshot(b.Root)
		b.mustRunc("create", b.ID)
		r := b.runc("start", b.ID)
		if r.Code == 0 || !strings.Contains(r.Stderr, "poststart") || !strings.Contains(r.Stderr, "hook-broke") {
			t.Errorf("start: %s", r)
		}
		b.waitStatus("stopped")
		b.mustRunc("delete", b.ID)
		checkHost(t, before, b.Root)
	})
}

// TestHookTimeout: a hook that hangs (with a child of its own) past its
// timeout fails the command with a clear error and is killed with its
// children.
func TestHookTimeout(t *testing.T) {
	one := 1
	hang := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "sleep 1000 & sleep 1000; true"}, Timeout: &one}
	for _, tc := range []struct {
		name  string
		hooks specs.Hooks
		cmd   string
	}{
		{"prestart", specs.Hooks{Prestart: []specs.Hook{hang}}, "create"}, //nolint:staticcheck // still run by runc
		{"createRuntime", specs.Hooks{CreateRuntime: []specs.Hook{hang}}, "create"},
		{"poststart", specs.Hooks{Poststart: []specs.Hook{hang}}, "start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBundle(t, "", "sleep", "1000")
			defer b.remove()
			b.Spec.Hooks = &tc.hooks
			b.write()
			before := takeSnapshot(b.Root)
			if tc.cmd == "start" {
				b.mustRunc("create", b.ID)
			}
			r := b.runc(tc.cmd, b.ID)
			if r.Code == 0 || !strings.Contains(r.Stderr, tc.name+" hook") || !strings.Contains(r.Stderr, "timed out after 1s") {
				t.Errorf("%s: %s", tc.cmd, r)
			}
			if r.Dur > 10*time.Second {
				t.Errorf("%s took %v with a 1s hook timeout", tc.cmd, r.Dur)
			}
			b.runc("delete", "--force", b.ID)
			checkHost(t, before, b.Root)
		})
	}
}

// TestStateRootFaults: a full filesystem and a read-only one as --root.
func TestStateRootFaults(t *testing.T) {
	for _, tc := range []struct {
		name, opts string
		ro         bool
		want       string
	}{
		{"full (no space)", "size=4k", false, "no space left on device"},
		{"full (no inodes)", "nr_inodes=3", false, "no space left on device"},
		{"read-only", "size=1m", true, "read-only file system"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBundle(t, "", "sleep", "1000")
			defer b.remove()
			before := takeSnapshot()
			mnt := filepath.Join(b.Dir, "mnt")
			os.Mkdir(mnt, 0o755)
			if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, tc.opts+",mode=0755"); err != nil {
				t.Fatal(err)
			}
			defer unix.Unmount(mnt, unix.MNT_DETACH)
			b.Root = filepath.Join(mnt, "state")
			if err := os.Mkdir(b.Root, 0o700); err != nil {
				t.Fatal(err)
			}
			if tc.ro {
				if err := unix.Mount("", mnt, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
					t.Fatal(err)
				}
			}
			for _, cmd := range []string{"create", "run"} {
				r := b.runc(cmd, "-d", b.ID)
				if cmd == "create" {
					r = b.runc(cmd, b.ID)
				}
				if r.Code == 0 {
					t.Errorf("%s succeeded", cmd)
					b.runc("delete", "--force", b.ID)
				} else if !strings.Contains(r.Stderr, tc.want) || !strings.Contains(r.Stderr, "state") {
					t.Errorf("%s: unclear error: %s", cmd, r)
				}
				t.Logf("%s: %s", cmd, strings.TrimSpace(r.Stderr))
				ents, _ := os.ReadDir(b.Root)
				for _, e := range ents {
					t.Errorf("%s left %s in the state root", cmd, e.Name())
				}
				if l := b.listed(); l != nil {
					t.Errorf("%s: list shows %v", cmd, l)
				}
			}
			unix.Unmount(mnt, 0)
			checkHost(t, before)
		})
	}
}

// TestKillDuringExec SIGKILLs `runc exec` (and its runc init) at each of
// its stages: the container must be left as it was, and delete --force
// must leave nothing.
func TestKillDuringExec(t *testing.T) {
	for _, tc := range []struct {
		stage  string
		byInit bool
		victim string
	}{
		{"spawn:started", false, "runtime"},
		{"spawn:started", false, "init"},
		{"init:setns", true, "runtime"},
		{"init:setns", true, "init"},
	} {
		t.Run(tc.stage+"/"+tc.victim, func(t *testing.T) {
			b := newBundle(t, "", "sleep", "1000")
			defer b.remove()
			before := takeSnapshot(b.Root)
			b.mustRunc("run", "-d", b.ID)
			initPid := b.initPid()
			p, stopped := faultProc(t, b, tc.stage, tc.byInit, "exec", b.ID, "sleep", "999")
			switch {
			case tc.victim == "runtime":
				p.Cmd.Process.Kill()
				p.wait(10 * time.Second)
				if tc.byInit {
					// Left stopped in the container: kill -a gets it.
					unix.Kill(stopped, unix.SIGKILL)
				}
			case tc.byInit:
				unix.Kill(stopped, unix.SIGKILL)
			default:
				for _, c := range childrenOf(stopped) {
					unix.Kill(c, unix.SIGKILL)
				}
				unix.Kill(stopped, unix.SIGCONT)
			}
			if tc.victim == "init" {
				r := p.wait(30 * time.Second)
				if r.Code == 0 || !strings.Contains(r.Stderr, "init") {
					t.Errorf("exec: unclear error: %s", r)
				}
				t.Logf("exec: %s", strings.TrimSpace(r.Stderr))
			}
			// The container is as it was: running, its init alone.
			b.checkStatus("exec killed", "running")
			if b.initPid() != initPid {
				t.Errorf("init pid changed")
			}
			if !harness.Poll(5*time.Second, func() bool { return len(b.cgroupProcs()) == 1 }) {
				t.Errorf("processes in the container after a killed exec: %v", b.cgroupProcs())
			}
			b.mustRunc("delete", "--force", b.ID)
			checkHost(t, before, b.Root)
		})
	}
}

// TestStaleStateDir: a state directory without state.json (a create killed
// before it wrote one, by an older runtime or another) and an abandoned
// temporary one: list reports it, state says it does not exist, delete
// removes both.
func TestStaleStateDir(t *testing.T) {
	b := newBundle(t, "", "true")
	defer b.remove()
	for _, d := range []string{b.ID, ".new:" + b.ID + ":12345"} {
		if err := os.MkdirAll(filepath.Join(b.Root, d), 0o711); err != nil {
			t.Fatal(err)
		}
	}
	r := b.mustRunc("list")
	mustContain(t, "list stderr", r.Stderr, "load container "+b.ID+": container does not exist")
	if strings.Contains(r.Stdout, b.ID) {
		t.Errorf("list shows the stale directory: %q", r.Stdout)
	}
	if r := b.runc("state", b.ID); r.Code != 1 || !strings.Contains(r.Stderr, "container does not exist") {
		t.Errorf("state: %s", r)
	}
	// As runc: delete removes it, and without --force still says so.
	if r := b.runc("delete", b.ID); r.Code != 1 || !strings.Contains(r.Stderr, "container does not exist") {
		t.Errorf("delete: %s", r)
	}
	if ents, _ := os.ReadDir(b.Root); len(ents) != 0 {
		t.Errorf("left in the state root: %v", ents)
	}
	os.MkdirAll(filepath.Join(b.Root, b.ID), 0o711)
	b.mustRunc("delete", "--force", b.ID)
	if ents, _ := os.ReadDir(b.Root); len(ents) != 0 {
		t.Errorf("left in the state root after delete --force: %v", ents)
	}
}
