package integration

// Cgroup v2 and systemd driver tests. They skip on this cgroup v1 host and
// run in the VM lane (`make test-vm`: pure cgroup v2, systemd as PID 1).

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr/devices"
	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// requireCgroupV2 skips unless the host runs the cgroup v2 unified
// hierarchy (`make test-vm`).
func requireCgroupV2(t *testing.T) {
	t.Helper()
	harness.Requires(t, harness.CgroupV2)
}

// requireSystemd skips unless systemd is PID 1 on a cgroup v2 host.
func requireSystemd(t *testing.T) {
	t.Helper()
	harness.Requires(t, harness.CgroupV2, harness.Systemd)
}

// v2Dir is the container's cgroup v2 directory, for the cgroupfs driver
// (absolute cgroupsPath) and for the systemd driver ("slice:prefix:name",
// slices of one level below -.slice).
func (b *bundle) v2Dir() string {
	p := b.Spec.Linux.CgroupsPath
	if slice, rest, ok := strings.Cut(p, ":"); ok {
		prefix, name, _ := strings.Cut(rest, ":")
		if slice == "" {
			slice = "system.slice"
		}
		return filepath.Join("/sys/fs/cgroup", slice, prefix+"-"+name+".scope")
	}
	return filepath.Join("/sys/fs/cgroup", p)
}

// v2File reads a file of the container's cgroup v2 directory.
func (b *bundle) v2File(name string) string {
	b.t.Helper()
	data, err := os.ReadFile(filepath.Join(b.v2Dir(), name))
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func (b *bundle) expectV2Files(what string, want map[string]string) {
	b.t.Helper()
	for name, w := range want {
		if got := b.v2File(name); got != w {
			b.t.Errorf("%s: %s = %q, want %q", what, name, got, w)
		}
	}
}

// deviceProgs counts the BPF device programs attached to the container's
// cgroup (BPF_PROG_QUERY, not counting the parents').
func (b *bundle) deviceProgs() int {
	b.t.Helper()
	ids, err := devices.AttachedPrograms(b.v2Dir())
	if err != nil {
		b.t.Fatalf("query device programs of %s: %v", b.v2Dir(), err)
	}
	return len(ids)
}

// weight is cpu.weight for cpu.shares, converted as runc converts it.
func weight(shares uint64) string {
	return strconv.FormatUint(cgroups.ConvertCPUSharesToCgroupV2Value(shares), 10)
}

// hugepageSize returns the smallest huge page size the kernel has, as the
// spec and the cgroup v2 file names spell it ("2MB"), or "" if none.
func hugepageSize(t *testing.T) string {
	t.Helper()
	ents, _ := os.ReadDir("/sys/kernel/mm/hugepages")
	min := 0
	for _, e := range ents {
		// hugepages-2048kB
		kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(e.Name(), "hugepages-"), "kB"))
		if err == nil && (min == 0 || kb < min) {
			min = kb
		}
	}
	switch {
	case min == 0:
		return ""
	case min >= 1024*1024:
		return fmt.Sprintf("%dGB", min/1024/1024)
	default:
		return fmt.Sprintf("%dMB", min/1024)
	}
}

