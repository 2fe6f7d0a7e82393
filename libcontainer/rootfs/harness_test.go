package rootfs

// The behaviour tests re-execute the test binary as a child in new mount,
// pid, uts and ipc namespaces (TestMain dispatches on childEnv). The child
// calls Prepare and Finish on a fresh copy of a busybox rootfs, then execs
// /bin/sh inside the container to report what it sees.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const childEnv = "_ROOTFS_TEST_CHILD"

// childConfig is what the parent asks the child to do.
type childConfig struct {
	Spec        *specs.Spec
	NoPivot     bool
	InUserNS    bool
	CgroupPaths map[string]string
	MountLabel  string
	// PreTmpfs are host directories the child mounts a tmpfs on before
	// Prepare (to have submounts under bind sources).
	PreTmpfs []string
	// FakeCgroup2 replaces the host's cgroup v1 tree at /sys/fs/cgroup
	// with a cgroup2 mount before Prepare (the child's mount namespace
	// is private), to test a cgroup v2 host.
	FakeCgroup2 bool
	// HookCheck is a host path; in beforePivot the child reports whether
	// it is a mount point and whether it has any entry.
	HookCheck string
	// HookFail makes beforePivot return an error.
	HookFail bool
	// ReplaceDevNull makes the child replace the container's /dev/null
	// with a symlink to /etc/passwd between Prepare and Finish.
	ReplaceDevNull bool
	// FreshFinish calls Finish with a new Config (without what Prepare
	// left in it).
	FreshFinish bool
	// Script is run with /bin/sh -c inside the container.
	Script string
}

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		childMain(cfg)
		return
	}
	code := m.Run()
	if busyboxDir != "" {
		os.RemoveAll(busyboxDir)
	}
	os.Exit(code)
}

// childMain runs in the child: Prepare, Finish, exec the script.
func childMain(cfgPath string) {
	runtime.LockOSThread()
	die := func(code int, format string, args ...any) {
		fmt.Printf(format+"\n", args...)
		os.Exit(code)
	}
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		die(2, "CHILD-ERROR: %v", err)
	}
	var cc childConfig
	if err := json.Unmarshal(data, &cc); err != nil {
		die(2, "CHILD-ERROR: %v", err)
	}
	for _, p := range cc.PreTmpfs {
		if err := unix.Mount("tmpfs", p, "tmpfs", 0, "size=1m"); err != nil {
			die(2, "CHILD-ERROR: pre-mount %s: %v", p, err)
		}
		if err := os.WriteFile(filepath.Join(p, "inner"), []byte("inner\n"), 0o644); err != nil {
			die(2, "CHILD-ERROR: %v", err)
		}
	}
	if cc.FakeCgroup2 {
		if err := unix.Unmount("/sys/fs/cgroup", unix.MNT_DETACH); err != nil {
			die(2, "CHILD-ERROR: unmount /sys/fs/cgroup: %v", err)
		}
		if err := unix.Mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, ""); err != nil {
			die(2, "CHILD-ERROR: mount cgroup2: %v", err)
		}
	}
	c := &Config{Spec: cc.Spec, NoPivot: cc.NoPivot, InUserNS: cc.InUserNS, CgroupPaths: cc.CgroupPaths, MountLabel: cc.MountLabel}
	hook := func() error {
		if cc.HookCheck != "" {
			mounted := "no"
			if mounts, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(cc.HookCheck)); err == nil && len(mounts) > 0 {
				mounted = "yes"
			}
			entries, _ := os.ReadDir(cc.HookCheck)
			fmt.Printf("hook: %s mounted=%s entries=%d\n", cc.HookCheck, mounted, len(entries))
			// The rootfs's /proc is already mounted when hooks run.
			if _, err := os.Stat(filepath.Join(cc.Spec.Root.Path, "proc/self/status")); err == nil {
				fmt.Println("hook: rootfs proc mounted")
			}
		}
		if cc.HookFail {
			return fmt.Errorf("hook failed on purpose")
		}
		return nil
	}
	if err := Prepare(c, hook); err != nil {
		die(10, "PREPARE-ERROR: %v", err)
	}
	if cwd, err := os.Getwd(); err != nil || cwd != "/" {
		die(2, "CHILD-ERROR: cwd after Prepare is %q (%v)", cwd, err)
	}
	if cc.ReplaceDevNull {
		if err := os.Remove("/dev/null"); err != nil {
			die(2, "CHILD-ERROR: %v", err)
		}
		if err := os.Symlink("/etc/passwd", "/dev/null"); err != nil {
			die(2, "CHILD-ERROR: %v", err)
		}
	}
	if cc.FreshFinish {
		c = &Config{Spec: cc.Spec, NoPivot: cc.NoPivot, InUserNS: cc.InUserNS}
	}
	if err := Finish(c); err != nil {
		die(11, "FINISH-ERROR: %v", err)
	}
	env := []string{"PATH=/bin:/sbin:/usr/bin:/usr/sbin"}
	if err := syscall.Exec("/bin/sh", []string{"sh", "-c", cc.Script}, env); err != nil {
		die(2, "CHILD-ERROR: exec: %v", err)
	}
}

var (
	busyboxOnce sync.Once
	busyboxDir  string
	busyboxErr  error
)

