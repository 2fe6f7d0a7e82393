// Package procattr sets the process attributes of runtime-spec 1.1 and
// later: the init sets them on itself before it execs the container's
// process (they all belong to the calling thread, the init's locked main
// thread, the one that execs, and survive execve), but for the initial CPU
// affinity of an exec'd process, which the runtime sets on its runc init.
// It also lists, for `runc features`, the memory policies it knows, and,
// for validation and the init, the names of the rlimits and of the
// scheduler's policies and flags (Rlimits, SchedPolicies, SchedFlags).
package procattr

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/table"
)

// Apply applies linux.personality, process.scheduler, process.ioPriority
// and linux.memoryPolicy of p and lx (which may be nil) to the calling
// thread (to every process, exec'd ones included). It runs before the
// capabilities are dropped: a real-time policy or I/O class needs
// CAP_SYS_NICE or CAP_SYS_ADMIN.
func Apply(p *specs.Process, lx *specs.Linux) error {
	if lx != nil && lx.Personality != nil {
		if err := setPersonality(lx.Personality); err != nil {
			return err
		}
	}
	if p.Scheduler != nil {
		if err := setScheduler(p.Scheduler, allowedCPUs(lx)); err != nil {
			return err
		}
	}
	if p.IOPriority != nil {
		if err := setIOPriority(p.IOPriority); err != nil {
			return err
		}
	}
	if lx != nil && lx.MemoryPolicy != nil {
		if err := setMemoryPolicy(lx.MemoryPolicy); err != nil {
			return err
		}
	}
	return nil
}

// personalityDomains are the execution domains runc supports.
var personalityDomains = table.Table[specs.LinuxPersonalityDomain, uintptr]{
	{specs.PerLinux, 0x0000},   // PER_LINUX
	{specs.PerLinux32, 0x0008}, // PER_LINUX32
}

// setPersonality sets the execution domain (flags are ignored, as in runc;
// validation warns about them).
func setPersonality(p *specs.LinuxPersonality) error {
	dom, ok := personalityDomains.Lookup(p.Domain)
	if !ok {
		return fmt.Errorf("linux.personality.domain: unknown domain %q", p.Domain)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, dom, 0, 0); errno != 0 {
		return fmt.Errorf("linux.personality: personality(%s): %w", p.Domain, errno)
	}
	return nil
}

// SchedPolicies are the policies of sched_setattr(2) the spec lists.
var SchedPolicies = table.Table[specs.LinuxSchedulerPolicy, uint32]{
	{specs.SchedOther, 0},
	{specs.SchedFIFO, 1},
	{specs.SchedRR, 2},
	{specs.SchedBatch, 3},
	{specs.SchedISO, 4},
	{specs.SchedIdle, 5},
	{specs.SchedDeadline, 6},
}

// SchedFlags are the sched_setattr(2) flags the spec lists.
var SchedFlags = table.Table[specs.LinuxSchedulerFlag, uint64]{
	{specs.SchedFlagResetOnFork, unix.SCHED_FLAG_RESET_ON_FORK},
	{specs.SchedFlagReclaim, unix.SCHED_FLAG_RECLAIM},
	{specs.SchedFlagDLOverrun, unix.SCHED_FLAG_DL_OVERRUN},
	{specs.SchedFlagKeepPolicy, unix.SCHED_FLAG_KEEP_POLICY},
	{specs.SchedFlagKeepParams, unix.SCHED_FLAG_KEEP_PARAMS},
	{specs.SchedFlagUtilClampMin, unix.SCHED_FLAG_UTIL_CLAMP_MIN},
	{specs.SchedFlagUtilClampMax, unix.SCHED_FLAG_UTIL_CLAMP_MAX},
}

// schedAttr turns process.scheduler into sched_setattr(2)'s argument.
func schedAttr(s *specs.Scheduler) (*unix.SchedAttr, error) {
	policy, ok := SchedPolicies.Lookup(s.Policy)
	if !ok {
		return nil, fmt.Errorf("process.scheduler.policy: unknown policy %q", s.Policy)
	}
	a := &unix.SchedAttr{
		Policy:   policy,
		Nice:     s.Nice,
		Priority: uint32(s.Priority),
		Runtime:  s.Runtime,
		Deadline: s.Deadline,
		Period:   s.Period,
	}
	for i, f := range s.Flags {
		v, ok := SchedFlags.Lookup(f)
		if !ok {
			return nil, fmt.Errorf("process.scheduler.flags[%d]: unknown flag %q", i, f)
		}
		a.Flags |= v
	}
	return a, nil
}

