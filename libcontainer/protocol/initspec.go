package protocol

import specs "github.com/opencontainers/runtime-spec/specs-go"

// InitSpec is what of the container's spec crosses the init socket
// (InitConfig.Spec, initwire.go): the parts the init reads, not
// linux.resources, the other platforms' sections or the runtime's hooks.
// The init has its spec back as a specs.Spec (Spec), with only these parts
// set.
type InitSpec struct {
	Root       *specs.Root
	Hostname   string
	Domainname string
	Mounts     []specs.Mount
	Hooks      *InitHooks
	Linux      *InitLinux
}

// InitHooks are the hooks the init runs itself.
type InitHooks struct {
	CreateContainer []specs.Hook
	StartContainer  []specs.Hook
}

// InitLinux is what the init reads of linux.
type InitLinux struct {
	UIDMappings       []specs.LinuxIDMapping
	GIDMappings       []specs.LinuxIDMapping
	Sysctl            map[string]string
	Namespaces        []specs.LinuxNamespace
	Devices           []specs.LinuxDevice
	RootfsPropagation string
	MaskedPaths       []string
	ReadonlyPaths     []string
	MountLabel        string
	Personality       *specs.LinuxPersonality
	MemoryPolicy      *specs.LinuxMemoryPolicy
	// Cpus is linux.resources.cpu.cpus, which the init names in the
	// error of a scheduler the kernel refuses with AllowedCPUs.
	Cpus string
}

// NewInitSpec takes the init's parts of s (nil for nil).
func NewInitSpec(s *specs.Spec) *InitSpec {
	if s == nil {
		return nil
	}
	is := &InitSpec{Root: s.Root, Hostname: s.Hostname, Domainname: s.Domainname, Mounts: s.Mounts}
	if h := s.Hooks; h != nil {
		is.Hooks = &InitHooks{CreateContainer: h.CreateContainer, StartContainer: h.StartContainer}
	}
	if l := s.Linux; l != nil {
		is.Linux = &InitLinux{
			UIDMappings:       l.UIDMappings,
			GIDMappings:       l.GIDMappings,
			Sysctl:            l.Sysctl,
			Namespaces:        l.Namespaces,
			Devices:           l.Devices,
			RootfsPropagation: l.RootfsPropagation,
			MaskedPaths:       l.MaskedPaths,
			ReadonlyPaths:     l.ReadonlyPaths,
			MountLabel:        l.MountLabel,
			Personality:       l.Personality,
			MemoryPolicy:      l.MemoryPolicy,
		}
		if r := l.Resources; r != nil && r.CPU != nil {
			is.Linux.Cpus = r.CPU.Cpus
		}
	}
	return is
}

// Spec is the spec with the parts is holds (nil for nil).
func (is *InitSpec) Spec() *specs.Spec {
	if is == nil {
		return nil
	}
	s := &specs.Spec{Root: is.Root, Hostname: is.Hostname, Domainname: is.Domainname, Mounts: is.Mounts}
	if h := is.Hooks; h != nil {
		s.Hooks = &specs.Hooks{CreateContainer: h.CreateContainer, StartContainer: h.StartContainer}
	}
	if l := is.Linux; l != nil {
		s.Linux = &specs.Linux{
			UIDMappings:       l.UIDMappings,
			GIDMappings:       l.GIDMappings,
			Sysctl:            l.Sysctl,
			Namespaces:        l.Namespaces,
			Devices:           l.Devices,
			RootfsPropagation: l.RootfsPropagation,
			MaskedPaths:       l.MaskedPaths,
			ReadonlyPaths:     l.ReadonlyPaths,
			MountLabel:        l.MountLabel,
			Personality:       l.Personality,
			MemoryPolicy:      l.MemoryPolicy,
		}
		if l.Cpus != "" {
			s.Linux.Resources = &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: l.Cpus}}
		}
	}
	return s
}
