package cgroupmgr

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/systemd"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const mib = 1 << 20

// v1Controllers are the v1 controllers this runtime expects on a v1 or
// hybrid host; each one mounted at /sys/fs/cgroup/<name> is checked.
var v1Controllers = []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"}

func requireV1(t *testing.T) {
	t.Helper()
	if cgroups.IsCgroup2UnifiedMode() {
		t.Skip("checks cgroup v1 files; host is cgroup v2")
	}
}

// mountedV1 reports whether controller is a v1 hierarchy at its usual place.
func mountedV1(name string) bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup/"+name, &st) == nil && st.Type == unix.CGROUP_SUPER_MAGIC
}

func mustNew(t *testing.T, c *Config) Manager {
	t.Helper()
	m, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// checkGone fails unless every path is gone.
func checkGone(t *testing.T, paths map[string]string) {
	t.Helper()
	for k, p := range paths {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("cgroup %q dir %s still there after Destroy (stat: %v)", k, p, err)
		}
	}
}

func TestLifecycleV1(t *testing.T) {
	requireV1(t)
	e := newTestEnv(t)
	p := e.start(false, "sleep", "1000")
	cgPath := e.prefix + "/c1"
	m := mustNew(t, &Config{
		ID:   "c1",
		Path: cgPath,
		Resources: &specs.LinuxResources{
			Memory: &specs.LinuxMemory{Limit: ptr(int64(64 * mib)), Reservation: ptr(int64(32 * mib)), Swappiness: ptr(uint64(10))},
			CPU: &specs.LinuxCPU{
				Shares: ptr(uint64(512)), Quota: ptr(int64(20000)), Period: ptr(uint64(100000)),
				Cpus: "0", Mems: "0",
			},
			Pids: &specs.LinuxPids{Limit: ptr(int64(20))},
			Devices: []specs.LinuxDeviceCgroup{
				{Allow: false, Access: "rwm"},
				{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(11)), Access: "r"},
			},
		},
	})
	if m.Exists() {
		t.Fatal("Exists before Apply")
	}
	if err := m.Apply(p.pid); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !m.Exists() {
		t.Fatal("Exists is false after Apply")
	}

	// Every v1 hierarchy, and the cgroup2 mount of a hybrid host, holds
	// the container's directory with the process in it.
	paths := m.Paths()
	for _, c := range v1Controllers {
		if !mountedV1(c) {
			continue
		}
		want := "/sys/fs/cgroup/" + c + cgPath
		if paths[c] != want {
			t.Errorf("Paths()[%q] = %q, want %q", c, paths[c], want)
			continue
		}
		if !slices.Contains(procsOf(t, want), p.pid) {
			t.Errorf("pid %d not in %s/cgroup.procs", p.pid, want)
		}
	}
	if cgroups.IsCgroup2HybridMode() {
		want := "/sys/fs/cgroup/unified" + cgPath
		if paths[""] != want {
			t.Errorf(`Paths()[""] = %q, want %q (hybrid: the container joins the cgroup2 mount too)`, paths[""], want)
		} else if !slices.Contains(procsOf(t, want), p.pid) {
			t.Errorf("pid %d not in %s/cgroup.procs", p.pid, want)
		}
	}
	pc := readFile(t, "/proc/"+strconv.Itoa(p.pid), "cgroup")
	if !strings.Contains(pc, ":memory:"+cgPath+"\n") {
		t.Errorf("/proc/%d/cgroup does not show memory:%s:\n%s", p.pid, cgPath, pc)
	}

	// Resources are applied by Set, not by Apply.
	if err := m.Set(nil); err != nil {
		t.Fatalf("Set(nil): %v", err)
	}
	for _, c := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", strconv.Itoa(64 * mib)},
		{"memory", "memory.soft_limit_in_bytes", strconv.Itoa(32 * mib)},
		{"memory", "memory.swappiness", "10"},
		{"cpu", "cpu.shares", "512"},
		{"cpu", "cpu.cfs_quota_us", "20000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"cpuset", "cpuset.mems", "0"},
		{"pids", "pids.max", "20"},
	} {
		if got := readFile(t, paths[c.ctrl], c.file); got != c.want {
			t.Errorf("%s = %q, want %q", c.file, got, c.want)
		}
	}
	wantDevices := []string{
		"b *:* m", "c *:* m",
		"c 1:11 r", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
		"c 10:200 rwm", "c 136:* rwm", "c 5:0 rwm", "c 5:2 rwm",
	}
	checkDevicesList(t, paths["devices"], wantDevices)

	// An update replaces the values; nil devices keep the rules.
	if err := m.Set(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(128 * mib))},
		CPU:    &specs.LinuxCPU{Quota: ptr(int64(-1))},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(-1))},
	}); err != nil {
		t.Fatalf("Set(update): %v", err)
	}
	for _, c := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", strconv.Itoa(128 * mib)},
		{"cpu", "cpu.cfs_quota_us", "-1"},
		{"pids", "pids.max", "max"},
	} {
		if got := readFile(t, paths[c.ctrl], c.file); got != c.want {
			t.Errorf("after update: %s = %q, want %q", c.file, got, c.want)
		}
	}
	checkDevicesList(t, paths["devices"], wantDevices)

	// runc 1.4: pids.limit 0 is a real limit (written as 1, as systemd's
	// TasksMax does); nil leaves pids.max alone.
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(0))}}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, paths["pids"], "pids.max"); got != "1" {
		t.Errorf("pids.limit 0: pids.max = %q, want 1", got)
	}
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{}}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, paths["pids"], "pids.max"); got != "1" {
		t.Errorf("pids.limit unset: pids.max = %q, want it left at 1", got)
	}
	// Set(nil) re-applies the last resources set.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(96 * mib))}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(paths["memory"], "memory.limit_in_bytes"), []byte("-1"), 0); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(nil); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, paths["memory"], "memory.limit_in_bytes"); got != strconv.Itoa(96*mib) {
		t.Errorf("Set(nil) after update: memory.limit_in_bytes = %q, want %d", got, 96*mib)
	}

	// Stats and the OOM counter.
	st, err := m.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.MemoryStats.Usage.Limit != 96*mib {
		t.Errorf("Stats: memory limit %d, want %d", st.MemoryStats.Usage.Limit, 96*mib)
	}
	if st.PidsStats.Current != 1 {
		t.Errorf("Stats: pids.current %d, want 1", st.PidsStats.Current)
	}
	if !slices.Equal(st.CPUSetStats.CPUs, []uint16{0}) {
		t.Errorf("Stats: cpuset cpus %v, want [0]", st.CPUSetStats.CPUs)
	}
	if n, err := m.(*mgr).lib.OOMKillCount(); err != nil || n != 0 {
		t.Errorf("OOMKillCount = %d, %v; want 0", n, err)
	}

	// Freeze and thaw, observed through the freezer and the process state.
	if err := m.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	if got := readFile(t, paths["freezer"], "freezer.state"); got != "FROZEN" {
		t.Errorf("after Freeze: freezer.state = %q", got)
	}
	if s := procState(t, p.pid); s != "D" {
		t.Errorf("after Freeze: process state %q, want D (frozen)", s)
	}
	if paused, err := m.Paused(); err != nil || !paused {
		t.Errorf("after Freeze: Paused = %v, %v", paused, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	if got := readFile(t, paths["freezer"], "freezer.state"); got != "THAWED" {
		t.Errorf("after Thaw: freezer.state = %q", got)
	}
	// thawed, the sleeper runs (R) for a moment before it sleeps again
	eventually(t, "the process asleep (S) after Thaw", func() bool { return procState(t, p.pid) == "S" })
	if paused, err := m.Paused(); err != nil || paused {
		t.Errorf("after Thaw: Paused = %v, %v", paused, err)
	}

	if pids, err := m.Pids(); err != nil || !slices.Equal(pids, []int{p.pid}) {
		t.Errorf("Pids = %v, %v; want [%d]", pids, err, p.pid)
	}
	if err := m.KillAll(unix.SIGKILL); err != nil {
		t.Fatalf("KillAll: %v", err)
	}
	if sig := p.wait(t, 5*time.Second); sig != syscall.SIGKILL {
		t.Errorf("process ended with signal %v, want SIGKILL", sig)
	}

	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	checkGone(t, paths)
	if m.Exists() {
		t.Error("Exists after Destroy")
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	if err := m.KillAll(unix.SIGKILL); err == nil || !strings.Contains(err.Error(), ErrNotExist.Error()) {
		t.Errorf("KillAll after Destroy = %v, want %v", err, ErrNotExist)
	}
}

func checkDevicesList(t *testing.T, dir string, want []string) {
	t.Helper()
	got := strings.Split(readFile(t, dir, "devices.list"), "\n")
	sort.Strings(got)
	w := slices.Clone(want)
	sort.Strings(w)
	if !slices.Equal(got, w) {
		t.Errorf("devices.list:\n got %q\nwant %q", got, w)
	}
}

// TestDevicesEnforced checks that the device rules reach the kernel: with
// deny-all, only the default devices can be opened.
func TestDevicesEnforced(t *testing.T) {
	e := newTestEnv(t)
	const script = `read x
head -c1 /dev/zero >/dev/null && echo zero-ok
dd if=/dev/kmsg of=/dev/null bs=8192 count=1 2>/dev/null && echo kmsg-ok || echo kmsg-denied`
	for _, tc := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  string
	}{
		{"deny all", []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, "zero-ok\nkmsg-denied\n"},
		{"allow kmsg", []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(11)), Access: "r"},
		}, "zero-ok\nkmsg-ok\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.start(true, "sh", "-c", script)
			m := mustNew(t, &Config{
				ID:        "dev",
				Path:      e.prefix + "/" + strings.ReplaceAll(tc.name, " ", "-"),
				Resources: &specs.LinuxResources{Devices: tc.rules},
				// As runc: a linux.devices entry gets no rule of its own.
				Devices: []specs.LinuxDevice{{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11}},
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
			if sig := p.wait(t, 10*time.Second); sig != 0 {
				t.Fatalf("script killed by %v", sig)
			}
			if got := p.out.String(); got != tc.want {
				t.Errorf("output %q, want %q", got, tc.want)
			}
			paths := m.Paths()
			if err := m.Destroy(); err != nil {
				t.Fatal(err)
			}
			checkGone(t, paths)
		})
	}
}

