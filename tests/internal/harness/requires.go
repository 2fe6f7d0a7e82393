package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// A Feature is something of the host a test needs: a kernel feature, a
// cgroup layout, a tool. Requires skips a test whose host lacks one, with
// the reason and where the test runs instead, and the run's summary lists
// it; where the feature is mandatory the test fails instead.
type Feature struct {
	// Name is how RUNC_TEST_REQUIRE and the summary name it.
	Name string
	// What the host must have, as "needs ..." reads.
	What string
	// Where tests that need it run when this host lacks it ("runs in
	// `make test-vm`").
	Where string

	probe func() error
	once  sync.Once
	err   error
	not   *Feature // for Not(f): f
}

// Check probes the host once and returns why it lacks the feature (nil:
// it has it).
func (f *Feature) Check() error {
	if f.not != nil {
		if f.not.Check() == nil {
			return fmt.Errorf("this host has %s", f.not.What)
		}
		return nil
	}
	f.once.Do(func() { f.err = f.probe() })
	return f.err
}

func (f *Feature) String() string { return f.Name }

var (
	notMu sync.Mutex
	nots  = map[*Feature]*Feature{}
)

// Not is the absence of f, for a test of what happens without it (the
// error a runtime gives where AppArmor is not enabled).
func Not(f *Feature) *Feature {
	notMu.Lock()
	defer notMu.Unlock()
	if n, ok := nots[f]; ok {
		return n
	}
	n := &Feature{Name: "!" + f.Name, What: "a host without " + f.What, Where: thisHost, not: f}
	nots[f] = n
	return n
}

func feature(name, what, where string, probe func() error) *Feature {
	f := &Feature{Name: name, What: what, Where: where, probe: probe}
	features = append(features, f)
	return f
}

// features are all the named features, for RUNC_TEST_REQUIRE.
var features []*Feature

