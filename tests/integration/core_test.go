package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// runScript runs sh -c script in the bundle's container in the foreground
// and returns its stdout; it fails the test on a non-zero exit.
func (b *bundle) runScript(script string) string {
	b.t.Helper()
	b.Spec.Process.Args = []string{"sh", "-c", script}
	b.write()
	r := b.run(nil, "run", b.ID)
	if r.Code != 0 {
		b.t.Fatalf("run %q: exit %d\nstdout: %s\nstderr: %s", script, r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// mountinfoLine finds the mountinfo line of mountpoint in a container's
// /proc/self/mountinfo.
func mountinfoLine(t *testing.T, mountinfo, mountpoint string) string {
	t.Helper()
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[4] == mountpoint {
			return line
		}
	}
	t.Fatalf("no mount on %s in:\n%s", mountpoint, mountinfo)
	return ""
}

func TestDefaultMounts(t *testing.T) {
	b := newBundle(t)
	mi := b.runScript("cat /proc/self/mountinfo")
	for mp, want := range map[string][]string{
		"/proc":          {" - proc "},
		"/dev":           {" - tmpfs ", "nosuid", "mode=755"},
		"/dev/pts":       {" - devpts ", "nosuid", "noexec", "mode=620", "ptmxmode=666", "gid=5"},
		"/dev/shm":       {" - tmpfs ", "nosuid", "nodev", "noexec", "size=65536k"},
		"/dev/mqueue":    {" - mqueue ", "nosuid", "nodev", "noexec"},
		"/sys":           {" - sysfs ", "ro,", "nosuid", "nodev", "noexec"},
		"/sys/fs/cgroup": {"ro,"},
	} {
		line := mountinfoLine(t, mi, mp)
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: %q lacks %q", mp, line, w)
			}
		}
	}
}

func TestDevicesAndSymlinks(t *testing.T) {
	b := newBundle(t)
	mode := os.FileMode(0o640)
	uid, gid := uint32(1000), uint32(1000)
	b.Spec.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: &mode, UID: &uid, GID: &gid}}
	out := b.runScript(`for d in null zero full random urandom tty fuse; do stat -c "%n %F %t:%T %a %u:%g" /dev/$d; done; for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done`)
	for _, want := range []string{
		"/dev/null character special file 1:3 666 0:0",
		"/dev/zero character special file 1:5 666",
		"/dev/full character special file 1:7 666",
		"/dev/random character special file 1:8 666",
		"/dev/urandom character special file 1:9 666",
		"/dev/tty character special file 5:0 666",
		"/dev/fuse character special file a:e5 640 1000:1000",
		"fd -> /proc/self/fd", "stdin -> /proc/self/fd/0", "stdout -> /proc/self/fd/1",
		"stderr -> /proc/self/fd/2", "ptmx -> pts/ptmx",
	} {
		mustContain(t, "devices", out, want)
	}
}

func TestMaskedAndReadonlyPaths(t *testing.T) {
	b := newBundle(t)
	// /proc/acpi (a directory) and /proc/timer_list (a file) are masked
	// by the default spec; /proc/sys is read-only.
	harness.Requires(t, harness.ProcMasked)
	out := b.runScript(`ls /proc/acpi | wc -l; wc -c < /proc/timer_list; echo x > /proc/sys/kernel/domainname 2>/dev/null && echo WROTE || echo refused; grep " /proc/sys " /proc/self/mountinfo | grep -c " ro,"`)
	if got := strings.Join(strings.Fields(out), " "); got != "0 0 refused 1" {
		t.Fatalf("masked/readonly paths not applied: %q", out)
	}
}

func TestHostnameDomainnameSysctl(t *testing.T) {
	b := newBundle(t)
	b.Spec.Hostname = "box1"
	b.Spec.Domainname = "example.org"
	b.Spec.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}
	out := b.runScript(`hostname; cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni`)
	if got := strings.Fields(out); strings.Join(got, " ") != "box1 example.org 1 1234" {
		t.Fatalf("got %q", out)
	}
	// The host is untouched.
	if h, _ := os.Hostname(); h == "box1" {
		t.Fatal("host name changed")
	}
}

