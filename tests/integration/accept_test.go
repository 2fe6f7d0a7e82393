package integration

// What runc 1.5 accepts, we accept, with its warnings (issue 14, point 9),
// and the error texts scripts grep for the same failures (point 11).

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// warnings returns the messages of the level=warning lines of a runc's
// stderr (text log format).
func warnings(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "level=warning ") {
			out = append(out, errMsg(line))
		}
	}
	return out
}

// Unknown capability names are ignored with runc's warning, in config.json,
// in exec --process and in exec --cap; the container runs with the
// capabilities that exist.
func TestAcceptUnknownCapabilities(t *testing.T) {
	type outcome struct {
		Run, Exec, ExecProcess, ExecCap result
	}
	ours, ref := differential(t, func(t *testing.T, bin string) outcome {
		b := newBundleWith(t, bin, "sleep", "100")
		c := b.Spec.Process.Capabilities
		c.Bounding = append(c.Bounding, "CAP_FOO")
		c.Effective = append(c.Effective, "CAP_BAR", "CAP_FOO")
		c.Permitted = append(c.Permitted, "CAP_FOO")
		b.write()
		var o outcome
		o.Run = b.run(nil, "run", "-d", b.ID)
		if o.Run.Code != 0 {
			t.Fatalf("run: exit %d: %s", o.Run.Code, o.Run.Stderr)
		}
		o.Exec = b.run(nil, "exec", b.ID, "grep", "^Cap[BEP]", "/proc/self/status")
		proc := filepath.Join(b.Dir, "process.json")
		data := `{"args":["grep","^CapBnd","/proc/self/status"],"env":["PATH=/bin"],"cwd":"/",` +
			`"capabilities":{"bounding":["CAP_NOPE","CAP_KILL"],"permitted":["CAP_KILL"],"effective":["CAP_KILL","CAP_NOPE"]}}`
		if err := os.WriteFile(proc, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		o.ExecProcess = b.run(nil, "exec", "--process", proc, b.ID)
		o.ExecCap = b.run(nil, "exec", "--cap", "CAP_NOSUCH", "--cap", "CAP_CHOWN", b.ID, "grep", "^CapBnd", "/proc/self/status")
		return o
	})
	for _, c := range []struct {
		what      string
		ours, ref result
		warning   string
	}{
		{"run", ours.Run, ref.Run, "ignoring unknown or unavailable capabilities: [CAP_BAR CAP_FOO]"},
		{"exec", ours.Exec, ref.Exec, "ignoring unknown or unavailable capabilities: [CAP_BAR CAP_FOO]"},
		{"exec --process", ours.ExecProcess, ref.ExecProcess, "ignoring unknown or unavailable capabilities: [CAP_NOPE]"},
		{"exec --cap", ours.ExecCap, ref.ExecCap, "ignoring unknown or unavailable capabilities: [CAP_BAR CAP_FOO CAP_NOSUCH]"},
	} {
		if c.ours.Code != 0 || c.ref.Code != 0 {
			t.Errorf("%s: exit %d (runc 1.5.3: %d); stderr %q", c.what, c.ours.Code, c.ref.Code, c.ours.Stderr)
		}
		if w := warnings(c.ours.Stderr); !slices.Equal(w, warnings(c.ref.Stderr)) || !slices.Equal(w, []string{c.warning}) {
			t.Errorf("%s: warnings %q, runc 1.5.3's %q, want [%q]", c.what, w, warnings(c.ref.Stderr), c.warning)
		}
		if c.ours.Stdout != c.ref.Stdout {
			t.Errorf("%s: output %q, runc 1.5.3's %q", c.what, c.ours.Stdout, c.ref.Stdout)
		}
	}
	// What exists was applied: AUDIT_WRITE (29), KILL (5),
	// NET_BIND_SERVICE (10), and CHOWN (0) for exec --cap.
	mustContain(t, "exec", ours.Exec.Stdout, "CapBnd:\t0000000020000420")
	mustContain(t, "exec --process", ours.ExecProcess.Stdout, "CapBnd:\t0000000000000020")
	mustContain(t, "exec --cap", ours.ExecCap.Stdout, "CapBnd:\t0000000020000421")
}

// An ambient capability the kernel refuses to raise (not in the
// inheritable set) is a warning in runc's words, not a failure.
func TestAcceptAmbientNotRaised(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		b := newBundleWith(t, bin, "grep", "^Cap[AIE]", "/proc/self/status")
		c := b.Spec.Process.Capabilities
		c.Inheritable = []string{"CAP_NET_BIND_SERVICE"}
		c.Ambient = []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"}
		b.write()
		return b.run(nil, "run", b.ID)
	})
	if ours.Code != 0 || ref.Code != 0 {
		t.Fatalf("exit %d (runc 1.5.3: %d); stderr %q", ours.Code, ref.Code, ours.Stderr)
	}
	want := []string{"can't raise ambient capability CAP_KILL: operation not permitted"}
	if w := warnings(ours.Stderr); !slices.Equal(w, want) || !slices.Equal(warnings(ref.Stderr), want) {
		t.Errorf("warnings %q, runc 1.5.3's %q, want %q", w, warnings(ref.Stderr), want)
	}
	if ours.Stdout != ref.Stdout {
		t.Errorf("capabilities %q, runc 1.5.3's %q", ours.Stdout, ref.Stdout)
	}
	mustContain(t, "status", ours.Stdout, "CapAmb:\t0000000000000400") // NET_BIND_SERVICE only
}

