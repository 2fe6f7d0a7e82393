package cgroupmgr

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/opencontainers/cgroups"
	devices "github.com/opencontainers/cgroups/devices/config"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// defaultDevice is a device every container may use whatever its
// linux.resources.devices say. Path is set for those a linux.devices entry
// may replace.
type defaultDevice struct {
	Path string
	Rule devices.Rule
}

// defaultDevices are the allow rules runc appends after the spec's own
// device rules, in runc's order: mknod of any char or block device, the
// standard character devices, /dev/pts/*, /dev/ptmx and /dev/net/tun.
// There is no rule for /dev/console (5:1): the container's /dev/console is
// a bind mount of its pty, which the /dev/pts/* rule covers.
var defaultDevices = []defaultDevice{
	{Rule: devices.Rule{Type: devices.CharDevice, Major: devices.Wildcard, Minor: devices.Wildcard, Permissions: "m", Allow: true}},
	{Rule: devices.Rule{Type: devices.BlockDevice, Major: devices.Wildcard, Minor: devices.Wildcard, Permissions: "m", Allow: true}},
	{Path: "/dev/null", Rule: devices.Rule{Type: devices.CharDevice, Major: 1, Minor: 3, Permissions: "rwm", Allow: true}},
	{Path: "/dev/random", Rule: devices.Rule{Type: devices.CharDevice, Major: 1, Minor: 8, Permissions: "rwm", Allow: true}},
	{Path: "/dev/full", Rule: devices.Rule{Type: devices.CharDevice, Major: 1, Minor: 7, Permissions: "rwm", Allow: true}},
	{Path: "/dev/tty", Rule: devices.Rule{Type: devices.CharDevice, Major: 5, Minor: 0, Permissions: "rwm", Allow: true}},
	{Path: "/dev/zero", Rule: devices.Rule{Type: devices.CharDevice, Major: 1, Minor: 5, Permissions: "rwm", Allow: true}},
	{Path: "/dev/urandom", Rule: devices.Rule{Type: devices.CharDevice, Major: 1, Minor: 9, Permissions: "rwm", Allow: true}},
	// /dev/pts/* (the console the container gets is one of these).
	{Rule: devices.Rule{Type: devices.CharDevice, Major: 136, Minor: devices.Wildcard, Permissions: "rwm", Allow: true}},
	// /dev/ptmx.
	{Rule: devices.Rule{Type: devices.CharDevice, Major: 5, Minor: 2, Permissions: "rwm", Allow: true}},
	// /dev/net/tun, kept by runc for backward compatibility.
	{Rule: devices.Rule{Type: devices.CharDevice, Major: 10, Minor: 200, Permissions: "rwm", Allow: true}},
}

// defaultDeviceRules returns the allow rules added after the spec's device
// rules, minus those whose path one of devs replaces (as in runc, a
// linux.devices entry for /dev/null drops the default /dev/null rule).
func defaultDeviceRules(devs []specs.LinuxDevice) []*devices.Rule {
	var rules []*devices.Rule
next:
	for _, d := range defaultDevices {
		if d.Path != "" {
			for _, sd := range devs {
				if sd.Path == d.Path {
					continue next
				}
			}
		}
		r := d.Rule
		rules = append(rules, &r)
	}
	return rules
}

