package libcontainer

import (
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMergeResources(t *testing.T) {
	dev := specs.LinuxBlockIODevice{Major: 8, Minor: 0}
	dev2 := specs.LinuxBlockIODevice{Major: 8, Minor: 16}
	old := &specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		Memory:  &specs.LinuxMemory{Limit: ptrTo(int64(100)), Swap: ptrTo(int64(200)), CheckBeforeUpdate: ptrTo(true)},
		CPU:     &specs.LinuxCPU{Shares: ptrTo(uint64(512)), Quota: ptrTo(int64(1000)), Period: ptrTo(uint64(2000)), Cpus: "0-1", Mems: "0"},
		Pids:    &specs.LinuxPids{Limit: ptrTo(int64(10))},
		BlockIO: &specs.LinuxBlockIO{
			Weight:                ptrTo(uint16(100)),
			WeightDevice:          []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev, Weight: ptrTo(uint16(10)), LeafWeight: ptrTo(uint16(20))}},
			ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 1}},
		},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}},
		Network:        &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 1}}},
		Rdma:           map[string]specs.LinuxRdma{"mlx": {HcaHandles: ptrTo(uint32(1))}},
		Unified:        map[string]string{"memory.high": "1", "io.weight": "10"},
	}
	oldJSON := mustJSON(t, old)

	for _, tc := range []struct {
		name string
		upd  *specs.LinuxResources
		want func(r *specs.LinuxResources)
	}{
		{"nil", nil, func(*specs.LinuxResources) {}},
		{"empty structs", &specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}, BlockIO: &specs.LinuxBlockIO{}}, func(*specs.LinuxResources) {}},
		{"memory and pids", &specs.LinuxResources{
			Memory: &specs.LinuxMemory{Limit: ptrTo(int64(300)), Reservation: ptrTo(int64(50))},
			Pids:   &specs.LinuxPids{Limit: ptrTo(int64(0))},
		}, func(r *specs.LinuxResources) {
			r.Memory.Limit, r.Memory.Reservation = ptrTo(int64(300)), ptrTo(int64(50))
			r.Pids.Limit = ptrTo(int64(0))
		}},
		{
			"unlimited memory lifts swap", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptrTo(int64(-1))}},
			func(r *specs.LinuxResources) { r.Memory.Limit, r.Memory.Swap = ptrTo(int64(-1)), ptrTo(int64(-1)) },
		},
		{
			"unlimited memory, swap given", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptrTo(int64(-1)), Swap: ptrTo(int64(500))}},
			func(r *specs.LinuxResources) { r.Memory.Limit, r.Memory.Swap = ptrTo(int64(-1)), ptrTo(int64(500)) },
		},
		{
			"cpu", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptrTo(int64(-1)), Cpus: "1"}},
			func(r *specs.LinuxResources) { r.CPU.Quota, r.CPU.Cpus = ptrTo(int64(-1)), "1" },
		},
		{
			"idle drops shares", &specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptrTo(int64(1))}},
			func(r *specs.LinuxResources) { r.CPU.Idle, r.CPU.Shares = ptrTo(int64(1)), nil },
		},
		{
			"idle with shares", &specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptrTo(int64(0)), Shares: ptrTo(uint64(2))}},
			func(r *specs.LinuxResources) { r.CPU.Idle, r.CPU.Shares = ptrTo(int64(0)), ptrTo(uint64(2)) },
		},
		{"block devices upserted", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			WeightDevice: []specs.LinuxWeightDevice{
				{LinuxBlockIODevice: dev, Weight: ptrTo(uint16(30))},
				{LinuxBlockIODevice: dev2, Weight: ptrTo(uint16(40))},
			},
			ThrottleReadBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 5}, {LinuxBlockIODevice: dev2, Rate: 6}},
			ThrottleWriteBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 7}},
		}}, func(r *specs.LinuxResources) {
			r.BlockIO.WeightDevice = []specs.LinuxWeightDevice{
				{LinuxBlockIODevice: dev, Weight: ptrTo(uint16(30)), LeafWeight: ptrTo(uint16(20))},
				{LinuxBlockIODevice: dev2, Weight: ptrTo(uint16(40))},
			}
			r.BlockIO.ThrottleReadBpsDevice = []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 5}, {LinuxBlockIODevice: dev2, Rate: 6}}
			r.BlockIO.ThrottleWriteBpsDevice = []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 7}}
		}},
		{"per-key lists and maps", &specs.LinuxResources{
			HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 9}, {Pagesize: "1GB", Limit: 8}},
			Network:        &specs.LinuxNetwork{ClassID: ptrTo(uint32(7)), Priorities: []specs.LinuxInterfacePriority{{Name: "lo", Priority: 2}}},
			Rdma:           map[string]specs.LinuxRdma{"other": {HcaObjects: ptrTo(uint32(3))}},
			Unified:        map[string]string{"memory.high": "2"},
		}, func(r *specs.LinuxResources) {
			r.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 9}, {Pagesize: "1GB", Limit: 8}}
			r.Network.ClassID = ptrTo(uint32(7))
			r.Network.Priorities = append(r.Network.Priorities, specs.LinuxInterfacePriority{Name: "lo", Priority: 2})
			r.Rdma["other"] = specs.LinuxRdma{HcaObjects: ptrTo(uint32(3))}
			r.Unified["memory.high"] = "2"
		}},
		{
			"devices replaced", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "r"}}},
			func(r *specs.LinuxResources) { r.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "r"}} },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MergeResources(old, tc.upd)
			var want specs.LinuxResources
			if err := json.Unmarshal([]byte(oldJSON), &want); err != nil {
				t.Fatal(err)
			}
			tc.want(&want)
			if g, w := mustJSON(t, got), mustJSON(t, &want); g != w {
				t.Errorf("merged:\n got %s\nwant %s", g, w)
			}
			if mustJSON(t, old) != oldJSON {
				t.Fatalf("MergeResources changed old: %s", mustJSON(t, old))
			}
		})
	}
}

func TestMergeResourcesNilOld(t *testing.T) {
	got := MergeResources(nil, &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptrTo(int64(5))},
		CPU:    &specs.LinuxCPU{Mems: "0"},
		BlockIO: &specs.LinuxBlockIO{
			ThrottleReadIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 1}, Rate: 2}},
		},
		Unified: map[string]string{"a.b": "c"},
	})
	want := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptrTo(int64(5))},
		CPU:    &specs.LinuxCPU{Mems: "0"},
		BlockIO: &specs.LinuxBlockIO{
			ThrottleReadIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 1}, Rate: 2}},
		},
		Unified: map[string]string{"a.b": "c"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s\nwant %s", mustJSON(t, got), mustJSON(t, want))
	}
	if got := MergeResources(nil, nil); !reflect.DeepEqual(got, &specs.LinuxResources{}) {
		t.Errorf("MergeResources(nil, nil) = %s", mustJSON(t, got))
	}
}