// setScheduler applies process.scheduler to the calling thread. cpus is
// linux.resources.cpu.cpus: the kernel refuses SCHED_DEADLINE (EPERM) to
// a task whose CPUs are not a whole root domain, which runc reports in
// words scripts know.
func setScheduler(s *specs.Scheduler, cpus string) error {
	a, err := schedAttr(s)
	if err != nil {
		return err
	}
	if err := unix.SchedSetAttr(0, a, 0); err != nil {
		if errors.Is(err, unix.EPERM) && cpus != "" {
			return fmt.Errorf("process.scheduler: process scheduler can't be used together with AllowedCPUs (linux.resources.cpu.cpus %q): sched_setattr: %w", cpus, err)
		}
		return fmt.Errorf("process.scheduler: sched_setattr (policy %s, priority %d, nice %d): %w", s.Policy, s.Priority, s.Nice, err)
	}
	return nil
}

// allowedCPUs returns linux.resources.cpu.cpus of l (which may be nil).
func allowedCPUs(l *specs.Linux) string {
	if l == nil || l.Resources == nil || l.Resources.CPU == nil {
		return ""
	}
	return l.Resources.CPU.Cpus
}

var ioprioClasses = table.Table[specs.IOPriorityClass, int]{
	{specs.IOPRIO_CLASS_RT, 1},
	{specs.IOPRIO_CLASS_BE, 2},
	{specs.IOPRIO_CLASS_IDLE, 3},
}

// ioprioValue encodes process.ioPriority as ioprio_set(2) wants it.
func ioprioValue(p *specs.LinuxIOPriority) (int, error) {
	class, ok := ioprioClasses.Lookup(p.Class)
	if !ok {
		return 0, fmt.Errorf("process.ioPriority.class: unknown class %q", p.Class)
	}
	if p.Priority < 0 || p.Priority > 7 {
		return 0, fmt.Errorf("process.ioPriority.priority %d is out of range 0-7", p.Priority)
	}
	return class<<13 | p.Priority, nil
}

// setIOPriority applies process.ioPriority to the calling thread.
func setIOPriority(p *specs.LinuxIOPriority) error {
	v, err := ioprioValue(p)
	if err != nil {
		return err
	}
	const whoProcess = 1 // IOPRIO_WHO_PROCESS; who 0 is the caller
	if _, _, errno := unix.RawSyscall(unix.SYS_IOPRIO_SET, whoProcess, 0, uintptr(v)); errno != 0 {
		return fmt.Errorf("process.ioPriority: ioprio_set (class %s, priority %d): %w", p.Class, p.Priority, errno)
	}
	return nil
}

var mpolModes = table.Table[specs.MemoryPolicyModeType, uint]{
	{specs.MpolDefault, 0},
	{specs.MpolPreferred, 1},
	{specs.MpolBind, 2},
	{specs.MpolInterleave, 3},
	{specs.MpolLocal, 4},
	{specs.MpolPreferredMany, 5},
	{specs.MpolWeightedInterleave, 6},
}

var mpolFlags = table.Table[specs.MemoryPolicyFlagType, uint]{
	{specs.MpolFNumaBalancing, 1 << 13},
	{specs.MpolFRelativeNodes, 1 << 14},
	{specs.MpolFStaticNodes, 1 << 15},
}

// mempolicyArgs turns linux.memoryPolicy into set_mempolicy(2)'s mode and
// node mask.
func mempolicyArgs(mp *specs.LinuxMemoryPolicy) (uint, []uint64, error) {
	mode, ok := mpolModes.Lookup(mp.Mode)
	if !ok {
		return 0, nil, fmt.Errorf("linux.memoryPolicy.mode: invalid memory policy mode %q", mp.Mode)
	}
	for i, f := range mp.Flags {
		v, ok := mpolFlags.Lookup(f)
		if !ok {
			return 0, nil, fmt.Errorf("linux.memoryPolicy.flags[%d]: unknown flag %q", i, f)
		}
		mode |= v
	}
	nodes, err := parseIDList(mp.Nodes)
	if err != nil {
		return 0, nil, fmt.Errorf("linux.memoryPolicy.nodes %q: %w", mp.Nodes, err)
	}
	var mask []uint64
	for _, n := range nodes {
		for int(n/64) >= len(mask) {
			mask = append(mask, 0)
		}
		mask[n/64] |= 1 << (n % 64)
	}
	return mode, mask, nil
}

// setMemoryPolicy applies linux.memoryPolicy to the calling thread.
func setMemoryPolicy(mp *specs.LinuxMemoryPolicy) error {
	mode, mask, err := mempolicyArgs(mp)
	if err != nil {
		return err
	}
	var ptr unsafe.Pointer
	maxnode := uintptr(0)
	if len(mask) > 0 {
		ptr = unsafe.Pointer(&mask[0])
		// The kernel reads maxnode-1 bits.
		maxnode = uintptr(len(mask)*64 + 1)
	}
	if _, _, errno := unix.Syscall(unix.SYS_SET_MEMPOLICY, uintptr(mode), uintptr(ptr), maxnode); errno != 0 {
		return fmt.Errorf("linux.memoryPolicy: set_mempolicy (mode %s, nodes %q): %w", mp.Mode, mp.Nodes, errno)
	}
	return nil
}

