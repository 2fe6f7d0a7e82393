package cgroupmgr

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/cgroups"
	devices "github.com/opencontainers/cgroups/devices/config"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

func ptr[T any](v T) *T { return &v }

// defaultRuleCount is the number of rules runc always appends.
var defaultRuleCount = len(defaultDevices)

func TestToResourcesFields(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    specs.LinuxResources
		check func(*cgroups.Resources) bool
	}{
		{
			"memory.limit",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20))}},
			func(r *cgroups.Resources) bool { return r.Memory == 64<<20 },
		},
		{
			"memory.reservation",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: ptr(int64(32 << 20))}},
			func(r *cgroups.Resources) bool { return r.MemoryReservation == 32<<20 },
		},
		{
			"memory.swap",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr(int64(-1))}},
			func(r *cgroups.Resources) bool { return r.MemorySwap == -1 },
		},
		{
			"memory.swappiness",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(60))}},
			func(r *cgroups.Resources) bool { return r.MemorySwappiness != nil && *r.MemorySwappiness == 60 },
		},
		{
			"memory.swappiness -1",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(math.MaxUint64))}},
			func(r *cgroups.Resources) bool {
				return r.MemorySwappiness != nil && *r.MemorySwappiness == math.MaxUint64
			},
		},
		{
			"memory.disableOOMKiller",
			specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: ptr(true)}},
			func(r *cgroups.Resources) bool { return r.OomKillDisable },
		},
		{
			"memory.checkBeforeUpdate",
			specs.LinuxResources{Memory: &specs.LinuxMemory{CheckBeforeUpdate: ptr(true)}},
			func(r *cgroups.Resources) bool { return r.MemoryCheckBeforeUpdate },
		},
		{"memory.kernel ignored", specs.LinuxResources{Memory: &specs.LinuxMemory{Kernel: ptr(int64(1 << 20)), KernelTCP: ptr(int64(1 << 20))}}, //nolint:staticcheck // deprecated fields, checked to be ignored
			func(r *cgroups.Resources) bool { return r.Memory == 0 }},
		{
			"cpu.shares",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(2048))}},
			func(r *cgroups.Resources) bool {
				return r.CpuShares == 2048 && r.CpuWeight == cgroups.ConvertCPUSharesToCgroupV2Value(2048) && r.CpuWeight > 100
			},
		},
		{
			"cpu.quota",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(50000))}},
			func(r *cgroups.Resources) bool { return r.CpuQuota == 50000 },
		},
		{
			"cpu.period",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr(uint64(200000))}},
			func(r *cgroups.Resources) bool { return r.CpuPeriod == 200000 },
		},
		{
			"cpu.burst",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Burst: ptr(uint64(1000))}},
			func(r *cgroups.Resources) bool { return r.CpuBurst != nil && *r.CpuBurst == 1000 },
		},
		{
			"cpu.realtimeRuntime",
			specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: ptr(int64(950))}},
			func(r *cgroups.Resources) bool { return r.CpuRtRuntime == 950 },
		},
		{
			"cpu.realtimePeriod",
			specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimePeriod: ptr(uint64(1000))}},
			func(r *cgroups.Resources) bool { return r.CpuRtPeriod == 1000 },
		},
		{
			"cpu.cpus",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1"}},
			func(r *cgroups.Resources) bool { return r.CpusetCpus == "0-1" },
		},
		{
			"cpu.mems",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "0"}},
			func(r *cgroups.Resources) bool { return r.CpusetMems == "0" },
		},
		{
			"cpu.idle",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptr(int64(1))}},
			func(r *cgroups.Resources) bool { return r.CPUIdle != nil && *r.CPUIdle == 1 },
		},
		{
			"pids unset",
			specs.LinuxResources{Pids: &specs.LinuxPids{}},
			func(r *cgroups.Resources) bool { return r.PidsLimit == nil },
		},
		{
			"pids.limit",
			specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(100))}},
			func(r *cgroups.Resources) bool { return r.PidsLimit != nil && *r.PidsLimit == 100 },
		},
		{
			"pids.limit 0",
			specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(0))}},
			func(r *cgroups.Resources) bool { return r.PidsLimit != nil && *r.PidsLimit == 0 },
		},
		{
			"pids.limit -1",
			specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(-1))}},
			func(r *cgroups.Resources) bool { return r.PidsLimit != nil && *r.PidsLimit == -1 },
		},
		{
			"blockIO.weight",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(500))}},
			func(r *cgroups.Resources) bool { return r.BlkioWeight == 500 },
		},
		{
			"blockIO.leafWeight",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: ptr(uint16(300))}},
			func(r *cgroups.Resources) bool { return r.BlkioLeafWeight == 300 },
		},
		{
			"blockIO.weightDevice",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: ptr(uint16(200)), LeafWeight: ptr(uint16(100))},
			}}},
			func(r *cgroups.Resources) bool {
				return len(r.BlkioWeightDevice) == 1 && r.BlkioWeightDevice[0].WeightString() == "8:0 200" &&
					r.BlkioWeightDevice[0].LeafWeightString() == "8:0 100"
			},
		},
		{
			"blockIO.throttleReadBpsDevice",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1024},
			}}},
			func(r *cgroups.Resources) bool {
				return len(r.BlkioThrottleReadBpsDevice) == 1 && r.BlkioThrottleReadBpsDevice[0].String() == "8:0 1024"
			},
		},
		{
			"blockIO.throttleWriteBpsDevice",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleWriteBpsDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 2048},
			}}},
			func(r *cgroups.Resources) bool {
				return len(r.BlkioThrottleWriteBpsDevice) == 1 && r.BlkioThrottleWriteBpsDevice[0].String() == "8:16 2048"
			},
		},
		{
			"blockIO.throttleReadIOPSDevice",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadIOPSDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 10},
			}}},
			func(r *cgroups.Resources) bool {
				return len(r.BlkioThrottleReadIOPSDevice) == 1 && r.BlkioThrottleReadIOPSDevice[0].String() == "8:0 10"
			},
		},
		{
			"blockIO.throttleWriteIOPSDevice",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 20},
			}}},
			func(r *cgroups.Resources) bool {
				return len(r.BlkioThrottleWriteIOPSDevice) == 1 && r.BlkioThrottleWriteIOPSDevice[0].String() == "8:0 20"
			},
		},
		{
			"hugepageLimits",
			specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}},
			func(r *cgroups.Resources) bool {
				return len(r.HugetlbLimit) == 1 && r.HugetlbLimit[0].Pagesize == "2MB" && r.HugetlbLimit[0].Limit == 4<<20
			},
		},
		{
			"network.classID",
			specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr(uint32(0x100001))}},
			func(r *cgroups.Resources) bool { return r.NetClsClassid == 0x100001 },
		},
		{
			"network.priorities",
			specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}}},
			func(r *cgroups.Resources) bool {
				return len(r.NetPrioIfpriomap) == 1 && r.NetPrioIfpriomap[0].CgroupString() == "eth0 5"
			},
		},
		{
			"rdma",
			specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: ptr(uint32(3)), HcaObjects: ptr(uint32(1000))}}},
			func(r *cgroups.Resources) bool {
				l, ok := r.Rdma["mlx5_1"]
				return ok && *l.HcaHandles == 3 && *l.HcaObjects == 1000
			},
		},
		{
			"unified",
			specs.LinuxResources{Unified: map[string]string{"memory.high": "1G"}},
			func(r *cgroups.Resources) bool {
				return reflect.DeepEqual(r.Unified, map[string]string{"memory.high": "1G"})
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := toResources(&tc.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(res) {
				t.Fatalf("conversion of %s is wrong: %+v", tc.name, res)
			}
			if len(res.Devices) != defaultRuleCount {
				t.Fatalf("got %d device rules, want the %d defaults", len(res.Devices), defaultRuleCount)
			}
		})
	}
}