func TestCgroupV2ResourcesFromConfig(t *testing.T) {
	requireCgroupV2(t)
	b := newBundle(t, "sleep", "100")
	res := b.Spec.Linux.Resources
	res.Memory = &specs.LinuxMemory{
		Limit:       cgPtr(int64(96 * cgMiB)),
		Reservation: cgPtr(int64(48 * cgMiB)),
		Swap:        cgPtr(int64(128 * cgMiB)),
	}
	res.CPU = &specs.LinuxCPU{
		Shares: cgPtr(uint64(1024)),
		Quota:  cgPtr(int64(30000)),
		Period: cgPtr(uint64(60000)),
		Burst:  cgPtr(uint64(10000)),
		Cpus:   "0",
		Mems:   "0",
	}
	res.Pids = &specs.LinuxPids{Limit: cgPtr(int64(42))}
	res.Unified = map[string]string{"memory.high": strconv.Itoa(80 * cgMiB), "memory.oom.group": "1"}
	size := hugepageSize(t)
	if size != "" {
		res.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: size, Limit: 4 * cgMiB}}
	}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	want := map[string]string{
		"memory.max":       strconv.Itoa(96 * cgMiB),
		"memory.low":       strconv.Itoa(48 * cgMiB),
		"memory.swap.max":  strconv.Itoa(32 * cgMiB), // swap is memory+swap in the spec
		"memory.high":      strconv.Itoa(80 * cgMiB),
		"memory.oom.group": "1",
		"cpu.weight":       weight(1024),
		"cpu.max":          "30000 60000",
		"cpu.max.burst":    "10000",
		"cpuset.cpus":      "0",
		"cpuset.mems":      "0",
		"pids.max":         "42",
	}
	if size != "" {
		want["hugetlb."+size+".max"] = strconv.Itoa(4 * cgMiB)
	}
	b.expectV2Files("config.json", want)
	if procs := b.cgroupProcs(); len(procs) != 1 || procs[0] != b.initPid() {
		t.Errorf("cgroup.procs = %v, want the init %d", procs, b.initPid())
	}
	// Unsupported on v2: a clear error naming the field.
	b2 := newBundle(t, "true")
	b2.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Swap: cgPtr(int64(64 * cgMiB))}
	b2.write()
	if _, stderr, code := b2.runc("run", b2.ID); code == 0 || !strings.Contains(stderr, "linux.resources.memory.swap") {
		t.Errorf("swap without a memory limit on v2: exit %d, stderr %q", code, stderr)
	}
}

func TestCgroupV2Update(t *testing.T) {
	requireCgroupV2(t)
	b := newBundle(t, "sleep", "100")
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: cgPtr(int64(64 * cgMiB))}
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: cgPtr(int64(30))}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	b.mustRunc("update", "--memory", "200M", "--memory-swap", "300M", "--memory-reservation", "50M",
		"--cpu-share", "2048", "--cpu-quota", "40000", "--cpu-period", "80000", "--pids-limit", "77", b.ID)
	b.expectV2Files("update flags", map[string]string{
		"memory.max":      strconv.Itoa(200 * cgMiB),
		"memory.swap.max": strconv.Itoa(100 * cgMiB),
		"memory.low":      strconv.Itoa(50 * cgMiB),
		"cpu.weight":      weight(2048),
		"cpu.max":         "40000 80000",
		"pids.max":        "77",
	})
	r := b.run([]byte(`{"unified": {"memory.high": "150000000"}, "cpu": {"idle": 1}}`), "update", "-r", "-", b.ID)
	if r.Code != 0 {
		t.Fatalf("update -r -: exit %d: %s", r.Code, r.Stderr)
	}
	b.expectV2Files("update -r", map[string]string{
		"memory.high": "149999616", // rounded down to pages
		"memory.max":  strconv.Itoa(200 * cgMiB),
		"cpu.idle":    "1",
	})
	saved := b.savedResources()
	if saved.Unified["memory.high"] != "150000000" || saved.Memory == nil || *saved.Memory.Limit != 200*cgMiB {
		t.Errorf("saved resources %+v", saved)
	}

	// checkBeforeUpdate: a limit below the current usage is refused
	// rather than set (which would OOM-kill the container).
	r = b.run([]byte(`{"memory": {"limit": 4096, "checkBeforeUpdate": true}}`), "update", "-r", "-", b.ID)
	if r.Code != 1 || !strings.Contains(r.Stderr, "rejecting memory limit 4096 <= usage") {
		t.Errorf("limit below usage with checkBeforeUpdate: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if got := b.v2File("memory.max"); got != strconv.Itoa(200*cgMiB) {
		t.Errorf("memory.max = %q after a refused update", got)
	}
	if saved := b.savedResources(); *saved.Memory.Limit != 200*cgMiB || saved.Memory.CheckBeforeUpdate != nil {
		t.Errorf("a refused update changed the saved resources: %+v", saved.Memory)
	}
	if s := b.status(); s != "running" {
		t.Errorf("status %q after a refused update", s)
	}
}

