package libcontainer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	lcg "github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/cgroupmgr"
)

// ErrNotPaused is returned by Resume for a container that is not paused.
var ErrNotPaused = errors.New("container not paused")

// errNoCgroup is returned by the cgroup operations of a container that has
// none (its create did not get that far).
var errNoCgroup = errors.New("the container has no cgroup")

// mustCgroup returns the container's cgroup manager, or an error if it has
// none.
func (c *Container) mustCgroup() (cgroupmgr.Manager, error) {
	cg, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	if cg == nil {
		return nil, errNoCgroup
	}
	return cg, nil
}

// Pause freezes every process of a created or running container.
func (c *Container) Pause() error {
	switch c.Status() {
	case Running, Created:
	default:
		return ErrNotRunning
	}
	cg, err := c.mustCgroup()
	if err != nil {
		return err
	}
	return cg.Freeze()
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	if c.Status() != Paused {
		return ErrNotPaused
	}
	cg, err := c.mustCgroup()
	if err != nil {
		return err
	}
	return cg.Thaw()
}

// thawQuietly thaws the container's cgroup if it is frozen, after a
// SIGKILL: on cgroup v1 frozen processes cannot die until thawed. Errors
// are only logged.
func (c *Container) thawQuietly() {
	cg, err := c.cgroup()
	if err != nil || cg == nil {
		return
	}
	if paused, err := cg.Paused(); err != nil || !paused {
		return
	}
	if err := cg.Thaw(); err != nil {
		logrus.Warnf("thaw the killed container: %v", err)
	}
}

// Processes returns the host pids of every process in the container's
// cgroup, nil if there are none (or the cgroup is gone).
func (c *Container) Processes() ([]int, error) {
	cg, err := c.mustCgroup()
	if err != nil {
		return nil, err
	}
	if !cg.Exists() {
		return nil, nil
	}
	pids, err := cg.Pids()
	if err != nil {
		return nil, fmt.Errorf("unable to get all container pids: %w", err)
	}
	if len(pids) == 0 {
		return nil, nil
	}
	return pids, nil
}

// Stats reads the statistics of the container's cgroup.
func (c *Container) Stats() (*lcg.Stats, error) {
	cg, err := c.mustCgroup()
	if err != nil {
		return nil, err
	}
	return cg.Stats()
}

// NotifyOOM returns a channel that receives a value for each OOM event in
// the container's cgroup. It is closed when ctx is done or the cgroup goes
// away (on cgroup v2, as soon as no process is left in it).
func (c *Container) NotifyOOM(ctx context.Context) (<-chan struct{}, error) {
	cg, err := c.mustCgroup()
	if err != nil {
		return nil, err
	}
	return cg.NotifyOOM(ctx)
}

// Update applies new resource limits to a created, running or paused
// container and saves them in its state, so that later commands see them.
// The fields r leaves unset (nil, or an empty cpuset string) keep their
// current values; see MergeResources. If the new limits cannot be applied,
// the old ones are put back and the state is left as it was.
func (c *Container) Update(r *specs.LinuxResources) error {
	if r == nil {
		return errors.New("no resources to update")
	}
	if c.Status() == Stopped {
		return ErrNotRunning
	}
	if c.state.Config == nil || c.state.Config.Linux == nil {
		return errors.New("the container's state has no linux config")
	}
	cg, err := c.mustCgroup()
	if err != nil {
		return err
	}
	old := c.state.Config.Linux.Resources
	merged := MergeResources(old, r)
	apply := *merged
	if r.Devices == nil {
		// Keep the device rules in place rather than writing them again.
		apply.Devices = nil
	}
	if err := cg.Set(&apply); err != nil {
		rollback := specs.LinuxResources{}
		if old != nil {
			rollback = *old
		}
		if r.Devices == nil {
			rollback.Devices = nil
		}
		if rerr := cg.Set(&rollback); rerr != nil {
			logrus.Warnf("putting back the old resources after a failed update: %v", rerr)
		}
		return err
	}
	c.state.Config.Linux.Resources = merged
	return saveState(c.dir, c.state)
}