func TestToResourcesNil(t *testing.T) {
	res, err := toResources(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &cgroups.Resources{Devices: defaultDeviceRules(nil)}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("ToResources(nil) = %+v, want only the default device rules", res)
	}
	// The copy must not alias the spec's map.
	in := &specs.LinuxResources{Unified: map[string]string{"a": "b"}}
	res, _ = toResources(in, nil)
	in.Unified["a"] = "changed"
	if res.Unified["a"] != "b" {
		t.Fatal("ToResources aliases linux.resources.unified")
	}
}

func TestToResourcesDevices(t *testing.T) {
	in := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(11)), Access: "rw"},
		{Allow: true, Type: "b", Major: ptr(int64(8)), Access: "r"},
		{Allow: false, Type: "a", Major: ptr(int64(-1)), Minor: ptr(int64(-1)), Access: "m"},
	}}
	res, err := toResources(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Devices {
		s := r.CgroupString()
		if r.Allow {
			s = "allow " + s
		} else {
			s = "deny " + s
		}
		got = append(got, s)
	}
	want := []string{
		"deny a *:* rwm",
		"allow c 1:11 rw",
		"allow b 8:* r",
		"deny a *:* m",
		// runc's defaults, in runc's order.
		"allow c *:* m",
		"allow b *:* m",
		"allow c 1:3 rwm",
		"allow c 1:8 rwm",
		"allow c 1:7 rwm",
		"allow c 5:0 rwm",
		"allow c 1:5 rwm",
		"allow c 1:9 rwm",
		"allow c 136:* rwm",
		"allow c 5:2 rwm",
		"allow c 10:200 rwm",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("device rules:\n got %q\nwant %q", got, want)
	}
}