func TestLoad(t *testing.T) {
	e := newTestEnv(t)
	p := e.start(false, "sleep", "1000")
	cfg := &Config{ID: "c", Path: e.prefix + "/load", Resources: &specs.LinuxResources{
		Pids: &specs.LinuxPids{Limit: ptr(int64(10))},
	}}
	m := mustNew(t, cfg)
	if err := m.Apply(p.pid); err != nil {
		t.Fatal(err)
	}
	saved := m.Paths()

	l, err := Load(cfg, saved)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := l.Paths(); !equalMaps(got, saved) {
		t.Errorf("loaded Paths = %v, want %v", got, saved)
	}
	if pids, err := l.Pids(); err != nil || !slices.Equal(pids, []int{p.pid}) {
		t.Errorf("loaded Pids = %v, %v", pids, err)
	}
	if err := l.Set(nil); err != nil {
		t.Fatal(err)
	}
	pidsDir := saved["pids"]
	if cgroups.IsCgroup2UnifiedMode() {
		pidsDir = saved[""]
	}
	if got := readFile(t, pidsDir, "pids.max"); got != "10" {
		t.Errorf("Set through the loaded manager: pids.max = %q", got)
	}
	if err := l.Freeze(); err != nil {
		t.Fatal(err)
	}
	if paused, err := m.Paused(); err != nil || !paused {
		t.Errorf("frozen through Load, original says paused=%v, %v", paused, err)
	}
	if err := l.KillAll(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 5*time.Second)
	if err := l.Destroy(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, saved)
	// The map handed out is a copy: Destroy emptied the library's own.
	if len(saved) == 0 {
		t.Error("Destroy emptied the map Paths returned")
	}

	for _, bad := range []map[string]string{
		nil,
		{"memory": "relative/dir"},
		{"memory": "/sys/fs/cgroup/memory/../../../etc"},
		{"memory": "/etc"},
	} {
		if _, err := Load(cfg, bad); err == nil {
			t.Errorf("Load(%v) succeeded", bad)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestCgroupRootEnv: with RUNC_CGROUP_ROOT, empty and relative paths are
// rooted there in every hierarchy.
func TestCgroupRootEnv(t *testing.T) {
	requireV1(t)
	e := newTestEnv(t)
	t.Setenv(EnvCgroupRoot, e.prefix)
	for _, tc := range []struct{ id, path, want string }{
		{"c2", "rel/x", e.prefix + "/rel/x"},
		{"c3", "", e.prefix + "/c3"},
	} {
		m := mustNew(t, &Config{ID: tc.id, Path: tc.path})
		paths := m.Paths()
		if got, want := paths["memory"], "/sys/fs/cgroup/memory"+tc.want; got != want {
			t.Fatalf("path %q: memory dir %q, want %q", tc.path, got, want)
		}
		if err := m.Apply(-1); err != nil {
			t.Fatal(err)
		}
		for k, dir := range paths {
			if _, err := os.Stat(dir); err != nil {
				t.Errorf("Apply(-1) did not create the %q dir: %v", k, err)
			}
			if len(procsOf(t, dir)) != 0 {
				t.Errorf("Apply(-1) moved a process into %s", dir)
			}
		}
		if err := m.Destroy(); err != nil {
			t.Fatal(err)
		}
		checkGone(t, paths)
	}
	if _, err := New(&Config{ID: "c", Path: "a/../../x"}); err == nil || !strings.Contains(err.Error(), "linux.cgroupsPath") {
		t.Errorf("escaping path: got %v, want an error naming linux.cgroupsPath", err)
	}
	t.Setenv(EnvCgroupRoot, "not/absolute")
	if _, err := New(&Config{ID: "c", Path: "x"}); err == nil || !strings.Contains(err.Error(), EnvCgroupRoot) {
		t.Errorf("relative %s: got %v", EnvCgroupRoot, err)
	}
}

// TestRelativeToOwnCgroup: without RUNC_CGROUP_ROOT a relative path is
// below the caller's own cgroup, per controller. Nothing is created: the
// caller's cgroup is not ours to touch.
func TestRelativeToOwnCgroup(t *testing.T) {
	requireV1(t)
	t.Setenv(EnvCgroupRoot, "")
	own, err := cgroups.ParseCgroupFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	m := mustNew(t, &Config{ID: "c", Path: "rel/c"})
	paths := m.Paths()
	for _, c := range v1Controllers {
		if !mountedV1(c) {
			continue
		}
		want := filepath.Join("/sys/fs/cgroup", c, own[c], "rel/c")
		if paths[c] != want {
			t.Errorf("Paths()[%q] = %q, want %q", c, paths[c], want)
		}
	}
}

// TestHierarchyLimits: fields this v1/hybrid host cannot apply fail the way
// they fail in runc, naming what is wrong.
func TestHierarchyLimits(t *testing.T) {
	requireV1(t)
	e := newTestEnv(t)
	_, err := New(&Config{ID: "c", Path: e.prefix + "/u", Resources: &specs.LinuxResources{Unified: map[string]string{"memory.high": "1G"}}})
	if err == nil || !strings.Contains(err.Error(), "linux.resources.unified") {
		t.Errorf("unified on v1: got %v", err)
	}

	for _, tc := range []struct {
		name, ctrl string
		res        *specs.LinuxResources
		want       string
		field      string
	}{
		{"hugetlb", "hugetlb", &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 * mib}}}, "hugetlb", "linux.resources.hugepageLimits"},
		{"net_cls", "net_cls", &specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr(uint32(0x100001))}}, "net_cls", "linux.resources.network.classID"},
		{"net_prio", "net_prio", &specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "lo", Priority: 1}}}}, "net_prio", "linux.resources.network.priorities"},
		{"rdma", "rdma", &specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx4_0": {HcaHandles: ptr(uint32(2))}}}, "rdma", "linux.resources.rdma"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if mountedV1(tc.ctrl) {
				t.Skipf("%s is mounted as v1 here", tc.ctrl)
			}
			// New refuses it up front, naming the field.
			_, err := New(&Config{ID: "c", Path: e.prefix + "/" + tc.name, Resources: tc.res})
			if err == nil || !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: got %v, want an error about %s naming %s", err, tc.want, tc.field)
			}
			// So does Set (an update) on a container without it.
			m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/" + tc.name})
			if err := m.Apply(-1); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = m.Destroy() })
			err = m.Set(tc.res)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Set: got %v, want an error naming %s", err, tc.field)
			}
			// Load does not: the container must stay deletable.
			if _, err := Load(&Config{ID: "c", Path: e.prefix + "/" + tc.name, Resources: tc.res}, m.Paths()); err != nil {
				t.Errorf("Load: %v", err)
			}
		})
	}
}