// newRootfs returns a fresh copy of a busybox rootfs for one test.
func newRootfs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	busyboxOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rootfs-test-busybox-")
		if err != nil {
			busyboxErr = err
			return
		}
		busyboxDir = dir
		out, err := exec.Command("../../tests/rootfs/busybox.sh", filepath.Join(dir, "rootfs")).CombinedOutput()
		if err != nil {
			busyboxErr = fmt.Errorf("%w: %s", err, out)
		}
	})
	if busyboxErr != nil {
		t.Skipf("cannot build a busybox rootfs (is busybox-static installed?): %v", busyboxErr)
	}
	dst := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("cp", "-a", filepath.Join(busyboxDir, "rootfs"), dst).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v: %s", err, out)
	}
	return dst
}

// defaultSpec returns the spec `runc spec` writes, for rootfs.
func defaultSpec(rootfs string) *specs.Spec {
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: rootfs},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.NetworkNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
				"/proc/scsi", "/sys/devices/virtual/powercap",
			},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

// childResult is what the child printed and how it exited.
type childResult struct {
	out  string
	code int
}

// section returns the n-th part of the output, parts separated by "---"
// lines, without the lines the hook printed.
func (r childResult) section(n int) string {
	var lines []string
	for _, l := range strings.SplitAfter(r.out, "\n") {
		if !strings.HasPrefix(l, "hook: ") {
			lines = append(lines, l)
		}
	}
	parts := strings.Split(strings.Join(lines, ""), "\n---\n")
	if n >= len(parts) {
		return ""
	}
	return parts[n]
}

const baseCloneflags = unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC

// runChild runs the child with cc in new namespaces (baseCloneflags plus
// extra), and returns its output.
func runChild(t *testing.T, cc childConfig, extra uintptr) childResult {
	t.Helper()
	data, err := json.Marshal(cc)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "child.json")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+cfgPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: baseCloneflags | extra, Pdeathsig: syscall.SIGKILL}
	if extra&unix.CLONE_NEWUSER != 0 {
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
	}
	out, err := cmd.CombinedOutput()
	res := childResult{out: string(out)}
	if err != nil {
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			res.code = ee.ExitCode()
		} else {
			t.Fatalf("run child: %v", err)
		}
	}
	return res
}

// mustRun runs the child and fails the test unless it exited 0.
func mustRun(t *testing.T, cc childConfig, extra uintptr) childResult {
	t.Helper()
	res := runChild(t, cc, extra)
	if res.code != 0 {
		t.Fatalf("child exited %d:\n%s", res.code, res.out)
	}
	return res
}

// parseMountinfo parses a mountinfo dump into mountpoint -> last mount
// there (the visible one).
func parseMountinfo(t *testing.T, text string) map[string]*mountinfo.Info {
	t.Helper()
	mounts, err := mountinfo.GetMountsFromReader(strings.NewReader(text), nil)
	if err != nil {
		t.Fatalf("parse mountinfo: %v\n%s", err, text)
	}
	byPoint := map[string]*mountinfo.Info{}
	for _, m := range mounts {
		byPoint[m.Mountpoint] = m
	}
	return byPoint
}

// hasOpt reports whether a comma-separated option list has opt.
func hasOpt(list, opt string) bool {
	for _, o := range strings.Split(list, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// wantMount checks that a mount is at point with the fs type and
// per-mount options.
func wantMount(t *testing.T, mounts map[string]*mountinfo.Info, point, fstype string, opts ...string) *mountinfo.Info {
	t.Helper()
	m, ok := mounts[point]
	if !ok {
		t.Errorf("no mount on %s", point)
		return nil
	}
	if fstype != "" && m.FSType != fstype {
		t.Errorf("%s: fs type %s, want %s", point, m.FSType, fstype)
	}
	for _, o := range opts {
		if !hasOpt(m.Options, o) {
			t.Errorf("%s: options %q lack %s", point, m.Options, o)
		}
	}
	return m
}

// randSuffix gives a short random name part.
func randSuffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	f, err := os.Open("/dev/urandom")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// testCgroups creates, for every cgroup hierarchy mounted on the host, a
// cgroup /runc-test-rootfs-<random> with a "marker" child, and returns
// them as Config.CgroupPaths. They are removed when the test ends.
func testCgroups(t *testing.T) map[string]string {
	t.Helper()
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		t.Fatal(err)
	}
	v1, v2 := parseCgroupMounts(mounts)
	name := "runc-test-rootfs-" + randSuffix(t)
	paths := map[string]string{}
	add := func(h cgroupHierarchy, keys []string) {
		dir := filepath.Join(h.mountpoint, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatalf("create test cgroup: %v", err)
		}
		t.Cleanup(func() { os.Remove(dir) })
		marker := filepath.Join(dir, "marker")
		if err := os.Mkdir(marker, 0o755); err != nil {
			t.Fatalf("create test cgroup: %v", err)
		}
		t.Cleanup(func() { os.Remove(marker) })
		for _, k := range keys {
			paths[k] = dir
		}
	}
	for _, h := range v1 {
		add(h, h.subsystems)
	}
	if v2 != nil {
		add(*v2, []string{""})
	}
	return paths
}