func TestProcessAttributes(t *testing.T) {
	b := newBundle(t)
	umask := uint32(0o027)
	adj := 123
	b.Spec.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{29, 100}, Umask: &umask}
	b.Spec.Process.OOMScoreAdj = &adj
	b.Spec.Process.Cwd = "/home/user"
	b.Spec.Process.Env = append(b.Spec.Process.Env, "FOO=bar")
	b.Spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 512, Soft: 256}}
	out := b.runScript(`id -u; id -g; id -G; umask; pwd; echo $FOO $HOME; cat /proc/self/oom_score_adj; ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status`)
	want := "1000\n1000\n1000 29 100\n0027\n/home/user\nbar /home/user\n123\n256\n512\nNoNewPrivs:\t1\n"
	if out != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestCapabilities(t *testing.T) {
	b := newBundle(t)
	// The default spec: AUDIT_WRITE, KILL, NET_BIND_SERVICE (bits 29, 5, 10).
	out := b.runScript(`grep ^Cap /proc/self/status`)
	for _, want := range []string{"CapInh:\t0000000000000000", "CapPrm:\t0000000020000420", "CapEff:\t0000000020000420", "CapBnd:\t0000000020000420"} {
		mustContain(t, "status", out, want)
	}
	// An unknown name is ignored with a warning, as runc ignores it (see
	// TestAcceptUnknownCapabilities).
	b2 := newBundle(t)
	b2.Spec.Process.Capabilities.Bounding = append(b2.Spec.Process.Capabilities.Bounding, "CAP_NOT_A_THING")
	b2.write()
	_, errOut, code := b2.runc("run", b2.ID)
	if code != 0 || !strings.Contains(errOut, "ignoring unknown or unavailable capabilities: [CAP_NOT_A_THING]") {
		t.Fatalf("unknown capability: exit %d %q", code, errOut)
	}
}

func TestReadonlyRoot(t *testing.T) {
	b := newBundle(t)
	b.Spec.Root.Readonly = true
	out := b.runScript(`touch /x 2>&1 || true; touch /dev/shm/ok && echo shm-ok`)
	mustContain(t, "touch", out, "Read-only file system")
	mustContain(t, "touch", out, "shm-ok")
}

func TestNoPivot(t *testing.T) {
	b := newBundle(t)
	b.Spec.Process.Args = []string{"sh", "-c", "cat /proc/self/mountinfo | head -1; ls /"}
	b.write()
	r := b.run(nil, "run", "--no-pivot", b.ID)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	mustContain(t, "ls /", r.Stdout, "bin")
}

func TestRootfsPropagation(t *testing.T) {
	for _, prop := range []string{"shared", "unbindable", "private", "slave"} {
		t.Run(prop, func(t *testing.T) {
			b := newBundle(t)
			b.Spec.Linux.RootfsPropagation = prop
			line := mountinfoLine(t, b.runScript("cat /proc/self/mountinfo"), "/")
			switch prop {
			case "shared":
				mustContain(t, "/", line, "shared:")
			case "unbindable":
				mustContain(t, "/", line, "unbindable")
			case "private":
				if strings.Contains(line, "shared:") || strings.Contains(line, "master:") {
					t.Fatalf("not private: %s", line)
				}
			case "slave":
				// master:N shows only when the host's mount is shared.
				if strings.Contains(line, "shared:") {
					t.Fatalf("slave root is shared: %s", line)
				}
			}
		})
	}
}