// parseIDList parses a list of CPUs or nodes such as "0-3,7"; "" is empty.
func parseIDList(s string) ([]uint, error) {
	var ids []uint
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("invalid list element %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return nil, fmt.Errorf("invalid list element %q", part)
			}
		}
		for i := a; i <= b; i++ {
			ids = append(ids, uint(i))
		}
	}
	return ids, nil
}

// cpuSet parses a CPU list into the mask sched_setaffinity(2) takes.
func cpuSet(list string) (*unix.CPUSet, error) {
	ids, err := parseIDList(list)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("empty CPU list")
	}
	var set unix.CPUSet
	for _, id := range ids {
		if int(id) >= len(set)*64 {
			return nil, fmt.Errorf("CPU %d is beyond the %d this runtime can address", id, len(set)*64)
		}
		set.Set(int(id))
	}
	return &set, nil
}

// allCPUs is a mask of every CPU the runtime can address: asking for it
// gives a process every CPU its cpuset cgroup allows, the kernel dropping
// the others.
func allCPUs() *unix.CPUSet {
	var set unix.CPUSet
	for i := range set {
		set[i] = ^set[i]
	}
	return &set
}

// SetFinalCPUAffinity gives the calling thread, right before it execs the
// process, the CPUs process.execCPUAffinity.final names (runc exec: exec)
// or, when the spec says nothing about affinity, every CPU of its cpuset,
// so that the container does not inherit the mask of whoever ran runc (as
// runc 1.4 does). With only an initial set, the process keeps it.
func SetFinalCPUAffinity(p *specs.Process, exec bool) error {
	set := allCPUs()
	if a := p.ExecCPUAffinity; a != nil && exec {
		switch {
		case a.Final != "":
			var err error
			if set, err = cpuSet(a.Final); err != nil {
				return fmt.Errorf("process.execCPUAffinity.final %q: %w", a.Final, err)
			}
		case a.Initial != "":
			return nil
		}
	}
	if err := unix.SchedSetaffinity(0, set); err != nil {
		if p.ExecCPUAffinity != nil && p.ExecCPUAffinity.Final != "" && exec {
			return fmt.Errorf("process.execCPUAffinity.final %q: sched_setaffinity: %w", p.ExecCPUAffinity.Final, err)
		}
		return fmt.Errorf("reset CPU affinity: %w", err)
	}
	return nil
}

// SetInitialCPUAffinity applies process.execCPUAffinity.initial to pid, the
// `runc init` of an exec, once it is in the container's cgroup (joining a
// cpuset cgroup would reset it) and before it does its work.
func SetInitialCPUAffinity(pid int, p *specs.Process) error {
	if p == nil || p.ExecCPUAffinity == nil || p.ExecCPUAffinity.Initial == "" {
		return nil
	}
	set, err := cpuSet(p.ExecCPUAffinity.Initial)
	if err != nil {
		return fmt.Errorf("process.execCPUAffinity.initial %q: %w", p.ExecCPUAffinity.Initial, err)
	}
	if err := unix.SchedSetaffinity(pid, set); err != nil {
		return fmt.Errorf("process.execCPUAffinity.initial %q: sched_setaffinity: %w", p.ExecCPUAffinity.Initial, err)
	}
	return nil
}

// MemoryPolicyModes returns the linux.memoryPolicy modes, sorted.
func MemoryPolicyModes() []string {
	return sortedKeys(mpolModes)
}

// MemoryPolicyFlags returns the linux.memoryPolicy flags, sorted.
func MemoryPolicyFlags() []string {
	return sortedKeys(mpolFlags)
}

func sortedKeys[K ~string, V any](t table.Table[K, V]) []string {
	out := make([]string, 0, len(t))
	for _, k := range t.Keys() {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

// Rlimits are the resources of process.rlimits (those of getrlimit(2)).
var Rlimits = table.Table[string, int]{
	{"RLIMIT_AS", unix.RLIMIT_AS},
	{"RLIMIT_CORE", unix.RLIMIT_CORE},
	{"RLIMIT_CPU", unix.RLIMIT_CPU},
	{"RLIMIT_DATA", unix.RLIMIT_DATA},
	{"RLIMIT_FSIZE", unix.RLIMIT_FSIZE},
	{"RLIMIT_LOCKS", unix.RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", unix.RLIMIT_MEMLOCK},
	{"RLIMIT_MSGQUEUE", unix.RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", unix.RLIMIT_NICE},
	{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE},
	{"RLIMIT_NPROC", unix.RLIMIT_NPROC},
	{"RLIMIT_RSS", unix.RLIMIT_RSS},
	{"RLIMIT_RTPRIO", unix.RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", unix.RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", unix.RLIMIT_SIGPENDING},
	{"RLIMIT_STACK", unix.RLIMIT_STACK},
}