// MergeResources returns a copy of old (which may be nil) with the fields
// that upd sets replacing old's, as `runc update` merges its input into the
// container's current limits:
//   - pointer fields, when not nil;
//   - cpu.cpus and cpu.mems, when not empty;
//   - per-device block I/O weights and throttles, huge page limits (per
//     page size), network priorities (per interface), rdma (per device)
//     and unified (per key): entry by entry, the others kept;
//   - devices, when not nil, as a whole (the rules are ordered).
//
// As in runc, a memory limit of -1 (unlimited) with no swap given sets swap
// to -1 too, and cpu.idle given without cpu.shares drops the shares.
func MergeResources(old, upd *specs.LinuxResources) *specs.LinuxResources {
	out := cloneResources(old)
	if upd == nil {
		return out
	}
	if m := upd.Memory; m != nil {
		if out.Memory == nil {
			out.Memory = &specs.LinuxMemory{}
		}
		o := out.Memory
		setPtr(&o.Limit, m.Limit)
		setPtr(&o.Reservation, m.Reservation)
		setPtr(&o.Swap, m.Swap)
		setPtr(&o.Kernel, m.Kernel)       //nolint:staticcheck // kept as given; ignored when applied
		setPtr(&o.KernelTCP, m.KernelTCP) // kept as given; ignored when applied
		setPtr(&o.Swappiness, m.Swappiness)
		setPtr(&o.DisableOOMKiller, m.DisableOOMKiller)
		setPtr(&o.UseHierarchy, m.UseHierarchy)
		setPtr(&o.CheckBeforeUpdate, m.CheckBeforeUpdate)
		if m.Limit != nil && *m.Limit == -1 && m.Swap == nil {
			o.Swap = ptrTo(int64(-1))
		}
	}
	if cpu := upd.CPU; cpu != nil {
		if out.CPU == nil {
			out.CPU = &specs.LinuxCPU{}
		}
		o := out.CPU
		setPtr(&o.Shares, cpu.Shares)
		setPtr(&o.Quota, cpu.Quota)
		setPtr(&o.Burst, cpu.Burst)
		setPtr(&o.Period, cpu.Period)
		setPtr(&o.RealtimeRuntime, cpu.RealtimeRuntime)
		setPtr(&o.RealtimePeriod, cpu.RealtimePeriod)
		setPtr(&o.Idle, cpu.Idle)
		if cpu.Idle != nil && cpu.Shares == nil {
			// cgroup v2 refuses a cpu.weight for an idle cgroup: drop
			// the old shares rather than write them again (as runc).
			o.Shares = nil
		}
		if cpu.Cpus != "" {
			o.Cpus = cpu.Cpus
		}
		if cpu.Mems != "" {
			o.Mems = cpu.Mems
		}
	}
	if p := upd.Pids; p != nil && p.Limit != nil {
		if out.Pids == nil {
			out.Pids = &specs.LinuxPids{}
		}
		out.Pids.Limit = ptrTo(*p.Limit)
	}
	if b := upd.BlockIO; b != nil {
		if out.BlockIO == nil {
			out.BlockIO = &specs.LinuxBlockIO{}
		}
		o := out.BlockIO
		setPtr(&o.Weight, b.Weight)
		setPtr(&o.LeafWeight, b.LeafWeight)
		for _, wd := range b.WeightDevice {
			o.WeightDevice = upsertWeightDevice(o.WeightDevice, wd)
		}
		o.ThrottleReadBpsDevice = upsertThrottle(o.ThrottleReadBpsDevice, b.ThrottleReadBpsDevice)
		o.ThrottleWriteBpsDevice = upsertThrottle(o.ThrottleWriteBpsDevice, b.ThrottleWriteBpsDevice)
		o.ThrottleReadIOPSDevice = upsertThrottle(o.ThrottleReadIOPSDevice, b.ThrottleReadIOPSDevice)
		o.ThrottleWriteIOPSDevice = upsertThrottle(o.ThrottleWriteIOPSDevice, b.ThrottleWriteIOPSDevice)
	}
	for _, h := range upd.HugepageLimits {
		i := slices.IndexFunc(out.HugepageLimits, func(o specs.LinuxHugepageLimit) bool { return o.Pagesize == h.Pagesize })
		if i < 0 {
			out.HugepageLimits = append(out.HugepageLimits, h)
		} else {
			out.HugepageLimits[i] = h
		}
	}
	if n := upd.Network; n != nil {
		if out.Network == nil {
			out.Network = &specs.LinuxNetwork{}
		}
		setPtr(&out.Network.ClassID, n.ClassID)
		for _, p := range n.Priorities {
			i := slices.IndexFunc(out.Network.Priorities, func(o specs.LinuxInterfacePriority) bool { return o.Name == p.Name })
			if i < 0 {
				out.Network.Priorities = append(out.Network.Priorities, p)
			} else {
				out.Network.Priorities[i] = p
			}
		}
	}
	if upd.Rdma != nil {
		if out.Rdma == nil {
			out.Rdma = make(map[string]specs.LinuxRdma, len(upd.Rdma))
		}
		maps.Copy(out.Rdma, upd.Rdma)
	}
	if upd.Unified != nil {
		if out.Unified == nil {
			out.Unified = make(map[string]string, len(upd.Unified))
		}
		maps.Copy(out.Unified, upd.Unified)
	}
	if upd.Devices != nil {
		out.Devices = slices.Clone(upd.Devices)
	}
	return out
}