func TestBindMounts(t *testing.T) {
	b := newBundle(t)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "hello"), []byte("from host\n"), 0o644)
	b.Spec.Mounts = append(b.Spec.Mounts,
		specs.Mount{Destination: "/data", Type: "bind", Source: src, Options: []string{"rbind", "ro", "nosuid", "nodev"}},
		specs.Mount{Destination: "/rw", Type: "bind", Source: src, Options: []string{"bind"}},
	)
	out := b.runScript(`cat /data/hello; touch /data/x 2>&1 || true; echo new > /rw/written; grep " /data " /proc/self/mountinfo`)
	mustContain(t, "bind", out, "from host")
	mustContain(t, "bind", out, "Read-only file system")
	mustContain(t, "bind", out, "ro,nosuid,nodev")
	if data, err := os.ReadFile(filepath.Join(src, "written")); err != nil || string(data) != "new\n" {
		t.Errorf("rw bind: %q %v", data, err)
	}
}

func TestCgroupLimitsApplied(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	limit := int64(64 << 20)
	pids := int64(32)
	shares := uint64(512)
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: &pids}
	b.Spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: &shares}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	for file, want := range map[string]string{
		"memory/" + b.CgroupPath() + "/memory.limit_in_bytes": fmt.Sprint(limit),
		"pids/" + b.CgroupPath() + "/pids.max":                "32",
		"cpu/" + b.CgroupPath() + "/cpu.shares":               "512",
	} {
		data, err := os.ReadFile("/sys/fs/cgroup/" + file)
		if err != nil || strings.TrimSpace(string(data)) != want {
			t.Errorf("%s = %q (%v), want %s", file, data, err, want)
		}
	}
	// The container sees its own cgroup as / (cgroup namespace).
	_ = b
}

func TestHooks(t *testing.T) {
	b := newBundle(t, "sh", "-c", "echo process ran")
	log := filepath.Join(b.Dir, "hooks.log")
	hook := func(name string) specs.Hook {
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", fmt.Sprintf(`read -r s; echo "%s $s" >> %s`, name, log)}}
	}
	b.Spec.Hooks = &specs.Hooks{
		Prestart:        []specs.Hook{hook("prestart")}, //nolint:staticcheck // deprecated by the OCI spec, still run: tested
		CreateRuntime:   []specs.Hook{hook("createRuntime")},
		CreateContainer: []specs.Hook{hook("createContainer")},
		// startContainer runs in the container: busybox sh, and the log
		// path is the same inside (the bundle is not mounted): write to
		// a file in the rootfs instead.
		StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", `read -r s; echo "startContainer $s" > /startcontainer.log`}}},
		Poststart:      []specs.Hook{hook("poststart")},
		Poststop:       []specs.Hook{hook("poststop")},
	}
	b.write()
	b.mustRunc("create", b.ID)
	data, _ := os.ReadFile(log)
	got := string(data)
	for _, kind := range []string{"prestart", "createRuntime", "createContainer"} {
		if !strings.Contains(got, kind+" ") {
			t.Errorf("%s hook did not run at create:\n%s", kind, got)
		}
	}
	if strings.Contains(got, "poststart") {
		t.Errorf("poststart ran at create")
	}
	b.mustRunc("start", b.ID)
	b.waitStatus("stopped")
	b.mustRunc("delete", b.ID)
	data, _ = os.ReadFile(log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var order []string
	for _, l := range lines {
		name, st, _ := strings.Cut(l, " ")
		order = append(order, name)
		var state specs.State
		if err := json.Unmarshal([]byte(st), &state); err != nil {
			t.Fatalf("%s: state on stdin is not JSON: %q", name, st)
		}
		if state.ID != b.ID || state.Bundle != b.Dir {
			t.Errorf("%s: state %+v", name, state)
		}
		want := map[string]specs.ContainerState{"prestart": "creating", "createRuntime": "creating", "createContainer": "creating", "poststart": "running", "poststop": "stopped"}[name]
		if state.Status != want {
			t.Errorf("%s: status %q, want %q", name, state.Status, want)
		}
	}
	if strings.Join(order, ",") != "prestart,createRuntime,createContainer,poststart,poststop" {
		t.Errorf("hook order %v", order)
	}
	sc, err := os.ReadFile(filepath.Join(b.Dir, "rootfs/startcontainer.log"))
	if err != nil || !strings.Contains(string(sc), `"status":"created"`) {
		t.Errorf("startContainer hook: %q %v", sc, err)
	}
}

func TestFailingHookFailsCreate(t *testing.T) {
	for _, kind := range []string{"prestart", "createRuntime", "createContainer"} {
		t.Run(kind, func(t *testing.T) {
			b := newBundle(t, "true")
			h := []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo hook-says-no >&2; exit 4"}}}
			b.Spec.Hooks = &specs.Hooks{}
			switch kind {
			case "prestart":
				b.Spec.Hooks.Prestart = h //nolint:staticcheck // deprecated by the OCI spec, still run: tested
			case "createRuntime":
				b.Spec.Hooks.CreateRuntime = h
			case "createContainer":
				b.Spec.Hooks.CreateContainer = h
			}
			b.write()
			_, errOut, code := b.runc("create", b.ID)
			if code == 0 {
				t.Fatal("create succeeded")
			}
			mustContain(t, "stderr", errOut, "hook-says-no")
			mustContain(t, "stderr", errOut, kind)
			if _, err := os.Stat(filepath.Join(b.Root, b.ID)); !os.IsNotExist(err) {
				t.Errorf("state directory left behind")
			}
		})
	}
}

func TestHookTimeout(t *testing.T) {
	b := newBundle(t, "true")
	one := 1
	b.Spec.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "30"}, Timeout: &one}}} //nolint:staticcheck // deprecated by the OCI spec, still run: tested
	b.write()
	_, errOut, code := b.runc("run", b.ID)
	if code == 0 || !strings.Contains(errOut, "timed out") {
		t.Fatalf("exit %d %q", code, errOut)
	}
}

