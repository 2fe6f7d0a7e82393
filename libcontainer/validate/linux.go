package validate

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// devices checks linux.devices and linux.resources.devices.
func (v *validator) devices() error {
	l := v.linux()
	seen := make(map[string]int)
	for i, d := range l.Devices {
		field := fmt.Sprintf("linux.devices[%d]", i)
		switch d.Type {
		case "c", "b", "u", "p":
		default:
			return fmt.Errorf("%s.type: invalid device type %q (must be c, b, u or p)", field, d.Type)
		}
		if !filepath.IsAbs(d.Path) {
			return fmt.Errorf("%s.path %q must be an absolute path", field, d.Path)
		}
		if hasNUL(d.Path) {
			return fmt.Errorf("%s.path contains a NUL byte", field)
		}
		clean := filepath.Clean(d.Path)
		if !strings.HasPrefix(clean, "/dev/") {
			return fmt.Errorf("%s.path %q must be under /dev", field, d.Path)
		}
		if j, dup := seen[clean]; dup {
			return fmt.Errorf("%s.path %q duplicates linux.devices[%d]", field, d.Path, j)
		}
		seen[clean] = i
		if d.Type != "p" {
			// The kernel's dev_t: 12 bits of major, 20 of minor.
			if d.Major < 0 || d.Major >= 1<<12 {
				return fmt.Errorf("%s.major %d is out of range [0, 4095]", field, d.Major)
			}
			if d.Minor < 0 || d.Minor >= 1<<20 {
				return fmt.Errorf("%s.minor %d is out of range [0, 1048575]", field, d.Minor)
			}
		}
	}
	if l.Resources == nil {
		return nil
	}
	for i, d := range l.Resources.Devices {
		field := fmt.Sprintf("linux.resources.devices[%d]", i)
		switch d.Type {
		case "", "a", "b", "c":
		default:
			return fmt.Errorf("%s.type: invalid cgroup device type %q", field, d.Type)
		}
		if d.Access == "" {
			return fmt.Errorf("%s.access: device access at %d field cannot be empty", field, i)
		}
		// As runc does, letters other than r, w and m are ignored; but
		// there must be something left to allow or deny.
		if !strings.ContainsAny(d.Access, "rwm") {
			return fmt.Errorf("%s.access %q holds none of r, w and m", field, d.Access)
		}
	}
	return nil
}

// cgroups checks linux.cgroupsPath and what of linux.resources depends on
// the host's cgroup mode. Whether cgroupsPath is in systemd's
// "slice:prefix:name" form depends on the --systemd-cgroup flag, which is
// not known here.
func (v *validator) cgroups() error {
	l := v.linux()
	if p := l.CgroupsPath; p != "" {
		if hasNUL(p) {
			return errors.New("linux.cgroupsPath contains a NUL byte")
		}
		for _, c := range strings.Split(p, "/") {
			if c == ".." {
				return fmt.Errorf("linux.cgroupsPath %q must not contain \"..\"", p)
			}
		}
	}
	r := l.Resources
	if r == nil {
		return nil
	}
	if !cgroups.IsCgroup2UnifiedMode() {
		if r.Unified != nil {
			return fmt.Errorf("linux.resources.unified: %w", cgroups.ErrV1NoUnified)
		}
		return nil
	}
	if r.Memory != nil {
		var swap, limit int64
		if r.Memory.Swap != nil {
			swap = *r.Memory.Swap
		}
		if r.Memory.Limit != nil {
			limit = *r.Memory.Limit
		}
		if _, err := cgroups.ConvertMemorySwapToCgroupV2Value(swap, limit); err != nil {
			return fmt.Errorf("linux.resources.memory.swap: %w", err)
		}
	}
	return nil
}

// netDevices checks linux.netDevices: moving devices needs a network
// namespace of the container's own and root on the host, and every name
// must be one the kernel accepts.
func (v *validator) netDevices() error {
	devs := v.linux().NetDevices
	if len(devs) == 0 {
		return nil
	}
	if !v.hasNS(specs.NetworkNamespace) {
		return errors.New("linux.netDevices: unable to move network devices without a private NET namespace")
	}
	if v.rootless {
		return errors.New("linux.netDevices: network devices are not supported for rootless containers")
	}
	names := make([]string, 0, len(devs))
	for n := range devs {
		names = append(names, n)
	}
	sort.Strings(names)
	targets := make(map[string]string)
	for _, n := range names {
		if !validIfName(n) {
			return fmt.Errorf("linux.netDevices[%q]: invalid network device name %q", n, n)
		}
		target := devs[n].Name
		if target == "" {
			target = n
		}
		if !validIfName(target) {
			return fmt.Errorf("linux.netDevices[%q].name: invalid network device name %q", n, target)
		}
		// "%d" asks the kernel for a unique name.
		if !strings.Contains(target, "%d") {
			if other, dup := targets[target]; dup {
				return fmt.Errorf("linux.netDevices[%q].name %q is also the name of linux.netDevices[%q] in the container", n, target, other)
			}
			targets[target] = n
		}
	}
	return nil
}

// validIfName reports whether the kernel accepts name as a network
// interface name (dev_valid_name): 1 to 15 bytes, not "." or "..", and no
// "/", ":" or white space.
func validIfName(name string) bool {
	if name == "" || len(name) >= 16 || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '/', ':', ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return false
		}
	}
	return true
}