// TestBlkio: throttling and, where the I/O scheduler provides it, weight.
func TestBlkio(t *testing.T) {
	requireV1(t)
	if !mountedV1("blkio") {
		t.Skip("no blkio hierarchy")
	}
	dev, err := os.ReadFile("/sys/block/vda/dev")
	if err != nil {
		t.Skip("no /sys/block/vda")
	}
	var major, minor int64
	if _, err := fmtSscanDev(strings.TrimSpace(string(dev)), &major, &minor); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t)
	bio := specs.LinuxBlockIODevice{Major: major, Minor: minor}
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/blkio", Resources: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
		ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: bio, Rate: mib}},
		ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: bio, Rate: 100}},
	}}})
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Destroy() })
	if err := m.Set(nil); err != nil {
		t.Fatal(err)
	}
	dir := m.Paths()["blkio"]
	d := strings.TrimSpace(string(dev))
	if got := readFile(t, dir, "blkio.throttle.read_bps_device"); got != d+" "+strconv.Itoa(mib) {
		t.Errorf("blkio.throttle.read_bps_device = %q", got)
	}
	if got := readFile(t, dir, "blkio.throttle.write_iops_device"); got != d+" 100" {
		t.Errorf("blkio.throttle.write_iops_device = %q", got)
	}

	err = m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(500))}})
	weightFile := ""
	for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
		if _, serr := os.Stat(filepath.Join(dir, f)); serr == nil {
			weightFile = f
			break
		}
	}
	if weightFile == "" {
		// No CFQ/BFQ: the same error runc gives, naming the file.
		if err == nil || !strings.Contains(err.Error(), "weight") {
			t.Errorf("blkio weight without CFQ/BFQ: got %v", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("blkio weight: %v", err)
	}
	if got := readFile(t, dir, weightFile); !strings.HasSuffix(got, "500") {
		t.Errorf("%s = %q, want 500", weightFile, got)
	}
}

func fmtSscanDev(s string, major, minor *int64) (int, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, os.ErrInvalid
	}
	var err error
	if *major, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, err
	}
	if *minor, err = strconv.ParseInt(b, 10, 64); err != nil {
		return 1, err
	}
	return 2, nil
}