// Device access letters other than r, w and m are ignored, and the others
// may come in any order, as runc takes them; the container gets the rule
// the letters it knows make.
func TestAcceptDeviceAccessLetters(t *testing.T) {
	requireCgroupV1(t)
	accesses := []string{"rwmx", "wr", "mrw", "rw-", "rrr", "m"}
	ours, ref := differential(t, func(t *testing.T, bin string) []string {
		var got []string
		for _, acc := range accesses {
			b := newBundleWith(t, bin, "grep", "^c 42:42 ", "/sys/fs/cgroup/devices/devices.list")
			b.Spec.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{
				{Allow: false, Access: "rwm"},
				{Allow: true, Type: "c", Major: cgPtr(int64(42)), Minor: cgPtr(int64(42)), Access: acc},
			}
			b.write()
			r := b.run(nil, "run", b.ID)
			if r.Code != 0 {
				t.Errorf("access %q: exit %d: %s", acc, r.Code, r.Stderr)
			}
			got = append(got, strings.TrimSpace(r.Stdout))
		}
		return got
	})
	if !slices.Equal(ours, ref) {
		t.Fatalf("rules %q, runc 1.5.3's %q (for %q)", ours, ref, accesses)
	}
	if want := []string{"c 42:42 rwm", "c 42:42 rw", "c 42:42 rwm", "c 42:42 rw", "c 42:42 r", "c 42:42 m"}; !slices.Equal(ours, want) {
		t.Fatalf("rules %q, want %q", ours, want)
	}
}

// Access letters that hold none of r, w and m: runc fails late, with a
// puzzling error; we refuse the config before anything starts, naming the
// field.
func TestDeviceAccessWithoutKnownLetters(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		b := newBundleWith(t, bin, "true")
		b.Spec.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: cgPtr(int64(42)), Minor: cgPtr(int64(42)), Access: "x"},
		}
		b.write()
		return b.run(nil, "run", b.ID)
	})
	if ours.Code == 0 || ref.Code == 0 {
		t.Fatalf("access \"x\": exit %d (runc 1.5.3: %d), want a failure", ours.Code, ref.Code)
	}
	mustContain(t, "stderr", errMsg(ours.Stderr), `linux.resources.devices[1].access "x" holds none of r, w and m`)
}

// A seccomp listenerPath with no SCMP_ACT_NOTIFY rule is ignored: there is
// no listener to hand to the agent, which is never contacted.
func TestAcceptSeccompListenerWithoutNotify(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		b := newBundleWith(t, bin, "sh", "-c", "mkdir /tmp/d; echo $?")
		b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			ListenerPath:  filepath.Join(b.Dir, "no-agent.sock"),
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
		}
		b.write()
		return b.run(nil, "run", b.ID)
	})
	if ours.Code != 0 || ref.Code != 0 {
		t.Fatalf("exit %d (runc 1.5.3: %d); stderr %q", ours.Code, ref.Code, ours.Stderr)
	}
	if ours.Stdout != ref.Stdout || ours.Stdout != "1\n" {
		t.Fatalf("mkdir status %q, runc 1.5.3's %q, want 1 (the filter applies)", ours.Stdout, ref.Stdout)
	}
	if strings.Contains(ours.Stderr, "level=") {
		t.Fatalf("stderr %q", ours.Stderr)
	}
}