// Lookup returns the feature called name ("!name" for its absence).
func Lookup(name string) (*Feature, bool) {
	if base, ok := strings.CutPrefix(name, "!"); ok {
		f, ok := Lookup(base)
		if !ok {
			return nil, false
		}
		return Not(f), true
	}
	for _, f := range features {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// Features returns the names of all features.
func Features() []string {
	var names []string
	for _, f := range features {
		names = append(names, f.Name)
	}
	return names
}

// Where the tests run.
const (
	thisHost = "runs in `make test` on the CI host"
	vm       = "runs in `make test-vm`"
	vmSec    = "runs in `make test-vm-security`"
	vmCriu   = "runs in `make test-vm-criu`"
	nowhere  = "no lane runs it yet"
)

// The features the suites ask for.
var (
	CgroupV1 = feature("cgroup1", "cgroup v1 hierarchies (a v1 or hybrid host)", thisHost, func() error {
		if exists("/sys/fs/cgroup/cgroup.controllers") {
			return errors.New("/sys/fs/cgroup is the cgroup v2 unified hierarchy")
		}
		if !exists("/sys/fs/cgroup/memory") && !exists("/sys/fs/cgroup/pids") {
			return errors.New("no cgroup v1 hierarchy under /sys/fs/cgroup")
		}
		return nil
	})
	CgroupV2 = feature("cgroup2", "the cgroup v2 unified hierarchy at /sys/fs/cgroup", vm, func() error {
		if !exists("/sys/fs/cgroup/cgroup.controllers") {
			return errors.New("/sys/fs/cgroup is not cgroup v2")
		}
		return nil
	})
	HugetlbV1 = feature("hugetlb-v1", "a cgroup v1 hugetlb hierarchy", nowhere, func() error {
		return existsErr("/sys/fs/cgroup/hugetlb")
	})
	RTGroupSched = feature("rt-group-sched", "real-time group scheduling (CONFIG_RT_GROUP_SCHED, cpu.rt_runtime_us)", thisHost, func() error {
		return existsErr("/sys/fs/cgroup/cpu/cpu.rt_runtime_us")
	})
	Systemd = feature("systemd", "systemd as PID 1", vm, func() error {
		return existsErr("/run/systemd/system")
	})
	AppArmor = feature("apparmor", "AppArmor enabled in the kernel", vmSec, func() error {
		if err := existsErr("/sys/kernel/security/apparmor"); err != nil {
			return err
		}
		b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(b, []byte("Y")) {
			return fmt.Errorf("apparmor enabled = %q", bytes.TrimSpace(b))
		}
		return nil
	})
	AppArmorParser = feature("apparmor_parser", "apparmor_parser, to load test profiles", vmSec, lookPath("apparmor_parser"))
	SELinux        = feature("selinux", "SELinux enabled", nowhere, func() error {
		return existsErr("/sys/fs/selinux/enforce")
	})
	CriuInstalled = feature("criu-installed", "a criu binary", vmCriu, lookPath("criu"))
	Criu          = feature("criu", "a criu that passes `criu check`", vmCriu, func() error {
		if _, err := exec.LookPath("criu"); err != nil {
			return err
		}
		out, err := exec.Command("criu", "check").CombinedOutput()
		if err != nil {
			return fmt.Errorf("criu check: %w: %s", err, lastLine(string(out)))
		}
		return nil
	})
	TimeNS = feature("timens", "time namespaces (kernel 5.6+)", thisHost, func() error {
		return existsErr("/proc/self/ns/time")
	})
	UserNS = feature("userns", "user namespaces open to unprivileged users", thisHost, func() error {
		for _, f := range []string{"/proc/sys/user/max_user_namespaces", "/proc/sys/kernel/unprivileged_userns_clone"} {
			if b, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(b)) == "0" {
				return fmt.Errorf("%s = 0", strings.ReplaceAll(strings.TrimPrefix(f, "/proc/sys/"), "/", "."))
			}
		}
		return nil
	})
	NUMA = feature("numa", "NUMA support (/proc/self/numa_maps)", thisHost, func() error {
		return existsErr("/proc/self/numa_maps")
	})
	X86_64 = feature("x86_64", "an x86_64 machine (uname -m)", thisHost, func() error {
		if m := machine(); m != "x86_64" {
			return fmt.Errorf("uname -m is %q", m)
		}
		return nil
	})
	Linux32 = feature("linux32", "a 64-bit host with a 32-bit personality (amd64, arm64)", thisHost, func() error {
		if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
			return fmt.Errorf("GOARCH is %s", runtime.GOARCH)
		}
		return nil
	})
	SMP = feature("smp", "more than one CPU online", thisHost, func() error {
		if on := onlineCPUs(); on == "0" || on == "" {
			return fmt.Errorf("online CPUs %q", on)
		}
		return nil
	})
	CPUs01 = feature("cpus01", "CPUs 0 and 1 online", thisHost, func() error {
		if on := onlineCPUs(); on != "0-1" && !strings.HasPrefix(on, "0-") {
			return fmt.Errorf("online CPUs %q", on)
		}
		return nil
	})
	Taskset  = feature("taskset", "taskset (util-linux)", thisHost, lookPath("taskset"))
	GoMd2man = feature("go-md2man", "go-md2man (scripts/deps.sh man)", thisHost, lookPath("go-md2man"))
	HostRunc = feature("host-runc", "an installed runc to compare with (Debian's 1.1.5)", thisHost, lookPath("runc"))
	Resctrl  = feature("resctrl", "a mounted resctrl filesystem (Intel RDT)", nowhere, func() error {
		data, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return err
		}
		if !strings.Contains(string(data), " - resctrl ") {
			return errors.New("no resctrl mount")
		}
		return nil
	})
	BlockDevice = feature("blockdev", "a block device for blkio rules (vda, sda, nvme0n1 or xvda)", thisHost, func() error {
		for _, d := range BlockDevices {
			if exists("/sys/block/" + d + "/dev") {
				return nil
			}
		}
		return errors.New("none in /sys/block")
	})
	ProcMasked = feature("proc-masked", "/proc/acpi and /proc/timer_list on the host (the paths the default spec masks)", thisHost, func() error {
		for _, p := range []string{"/proc/acpi", "/proc/timer_list"} {
			if err := existsErr(p); err != nil {
				return err
			}
		}
		return nil
	})
	SyscallTable = feature("syscall-table", "the x86_64 syscall table of the kernel headers (linux-libc-dev)", thisHost, func() error {
		n, err := countSyscalls(SyscallHeader)
		if err != nil {
			return err
		}
		if n < 300 {
			return fmt.Errorf("only %d syscalls in %s", n, SyscallHeader)
		}
		return nil
	})
)