// TestSwapAndOOM: memory+swap limit read back, and an OOM kill counted.
func TestSwapAndOOM(t *testing.T) {
	requireV1(t)
	e := newTestEnv(t)
	p := e.start(true, "sh", "-c", "read x; exec dd if=/dev/zero of=/dev/null bs=64M count=1")
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/oom", Resources: &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(16 * mib)), Swap: ptr(int64(16 * mib))},
	}})
	if err := m.Apply(p.pid); err != nil {
		t.Fatal(err)
	}
	memDir := m.Paths()["memory"]
	err := m.Set(nil)
	if _, serr := os.Stat(filepath.Join(memDir, "memory.memsw.limit_in_bytes")); os.IsNotExist(serr) {
		if err == nil || !strings.Contains(err.Error(), "linux.resources.memory.swap") {
			t.Fatalf("swap limit without swap accounting: got %v", err)
		}
		t.Skip("no swap accounting: checked the error only")
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, memDir, "memory.memsw.limit_in_bytes"); got != strconv.Itoa(16*mib) {
		t.Errorf("memory.memsw.limit_in_bytes = %q", got)
	}
	if _, err := p.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	if sig := p.wait(t, 10*time.Second); sig != syscall.SIGKILL {
		t.Fatalf("dd ended with %v (output %q), want an OOM SIGKILL", sig, p.out.String())
	}
	if n, err := m.(*mgr).lib.OOMKillCount(); err != nil || n != 1 {
		t.Errorf("OOMKillCount = %d, %v; want 1", n, err)
	}
	paths := m.Paths()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, paths)
}