// The failures below give runc 1.5's words (what follows "runc run failed:"
// or "exec failed:" may differ: ours names the field), and its exit code.
func TestMessagesAsRunc(t *testing.T) {
	cases := []struct {
		name string
		fix  func(b *bundle)
		want string
	}{
		{"memory policy mode", func(b *bundle) {
			b.Spec.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "MPOL_FOO", Nodes: "0"}
		}, `invalid memory policy mode "MPOL_FOO"`},
		{"memory policy flag", func(b *bundle) {
			b.Spec.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"MPOL_F_FOO"}}
		}, `invalid memory policy flag "MPOL_F_FOO"`},
		{"memory policy nodes", func(b *bundle) {
			b.Spec.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0,x"}
		}, `invalid memory policy nodes "0,x"`},
		{"scheduler with cpus", func(b *bundle) {
			b.Spec.Linux.Resources.CPU = &specs.LinuxCPU{Cpus: "0"}
			b.Spec.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedDeadline, Runtime: 1000000, Deadline: 2000000, Period: 2000000}
		}, "process scheduler can't be used together with AllowedCPUs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ours, ref := differential(t, func(t *testing.T, bin string) result {
				b := newBundleWith(t, bin, "true")
				tc.fix(b)
				b.write()
				return b.run(nil, "run", b.ID)
			})
			if ours.Code != ref.Code || ours.Code == 0 {
				t.Errorf("exit %d, runc 1.5.3's %d", ours.Code, ref.Code)
			}
			mustContain(t, "runc 1.5.3's stderr", errMsg(ref.Stderr), tc.want)
			mustContain(t, "stderr", errMsg(ours.Stderr), tc.want)
		})
	}
}

// The same for an exec'd process with a scheduler the container's CPUs
// do not allow.
func TestExecSchedulerAllowedCPUsMessage(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		b := newBundleWith(t, bin, "sleep", "100")
		b.Spec.Linux.Resources.CPU = &specs.LinuxCPU{Cpus: "0"}
		b.write()
		b.mustRunc("run", "-d", b.ID)
		proc := filepath.Join(b.Dir, "process.json")
		data := `{"args":["true"],"env":["PATH=/bin"],"cwd":"/","scheduler":{"policy":"SCHED_DEADLINE","runtime":1000000,"deadline":2000000,"period":2000000}}`
		if err := os.WriteFile(proc, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return b.run(nil, "exec", "--process", proc, b.ID)
	})
	const want = "process scheduler can't be used together with AllowedCPUs"
	if ours.Code != 255 || ref.Code != 255 {
		t.Errorf("exit %d (runc 1.5.3: %d), want 255", ours.Code, ref.Code)
	}
	mustContain(t, "runc 1.5.3's stderr", errMsg(ref.Stderr), want)
	mustContain(t, "stderr", errMsg(ours.Stderr), want)
}

