package integration

// Cgroup commands on a cgroup v1 or hybrid host (this machine): resources
// from config.json and from `runc update`, read back from the cgroup files;
// pause/resume; ps; kill --all; delete of lingering processes; events.
// The cgroup v2 and systemd tests are in cgroupv2_test.go (VM lane).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

const cgMiB = 1 << 20

func cgPtr[T any](v T) *T { return &v }

// requireCgroupV1 skips on a pure cgroup v2 host (cgroupv2_test.go tests
// that one).
func requireCgroupV1(t *testing.T) {
	t.Helper()
	harness.Requires(t, harness.CgroupV1)
}

// v1File reads a file of the container's cgroup in the v1 hierarchy ctrl.
func (b *bundle) v1File(ctrl, name string) string {
	b.t.Helper()
	data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", ctrl, b.CgroupPath(), name))
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// v1Has reports whether the container's v1 cgroup ctrl has the file name.
func (b *bundle) v1Has(ctrl, name string) bool {
	_, err := os.Stat(filepath.Join("/sys/fs/cgroup", ctrl, b.CgroupPath(), name))
	return err == nil
}

// expectFiles checks cgroup v1 files ("ctrl/file") against their values.
func (b *bundle) expectFiles(what string, want map[string]string) {
	b.t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ctrl, name, _ := strings.Cut(k, "/")
		if got := b.v1File(ctrl, name); got != want[k] {
			b.t.Errorf("%s: %s = %q, want %q", what, k, got, want[k])
		}
	}
}