// toResources converts linux.resources (r may be nil) into the library's
// resources, with the default device rules appended. devs is linux.devices,
// which only affects which default rules are kept. Errors name the spec
// field to fix. Whether the running hierarchy can apply a field is checked
// later, by New, Load and Set.
func toResources(r *specs.LinuxResources, devs []specs.LinuxDevice) (*cgroups.Resources, error) {
	res := &cgroups.Resources{}
	if r != nil {
		rules, err := deviceRules(r.Devices)
		if err != nil {
			return nil, err
		}
		res.Devices = rules
		if err := convertMemory(r.Memory, res); err != nil {
			return nil, err
		}
		convertCPU(r.CPU, res)
		if r.Pids != nil {
			// runc 1.4 semantics, applied by the library: nil leaves
			// pids.max alone, a negative limit means "max", 0 is written
			// as 1 (as systemd's TasksMax does), others as is.
			if l := r.Pids.Limit; l != nil {
				v := *l
				res.PidsLimit = &v
			}
		}
		convertBlockIO(r.BlockIO, res)
		for _, l := range r.HugepageLimits {
			res.HugetlbLimit = append(res.HugetlbLimit, &cgroups.HugepageLimit{Pagesize: l.Pagesize, Limit: l.Limit})
		}
		if r.Network != nil {
			if r.Network.ClassID != nil {
				res.NetClsClassid = *r.Network.ClassID
			}
			for _, p := range r.Network.Priorities {
				res.NetPrioIfpriomap = append(res.NetPrioIfpriomap, &cgroups.IfPrioMap{Interface: p.Name, Priority: int64(p.Priority)})
			}
		}
		if len(r.Rdma) > 0 {
			res.Rdma = make(map[string]cgroups.LinuxRdma, len(r.Rdma))
			for dev, l := range r.Rdma {
				res.Rdma[dev] = cgroups.LinuxRdma{HcaHandles: l.HcaHandles, HcaObjects: l.HcaObjects}
			}
		}
		if len(r.Unified) > 0 {
			res.Unified = maps.Clone(r.Unified)
		}
	}
	res.Devices = append(res.Devices, defaultDeviceRules(devs)...)
	return res, nil
}

// deviceRules converts linux.resources.devices, in order.
func deviceRules(in []specs.LinuxDeviceCgroup) ([]*devices.Rule, error) {
	var out []*devices.Rule
	for i, d := range in {
		rule := &devices.Rule{
			Type:        devices.WildcardDevice,
			Major:       devices.Wildcard,
			Minor:       devices.Wildcard,
			Permissions: devices.Permissions(d.Access),
			Allow:       d.Allow,
		}
		switch d.Type {
		case "", "a":
		case "b":
			rule.Type = devices.BlockDevice
		case "c":
			rule.Type = devices.CharDevice
		default:
			return nil, fmt.Errorf(`linux.resources.devices[%d].type: %q is not a cgroup device type ("a", "b" or "c")`, i, d.Type)
		}
		if d.Major != nil {
			// -1 is the library's wildcard; other negatives are invalid.
			if *d.Major < devices.Wildcard {
				return nil, fmt.Errorf("linux.resources.devices[%d].major: %d is invalid (omit it to match any)", i, *d.Major)
			}
			rule.Major = *d.Major
		}
		if d.Minor != nil {
			// -1 is the library's wildcard; other negatives are invalid.
			if *d.Minor < devices.Wildcard {
				return nil, fmt.Errorf("linux.resources.devices[%d].minor: %d is invalid (omit it to match any)", i, *d.Minor)
			}
			rule.Minor = *d.Minor
		}
		// r, w and m in any order, each once: the letters the library
		// and the kernel take. Others are ignored, as runc ignores them.
		rule.Permissions = devices.Permissions("rwm").Intersection(rule.Permissions)
		if rule.Permissions.IsEmpty() {
			return nil, fmt.Errorf(`linux.resources.devices[%d].access: %q holds none of "r", "w" and "m"`, i, d.Access)
		}
		out = append(out, rule)
	}
	return out, nil
}

func convertMemory(m *specs.LinuxMemory, res *cgroups.Resources) error {
	if m == nil {
		return nil
	}
	if m.Limit != nil {
		res.Memory = *m.Limit
	}
	if m.Reservation != nil {
		res.MemoryReservation = *m.Reservation
	}
	if m.Swap != nil {
		res.MemorySwap = *m.Swap
	}
	// Kernel and KernelTCP are not converted: see warnIgnored.
	if m.Swappiness != nil {
		// The library treats -1 (as uint64) as "leave as is".
		if s := *m.Swappiness; s > 100 && s != math.MaxUint64 {
			return fmt.Errorf("linux.resources.memory.swappiness: %d is out of range (0-100)", s)
		}
		v := *m.Swappiness
		res.MemorySwappiness = &v
	}
	if m.DisableOOMKiller != nil {
		res.OomKillDisable = *m.DisableOOMKiller
	}
	if m.CheckBeforeUpdate != nil {
		res.MemoryCheckBeforeUpdate = *m.CheckBeforeUpdate
	}
	return nil
}

