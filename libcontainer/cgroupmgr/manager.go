package cgroupmgr

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/manager"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// cgroupfsRoot is where every cgroup directory a Manager handles must lie.
const cgroupfsRoot = "/sys/fs/cgroup"

// mgr implements Manager over the library's manager.
type mgr struct {
	cfg Config
	cg  *cgroups.Cgroup
	lib cgroups.Manager

	mu  sync.Mutex
	res *cgroups.Resources // the resources Set(nil) re-applies
	// devicesSet is true once the device rules are in place: after a Set,
	// or from the start for a manager that Load made (the container's
	// create applied them). Until then Set always writes them.
	devicesSet bool
}

// New returns the manager for a new container. It checks the configuration
// (path rules, resources, systemd properties, what the host's hierarchy can
// apply) but creates nothing until Apply.
func New(c *Config) (Manager, error) {
	m, err := newManager(c, nil)
	if err != nil {
		return nil, err
	}
	warnIgnored(c.Resources, cgroups.IsCgroup2UnifiedMode())
	return m, nil
}

// Load returns the manager of an existing container from the paths its
// Manager.Paths returned when it was created.
func Load(c *Config, paths map[string]string) (Manager, error) {
	if len(paths) == 0 {
		return nil, errors.New("load cgroup: no cgroup paths saved")
	}
	for k, p := range paths {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p || !strings.HasPrefix(p, cgroupfsRoot+"/") {
			return nil, fmt.Errorf("load cgroup: saved path %q for %q is not a clean absolute path under %s", p, k, cgroupfsRoot)
		}
	}
	return newManager(c, maps.Clone(paths))
}