// devicesUpdate replaces the container's device rules through update -r:
// deny all, plus the given extra rules.
func (b *bundle) devicesUpdate(extra string) {
	b.t.Helper()
	js := `{"devices": [{"allow": false, "access": "rwm"}` + extra + `]}`
	if r := b.run([]byte(js), "update", "-r", "-", b.ID); r.Code != 0 {
		b.t.Fatalf("update devices: exit %d: %s", r.Code, r.Stderr)
	}
}

// kmsgProbe is a container that writes to /dev/kmsg (1:11, not allowed by
// default) in a loop and records in /kmsg whether the device cgroup let
// it: "ok" or "denied".
func kmsgProbe(t *testing.T) *bundle {
	b := newBundle(t, "sh", "-c", `while :; do if echo probe 2>/dev/null > /dev/kmsg; then echo ok; else echo denied; fi > /kmsg.tmp; mv /kmsg.tmp /kmsg; sleep 0.05; done`)
	b.Spec.Linux.Devices = append(b.Spec.Linux.Devices, specs.LinuxDevice{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11, FileMode: cgPtr(os.FileMode(0o666))})
	b.write()
	return b
}

// waitKmsg waits until the probe reports want.
func (b *bundle) waitKmsg(want string) {
	b.t.Helper()
	read := func() string {
		data, _ := os.ReadFile(filepath.Join(b.Dir, "rootfs", "kmsg"))
		return strings.TrimSpace(string(data))
	}
	harness.EventuallyErr(b.t, 20*time.Second, func() error {
		if got := read(); got != want {
			return fmt.Errorf("it says %q", got)
		}
		// Twice in a row, 200ms apart (the probe writes every 50ms):
		// the answer after the update.
		time.Sleep(200 * time.Millisecond)
		if got := read(); got != want {
			return fmt.Errorf("it said %q, then %q", want, got)
		}
		return nil
	}, fmt.Sprintf("/dev/kmsg probe says %q", want))
}

// checkDeviceUpdates: repeated device updates switch access and replace
// the eBPF program instead of stacking a new one each time.
//
// With the systemd driver, systemd keeps a program of its own, built from
// the DeviceAllow properties the driver gives it (the same rules as ours):
// a device update ends with our one program (the library replaces or
// detaches what it finds), but a later update without devices makes
// systemd attach its program again next to ours, as with runc. That makes
// two, never more.
func checkDeviceUpdates(t *testing.T, b *bundle, systemd bool) {
	b.waitKmsg("denied")
	if n := b.deviceProgs(); n != 1 {
		t.Fatalf("%d device programs attached after create, want 1", n)
	}
	allow := `, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}`
	for i := 0; i < 3; i++ {
		b.devicesUpdate(allow)
		b.waitKmsg("ok")
		if n := b.deviceProgs(); n != 1 {
			t.Fatalf("update %d (allow): %d device programs attached, want 1", i, n)
		}
		b.devicesUpdate("")
		b.waitKmsg("denied")
		if n := b.deviceProgs(); n != 1 {
			t.Fatalf("update %d (deny): %d device programs attached, want 1", i, n)
		}
	}
	// Updates without devices leave our program alone.
	want := 1
	if systemd {
		want = 2
	}
	for i := 0; i < 3; i++ {
		b.mustRunc("update", "--pids-limit", strconv.Itoa(90+i), b.ID)
		if n := b.deviceProgs(); n < 1 || n > want {
			t.Errorf("update %d without devices: %d device programs, want 1 to %d", i, n, want)
		}
	}
	b.waitKmsg("denied")
	b.devicesUpdate(allow)
	b.waitKmsg("ok")
	if n := b.deviceProgs(); n != 1 {
		t.Errorf("device update after updates without devices: %d device programs, want 1", n)
	}
}