// exec --cgroup with a path that leaves the container's cgroup: runc's
// "bad sub cgroup path", exit 255; paths runc joins below the container's
// cgroup ("/x", "../<name>/x") are taken as runc takes them.
func TestExecBadSubCgroupPath(t *testing.T) {
	type outcome struct {
		Bad  []result
		Good []result
	}
	ours, ref := differential(t, func(t *testing.T, bin string) outcome {
		b := newBundleWith(t, bin, "sleep", "100")
		b.mustRunc("run", "-d", b.ID)
		var o outcome
		for _, arg := range []string{"../x", "../../x", "memory:../x", "pids:a/../../x"} {
			o.Bad = append(o.Bad, b.run(nil, "exec", "--cgroup", arg, b.ID, "true"))
		}
		// A sub-cgroup "sub" in every hierarchy, removed before the
		// container is deleted (cleanups run last first).
		for _, h := range cgroupRoots(t, b) {
			sub := filepath.Join(h, "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} { // v1: empty at first
				if data, err := os.ReadFile(filepath.Join(h, f)); err == nil {
					if err := os.WriteFile(filepath.Join(sub, f), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			t.Cleanup(func() { os.Remove(sub) }) // no process left in it
		}
		for _, arg := range []string{"/sub", "../" + b.ID + "/sub", "memory:/sub"} {
			o.Good = append(o.Good, b.run(nil, "exec", "--cgroup", arg, b.ID, "sh", "-c", "grep -c /sub$ /proc/self/cgroup"))
		}
		return o
	})
	for i, r := range ours.Bad {
		if r.Code != 255 || ref.Bad[i].Code != 255 {
			t.Errorf("bad path %d: exit %d (runc 1.5.3: %d), want 255", i, r.Code, ref.Bad[i].Code)
		}
		_, want, _ := strings.Cut(errMsg(ref.Bad[i].Stderr), "bad sub cgroup path: ")
		if want == "" {
			t.Fatalf("runc 1.5.3 said %q", ref.Bad[i].Stderr)
		}
		mustContain(t, "stderr", errMsg(r.Stderr), "bad sub cgroup path: "+want)
	}
	for i, r := range ours.Good {
		if r.Code != 0 || r.Code != ref.Good[i].Code || r.Stdout != ref.Good[i].Stdout {
			t.Errorf("good path %d: exit %d output %q stderr %q; runc 1.5.3: exit %d output %q", i, r.Code, r.Stdout, r.Stderr, ref.Good[i].Code, ref.Good[i].Stdout)
		}
	}
}

// cgroupRoots lists the container's cgroup directory in every hierarchy.
func cgroupRoots(t *testing.T, b *bundle) []string {
	t.Helper()
	var dirs []string
	for _, h := range testhost.CgroupHierarchies() {
		d := filepath.Join(h, b.CgroupPath())
		if _, err := os.Stat(d); err == nil {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no cgroup directory of %s", b.ID)
	}
	return dirs
}

// noMountNSScript drives a container without a mount namespace in a
// private mount namespace of its own (so that nothing can reach the
// host's mount table whatever the runtime does): run in the foreground,
// then run -d, exec, delete. It prints what the test compares, one
// "key: value" a line. $1 runc, $2 --root, $3 bundle, $4 id.
const noMountNSScript = `
R=$1 ROOT=$2 B=$3 ID=$4
echo "ns: $(readlink /proc/self/ns/mnt)"
cd "$B"
out=$("$R" --root "$ROOT" run "$ID" 2>&1); echo "run exit: $?"
echo "$out" | sed 's/^/run: /'
echo "mounts left after run: $(grep -c " $B/rootfs" /proc/self/mountinfo)"
"$R" --root "$ROOT" run -d "$ID" >/dev/null 2>&1; echo "run -d exit: $?"
echo "mounts while running: $(grep -c " $B/rootfs" /proc/self/mountinfo)"
out=$("$R" --root "$ROOT" exec "$ID" sh -c 'readlink /proc/self/ns/mnt; ls /' 2>&1); echo "exec exit: $?"
echo "$out" | sed 's/^/exec: /'
"$R" --root "$ROOT" delete -f "$ID"; echo "delete exit: $?"
echo "mounts left after delete: $(grep -c " $B/rootfs" /proc/self/mountinfo)"
`

// A config without a mount namespace runs in the runtime's mount
// namespace, as runc 1.5 runs it: the rootfs is bound onto itself there,
// the spec's mounts go below that bind and the process is chrooted into
// it. Where runc 1.5 is unsafe we differ on purpose: its mounts stay in
// the host's mount table after the container is gone (also when it fails
// to start), and `runc exec` runs the process on the host's root
// directory; ours unmounts them and chroots the exec'd process into the
// container's root.
func TestAcceptNoMountNamespace(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatal("unshare (util-linux) is needed to keep the host's mounts out of reach")
	}
	type outcome map[string][]string
	ours, ref := differential(t, func(t *testing.T, bin string) outcome {
		b := newBundleWith(t, bin, "sh", "-c", "readlink /proc/self/ns/mnt; ls /")
		var ns []specs.LinuxNamespace
		for _, n := range b.Spec.Linux.Namespaces {
			if n.Type != specs.MountNamespace {
				ns = append(ns, n)
			}
		}
		b.Spec.Linux.Namespaces = ns
		// runc refuses these without a mount namespace, and so do we.
		b.Spec.Linux.MaskedPaths, b.Spec.Linux.ReadonlyPaths = nil, nil
		b.write()
		if err := os.WriteFile(filepath.Join(b.Dir, "rootfs", "in-container"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// The bundle's process runs sleep for run -d: change it there.
		script := strings.Replace(noMountNSScript, `"$R" --root "$ROOT" run -d`,
			`sed -i 's/"readlink \/proc\/self\/ns\/mnt; ls \/"/"sleep 100"/' config.json; "$R" --root "$ROOT" run -d`, 1)
		cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", bin, b.Root, b.Dir, b.ID)
		r := harness.RunCombined(t, cmd, harness.RunTimeout)
		if r.Code != 0 {
			t.Fatalf("script: %v", r)
		}
		out := r.Stdout
		o := outcome{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			k, v, _ := strings.Cut(line, ": ")
			o[k] = append(o[k], v)
		}
		t.Logf("%s:\n%s", bin, out)
		if data, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(data), b.Dir) {
			t.Fatalf("the host's mount table has mounts of the bundle")
		}
		return o
	})
	for _, o := range []struct {
		what string
		o    outcome
	}{{"ours", ours}, {"runc 1.5.3", ref}} {
		for _, k := range []string{"run exit", "run -d exit", "exec exit", "delete exit"} {
			if !slices.Equal(o.o[k], []string{"0"}) {
				t.Errorf("%s: %s %q", o.what, k, o.o[k])
			}
		}
		// The process is in the runtime's mount namespace, its root
		// the rootfs.
		if run := o.o["run"]; len(run) < 2 || run[0] != o.o["ns"][0] || !slices.Contains(run, "in-container") {
			t.Errorf("%s: run printed %q (runtime's namespace %q)", o.what, run, o.o["ns"])
		}
		if o.o["mounts while running"][0] == "0" {
			t.Errorf("%s: no mount below the rootfs while the container runs", o.what)
		}
	}
	// The same root directory (after the namespace, each run's own).
	if !slices.Equal(ours["run"][1:], ref["run"][1:]) {
		t.Errorf("run: ours %q, runc 1.5.3's %q", ours["run"], ref["run"])
	}
	// Safer than runc 1.5.3: nothing left behind, exec in the container's root.
	for _, k := range []string{"mounts left after run", "mounts left after delete"} {
		if !slices.Equal(ours[k], []string{"0"}) {
			t.Errorf("ours: %s %q (runc 1.5.3: %q)", k, ours[k], ref[k])
		}
	}
	if exec := ours["exec"]; len(exec) < 2 || exec[0] != ours["ns"][0] || !slices.Contains(exec, "in-container") {
		t.Errorf("ours: exec printed %q, want the runtime's namespace and the container's root", exec)
	}
	t.Logf("runc 1.5.3 leaves %s mounts after run, %s after delete; its exec sees %q", ref["mounts left after run"], ref["mounts left after delete"], ref["exec"])
}

// Without a mount namespace, a container that fails to start, or is
// created and deleted without a start, leaves no mount in the runtime's
// mount namespace (runc 1.5.3 leaves its bind of the rootfs and every
// mount below it).
func TestNoMountNamespaceLeavesNoMount(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatal("unshare (util-linux) is needed to keep the host's mounts out of reach")
	}
	b := newBundle(t, "true")
	var ns []specs.LinuxNamespace
	for _, n := range b.Spec.Linux.Namespaces {
		if n.Type != specs.MountNamespace {
			ns = append(ns, n)
		}
	}
	b.Spec.Linux.Namespaces = ns
	b.Spec.Linux.MaskedPaths, b.Spec.Linux.ReadonlyPaths = nil, nil
	good := b.Spec.Mounts
	b.Spec.Mounts = append(b.Spec.Mounts, specs.Mount{Destination: "/mnt", Type: "bind", Source: "/nonexistent-source", Options: []string{"bind"}})
	b.write()
	script := `
R=$1 ROOT=$2 B=$3 ID=$4
cd "$B"
"$R" --root "$ROOT" run "$ID" 2>/dev/null; echo "failed run exit: $?"
echo "mounts left: $(grep -c " $B/rootfs" /proc/self/mountinfo)"
mv config.good.json config.json
"$R" --root "$ROOT" create "$ID"; echo "create exit: $?"
[ "$(grep -c " $B/rootfs" /proc/self/mountinfo)" -gt 1 ] && echo "mounts while created: some"
"$R" --root "$ROOT" delete "$ID"; echo "delete exit: $?"
echo "mounts left: $(grep -c " $B/rootfs" /proc/self/mountinfo)"
`
	data, err := json.Marshal(func() *specs.Spec { s := *b.Spec; s.Mounts = good; return &s }())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "config.good.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", runcBin, b.Root, b.Dir, b.ID)
	r := harness.RunCombined(t, cmd, harness.RunTimeout)
	if r.Code != 0 {
		t.Fatalf("script: %v", r)
	}
	out := r.Stdout
	want := "failed run exit: 1\nmounts left: 0\ncreate exit: 0\nmounts while created: some\ndelete exit: 0\nmounts left: 0\n"
	if out != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}