// upsertWeightDevice sets the weights wd gives for its device, or adds it.
func upsertWeightDevice(list []specs.LinuxWeightDevice, wd specs.LinuxWeightDevice) []specs.LinuxWeightDevice {
	for i := len(list) - 1; i >= 0; i-- { // the last duplicate is the one in force
		if list[i].Major == wd.Major && list[i].Minor == wd.Minor {
			setPtr(&list[i].Weight, wd.Weight)
			setPtr(&list[i].LeafWeight, wd.LeafWeight)
			return list
		}
	}
	return append(list, wd)
}

// upsertThrottle sets the rates upd gives per device, adding new devices.
func upsertThrottle(list, upd []specs.LinuxThrottleDevice) []specs.LinuxThrottleDevice {
next:
	for _, td := range upd {
		for i := len(list) - 1; i >= 0; i-- {
			if list[i].Major == td.Major && list[i].Minor == td.Minor {
				list[i].Rate = td.Rate
				continue next
			}
		}
		list = append(list, td)
	}
	return list
}

// cloneResources copies r deeply enough that MergeResources never changes
// what r points to.
func cloneResources(r *specs.LinuxResources) *specs.LinuxResources {
	out := &specs.LinuxResources{}
	if r == nil {
		return out
	}
	*out = *r
	out.Devices = slices.Clone(r.Devices)
	if r.Memory != nil {
		m := *r.Memory
		out.Memory = &m
	}
	if r.CPU != nil {
		cpu := *r.CPU
		out.CPU = &cpu
	}
	if r.Pids != nil {
		p := *r.Pids
		out.Pids = &p
	}
	if r.BlockIO != nil {
		b := *r.BlockIO
		b.WeightDevice = slices.Clone(b.WeightDevice)
		b.ThrottleReadBpsDevice = slices.Clone(b.ThrottleReadBpsDevice)
		b.ThrottleWriteBpsDevice = slices.Clone(b.ThrottleWriteBpsDevice)
		b.ThrottleReadIOPSDevice = slices.Clone(b.ThrottleReadIOPSDevice)
		b.ThrottleWriteIOPSDevice = slices.Clone(b.ThrottleWriteIOPSDevice)
		out.BlockIO = &b
	}
	out.HugepageLimits = slices.Clone(r.HugepageLimits)
	if r.Network != nil {
		n := *r.Network
		n.Priorities = slices.Clone(n.Priorities)
		out.Network = &n
	}
	out.Rdma = maps.Clone(r.Rdma)
	out.Unified = maps.Clone(r.Unified)
	return out
}

// setPtr points *dst at a copy of *src when src is not nil.
func setPtr[T any](dst **T, src *T) {
	if src != nil {
		*dst = ptrTo(*src)
	}
}

func ptrTo[T any](v T) *T { return &v }