// resctrlMounted reports whether a resctrl filesystem is mounted; a
// variable so tests can pretend either way.
var resctrlMounted = func() (bool, error) {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("resctrl"))
	return len(mounts) > 0, err
}

// intelRdt checks linux.intelRdt: a closID that names one directory (or
// "/", the default class), schemata without newlines, and a mounted
// resctrl filesystem, without which the spec says the runtime must fail.
func (v *validator) intelRdt() error {
	r := v.linux().IntelRdt
	if r == nil {
		return nil
	}
	if id := r.ClosID; id != "/" && (id == "." || id == ".." || strings.Contains(id, "/") || hasNUL(id)) {
		return fmt.Errorf("linux.intelRdt.closID: invalid intelRdt.ClosID %q", id)
	}
	if strings.ContainsAny(r.L3CacheSchema, "\n\x00") {
		return errors.New("linux.intelRdt.l3CacheSchema must not contain newlines")
	}
	if r.MemBwSchema != "" {
		if !strings.HasPrefix(r.MemBwSchema, "MB:") {
			return fmt.Errorf("linux.intelRdt.memBwSchema %q must start with \"MB:\"", r.MemBwSchema)
		}
		if strings.ContainsAny(r.MemBwSchema, "\n\x00") {
			return errors.New("linux.intelRdt.memBwSchema must not contain newlines")
		}
	}
	for i, s := range r.Schemata {
		if strings.ContainsAny(s, "\n\x00") {
			return fmt.Errorf("linux.intelRdt.schemata[%d] must not contain newlines", i)
		}
	}
	ok, err := resctrlMounted()
	if err != nil {
		return fmt.Errorf("linux.intelRdt: %w", err)
	}
	if !ok {
		return errors.New("linux.intelRdt is specified in config, but no resctrl filesystem is mounted (Intel RDT is not enabled)")
	}
	return nil
}

// memoryPolicy checks linux.memoryPolicy against set_mempolicy(2).
func (v *validator) memoryPolicy() error {
	mp := v.linux().MemoryPolicy
	if mp == nil {
		return nil
	}
	// Mode, nodes, flags: the order runc checks them in, with its words.
	switch mp.Mode {
	case specs.MpolDefault, specs.MpolLocal, specs.MpolBind, specs.MpolInterleave,
		specs.MpolWeightedInterleave, specs.MpolPreferredMany, specs.MpolPreferred:
	default:
		return fmt.Errorf("linux.memoryPolicy.mode: invalid memory policy mode %q", mp.Mode)
	}
	nodes, err := parseList(mp.Nodes)
	if err != nil {
		return fmt.Errorf("linux.memoryPolicy.nodes: invalid memory policy nodes %q: %w", mp.Nodes, err)
	}
	var static, relative, balancing bool
	for i, f := range mp.Flags {
		switch f {
		case specs.MpolFStaticNodes:
			static = true
		case specs.MpolFRelativeNodes:
			relative = true
		case specs.MpolFNumaBalancing:
			balancing = true
		default:
			return fmt.Errorf("linux.memoryPolicy.flags[%d]: invalid memory policy flag %q", i, f)
		}
	}
	if static && relative {
		return errors.New("linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES are mutually exclusive")
	}
	switch mp.Mode {
	case specs.MpolDefault:
		if nodes > 0 {
			return errors.New("linux.memoryPolicy.nodes must be empty for MPOL_DEFAULT")
		}
	case specs.MpolLocal:
		if nodes > 0 {
			return errors.New("linux.memoryPolicy.nodes must be empty for MPOL_LOCAL")
		}
		if static || relative {
			return errors.New("linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be used with MPOL_LOCAL")
		}
	case specs.MpolBind, specs.MpolInterleave, specs.MpolWeightedInterleave, specs.MpolPreferredMany:
		if nodes == 0 {
			return fmt.Errorf("linux.memoryPolicy.nodes must name at least one node for %s", mp.Mode)
		}
	}
	if balancing && mp.Mode != specs.MpolBind && mp.Mode != specs.MpolPreferredMany {
		return fmt.Errorf("linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING cannot be used with %s", mp.Mode)
	}
	return nil
}

// personality checks linux.personality; like runc, flags are ignored with
// a warning.
func (v *validator) personality() error {
	p := v.linux().Personality
	if p == nil {
		return nil
	}
	if p.Domain != specs.PerLinux && p.Domain != specs.PerLinux32 {
		return fmt.Errorf("linux.personality.domain: invalid personality domain %s", p.Domain)
	}
	if len(p.Flags) > 0 {
		logrus.Warnf("linux.personality.flags: ignoring unsupported personality flags %v", p.Flags)
	}
	return nil
}

// maxListID bounds the numbers of a CPU or node list (the kernel's
// NR_CPUS is at most 8192).
const maxListID = 1 << 16

// parseList parses a list of CPUs or memory nodes such as "0-3,7" and
// returns how many entries it names; "" is an empty list.
func parseList(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil || a >= maxListID {
			return 0, fmt.Errorf("invalid list element %q", part)
		}
		b := a
		if isRange {
			b, err = strconv.ParseUint(hi, 10, 32)
			if err != nil || b >= maxListID || b < a {
				return 0, fmt.Errorf("invalid list range %q", part)
			}
		}
		n += int(b-a) + 1
	}
	return n, nil
}