func TestDefaultDeviceRulesDedup(t *testing.T) {
	// As runc: a linux.devices entry for a default device's path drops that
	// default rule; other linux.devices entries add none.
	rules := defaultDeviceRules([]specs.LinuxDevice{
		{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
		{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11},
	})
	if len(rules) != defaultRuleCount-1 {
		t.Fatalf("got %d rules, want %d", len(rules), defaultRuleCount-1)
	}
	for _, r := range rules {
		if r.Type == devices.CharDevice && (r.Major == 5 && r.Minor == 0 || r.Major == 1 && r.Minor == 11) {
			t.Fatalf("unexpected rule %s", r.CgroupString())
		}
	}
	// The result is a copy: changing it must not change the defaults.
	rules[0].Permissions = "rwm"
	if defaultDevices[0].Rule.Permissions != "m" {
		t.Fatal("DefaultDeviceRules returned the package's own rules")
	}
}

// Access letters come out as the library and the kernel want them: r, w
// and m in that order, each once; runc ignores the others, so do we.
func TestDeviceAccessLetters(t *testing.T) {
	for in, want := range map[string]devices.Permissions{"mwr": "rwm", "wr": "rw", "rwmx": "rwm", "rr-": "r", "m": "m"} {
		res, err := toResources(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: in}}}, nil)
		if err != nil {
			t.Fatalf("access %q: %v", in, err)
		}
		if got := res.Devices[0].Permissions; got != want {
			t.Errorf("access %q: permissions %q, want %q", in, got, want)
		}
	}
}

func TestToResourcesErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   specs.LinuxResources
		err  string
	}{
		{
			"empty access",
			specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}, {Allow: true, Type: "c"}}},
			`linux.resources.devices[1].access: "" holds none of`,
		},
		{
			"no known access letter",
			specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "x"}}},
			`linux.resources.devices[0].access: "x" holds none of "r", "w" and "m"`,
		},
		{
			"bad type",
			specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "p", Access: "r"}}},
			`linux.resources.devices[0].type: "p"`,
		},
		{
			"bad major",
			specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Major: ptr(int64(-2)), Access: "r"}}},
			"linux.resources.devices[0].major: -2",
		},
		{
			"bad minor",
			specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Minor: ptr(int64(-5)), Access: "r"}}},
			"linux.resources.devices[0].minor: -5",
		},
		{
			"swappiness",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(101))}},
			"linux.resources.memory.swappiness: 101",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := toResources(&tc.in, nil)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want error containing %q", err, tc.err)
			}
		})
	}
}