func newManager(c *Config, paths map[string]string) (Manager, error) {
	if c == nil {
		return nil, errors.New("cgroup config is nil")
	}
	res, err := toResources(c.Resources, c.Devices)
	if err != nil {
		return nil, err
	}
	if err := checkHierarchy(res); err != nil {
		return nil, err
	}
	cg := &cgroups.Cgroup{
		Resources: res,
		Rootless:  c.Rootless,
		Systemd:   c.Systemd,
	}
	if c.Systemd {
		sp, err := parseSystemdPath(c.ID, c.Path)
		if err != nil {
			return nil, err
		}
		cg.Parent, cg.ScopePrefix, cg.Name = sp.Parent, sp.ScopePrefix, sp.Name
		if cg.SystemdProps, err = systemdProperties(c.Annotations); err != nil {
			return nil, err
		}
	} else {
		p, err := fsPath(c.ID, c.Path, os.Getenv(EnvCgroupRoot))
		if err != nil {
			return nil, err
		}
		if c.Path == "" {
			// No explicit path: name the cgroup instead, as runc does.
			// The library resolves both the same way, but only forgives
			// rootless permission errors when no Path was given.
			cg.Name = p
		} else {
			cg.Path = p
		}
	}
	// The library keeps a pointer to cg.Resources (Freeze uses it); give it
	// its own copy so that the resources we re-apply stay ours.
	own := *res
	cg.Resources = &own
	libPaths := paths
	if libPaths == nil && !c.Systemd && cg.Path != "" {
		libPaths = v1Paths(cg.Path)
	}
	lib, err := manager.NewWithPaths(cg, libPaths)
	if err != nil {
		return nil, fmt.Errorf("cgroup manager: %w", err)
	}
	m := &mgr{cfg: *c, cg: cg, lib: lib, res: res, devicesSet: paths != nil}
	if paths == nil {
		// A new container: refuse early what Set would refuse later.
		// (Not for Load: an existing container must stay deletable.)
		if err := m.checkControllers(res); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkControllers rejects, naming the spec field, resources that need a
// cgroup v1 controller the host has not mounted (on this project's hybrid
// hosts hugetlb lives only in the cgroup v2 mount, which the v1 driver
// does not use for limits, as in runc). cgroup v2 checks its controllers
// itself.
func (m *mgr) checkControllers(res *cgroups.Resources) error {
	if cgroups.IsCgroup2UnifiedMode() {
		return nil
	}
	for _, c := range []struct {
		set         bool
		ctrl, field string
	}{
		{len(res.HugetlbLimit) > 0, "hugetlb", "linux.resources.hugepageLimits"},
		{res.NetClsClassid != 0, "net_cls", "linux.resources.network.classID"},
		{len(res.NetPrioIfpriomap) > 0, "net_prio", "linux.resources.network.priorities"},
		{len(res.Rdma) > 0, "rdma", "linux.resources.rdma"},
	} {
		if c.set && m.lib.Path(c.ctrl) == "" {
			return fmt.Errorf("%s: the host has no cgroup v1 %s hierarchy to apply it", c.field, c.ctrl)
		}
	}
	return nil
}

// checkHierarchy rejects resources the running hierarchy cannot take, with
// the checks runc makes before it starts a container.
func checkHierarchy(res *cgroups.Resources) error {
	if cgroups.IsCgroup2UnifiedMode() {
		if _, err := cgroups.ConvertMemorySwapToCgroupV2Value(res.MemorySwap, res.Memory); err != nil {
			return fmt.Errorf("linux.resources.memory.swap: %w", err)
		}
		return nil
	}
	if res.Unified != nil {
		return fmt.Errorf("linux.resources.unified: the host does not use the cgroup v2 unified hierarchy: %w", cgroups.ErrV1NoUnified)
	}
	return nil
}

// checkSwap handles a swap limit on a cgroup v1 memory controller without
// swap accounting (no memory.memsw.* files, e.g. Debian without
// swapaccount=1): a finite limit cannot be honoured and is an error,
// "unlimited" (-1) is what the kernel does anyway and is dropped. It
// returns the resources to apply. On cgroup v2 (v2 set) the library
// handles a missing memory.swap.max itself (an error only for a finite
// limit), and memDir is not a v1 memory directory: nothing to do here.
func checkSwap(memDir string, v2 bool, res *cgroups.Resources) (*cgroups.Resources, error) {
	if v2 || memDir == "" || res.MemorySwap == 0 {
		return res, nil
	}
	if _, err := os.Stat(filepath.Join(memDir, "memory.memsw.limit_in_bytes")); err == nil || !os.IsNotExist(err) {
		return res, nil
	}
	if res.MemorySwap > 0 {
		return nil, fmt.Errorf("linux.resources.memory.swap: the kernel does not account swap in the memory cgroup (no memory.memsw.limit_in_bytes; boot with swapaccount=1), cannot limit swap to %d", res.MemorySwap)
	}
	logrus.Debugf("linux.resources.memory.swap=%d ignored: no swap accounting in the memory cgroup", res.MemorySwap)
	cp := *res
	cp.MemorySwap = 0
	return &cp, nil
}

func (m *mgr) Apply(pid int) error {
	if err := m.lib.Apply(pid); err != nil {
		if errors.Is(err, cgroups.ErrRootless) {
			return fmt.Errorf("cgroup %s: %w", m.name(), err)
		}
		return fmt.Errorf("create cgroup %s: %w", m.name(), err)
	}
	return nil
}

func (m *mgr) Set(r *specs.LinuxResources) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	res := m.res
	skipDevices := false
	if r != nil {
		var err error
		if res, err = toResources(r, m.cfg.Devices); err != nil {
			return err
		}
		if r.Devices == nil {
			res.Devices = m.res.Devices
			skipDevices = m.devicesSet
		}
		if err := checkHierarchy(res); err != nil {
			return err
		}
		if err := m.checkControllers(res); err != nil {
			return err
		}
	}
	apply, err := checkSwap(m.lib.Path("memory"), cgroups.IsCgroup2UnifiedMode(), res)
	if err != nil {
		return err
	}
	if skipDevices {
		cp := *apply
		cp.SkipDevices = true
		apply = &cp
	}
	if err := m.lib.Set(apply); err != nil {
		return fmt.Errorf("set cgroup %s resources: %w", m.name(), err)
	}
	m.res = res
	m.devicesSet = true
	return nil
}

func (m *mgr) Pids() ([]int, error) {
	pids, err := m.lib.GetAllPids()
	if err != nil {
		return nil, fmt.Errorf("list pids of cgroup %s: %w", m.name(), err)
	}
	return pids, nil
}

func (m *mgr) Freeze() error {
	if err := m.lib.Freeze(cgroups.Frozen); err != nil {
		return fmt.Errorf("freeze cgroup %s: %w", m.name(), err)
	}
	return nil
}

func (m *mgr) Thaw() error {
	if err := m.lib.Freeze(cgroups.Thawed); err != nil {
		return fmt.Errorf("thaw cgroup %s: %w", m.name(), err)
	}
	return nil
}

func (m *mgr) Paused() (bool, error) {
	st, err := m.lib.GetFreezerState()
	if err != nil {
		return false, fmt.Errorf("read freezer state of cgroup %s: %w", m.name(), err)
	}
	return st == cgroups.Frozen, nil
}

func (m *mgr) Stats() (*cgroups.Stats, error) {
	st, err := m.lib.GetStats()
	if err != nil {
		return nil, fmt.Errorf("read stats of cgroup %s: %w", m.name(), err)
	}
	return st, nil
}

func (m *mgr) Destroy() error {
	if err := m.lib.Destroy(); err != nil {
		return fmt.Errorf("remove cgroup %s: %w", m.name(), err)
	}
	return nil
}

func (m *mgr) Paths() map[string]string {
	return maps.Clone(m.lib.GetPaths())
}

func (m *mgr) Exists() bool {
	return m.lib.Exists()
}

// name describes the cgroup in error messages.
func (m *mgr) name() string {
	if m.cg.Systemd {
		return fmt.Sprintf("%s:%s:%s", m.cg.Parent, m.cg.ScopePrefix, m.cg.Name)
	}
	if m.cg.Path == "" {
		return m.cg.Name
	}
	return m.cg.Path
}