func TestCgroupV2DevicesUpdateReplacesProgram(t *testing.T) {
	requireCgroupV2(t)
	b := kmsgProbe(t)
	b.mustRunc("run", "-d", b.ID)
	checkDeviceUpdates(t, b, false)
}

// systemdBundle makes a bundle for the systemd driver, in system.slice.
func systemdBundle(t *testing.T, args ...string) (*bundle, string) {
	b := newBundle(t, args...)
	b.Spec.Linux.CgroupsPath = "system.slice:runc-it:" + b.ID
	b.write()
	unit := "runc-it-" + b.ID + ".scope"
	checkScopeGone(t, b, unit)
	return b, unit
}

// checkScopeGone deletes the container at the end of the test and fails
// it if the scope unit or its cgroup is left.
func checkScopeGone(t *testing.T, b *bundle, unit string) {
	t.Cleanup(func() {
		_, _, _ = b.runc("delete", "--force", b.ID)
		if _, err := os.Stat(b.v2Dir()); err == nil {
			t.Errorf("scope cgroup %s left behind", b.v2Dir())
		}
		if out, _ := exec.Command("systemctl", "is-active", unit).Output(); strings.TrimSpace(string(out)) == "active" {
			t.Errorf("unit %s still active", unit)
			_ = exec.Command("systemctl", "stop", unit).Run()
		}
	})
}

// unitProperty returns systemctl show -p name --value unit.
func unitProperty(t *testing.T, unit, name string) string {
	t.Helper()
	out, err := exec.Command("systemctl", "show", "-p", name, "--value", unit).Output()
	if err != nil {
		t.Fatalf("systemctl show %s %s: %v", unit, name, err)
	}
	return strings.TrimSpace(string(out))
}

func TestSystemdDriverScope(t *testing.T) {
	requireSystemd(t)
	b, unit := systemdBundle(t, "sleep", "100")
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: cgPtr(int64(64 * cgMiB))}
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: cgPtr(int64(33))}
	b.Spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: cgPtr(uint64(2048)), Quota: cgPtr(int64(50000)), Period: cgPtr(uint64(100000))}
	b.Spec.Annotations = map[string]string{
		"org.systemd.property.TimeoutStopSec": "90",
		"org.systemd.property.CollectMode":    "'inactive-or-failed'",
		"org.systemd.property.Description":    "'runc integration test'",
	}
	b.write()
	b.mustRunc("--systemd-cgroup", "run", "-d", b.ID)
	pid := b.initPid()

	if s := unitProperty(t, unit, "ActiveState"); s != "active" {
		t.Fatalf("unit %s is %q", unit, s)
	}
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if want := "0::/system.slice/" + unit; strings.TrimSpace(string(data)) != want {
		t.Errorf("init cgroup %q, want %q", data, want)
	}
	b.expectV2Files("systemd create", map[string]string{
		"memory.max": strconv.Itoa(64 * cgMiB),
		"pids.max":   "33",
		"cpu.weight": weight(2048),
		"cpu.max":    "50000 100000",
	})
	for prop, want := range map[string]string{
		"MemoryMax":       strconv.Itoa(64 * cgMiB),
		"TasksMax":        "33",
		"TimeoutStopUSec": "1min 30s",
		"CollectMode":     "inactive-or-failed",
		"Description":     "runc integration test",
	} {
		if got := unitProperty(t, unit, prop); got != want {
			t.Errorf("%s %s = %q, want %q", unit, prop, got, want)
		}
	}

	// update goes through systemd too: unit and files agree.
	b.mustRunc("update", "--memory", "128M", "--pids-limit", "44", b.ID)
	if got := b.v2File("memory.max"); got != strconv.Itoa(128*cgMiB) {
		t.Errorf("memory.max after update = %q", got)
	}
	if got := unitProperty(t, unit, "MemoryMax"); got != strconv.Itoa(128*cgMiB) {
		t.Errorf("MemoryMax after update = %q", got)
	}
	if got := unitProperty(t, unit, "TasksMax"); got != "44" {
		t.Errorf("TasksMax after update = %q", got)
	}

	b.mustRunc("pause", b.ID)
	if s := b.status(); s != "paused" {
		t.Errorf("status %q after pause", s)
	}
	b.mustRunc("resume", b.ID)
	b.mustRunc("delete", "--force", b.ID)
	if !pidGone(pid) {
		t.Errorf("init %d survived delete", pid)
	}
	// checkScopeGone fails the test if the unit is still active at the end.
	harness.Poll(10*time.Second, func() bool { return unitProperty(t, unit, "ActiveState") != "active" })
}