// savedResources returns linux.resources as saved in the container's state.
func (b *bundle) savedResources() *specs.LinuxResources {
	b.t.Helper()
	data, err := os.ReadFile(filepath.Join(b.Root, b.ID, "state.json"))
	if err != nil {
		b.t.Fatal(err)
	}
	var st struct {
		Config *specs.Spec `json:"config"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		b.t.Fatal(err)
	}
	if st.Config == nil || st.Config.Linux == nil || st.Config.Linux.Resources == nil {
		b.t.Fatalf("state has no linux.resources: %s", data)
	}
	return st.Config.Linux.Resources
}

// rootDisk returns the major:minor of a block device for blkio rules.
func rootDisk(t *testing.T) (int64, int64) {
	t.Helper()
	harness.Requires(t, harness.BlockDevice)
	for _, d := range harness.BlockDevices {
		data, err := os.ReadFile("/sys/block/" + d + "/dev")
		if err != nil {
			continue
		}
		a, c, _ := strings.Cut(strings.TrimSpace(string(data)), ":")
		major, _ := strconv.ParseInt(a, 10, 64)
		minor, _ := strconv.ParseInt(c, 10, 64)
		return major, minor
	}
	t.Fatal("no block device for blkio rules")
	return 0, 0
}

// reserveRT gives the test's cgroup parent a real-time budget, without
// which no child can get cpu.rt_runtime_us (the kernel requires it along
// the whole path, and the library does not set parents).
func reserveRT(t *testing.T, us int) {
	t.Helper()
	dir := filepath.Join("/sys/fs/cgroup/cpu", cgPrefix)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	harness.Requires(t, harness.RTGroupSched)
	if err := os.WriteFile(filepath.Join(dir, "cpu.rt_runtime_us"), []byte(strconv.Itoa(us)), 0); err != nil {
		harness.Skipf(t, "cannot reserve real-time budget: %v", err)
	}
}

func TestCgroupResourcesFromConfig(t *testing.T) {
	requireCgroupV1(t)
	major, minor := rootDisk(t)
	reserveRT(t, 50000)
	b := newBundle(t, "sleep", "100")
	dev := specs.LinuxBlockIODevice{Major: major, Minor: minor}
	b.Spec.Linux.Resources = &specs.LinuxResources{
		Devices: b.Spec.Linux.Resources.Devices,
		Memory: &specs.LinuxMemory{
			Limit:       cgPtr(int64(96 * cgMiB)),
			Reservation: cgPtr(int64(48 * cgMiB)),
			Swap:        cgPtr(int64(128 * cgMiB)),
			Swappiness:  cgPtr(uint64(20)),
			// With the OOM killer off a task over the limit waits.
			DisableOOMKiller: cgPtr(true),
		},
		CPU: &specs.LinuxCPU{
			Shares:          cgPtr(uint64(300)),
			Quota:           cgPtr(int64(30000)),
			Period:          cgPtr(uint64(60000)),
			Burst:           cgPtr(uint64(10000)),
			RealtimeRuntime: cgPtr(int64(20000)),
			RealtimePeriod:  cgPtr(uint64(1000000)),
			Cpus:            "0",
			Mems:            "0",
		},
		Pids: &specs.LinuxPids{Limit: cgPtr(int64(42))},
		BlockIO: &specs.LinuxBlockIO{
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 4 * cgMiB}},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 2 * cgMiB}},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 400}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 200}},
		},
	}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	d := fmt.Sprintf("%d:%d", major, minor)
	want := map[string]string{
		"memory/memory.limit_in_bytes":           strconv.Itoa(96 * cgMiB),
		"memory/memory.soft_limit_in_bytes":      strconv.Itoa(48 * cgMiB),
		"memory/memory.swappiness":               "20",
		"cpu/cpu.shares":                         "300",
		"cpu/cpu.cfs_quota_us":                   "30000",
		"cpu/cpu.cfs_period_us":                  "60000",
		"cpu/cpu.cfs_burst_us":                   "10000",
		"cpu/cpu.rt_runtime_us":                  "20000",
		"cpu/cpu.rt_period_us":                   "1000000",
		"cpuset/cpuset.cpus":                     "0",
		"cpuset/cpuset.mems":                     "0",
		"pids/pids.max":                          "42",
		"blkio/blkio.throttle.read_bps_device":   d + " " + strconv.Itoa(4*cgMiB),
		"blkio/blkio.throttle.write_bps_device":  d + " " + strconv.Itoa(2*cgMiB),
		"blkio/blkio.throttle.read_iops_device":  d + " 400",
		"blkio/blkio.throttle.write_iops_device": d + " 200",
	}
	if b.v1Has("memory", "memory.memsw.limit_in_bytes") {
		want["memory/memory.memsw.limit_in_bytes"] = strconv.Itoa(128 * cgMiB)
	}
	b.expectFiles("config.json", want)
	if oc := b.v1File("memory", "memory.oom_control"); !strings.Contains(oc, "oom_kill_disable 1") {
		t.Errorf("memory.oom_control = %q, want oom_kill_disable 1", oc)
	}
	// The process itself is in every hierarchy's cgroup.
	pid := strconv.Itoa(b.initPid())
	for _, ctrl := range []string{"memory", "cpu", "cpuset", "pids", "blkio", "devices", "freezer"} {
		if procs := strings.Fields(b.v1File(ctrl, "cgroup.procs")); !slices.Contains(procs, pid) {
			t.Errorf("%s cgroup.procs = %v, want the init %s in it", ctrl, procs, pid)
		}
	}
}

func TestCgroupUpdateFlags(t *testing.T) {
	requireCgroupV1(t)
	b := newBundle(t, "sleep", "100")
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: cgPtr(int64(64 * cgMiB)), Swap: cgPtr(int64(64 * cgMiB))}
	b.Spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: cgPtr(uint64(256)), Quota: cgPtr(int64(20000)), Period: cgPtr(uint64(100000))}
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: cgPtr(int64(30))}
	b.write()
	b.mustRunc("run", "-d", b.ID)

	b.mustRunc("update", "--memory", "200M", "--memory-reservation", "100M", "--memory-swap", "300M",
		"--cpu-share", "700", "--cpu-quota", "40000", "--cpu-period", "80000", "--cpu-burst", "5000",
		"--cpuset-cpus", "0", "--cpuset-mems", "0", "--pids-limit", "77", "--cpu-idle", "0", b.ID)
	want := map[string]string{
		"memory/memory.limit_in_bytes":      strconv.Itoa(200 * cgMiB),
		"memory/memory.soft_limit_in_bytes": strconv.Itoa(100 * cgMiB),
		"cpu/cpu.shares":                    "700",
		"cpu/cpu.cfs_quota_us":              "40000",
		"cpu/cpu.cfs_period_us":             "80000",
		"cpu/cpu.cfs_burst_us":              "5000",
		"cpu/cpu.idle":                      "0",
		"cpuset/cpuset.cpus":                "0",
		"cpuset/cpuset.mems":                "0",
		"pids/pids.max":                     "77",
	}
	memsw := b.v1Has("memory", "memory.memsw.limit_in_bytes")
	if memsw {
		want["memory/memory.memsw.limit_in_bytes"] = strconv.Itoa(300 * cgMiB)
	}
	b.expectFiles("update flags", want)

	// Options not given keep their values, in the cgroup and in the state
	// (a second update starts from what the first one saved).
	b.mustRunc("update", "--pids-limit", "-1", b.ID)
	want["pids/pids.max"] = "max"
	b.expectFiles("second update", want)
	saved := b.savedResources()
	if saved.Memory == nil || saved.Memory.Limit == nil || *saved.Memory.Limit != 200*cgMiB ||
		saved.CPU == nil || saved.CPU.Shares == nil || *saved.CPU.Shares != 700 ||
		saved.Pids == nil || saved.Pids.Limit == nil || *saved.Pids.Limit != -1 {
		t.Errorf("saved resources after update: %+v", saved)
	}

	// --pids-limit 0 is a real limit (runc 1.4 semantics): the kernel's
	// smallest, 1, since systemd cannot express 0 either.
	b.mustRunc("update", "--pids-limit", "0", b.ID)
	if got := b.v1File("pids", "pids.max"); got != "1" {
		t.Errorf("--pids-limit 0: pids.max = %q, want 1", got)
	}

	// --memory -1 lifts the limit, and swap's with it.
	b.mustRunc("update", "--memory", "-1", b.ID)
	if got := b.v1File("memory", "memory.limit_in_bytes"); got != "9223372036854771712" {
		t.Errorf("--memory -1: memory.limit_in_bytes = %q", got)
	}
	if memsw {
		if got := b.v1File("memory", "memory.memsw.limit_in_bytes"); got != "9223372036854771712" {
			t.Errorf("--memory -1: memory.memsw.limit_in_bytes = %q", got)
		}
	}
}

// TestCgroupBlkioWeight: the block I/O weight, where the I/O scheduler has
// one (BFQ or CFQ), from config.json and from update.
func TestCgroupBlkioWeight(t *testing.T) {
	requireCgroupV1(t)
	b := newBundle(t, "sleep", "100")
	b.Spec.Linux.Resources.BlockIO = &specs.LinuxBlockIO{Weight: cgPtr(uint16(300))}
	b.write()
	_, stderr, code := b.runc("run", "-d", b.ID)
	if code != 0 {
		// No weight file: the error names it, as runc's does.
		if !strings.Contains(stderr, "weight") {
			t.Fatalf("run with blockIO.weight: exit %d, stderr %q", code, stderr)
		}
		harness.Skip(t, "no BFQ/CFQ weight here: checked the error only")
	}
	file := "blkio.weight"
	if b.v1Has("blkio", "blkio.bfq.weight") {
		file = "blkio.bfq.weight"
	}
	b.expectFiles("config.json", map[string]string{"blkio/" + file: "300"})
	b.mustRunc("update", "--blkio-weight", "500", b.ID)
	b.expectFiles("update", map[string]string{"blkio/" + file: "500"})
}

func TestCgroupUpdateResourcesJSON(t *testing.T) {
	requireCgroupV1(t)
	major, minor := rootDisk(t)
	b := newBundle(t, "sleep", "100")
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: cgPtr(int64(64 * cgMiB))}
	b.Spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: cgPtr(uint64(256))}
	b.write()
	b.mustRunc("create", b.ID) // update works on a created container too

	// From a file: only what it names changes.
	file := filepath.Join(b.Dir, "res.json")
	d := fmt.Sprintf("%d:%d", major, minor)
	res := fmt.Sprintf(`{"memory": {"limit": %d, "swappiness": 5}, "blockIO": {"throttleReadBpsDevice": [{"major": %d, "minor": %d, "rate": 1048576}]}}`,
		128*cgMiB, major, minor)
	if err := os.WriteFile(file, []byte(res), 0o644); err != nil {
		t.Fatal(err)
	}
	b.mustRunc("update", "-r", file, b.ID)
	b.expectFiles("-r file", map[string]string{
		"memory/memory.limit_in_bytes":         strconv.Itoa(128 * cgMiB),
		"memory/memory.swappiness":             "5",
		"cpu/cpu.shares":                       "256",
		"blkio/blkio.throttle.read_bps_device": d + " 1048576",
	})

	// From stdin; a throttle for the same device is updated in place.
	r := b.run([]byte(`{"cpu": {"shares": 900, "quota": 50000, "period": 100000}, "pids": {"limit": 12},
		"blockIO": {"throttleReadBpsDevice": [{"major": `+strconv.FormatInt(major, 10)+`, "minor": `+strconv.FormatInt(minor, 10)+`, "rate": 2097152}]}}`),
		"update", "-r", "-", b.ID)
	if r.Code != 0 {
		t.Fatalf("update -r -: exit %d: %s", r.Code, r.Stderr)
	}
	b.expectFiles("-r -", map[string]string{
		"memory/memory.limit_in_bytes":         strconv.Itoa(128 * cgMiB),
		"cpu/cpu.shares":                       "900",
		"cpu/cpu.cfs_quota_us":                 "50000",
		"pids/pids.max":                        "12",
		"blkio/blkio.throttle.read_bps_device": d + " 2097152",
	})
	saved := b.savedResources()
	if saved.BlockIO == nil || len(saved.BlockIO.ThrottleReadBpsDevice) != 1 || saved.BlockIO.ThrottleReadBpsDevice[0].Rate != 2*cgMiB {
		t.Errorf("saved blockIO: %+v", saved.BlockIO)
	}
	if b.status() != "created" {
		t.Errorf("status %q after update, want created", b.status())
	}
}

func TestCgroupUpdateDevices(t *testing.T) {
	requireCgroupV1(t)
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	before := b.v1File("devices", "devices.list")
	if strings.Contains(before, "c 1:11 ") {
		t.Fatalf("kmsg allowed before the update: %s", before)
	}
	// An update without devices leaves the rules alone.
	b.mustRunc("update", "--pids-limit", "50", b.ID)
	if got := b.v1File("devices", "devices.list"); got != before {
		t.Errorf("devices.list changed by an update without devices:\n%s\nwas\n%s", got, before)
	}
	// Devices given with -r replace the spec's rules; the defaults stay.
	r := b.run([]byte(`{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "r"}]}`),
		"update", "-r", "-", b.ID)
	if r.Code != 0 {
		t.Fatalf("update devices: exit %d: %s", r.Code, r.Stderr)
	}
	list := b.v1File("devices", "devices.list")
	for _, want := range []string{"c 1:11 r", "c 1:3 rwm", "c 136:* rwm"} {
		if !strings.Contains(list, want) {
			t.Errorf("devices.list lacks %q:\n%s", want, list)
		}
	}
}

func TestCgroupUpdateErrors(t *testing.T) {
	requireCgroupV1(t)
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--memory", "lots"}, "invalid value for memory: invalid size: 'lots'"},
		{[]string{"--cpu-quota", "x"}, `invalid value for cpu-quota: strconv.ParseInt: parsing`},
		{[]string{"--cpu-share", "-5"}, "invalid value for cpu-share"},
		{[]string{"--l3-cache-schema", "L3:0=f"}, "Intel RDT/CAT: l3 cache schema is not enabled"},
		{[]string{"--mem-bw-schema", "MB:0=70"}, "Intel RDT/MBA: memory bandwidth schema is not enabled"},
		{[]string{"-r", "/nonexistent.json"}, "open /nonexistent.json: no such file or directory"},
	} {
		_, stderr, code := b.runc(append(append([]string{"update"}, tc.args...), b.ID)...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("update %v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// A limit the kernel refuses leaves the old one in place, and the
	// state unchanged.
	_, stderr, code := b.runc("update", "--cpuset-cpus", "999", b.ID)
	if code != 1 || !strings.Contains(stderr, "cpuset.cpus") {
		t.Errorf("update --cpuset-cpus 999: exit %d, stderr %q", code, stderr)
	}
	if got := b.savedResources(); got.CPU != nil && got.CPU.Cpus == "999" {
		t.Errorf("failed update saved in the state: %+v", got.CPU)
	}
	_, stderr, code = b.runc("update", "--memory", "1M", "nosuch")
	if code != 1 || !strings.Contains(stderr, "container does not exist") {
		t.Errorf("update of a missing container: exit %d, stderr %q", code, stderr)
	}
	b.mustRunc("kill", b.ID, "KILL")
	b.waitStatus("stopped")
	_, stderr, code = b.runc("update", "--memory", "100M", b.ID)
	if code != 1 || !strings.Contains(stderr, "container not running") {
		t.Errorf("update of a stopped container: exit %d, stderr %q", code, stderr)
	}
}

// counter is a container whose shell keeps writing an increasing number to
// /cnt in its rootfs.
func counterBundle(t *testing.T) (*bundle, func() int) {
	b := newBundle(t, "sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /cnt.tmp; mv /cnt.tmp /cnt; done")
	read := func() int {
		data, _ := os.ReadFile(filepath.Join(b.Dir, "rootfs", "cnt"))
		n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		return n
	}
	return b, read
}

func TestPauseResume(t *testing.T) {
	b, count := counterBundle(t)
	b.mustRunc("run", "-d", b.ID)
	waitFile(t, filepath.Join(b.Dir, "rootfs", "cnt"))
	pid := b.initPid()

	b.mustRunc("pause", b.ID)
	if s := b.status(); s != "paused" {
		t.Fatalf("status %q after pause", s)
	}
	if runtimeState := procStatus(t, pid)["State"]; !strings.HasPrefix(runtimeState, "D") && !strings.HasPrefix(runtimeState, "S") {
		// A frozen task waits in the freezer: D on v1, S on v2.
		t.Errorf("paused init in state %q", runtimeState)
	}
	n1 := count()
	harness.Consistently(t, 300*time.Millisecond, func() error {
		if n2 := count(); n2 != n1 {
			return fmt.Errorf("counter moved while paused: %d -> %d", n1, n2)
		}
		return nil
	})
	// runc's errors for the wrong state.
	if _, stderr, code := b.runc("pause", b.ID); code != 1 || !strings.Contains(stderr, "container not running") {
		t.Errorf("pause of a paused container: exit %d, stderr %q", code, stderr)
	}
	// Signals wait too, and kill --all reaches a paused container.
	b.mustRunc("resume", b.ID)
	if s := b.status(); s != "running" {
		t.Fatalf("status %q after resume", s)
	}
	harness.Eventually(t, 5*time.Second, func() bool { return count() != n1 }, "counter moves after resume")
	if _, stderr, code := b.runc("resume", b.ID); code != 1 || !strings.Contains(stderr, "container not paused") {
		t.Errorf("resume of a running container: exit %d, stderr %q", code, stderr)
	}
	// A paused container can be deleted with --force.
	b.mustRunc("pause", b.ID)
	b.mustRunc("delete", "--force", b.ID)
	if !pidGone(pid) {
		t.Errorf("init %d survived delete --force of a paused container", pid)
	}
}

func TestPauseCreatedAndStopped(t *testing.T) {
	b := newBundle(t, "true")
	b.mustRunc("create", b.ID)
	b.mustRunc("pause", b.ID)
	if s := b.status(); s != "paused" {
		t.Fatalf("status %q after pausing a created container", s)
	}
	b.mustRunc("resume", b.ID)
	if s := b.status(); s != "created" {
		t.Fatalf("status %q after resume, want created", s)
	}
	b.mustRunc("start", b.ID)
	b.waitStatus("stopped")
	for _, cmd := range []string{"pause", "resume"} {
		want := map[string]string{"pause": "container not running", "resume": "container not paused"}[cmd]
		if _, stderr, code := b.runc(cmd, b.ID); code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("%s of a stopped container: exit %d, stderr %q, want %q", cmd, code, stderr, want)
		}
	}
	if _, stderr, code := b.runc("pause", "nosuch"); code != 1 || !strings.Contains(stderr, "container does not exist") {
		t.Errorf("pause of a missing container: exit %d, stderr %q", code, stderr)
	}
}

// childPids returns the pids whose parent is pid.
func childPids(t *testing.T, pid int) []int {
	t.Helper()
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	var out []int
	for _, f := range strings.Fields(string(data)) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}

// waitChildren waits until pid has n children and returns them.
func waitChildren(t *testing.T, pid, n int) []int {
	t.Helper()
	var kids []int
	harness.EventuallyErr(t, 10*time.Second, func() error {
		if kids = childPids(t, pid); len(kids) >= n {
			return nil
		}
		return fmt.Errorf("children %v", kids)
	}, fmt.Sprintf("pid %d has %d children", pid, n))
	return kids
}

func TestPs(t *testing.T) {
	b := newBundle(t, "sh", "-c", "sleep 1001 & sleep 1002 & wait")
	b.mustRunc("run", "-d", b.ID)
	pid := b.initPid()
	kids := waitChildren(t, pid, 2)
	want := append([]int{pid}, kids...)
	sort.Ints(want)

	var got []int
	if err := json.Unmarshal([]byte(b.mustRunc("ps", "--format", "json", b.ID)), &got); err != nil {
		t.Fatal(err)
	}
	sort.Ints(got)
	if !slices.Equal(got, want) {
		t.Errorf("ps -f json = %v, want %v", got, want)
	}

	// Table: ps -ef's header, then the container's processes only.
	out := b.mustRunc("ps", b.ID)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "UID") || !strings.Contains(lines[0], "PID") || !strings.Contains(lines[0], "CMD") {
		t.Errorf("ps header %q", lines[0])
	}
	if len(lines) != 4 {
		t.Fatalf("ps table has %d process lines, want 3:\n%s", len(lines)-1, out)
	}
	for _, w := range []string{"sleep 1001", "sleep 1002", "sh -c"} {
		mustContain(t, "ps table", out, w)
	}

	// ps options after the id go to ps(1).
	out = b.mustRunc("ps", b.ID, "-o", "pid,comm")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if f := strings.Fields(lines[0]); len(f) != 2 || f[0] != "PID" || f[1] != "COMMAND" {
		t.Errorf("ps -o pid,comm header %q", lines[0])
	}
	var pids []int
	for _, l := range lines[1:] {
		n, _ := strconv.Atoi(strings.Fields(l)[0])
		pids = append(pids, n)
	}
	sort.Ints(pids)
	if !slices.Equal(pids, want) {
		t.Errorf("ps -o pid,comm pids %v, want %v", pids, want)
	}

	if _, stderr, code := b.runc("ps", "-f", "yaml", b.ID); code != 1 || !strings.Contains(stderr, "invalid format option") {
		t.Errorf("ps -f yaml: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := b.runc("ps", b.ID, "-o", "comm"); code != 1 || !strings.Contains(stderr, "couldn't find PID field in ps output") {
		t.Errorf("ps without a PID column: exit %d, stderr %q", code, stderr)
	}

	// A stopped container has no processes: json null, table header only.
	b.mustRunc("kill", b.ID, "KILL")
	b.waitStatus("stopped")
	if out := strings.TrimSpace(b.mustRunc("ps", "-f", "json", b.ID)); out != "null" {
		t.Errorf("ps -f json of a stopped container = %q, want null", out)
	}
	if out := strings.TrimSpace(b.mustRunc("ps", b.ID)); strings.Contains(out, "\n") {
		t.Errorf("ps of a stopped container:\n%s", out)
	}
}

// withoutPidNS drops the pid namespace from the bundle's config.
func (b *bundle) withoutPidNS() {
	var ns []specs.LinuxNamespace
	for _, n := range b.Spec.Linux.Namespaces {
		if n.Type != specs.PIDNamespace {
			ns = append(ns, n)
		}
	}
	b.Spec.Linux.Namespaces = ns
	b.write()
}

// cgroupProcs returns the pids in the container's cgroup (freezer on v1,
// the unified directory on v2).
func (b *bundle) cgroupProcs() []int {
	b.t.Helper()
	dir := filepath.Join("/sys/fs/cgroup/freezer", b.CgroupPath())
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		dir = b.v2Dir()
	}
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		b.t.Fatal(err)
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}

func TestKillAll(t *testing.T) {
	for _, pidns := range []bool{true, false} {
		t.Run(map[bool]string{true: "pidns", false: "host-pidns"}[pidns], func(t *testing.T) {
			// Children that ignore TERM; KILL ends them all, with the
			// obsolete --all as containerd passes it: through the pid
			// namespace, or without one through the cgroup.
			b := newBundle(t, "sh", "-c", "trap '' TERM; sleep 1001 & sleep 1002 & wait")
			if !pidns {
				b.withoutPidNS()
			}
			b.mustRunc("run", "-d", b.ID)
			pid := b.initPid()
			kids := waitChildren(t, pid, 2)
			if n := len(b.cgroupProcs()); n != 3 {
				t.Fatalf("%d processes in the cgroup, want 3", n)
			}
			b.mustRunc("kill", "--all", b.ID, "KILL")
			for _, p := range append([]int{pid}, kids...) {
				if !pidGone(p) {
					t.Errorf("pid %d survived kill --all", p)
				}
			}
			harness.Poll(5*time.Second, func() bool { return len(b.cgroupProcs()) == 0 })
			if procs := b.cgroupProcs(); len(procs) != 0 {
				t.Errorf("cgroup still holds %v", procs)
			}
			b.waitStatus("stopped")
			b.mustRunc("delete", b.ID)
		})
	}
}

// TestDeleteKillsLingering: without a pid namespace a process can outlive
// the init; delete must kill it with the rest of the cgroup.
func TestDeleteKillsLingering(t *testing.T) {
	b := newBundle(t, "sh", "-c", "setsid sleep 1003 > /dev/null 2>&1 < /dev/null & echo $! > /lingering")
	b.withoutPidNS()
	b.mustRunc("run", "-d", b.ID)
	waitFile(t, filepath.Join(b.Dir, "rootfs", "lingering"))
	b.waitStatus("stopped")
	data, _ := os.ReadFile(filepath.Join(b.Dir, "rootfs", "lingering"))
	lingering, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || syscall.Kill(lingering, 0) != nil {
		t.Fatalf("no lingering process (%q, %v)", data, err)
	}
	if procs := b.cgroupProcs(); !slices.Contains(procs, lingering) {
		t.Fatalf("lingering %d not in the cgroup %v", lingering, procs)
	}
	b.mustRunc("delete", b.ID)
	if !pidGone(lingering) {
		t.Errorf("lingering process %d survived delete", lingering)
	}
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, b.CgroupPath())); err == nil {
			t.Errorf("cgroup %s left after delete", filepath.Join(h, b.CgroupPath()))
		}
	}
}

// TestPidsLimitForkBomb: a fork bomb stays within pids.limit, the init
// survives it, and the container can still be killed and deleted.
func TestPidsLimitForkBomb(t *testing.T) {
	// busybox sh exits when a fork fails, so the bomb runs in a subshell
	// and the init execs sleep, which never forks.
	b := newBundle(t, "sh", "-c", "f() { while :; do f & sleep 0.01; done; }; (f) 2>/dev/null & exec sleep 1000")
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: cgPtr(int64(20))}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	pid := b.initPid()
	// Wait for the kernel to refuse a fork ("max N" in pids.events).
	harness.EventuallyErr(t, 10*time.Second, func() error {
		if refusedForks(b) == 0 {
			return fmt.Errorf("%d processes, no fork refused", len(b.cgroupProcs()))
		}
		return nil
	}, "the fork bomb stopped by pids.max")
	if !harness.Consistently(t, 200*time.Millisecond, func() error {
		if n := len(b.cgroupProcs()); n > 20 {
			return fmt.Errorf("%d processes in a cgroup limited to 20", n)
		}
		return nil
	}) {
		t.FailNow()
	}
	if peak, err := os.ReadFile(filepath.Join(pidsDir(b), "pids.peak")); err == nil {
		if n, _ := strconv.Atoi(strings.TrimSpace(string(peak))); n > 20 {
			t.Errorf("pids.peak = %d > 20", n)
		}
	}
	if s := b.status(); s != "running" {
		t.Errorf("status %q during the fork bomb", s)
	}
	b.mustRunc("delete", "--force", b.ID)
	if !pidGone(pid) {
		t.Errorf("init %d survived delete --force", pid)
	}
}

// pidsDir is the container's pids cgroup directory.
func pidsDir(b *bundle) string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return b.v2Dir()
	}
	return filepath.Join("/sys/fs/cgroup/pids", b.CgroupPath())
}

// refusedForks returns the "max" count of pids.events.
func refusedForks(b *bundle) int {
	b.t.Helper()
	data, err := os.ReadFile(filepath.Join(pidsDir(b), "pids.events"))
	if err != nil {
		b.t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "max "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// event is one line of runc events.
type event struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

func TestEventsStats(t *testing.T) {
	b := newBundle(t, "sh", "-c", "sleep 1001 & i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; wait")
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: cgPtr(int64(100 * cgMiB))}
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: cgPtr(int64(55))}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	waitChildren(t, b.initPid(), 1)

	out := b.mustRunc("events", "--stats", b.ID)
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("events --stats printed %q, want one line", out)
	}
	var ev event
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "stats" || ev.ID != b.ID {
		t.Errorf("event type %q id %q", ev.Type, ev.ID)
	}
	// runc's field names, all present.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(ev.Data, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt", "network_interfaces"} {
		if _, ok := top[k]; !ok {
			t.Errorf("stats have no %q: %s", k, ev.Data)
		}
	}
	var s struct {
		CPU struct {
			Usage struct {
				Total  uint64   `json:"total"`
				Percpu []uint64 `json:"percpu"`
				Kernel *uint64  `json:"kernel"`
				User   *uint64  `json:"user"`
			} `json:"usage"`
		} `json:"cpu"`
		Memory struct {
			Usage struct {
				Limit uint64 `json:"limit"`
				Usage uint64 `json:"usage"`
			} `json:"usage"`
			Raw map[string]uint64 `json:"raw"`
		} `json:"memory"`
		Pids struct {
			Current uint64 `json:"current"`
			Limit   uint64 `json:"limit"`
		} `json:"pids"`
	}
	if err := json.Unmarshal(ev.Data, &s); err != nil {
		t.Fatal(err)
	}
	if s.CPU.Usage.Total == 0 || s.CPU.Usage.Kernel == nil || s.CPU.Usage.User == nil {
		t.Errorf("cpu usage %+v", s.CPU.Usage)
	}
	if s.Memory.Usage.Limit != 100*cgMiB || s.Memory.Usage.Usage == 0 || len(s.Memory.Raw) == 0 {
		t.Errorf("memory %+v", s.Memory.Usage)
	}
	if s.Pids.Current != 2 || s.Pids.Limit != 55 {
		t.Errorf("pids %+v, want current 2 limit 55", s.Pids)
	}

	// After an update, events shows the new limit.
	b.mustRunc("update", "--pids-limit", "66", b.ID)
	out = b.mustRunc("events", "--stats", b.ID)
	if !strings.Contains(out, `"pids":{"current":2,"limit":66}`) {
		t.Errorf("events --stats after update: %s", out)
	}

	if _, stderr, code := b.runc("events", "--interval", "0s", b.ID); code != 1 || !strings.Contains(stderr, "duration interval must be greater than 0") {
		t.Errorf("events --interval 0s: exit %d, stderr %q", code, stderr)
	}
	b.mustRunc("kill", b.ID, "KILL")
	b.waitStatus("stopped")
	if _, stderr, code := b.runc("events", "--stats", b.ID); code != 1 || !strings.Contains(stderr, "container with id "+b.ID+" is not running") {
		t.Errorf("events of a stopped container: exit %d, stderr %q", code, stderr)
	}
}

// readEvents collects the JSON lines a background runc events prints.
func readEvents(t *testing.T, r *asyncRun) []event {
	t.Helper()
	var evs []event
	out := r.Stdout()
	out = out[:strings.LastIndexByte(out, '\n')+1] // whole lines only
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("events line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// waitEvent waits for an event of type typ from a background runc events.
func waitEvent(t *testing.T, r *asyncRun, typ string, timeout time.Duration) []event {
	t.Helper()
	var evs []event
	harness.EventuallyErr(t, timeout, func() error {
		if evs = readEvents(t, r); slices.ContainsFunc(evs, func(e event) bool { return e.Type == typ }) {
			return nil
		}
		return fmt.Errorf("%d events; stderr %q", len(evs), r.Stderr())
	}, fmt.Sprintf("a %q event", typ))
	return evs
}

func TestEventsOOM(t *testing.T) {
	// The shell waits for /go, then makes dd allocate more than the
	// limit; the OOM killer takes dd, the shell goes on.
	b := newBundle(t, "sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1; echo dd-done > /dd-done; sleep 1000")
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: cgPtr(int64(16 * cgMiB)), Swap: cgPtr(int64(16 * cgMiB))}
	b.write()
	b.mustRunc("run", "-d", b.ID)

	ev := b.runAsync("events", "--interval", "100ms", b.ID)
	// A stats event means the OOM watch is in place (it is set up first).
	waitEvent(t, ev, "stats", 10*time.Second)
	if err := os.WriteFile(filepath.Join(b.Dir, "rootfs", "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	evs := waitEvent(t, ev, "oom", 15*time.Second)
	for _, e := range evs {
		if e.ID != b.ID {
			t.Errorf("event for id %q", e.ID)
		}
		if e.Type == "oom" && len(e.Data) != 0 {
			t.Errorf("oom event has data %s", e.Data)
		}
	}
	waitFile(t, filepath.Join(b.Dir, "rootfs", "dd-done"))

	// Removing the container ends runc events, successfully.
	b.mustRunc("delete", "--force", b.ID)
	if res := ev.wait(); res.Code != 0 {
		t.Errorf("events exited %d after delete: %s", res.Code, res.Stderr)
	}
}

// TestCgroupNamespaceView: with a cgroup namespace the container sees its
// own cgroup as the root in every hierarchy; without one, the host path.
func TestCgroupNamespaceView(t *testing.T) {
	for _, cgns := range []bool{true, false} {
		t.Run(map[bool]string{true: "cgroupns", false: "host-cgroupns"}[cgns], func(t *testing.T) {
			b := newBundle(t, "cat", "/proc/self/cgroup")
			// runc spec adds a cgroup namespace only on a cgroup v2 host.
			var ns []specs.LinuxNamespace
			for _, n := range b.Spec.Linux.Namespaces {
				if n.Type != specs.CgroupNamespace {
					ns = append(ns, n)
				}
			}
			if cgns {
				ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
			}
			b.Spec.Linux.Namespaces = ns
			b.write()
			r := b.run(nil, "run", b.ID)
			if r.Code != 0 {
				t.Fatalf("run: exit %d: %s", r.Code, r.Stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
			if len(lines) == 0 || lines[0] == "" {
				t.Fatal("empty /proc/self/cgroup")
			}
			for _, l := range lines {
				// hierarchy-ID:controllers:path
				parts := strings.SplitN(l, ":", 3)
				if len(parts) != 3 {
					t.Fatalf("bad line %q", l)
				}
				want := "/"
				if !cgns {
					want = b.CgroupPath()
				}
				if parts[2] != want {
					t.Errorf("%q: path %q, want %q", l, parts[2], want)
				}
			}
		})
	}
}

// TestCgroupMissingV1Controller: a limit for a controller the host has no
// v1 hierarchy for (hugetlb lives in the cgroup v2 mount on a hybrid host)
// is refused before the container starts, and by update, naming the field.
func TestCgroupMissingV1Controller(t *testing.T) {
	requireCgroupV1(t)
	harness.Requires(t, harness.Not(harness.HugetlbV1))
	b := newBundle(t, "true")
	b.Spec.Linux.Resources.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 * cgMiB}}
	b.write()
	_, stderr, code := b.runc("run", b.ID)
	if code != 1 || !strings.Contains(stderr, "linux.resources.hugepageLimits: the host has no cgroup v1 hugetlb hierarchy") {
		t.Errorf("run with hugepageLimits: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
		t.Error("state directory left after the refused create")
	}

	b2 := newBundle(t, "sleep", "100")
	b2.mustRunc("run", "-d", b2.ID)
	r := b2.run([]byte(`{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}`), "update", "-r", "-", b2.ID)
	if r.Code != 1 || !strings.Contains(r.Stderr, "linux.resources.hugepageLimits") {
		t.Errorf("update with hugepageLimits: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if saved := b2.savedResources(); len(saved.HugepageLimits) != 0 {
		t.Errorf("refused update saved: %+v", saved.HugepageLimits)
	}
}

// TestDefaultDevicesWithoutResources: a config with no linux.resources at
// all still gets runc's default device rules, not a cgroup that allows
// every device.
func TestDefaultDevicesWithoutResources(t *testing.T) {
	b := newBundle(t, "sh", "-c", "if echo probe 2>/dev/null > /dev/kmsg; then echo allowed; else echo denied; fi; head -c1 /dev/zero | wc -c")
	b.Spec.Linux.Resources = nil
	b.Spec.Linux.Devices = append(b.Spec.Linux.Devices, specs.LinuxDevice{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11, FileMode: cgPtr(os.FileMode(0o666))})
	b.write()
	r := b.run(nil, "run", b.ID)
	if r.Code != 0 || r.Stdout != "denied\n1\n" {
		t.Errorf("exit %d, stdout %q (want denied, then /dev/zero readable), stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// TestCgroupV1OnlyHost: on a host with cgroup v1 alone (here: a private
// mount namespace without a hybrid host's unified mount), runc init starts
// while the container's cgroup is made and gets the tasks files with its
// bootstrap: the container's process is in the container's cgroup of
// every v1 hierarchy.
func TestCgroupV1OnlyHost(t *testing.T) {
	requireCgroupV1(t)
	b := newBundle(t, "cat", "/proc/self/cgroup")
	b.Spec.Linux.Namespaces = slices.DeleteFunc(b.Spec.Linux.Namespaces, func(ns specs.LinuxNamespace) bool {
		return ns.Type == specs.CgroupNamespace // the host's view of the paths
	})
	b.write()
	script := `umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"`
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
		b.bin(), "--root", b.Root, "run", "--bundle", b.Dir, b.ID)
	r := harness.RunCmd(t, cmd, harness.RunTimeout)
	if r.Code != 0 {
		t.Fatalf("run: %v", r)
	}
	out := r.Stdout
	v1 := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue // the v2 line
		}
		v1++
		if parts[2] != b.CgroupPath() {
			t.Errorf("the process's cgroup %q, want %s", line, b.CgroupPath())
		}
	}
	if v1 == 0 {
		t.Fatalf("no cgroup v1 hierarchy in /proc/self/cgroup: %s", out)
	}
}