func convertCPU(c *specs.LinuxCPU, res *cgroups.Resources) {
	if c == nil {
		return
	}
	if c.Shares != nil {
		res.CpuShares = *c.Shares
		// cgroup v2 takes a weight; the library only reads CpuWeight there.
		res.CpuWeight = cgroups.ConvertCPUSharesToCgroupV2Value(*c.Shares)
	}
	if c.Quota != nil {
		res.CpuQuota = *c.Quota
	}
	if c.Burst != nil {
		v := *c.Burst
		res.CpuBurst = &v
	}
	if c.Period != nil {
		res.CpuPeriod = *c.Period
	}
	if c.RealtimeRuntime != nil {
		res.CpuRtRuntime = *c.RealtimeRuntime
	}
	if c.RealtimePeriod != nil {
		res.CpuRtPeriod = *c.RealtimePeriod
	}
	res.CpusetCpus = c.Cpus
	res.CpusetMems = c.Mems
	if c.Idle != nil {
		v := *c.Idle
		res.CPUIdle = &v
	}
}

func convertBlockIO(b *specs.LinuxBlockIO, res *cgroups.Resources) {
	if b == nil {
		return
	}
	if b.Weight != nil {
		res.BlkioWeight = *b.Weight
	}
	if b.LeafWeight != nil {
		res.BlkioLeafWeight = *b.LeafWeight
	}
	for _, wd := range b.WeightDevice {
		var w, lw uint16
		if wd.Weight != nil {
			w = *wd.Weight
		}
		if wd.LeafWeight != nil {
			lw = *wd.LeafWeight
		}
		res.BlkioWeightDevice = append(res.BlkioWeightDevice, cgroups.NewWeightDevice(wd.Major, wd.Minor, w, lw))
	}
	throttle := func(in []specs.LinuxThrottleDevice) []*cgroups.ThrottleDevice {
		var out []*cgroups.ThrottleDevice
		for _, td := range in {
			out = append(out, cgroups.NewThrottleDevice(td.Major, td.Minor, td.Rate))
		}
		return out
	}
	res.BlkioThrottleReadBpsDevice = throttle(b.ThrottleReadBpsDevice)
	res.BlkioThrottleWriteBpsDevice = throttle(b.ThrottleWriteBpsDevice)
	res.BlkioThrottleReadIOPSDevice = throttle(b.ThrottleReadIOPSDevice)
	res.BlkioThrottleWriteIOPSDevice = throttle(b.ThrottleWriteIOPSDevice)
}

// warnIgnored logs, as runc does when it creates a container, the fields of
// r that are accepted but not applied: kernel memory limits (gone from
// cgroup v2, deprecated and mostly unsupported in v1), and on cgroup v2
// (v2 set) what it has no file for: real-time CPU bandwidth, turning the
// OOM killer off, network class and priorities, and block I/O leaf
// weights.
func warnIgnored(r *specs.LinuxResources, v2 bool) {
	if r == nil {
		return
	}
	//nolint:staticcheck // Kernel and KernelTCP are deprecated; we only warn about them.
	if r.Memory != nil && (r.Memory.Kernel != nil || r.Memory.KernelTCP != nil) {
		logrus.Warn("linux.resources.memory.kernel and kernelTCP are ignored: kernel memory limits are not supported")
	}
	if !v2 {
		return
	}
	if c := r.CPU; c != nil && ((c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0) || (c.RealtimePeriod != nil && *c.RealtimePeriod != 0)) {
		logrus.Warn("linux.resources.cpu.realtimeRuntime and realtimePeriod are ignored: cgroup v2 has no real-time CPU bandwidth control")
	}
	if m := r.Memory; m != nil && m.DisableOOMKiller != nil && *m.DisableOOMKiller {
		logrus.Warn("linux.resources.memory.disableOOMKiller is ignored: cgroup v2 cannot turn the OOM killer off")
	}
	if n := r.Network; n != nil && ((n.ClassID != nil && *n.ClassID != 0) || len(n.Priorities) > 0) {
		logrus.Warn("linux.resources.network is ignored: cgroup v2 has no net_cls or net_prio controller")
	}
	if b := r.BlockIO; b != nil && ((b.LeafWeight != nil && *b.LeafWeight != 0) || slices.ContainsFunc(b.WeightDevice, func(w specs.LinuxWeightDevice) bool { return w.LeafWeight != nil && *w.LeafWeight != 0 })) {
		logrus.Warn("linux.resources.blockIO leaf weights are ignored: cgroup v2 has none")
	}
}