func TestSystemdDriver(t *testing.T) {
	// A bad path is reported whether or not systemd runs.
	_, err := New(&Config{ID: "c", Path: "/not/systemd/form", Systemd: true})
	if err == nil || !strings.Contains(err.Error(), "slice:prefix:name") {
		t.Errorf("bad systemd path: got %v", err)
	}
	_, err = New(&Config{
		ID: "c", Path: "system.slice:test:c", Systemd: true,
		Annotations: map[string]string{"org.systemd.property.X1": "1"},
	})
	if err == nil || !strings.Contains(err.Error(), "org.systemd.property.X1") {
		t.Errorf("bad property annotation: got %v", err)
	}
	if systemd.IsRunningSystemd() {
		t.Skip("systemd runs here; the driver is tested elsewhere")
	}
	_, err = New(&Config{ID: "c", Path: "system.slice:test:c", Systemd: true})
	if err == nil || !strings.Contains(err.Error(), "systemd not running on this host") {
		t.Errorf("systemd driver without systemd: got %v", err)
	}
}

// TestSetKeepsDevices: once the device rules are in place, a Set without
// devices does not write them again (rules added by others survive), one
// with devices replaces them; a new manager always writes them first.
func TestSetKeepsDevices(t *testing.T) {
	requireV1(t)
	if !mountedV1("devices") {
		t.Skip("no devices hierarchy")
	}
	e := newTestEnv(t)
	deny := []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/dev", Resources: &specs.LinuxResources{Devices: deny}})
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Destroy() })
	dir := m.Paths()["devices"]
	// The first Set applies the rules even without r.Devices.
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(10))}}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dir, "devices.list"); strings.Contains(got, "a *:* rwm") || !strings.Contains(got, "c 1:3 rwm") {
		t.Fatalf("devices.list after the first Set:\n%s", got)
	}
	// Someone else (a GPU hook, say) allows one more device.
	if err := os.WriteFile(filepath.Join(dir, "devices.allow"), []byte("c 1:11 r"), 0); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(&Config{ID: "c", Path: e.prefix + "/dev", Resources: &specs.LinuxResources{Devices: deny}}, m.Paths())
	if err != nil {
		t.Fatal(err)
	}
	for name, mm := range map[string]Manager{"same manager": m, "loaded manager": loaded} {
		if err := mm.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(11))}}); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, dir, "devices.list"); !strings.Contains(got, "c 1:11 r") {
			t.Errorf("%s: a Set without devices dropped another's rule:\n%s", name, got)
		}
	}
	if err := loaded.Set(&specs.LinuxResources{Devices: deny}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dir, "devices.list"); strings.Contains(got, "c 1:11 r") {
		t.Errorf("a Set with devices kept a rule they do not have:\n%s", got)
	}
}