func TestCheckSwap(t *testing.T) {
	noSwap := t.TempDir()
	withSwap := t.TempDir()
	if err := os.WriteFile(filepath.Join(withSwap, "memory.memsw.limit_in_bytes"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	// No swap asked: nothing to check.
	res := &cgroups.Resources{Memory: 1 << 20}
	if got, err := checkSwap(noSwap, false, res); err != nil || got != res {
		t.Fatalf("no swap asked: got %v, %v", got, err)
	}
	// Finite swap limit without accounting: a clear error.
	res = &cgroups.Resources{Memory: 1 << 20, MemorySwap: 2 << 20}
	if _, err := checkSwap(noSwap, false, res); err == nil || !strings.Contains(err.Error(), "linux.resources.memory.swap") ||
		!strings.Contains(err.Error(), "swapaccount=1") {
		t.Fatalf("finite swap without accounting: got %v", err)
	}
	// With accounting: passed through.
	if got, err := checkSwap(withSwap, false, res); err != nil || got != res {
		t.Fatalf("finite swap with accounting: got %v, %v", got, err)
	}
	// cgroup v2: left to the library (the directory has memory.swap.max,
	// not memory.memsw.*).
	if got, err := checkSwap(noSwap, true, res); err != nil || got != res {
		t.Fatalf("finite swap on v2: got %v, %v", got, err)
	}
	// Unlimited swap without accounting: dropped, the original untouched.
	res = &cgroups.Resources{Memory: 1 << 20, MemorySwap: -1}
	got, err := checkSwap(noSwap, false, res)
	if err != nil || got.MemorySwap != 0 || got.Memory != 1<<20 || res.MemorySwap != -1 {
		t.Fatalf("unlimited swap without accounting: got %+v, %v (original %+v)", got, err, res)
	}
}

// TestWarnIgnored: the fields accepted but not applied are warned about,
// naming them; the v2-only warnings only on v2.
func TestWarnIgnored(t *testing.T) {
	var buf bytes.Buffer
	logrus.SetOutput(&buf)
	t.Cleanup(func() { logrus.SetOutput(os.Stderr) })
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Kernel: ptr(int64(1)), DisableOOMKiller: ptr(true)}, //nolint:staticcheck // testing the warning
		CPU:     &specs.LinuxCPU{RealtimeRuntime: ptr(int64(1000))},
		BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{{LeafWeight: ptr(uint16(10))}}},
		Network: &specs.LinuxNetwork{ClassID: ptr(uint32(0x100001))},
	}
	warnIgnored(r, false)
	v1 := buf.String()
	buf.Reset()
	warnIgnored(r, true)
	v2 := buf.String()
	if !strings.Contains(v1, "memory.kernel") || strings.Contains(v1, "realtime") || strings.Contains(v1, "disableOOMKiller") || strings.Contains(v1, "network") {
		t.Errorf("v1 warnings: %s", v1)
	}
	for _, w := range []string{"memory.kernel", "cpu.realtimeRuntime", "memory.disableOOMKiller", "leaf weights", "linux.resources.network"} {
		if !strings.Contains(v2, w) {
			t.Errorf("v2 warnings lack %q: %s", w, v2)
		}
	}
	buf.Reset()
	warnIgnored(&specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: ptr(int64(0))}, Memory: &specs.LinuxMemory{DisableOOMKiller: ptr(false)}}, true)
	warnIgnored(nil, true)
	if buf.Len() != 0 {
		t.Errorf("warnings for unset fields: %s", buf.String())
	}
}
