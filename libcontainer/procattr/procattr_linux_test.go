package procattr

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestParseIDList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []uint
		bad  bool
	}{
		{"", nil, false},
		{"0", []uint{0}, false},
		{"0-2,5", []uint{0, 1, 2, 5}, false},
		{" 1 , 3-4", []uint{1, 3, 4}, false},
		{"3-1", nil, true},
		{"a", nil, true},
		{"1,", nil, true},
		{"-1", nil, true},
		{"70000", nil, true},
	} {
		got, err := parseIDList(tc.in)
		if (err != nil) != tc.bad || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseIDList(%q) = %v, %v; want %v (error: %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestCPUSet(t *testing.T) {
	set, err := cpuSet("1,3-4")
	if err != nil {
		t.Fatal(err)
	}
	var want unix.CPUSet
	for _, c := range []int{1, 3, 4} {
		want.Set(c)
	}
	if *set != want {
		t.Errorf("cpuSet = %v, want %v", set, want)
	}
	for _, bad := range []string{"", "5000", "x"} {
		if _, err := cpuSet(bad); err == nil {
			t.Errorf("cpuSet(%q) accepted", bad)
		}
	}
	if all := allCPUs(); all.Count() != len(all)*64 {
		t.Errorf("allCPUs has %d CPUs", all.Count())
	}
}

func TestSchedAttr(t *testing.T) {
	a, err := schedAttr(&specs.Scheduler{
		Policy: specs.SchedDeadline, Runtime: 10, Deadline: 20, Period: 30,
		Flags: []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork, specs.SchedFlagDLOverrun},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := unix.SchedAttr{Policy: 6, Flags: 0x5, Runtime: 10, Deadline: 20, Period: 30}
	if *a != want {
		t.Errorf("schedAttr = %+v, want %+v", *a, want)
	}
	a, _ = schedAttr(&specs.Scheduler{Policy: specs.SchedOther, Nice: -5})
	if a.Policy != 0 || a.Nice != -5 {
		t.Errorf("SCHED_OTHER nice -5: %+v", *a)
	}
	if _, err := schedAttr(&specs.Scheduler{Policy: "SCHED_NOPE"}); err == nil {
		t.Error("unknown policy accepted")
	}
	if _, err := schedAttr(&specs.Scheduler{Policy: specs.SchedFIFO, Flags: []specs.LinuxSchedulerFlag{"SCHED_FLAG_NOPE"}}); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestIOPrioValue(t *testing.T) {
	for _, tc := range []struct {
		p    specs.LinuxIOPriority
		want int
		bad  bool
	}{
		{specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_RT, Priority: 0}, 1 << 13, false},
		{specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 7}, 2<<13 | 7, false},
		{specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_IDLE}, 3 << 13, false},
		{specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 8}, 0, true},
		{specs.LinuxIOPriority{Class: "IOPRIO_CLASS_NONE"}, 0, true},
	} {
		got, err := ioprioValue(&tc.p)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ioprioValue(%+v) = %#x, %v; want %#x (error: %v)", tc.p, got, err, tc.want, tc.bad)
		}
	}
}

func TestMempolicyArgs(t *testing.T) {
	mode, mask, err := mempolicyArgs(&specs.LinuxMemoryPolicy{
		Mode: specs.MpolInterleave, Nodes: "0,2,65",
		Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes},
	})
	if err != nil {
		t.Fatal(err)
	}
	if mode != 3|1<<15 {
		t.Errorf("mode %#x", mode)
	}
	if want := []uint64{0b101, 0b10}; !reflect.DeepEqual(mask, want) {
		t.Errorf("mask %b, want %b", mask, want)
	}
	mode, mask, err = mempolicyArgs(&specs.LinuxMemoryPolicy{Mode: specs.MpolLocal})
	if err != nil || mode != 4 || mask != nil {
		t.Errorf("MPOL_LOCAL: %d %v %v", mode, mask, err)
	}
	if _, _, err := mempolicyArgs(&specs.LinuxMemoryPolicy{Mode: "MPOL_NOPE"}); err == nil {
		t.Error("unknown mode accepted")
	}
}

// TestTablesUnique: no table holds a key twice (a map literal with one
// would not have compiled).
func TestTablesUnique(t *testing.T) {
	for i, tb := range []interface{ Duplicate() (any, bool) }{
		personalityDomains, SchedPolicies, SchedFlags, ioprioClasses, mpolModes, mpolFlags, Rlimits,
	} {
		if k, dup := tb.Duplicate(); dup {
			t.Errorf("table %d holds %v twice", i, k)
		}
	}
}
