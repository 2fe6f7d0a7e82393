package integration

// Newer runtime-spec process attributes: scheduler, I/O priority,
// personality, memory policy, CPU affinity, and the time namespace's
// offsets.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// procStatFields returns the fields of a /proc/<pid>/stat line after the
// command name: fields[0] is field 3 (state).
func procStatFields(t *testing.T, line string) []string {
	t.Helper()
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		t.Fatalf("bad stat line %q", line)
	}
	return strings.Fields(line[i+1:])
}

// TestProcessScheduler: process.scheduler reaches the process
// (sched_setattr): SCHED_BATCH with a nice value, read back from
// /proc/self/stat in the container (field 19 nice, field 41 policy).
func TestProcessScheduler(t *testing.T) {
	b := newBundle(t, "cat", "/proc/self/stat")
	b.Spec.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 7}
	b.write()
	out := b.mustRunc("run", b.ID)
	f := procStatFields(t, out)
	if nice, policy := f[16], f[38]; nice != "7" || policy != "3" {
		t.Errorf("nice %s policy %s, want nice 7, policy 3 (SCHED_BATCH)", nice, policy)
	}

	// A real-time policy the container's cpu cgroup has no budget for is
	// refused, and the error names the field.
	b2 := newBundle(t, "true")
	b2.Spec.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedFIFO, Priority: 10}
	b2.write()
	harness.Requires(t, harness.RTGroupSched)
	_, errOut, code := b2.runc("run", b2.ID)
	if code == 0 {
		t.Fatalf("SCHED_FIFO without a real-time budget succeeded")
	}
	mustContain(t, "error", errOut, "process.scheduler")
}

// TestProcessIOPriority: process.ioPriority, read from the host with
// ioprio_get(2) on the running container's process.
func TestProcessIOPriority(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.Spec.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 6}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	pid := b.initPid()
	const ioprioGet, whoProcess = 252, 1 // SYS_IOPRIO_GET on amd64
	v, _, errno := syscall.Syscall(ioprioGet, whoProcess, uintptr(pid), 0)
	if errno != 0 {
		t.Fatalf("ioprio_get: %v", errno)
	}
	if class, prio := v>>13, v&0xff; class != 2 || prio != 6 {
		t.Errorf("I/O priority class %d level %d, want 2 (best effort) 6", class, prio)
	}
	b.mustRunc("delete", "--force", b.ID)
}

// TestPersonality: linux.personality LINUX32 makes uname report a 32-bit
// machine in the container.
func TestPersonality(t *testing.T) {
	harness.Requires(t, harness.X86_64)
	b := newBundle(t, "uname", "-m")
	b.Spec.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	b.write()
	if out := strings.TrimSpace(b.mustRunc("run", b.ID)); out != "i686" {
		t.Errorf("uname -m with PER_LINUX32: %q, want i686", out)
	}
	b.Spec.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux}
	b.write()
	if out := strings.TrimSpace(b.mustRunc("run", b.ID)); out != "x86_64" {
		t.Errorf("uname -m with PER_LINUX: %q, want x86_64", out)
	}
}

// TestMemoryPolicy: linux.memoryPolicy (set_mempolicy) shows in the
// process's /proc/self/numa_maps.
func TestMemoryPolicy(t *testing.T) {
	harness.Requires(t, harness.NUMA)
	for _, tc := range []struct {
		policy *specs.LinuxMemoryPolicy
		want   string
	}{
		{&specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0"}, "bind:0"},
		{&specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}, "interleave=static:0"},
		{&specs.LinuxMemoryPolicy{Mode: specs.MpolPreferred, Nodes: "0"}, "prefer:0"},
		{&specs.LinuxMemoryPolicy{Mode: specs.MpolLocal}, "local"},
	} {
		t.Run(string(tc.policy.Mode), func(t *testing.T) {
			b := newBundle(t, "head", "-n1", "/proc/self/numa_maps")
			b.Spec.Linux.MemoryPolicy = tc.policy
			b.write()
			out := b.mustRunc("run", b.ID)
			if f := strings.Fields(out); len(f) < 2 || f[1] != tc.want {
				t.Errorf("numa_maps %q, want policy %s", out, tc.want)
			}
		})
	}
	// Without one the process has the default policy.
	b := newBundle(t, "head", "-n1", "/proc/self/numa_maps")
	if f := strings.Fields(b.mustRunc("run", b.ID)); len(f) < 2 || f[1] != "default" {
		t.Errorf("numa_maps without a policy: %v", f)
	}
}

// onlineCPUs returns the host's online CPU list ("0-1").
func onlineCPUs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestCPUAffinityReset: a container does not inherit the CPU affinity of
// whoever ran runc (taskset -c 0 runc run): it gets every CPU, or those of
// its cpuset.
func TestCPUAffinityReset(t *testing.T) {
	harness.Requires(t, harness.SMP, harness.Taskset)
	online := onlineCPUs(t)
	run := func(b *bundle) string {
		cmd := exec.Command("taskset", "-c", "0", runcBin, "--root", b.Root, "run", b.ID)
		cmd.Dir = b.Dir
		r := harness.RunCombined(t, cmd, harness.RunTimeout)
		if r.Code != 0 {
			t.Fatalf("taskset -c 0 runc run: %v", r)
		}
		return strings.TrimSpace(r.Stdout)
	}
	b := newBundle(t, "grep", "Cpus_allowed_list", "/proc/self/status")
	if got, want := run(b), "Cpus_allowed_list:\t"+online; got != want {
		t.Errorf("affinity %q, want %q", got, want)
	}

	if _, err := os.Stat("/sys/fs/cgroup/cpuset/cpuset.cpus"); err != nil {
		return
	}
	last := online[strings.LastIndexAny(online, "-,")+1:]
	b2 := newBundle(t, "grep", "Cpus_allowed_list", "/proc/self/status")
	b2.Spec.Linux.Resources.CPU = &specs.LinuxCPU{Cpus: last, Mems: "0"}
	b2.write()
	if got, want := run(b2), "Cpus_allowed_list:\t"+last; got != want {
		t.Errorf("affinity in cpuset %s: %q, want %q", last, got, want)
	}
}