// BlockDevices are the disks BlockDevice looks for, in order.
var BlockDevices = []string{"vda", "sda", "nvme0n1", "xvda"}

// SyscallHeader is the syscall table SyscallTable reads.
const SyscallHeader = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func existsErr(p string) error {
	_, err := os.Stat(p)
	return err
}

func lookPath(name string) func() error {
	return func() error {
		_, err := exec.LookPath(name)
		return err
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func machine() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Machine[:])
}

func onlineCPUs() string {
	b, _ := os.ReadFile("/sys/devices/system/cpu/online")
	return strings.TrimSpace(string(b))
}

func countSyscalls(header string) (int, error) {
	f, err := os.Open(header)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#define __NR_") {
			n++
		}
	}
	return n, sc.Err()
}

// What the run requires: RUNC_TEST_REQUIRE and the suite's mandatory
// tests.
var (
	required  = map[string]bool{}
	mandatory *regexp.Regexp
)

// ParseRequired reads a RUNC_TEST_REQUIRE value: feature names separated
// by commas (or spaces), each of which the run must have.
func ParseRequired(s string) ([]*Feature, error) {
	var fs []*Feature
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		f, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("RUNC_TEST_REQUIRE: no feature %q (there are: %s)", name, strings.Join(Features(), ", "))
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// isMandatory reports whether t (or the test it is a subtest of) is one
// the suite marks as mandatory (every CVE test).
func isMandatory(t testing.TB) bool {
	top, _, _ := strings.Cut(t.Name(), "/")
	return mandatory != nil && mandatory.MatchString(top)
}

// A skip as the summary lists it.
type skip struct {
	test, feature, reason string
}

var (
	skipMu sync.Mutex
	skips  []skip
)

func record(t testing.TB, feature, reason string) {
	skipMu.Lock()
	skips = append(skips, skip{t.Name(), feature, reason})
	skipMu.Unlock()
}

// Requires skips t unless the host has every feature: the skip says what
// is missing, why, and where the test runs instead, and the run's summary
// lists it. A mandatory test (the suite's CVE tests), or a feature that
// RUNC_TEST_REQUIRE names, fails the test instead.
func Requires(t testing.TB, fs ...*Feature) {
	t.Helper()
	for _, f := range fs {
		err := f.Check()
		if err == nil {
			continue
		}
		msg := fmt.Sprintf("needs %s (%v); %s", f.What, err, f.Where)
		switch {
		case isMandatory(t):
			t.Fatalf("%s; a mandatory test may not skip", msg)
		case required[f.Name]:
			t.Fatalf("%s; RUNC_TEST_REQUIRE names %s", msg, f.Name)
		}
		record(t, f.Name, msg)
		t.Skip(msg)
	}
}

// Skip skips t for a reason that is not a missing host feature (the test
// of an error path where the host works, a probe that only runs can
// make), listed in the run's summary like the rest. A mandatory test
// fails instead.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if isMandatory(t) {
		t.Fatalf("cannot run here: %s; a mandatory test may not skip", reason)
	}
	record(t, "", reason)
	t.Skip(reason)
}

// Skipf is Skip with a format.
func Skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	Skip(t, fmt.Sprintf(format, args...))
}

// Summary is what was skipped and why, grouped by feature, one line a
// test; "" when nothing was.
func Summary() string {
	skipMu.Lock()
	defer skipMu.Unlock()
	if len(skips) == 0 {
		return ""
	}
	byFeature := map[string][]skip{}
	for _, s := range skips {
		byFeature[s.feature] = append(byFeature[s.feature], s)
	}
	var keys []string
	for k := range byFeature {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d skipped:\n", len(skips))
	for _, k := range keys {
		ss := byFeature[k]
		sort.Slice(ss, func(i, j int) bool { return ss[i].test < ss[j].test })
		name := k
		if name == "" {
			name = "not a host feature"
		}
		fmt.Fprintf(&b, "  %s:\n", name)
		for _, s := range ss {
			fmt.Fprintf(&b, "    %s: %s\n", s.test, s.reason)
		}
	}
	return b.String()
}