func TestFailingPoststopDoesNotStopDelete(t *testing.T) {
	b := newBundle(t, "true")
	b.Spec.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/false", Args: []string{"false"}}}}
	b.write()
	b.mustRunc("create", b.ID)
	b.mustRunc("delete", b.ID)
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); !os.IsNotExist(err) {
		t.Errorf("state directory left behind")
	}
}

func TestInitErrorReachesUser(t *testing.T) {
	b := newBundle(t, "true")
	b.Spec.Mounts = append(b.Spec.Mounts, specs.Mount{Destination: "/x", Type: "nosuchfs", Source: "none"})
	b.write()
	_, errOut, code := b.runc("run", b.ID)
	if code == 0 {
		t.Fatal("run succeeded")
	}
	mustContain(t, "stderr", errOut, "nosuchfs")
	mustContain(t, "stderr", errOut, "/x")
}

func TestNoHostMountsLeak(t *testing.T) {
	before, _ := os.ReadFile("/proc/self/mountinfo")
	b := newBundle(t, "true")
	b.mustRunc("run", b.ID)
	b.mustRunc("create", b.ID)
	b.mustRunc("delete", b.ID)
	after, _ := os.ReadFile("/proc/self/mountinfo")
	if n, m := strings.Count(string(before), "\n"), strings.Count(string(after), "\n"); n != m {
		t.Fatalf("host mounts: %d before, %d after", n, m)
	}
}

func TestSpecDefaults(t *testing.T) {
	dir := t.TempDir()
	b := &bundle{&harness.Bundle{T: t, Bin: runcBin, Dir: dir, Root: filepath.Join(dir, "state")}, t}
	b.mustRunc("spec")
	var s specs.Spec
	data, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if !s.Process.Terminal || s.Process.Args[0] != "sh" || s.Root.Path != "rootfs" || !s.Root.Readonly || s.Hostname != "runc" {
		t.Errorf("unexpected default spec: %+v", s)
	}
	if _, errOut, code := b.runc("spec"); code == 0 || !strings.Contains(errOut, "exists") {
		t.Errorf("spec over an existing config: exit %d %q", code, errOut)
	}
	b.mustRunc("spec", "--rootless", "--bundle", t.TempDir())
}