// TestTimeNamespaceOffsets: linux.timeOffsets in a new time namespace:
// the offsets show in /proc/self/timens_offsets and move the container's
// boot time (uptime) forward, for exec'd processes too.
func TestTimeNamespaceOffsets(t *testing.T) {
	harness.Requires(t, harness.TimeNS)
	const monotonic, boottime = 10 * 86400, 20 * 86400
	b := newBundle(t, "cat", "/proc/self/timens_offsets", "/proc/uptime")
	b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	b.Spec.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{
		"monotonic": {Secs: monotonic, Nanosecs: 500},
		"boottime":  {Secs: boottime},
	}
	b.write()
	out := b.mustRunc("run", b.ID)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("output %q", out)
	}
	offsets := map[string]string{}
	for _, l := range lines[:2] {
		f := strings.Fields(l)
		offsets[f[0]] = strings.Join(f[1:], " ")
	}
	if offsets["monotonic"] != strconv.Itoa(monotonic)+" 500" || offsets["boottime"] != strconv.Itoa(boottime)+" 0" {
		t.Errorf("timens_offsets %v", offsets)
	}
	hostUp, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	host, _ := strconv.ParseFloat(strings.Fields(string(hostUp))[0], 64)
	ctr, _ := strconv.ParseFloat(strings.Fields(lines[2])[0], 64)
	if d := ctr - host; d < boottime-60 || d > boottime+60 {
		t.Errorf("container uptime %.0fs, host %.0fs: want %d more", ctr, host, boottime)
	}

	// A process exec'd into the container joins its time namespace.
	b.Spec.Process.Args = []string{"sleep", "100"}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	out = b.mustRunc("exec", b.ID, "cat", "/proc/uptime")
	ctr, _ = strconv.ParseFloat(strings.Fields(out)[0], 64)
	if ctr < boottime {
		t.Errorf("uptime of an exec'd process %.0fs, want over %d", ctr, boottime)
	}
	b.mustRunc("delete", "--force", b.ID)

	// Without a time namespace of its own, offsets are refused.
	b2 := newBundle(t, "true")
	b2.Spec.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 1}}
	b2.write()
	_, errOut, code := b2.runc("run", b2.ID)
	if code == 0 {
		t.Fatal("timeOffsets without a time namespace accepted")
	}
	mustContain(t, "error", errOut, "timeOffsets")
}

// TestExecCPUAffinity: process.execCPUAffinity applies to runc exec: the
// initial set while the exec's init works (and kept when there is no
// final), the final one for the process; without either the exec'd
// process is reset to every CPU, whatever runc exec's own affinity. The
// container's init is not affected.
func TestExecCPUAffinity(t *testing.T) {
	harness.Requires(t, harness.CPUs01)
	online := onlineCPUs(t)
	b := newBundle(t, "sleep", "100")
	b.Spec.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "1"}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	status := procStatus(t, b.initPid())
	if status["Cpus_allowed_list"] != online {
		t.Errorf("init affinity %q, want %s (execCPUAffinity is for exec)", status["Cpus_allowed_list"], online)
	}
	execGrep := func(affinity *specs.CPUAffinity) string {
		p := *b.Spec.Process
		p.Args = []string{"grep", "Cpus_allowed_list", "/proc/self/status"}
		p.ExecCPUAffinity = affinity
		data, err := json.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(b.Dir, "process.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("taskset", "-c", "0", runcBin, "--root", b.Root, "exec", "--process", path, b.ID)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("runc exec: %v: %s", err, out)
		}
		return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "Cpus_allowed_list:"))
	}
	for _, tc := range []struct {
		affinity *specs.CPUAffinity
		want     string
	}{
		{&specs.CPUAffinity{Initial: "0", Final: "1"}, "1"},
		{&specs.CPUAffinity{Initial: "1"}, "1"},
		{&specs.CPUAffinity{Final: "0-1"}, "0-1"},
		{nil, online},
	} {
		if got := execGrep(tc.affinity); got != tc.want {
			t.Errorf("execCPUAffinity %+v: exec'd process on %q, want %q", tc.affinity, got, tc.want)
		}
	}
	// Without --process, exec takes the config's execCPUAffinity.
	cmd := exec.Command(runcBin, "--root", b.Root, "exec", b.ID, "grep", "Cpus_allowed_list", "/proc/self/status")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("runc exec: %v: %s", err, out)
	}
	if got := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "Cpus_allowed_list:")); got != "1" {
		t.Errorf("exec with the config's execCPUAffinity: %q, want 1", got)
	}
	b.mustRunc("delete", "--force", b.ID)
}