func TestSystemdDriverBadPath(t *testing.T) {
	requireSystemd(t)
	b := newBundle(t, "true")
	b.Spec.Linux.CgroupsPath = "/not/systemd/form"
	b.write()
	if _, stderr, code := b.runc("--systemd-cgroup", "run", b.ID); code == 0 || !strings.Contains(stderr, "slice:prefix:name") {
		t.Errorf("bad systemd cgroupsPath: exit %d, stderr %q", code, stderr)
	}
}

func TestSystemdDriverDevicesUpdate(t *testing.T) {
	requireSystemd(t)
	b := kmsgProbe(t)
	b.Spec.Linux.CgroupsPath = "system.slice:runc-it:" + b.ID
	b.write()
	checkScopeGone(t, b, "runc-it-"+b.ID+".scope")
	b.mustRunc("--systemd-cgroup", "run", "-d", b.ID)
	checkDeviceUpdates(t, b, true)
}

// TestSystemdDriverDefaultPath: with no cgroupsPath the systemd driver
// names the scope runc-<id>.scope, in system.slice.
func TestSystemdDriverDefaultPath(t *testing.T) {
	requireSystemd(t)
	b := newBundle(t, "sleep", "100")
	b.Spec.Linux.CgroupsPath = ""
	b.write()
	unit := "runc-" + b.ID + ".scope"
	dir := "/sys/fs/cgroup/system.slice/" + unit
	t.Cleanup(func() {
		_, _, _ = b.runc("delete", "--force", b.ID)
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("scope cgroup %s left behind", dir)
		}
	})
	b.mustRunc("--systemd-cgroup", "run", "-d", b.ID)
	if s := unitProperty(t, unit, "ActiveState"); s != "active" {
		t.Fatalf("unit %s is %q", unit, s)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if strings.TrimSpace(string(data)) != strconv.Itoa(b.initPid()) {
		t.Errorf("%s/cgroup.procs = %q, want the init %d", dir, data, b.initPid())
	}
	b.mustRunc("delete", "--force", b.ID)
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s still there after delete", dir)
	}
}

// TestCgroupV2ExecJoinsInitCgroup: a container whose processes moved into
// a sub-cgroup and handed it controllers (as systemd in a container does)
// has a cgroup that the kernel refuses processes ("no internal
// processes"); exec'd processes then join the init's cgroup, as with runc.
func TestCgroupV2ExecJoinsInitCgroup(t *testing.T) {
	requireCgroupV2(t)
	b := runningBundle(t, nil)
	dir := b.v2Dir()
	sub := filepath.Join(dir, "init.scope")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(b.initPid())
	if err := os.WriteFile(filepath.Join(sub, "cgroup.procs"), []byte(pid), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+pids"), 0); err != nil {
		t.Fatal(err)
	}
	// The kernel refuses the container's own cgroup now.
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(pid), 0); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("moving the init back into %s: %v, want EBUSY", dir, err)
	}
	b.mustRunc("exec", "-d", "--pid-file", "p1", b.ID, "sleep", "100")
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", readPidFile(t, filepath.Join(b.Dir, "p1"))))
	if err != nil {
		t.Fatal(err)
	}
	if want := "0::" + strings.TrimPrefix(sub, "/sys/fs/cgroup") + "\n"; string(data) != want {
		t.Errorf("exec'd process in %q, want %q", data, want)
	}
	// The same for a process that is not detached (runc waits for it).
	b.mustRunc("exec", b.ID, "true")
}