// runc spec writes runc 1.5's template, byte for byte, with and without
// --rootless (a cgroup namespace only on a cgroup v2 host, no ambient
// capabilities).
func TestSpecMatchesReference(t *testing.T) {
	for _, args := range [][]string{{"spec"}, {"spec", "--rootless"}} {
		ours, ref := differential(t, func(t *testing.T, bin string) string {
			dir := t.TempDir()
			b := &bundle{&harness.Bundle{T: t, Bin: bin, Dir: dir, Root: filepath.Join(dir, "state")}, t}
			b.mustRunc(append(args, "--bundle", dir)...)
			data, err := os.ReadFile(filepath.Join(dir, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			return string(data)
		})
		if ours != ref {
			t.Errorf("runc %s: ours differs from runc 1.5.3's\nours:\n%s\nrunc 1.5.3:\n%s", strings.Join(args, " "), ours, ref)
		}
	}
}

// Low rlimits (RLIMIT_NOFILE, AS, DATA, STACK, NPROC) must bind the
// process, not runc init while it waits for start: the init opens files,
// maps memory and starts threads (runc init once crashed under 16 MiB of
// address space; under 4 open files it cannot even open the exec fifo).
func TestLowRlimitsDoNotStarveInit(t *testing.T) {
	b := newBundle(t, "sh", "-c", "ulimit -n; ulimit -v")
	b.Spec.Process.Rlimits = []specs.POSIXRlimit{
		{Type: "RLIMIT_NOFILE", Soft: 4, Hard: 4},
		{Type: "RLIMIT_AS", Soft: 16 << 20, Hard: 16 << 20},
	}
	b.write()
	// The process writes to the stdout create gives it: a file of ours.
	out := filepath.Join(b.Dir, "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(runcBin, "--root", b.Root, "create", b.ID)
	cmd.Dir, cmd.Stdout, cmd.Stderr = b.Dir, f, f // files: the container keeps them
	err = cmd.Run()
	f.Close()
	if err != nil {
		data, _ := os.ReadFile(out)
		t.Fatalf("create: %v: %s", err, data)
	}
	// The init waits under the limits, and survives it.
	harness.Consistently(t, 300*time.Millisecond, func() error {
		if s := b.status(); s != "created" {
			return fmt.Errorf("status %q while waiting for start under the limits", s)
		}
		return nil
	})
	b.mustRunc("start", b.ID)
	b.waitStatus("stopped")
	if data, _ := os.ReadFile(out); string(data) != "4\n16384\n" {
		t.Fatalf("process output %q, want the limits", data)
	}
}

// A container can join another's namespaces by path (as a pod's
// containers share the sandbox's): it sees the other's hostname, IPC
// objects and network devices.
func TestJoinNamespacePaths(t *testing.T) {
	a := newBundle(t, "sleep", "100")
	a.Spec.Hostname = "sandbox"
	a.write()
	a.mustRunc("run", "-d", a.ID)
	pid := a.initPid()

	b := newBundle(t)
	b.Spec.Hostname = ""
	for i, ns := range b.Spec.Linux.Namespaces {
		switch ns.Type {
		case specs.NetworkNamespace, specs.UTSNamespace, specs.IPCNamespace:
			b.Spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/%s", pid, map[specs.LinuxNamespaceType]string{
				specs.NetworkNamespace: "net", specs.UTSNamespace: "uts", specs.IPCNamespace: "ipc",
			}[ns.Type])
		}
	}
	out := b.runScript("hostname; for n in net ipc uts; do readlink /proc/self/ns/$n; done")
	lines := strings.Fields(out)
	if len(lines) != 4 || lines[0] != "sandbox" {
		t.Fatalf("joined container sees %q", out)
	}
	for i, ns := range []string{"net", "ipc", "uts"} {
		want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if lines[i+1] != want {
			t.Errorf("%s namespace %s, want %s", ns, lines[i+1], want)
		}
	}
}
