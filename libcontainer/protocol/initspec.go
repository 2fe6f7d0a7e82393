package protocol

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// InitSpec is what of the container's spec crosses the init socket
// (InitConfig.Spec, in JSON): the parts the init reads, under the spec's
// own names. encoding/json pays, once per process, for every Go type
// reachable from what it decodes (it builds the codec of each field's
// type on first use): 1.5 ms for a specs.Spec here, half of it for types
// the init never reads (linux.resources, the other platforms' sections,
// the runtime's hooks). The init has its spec back as a specs.Spec
// (Spec), with only these parts set.
type InitSpec struct {
	Root       *specs.Root   `json:"root,omitempty"`
	Hostname   string        `json:"hostname,omitempty"`
	Domainname string        `json:"domainname,omitempty"`
	Mounts     []specs.Mount `json:"mounts,omitempty"`
	Hooks      *InitHooks    `json:"hooks,omitempty"`
	Linux      *InitLinux    `json:"linux,omitempty"`
}

// InitHooks are the hooks the init runs itself.
type InitHooks struct {
	CreateContainer []specs.Hook `json:"createContainer,omitempty"`
	StartContainer  []specs.Hook `json:"startContainer,omitempty"`
}

// InitLinux is what the init reads of linux.
type InitLinux struct {
	UIDMappings       []specs.LinuxIDMapping   `json:"uidMappings,omitempty"`
	GIDMappings       []specs.LinuxIDMapping   `json:"gidMappings,omitempty"`
	Sysctl            map[string]string        `json:"sysctl,omitempty"`
	Namespaces        []specs.LinuxNamespace   `json:"namespaces,omitempty"`
	Devices           []specs.LinuxDevice      `json:"devices,omitempty"`
	RootfsPropagation string                   `json:"rootfsPropagation,omitempty"`
	MaskedPaths       []string                 `json:"maskedPaths,omitempty"`
	ReadonlyPaths     []string                 `json:"readonlyPaths,omitempty"`
	MountLabel        string                   `json:"mountLabel,omitempty"`
	Personality       *specs.LinuxPersonality  `json:"personality,omitempty"`
	MemoryPolicy      *specs.LinuxMemoryPolicy `json:"memoryPolicy,omitempty"`
	// Cpus is linux.resources.cpu.cpus, which the init names in the
	// error of a scheduler the kernel refuses with AllowedCPUs.
	Cpus string `json:"cpus,omitempty"`
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

// initConfigJSON is InitConfig as it crosses the socket: Spec as an
// InitSpec.
type initConfigJSON struct {
	initConfigFields
	Spec *InitSpec `json:"spec,omitempty"`
}

// initConfigFields is InitConfig without its methods.
type initConfigFields InitConfig

// MarshalJSON sends c with its Spec as an InitSpec.
func (c InitConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(initConfigJSON{initConfigFields(c), NewInitSpec(c.Spec)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (c *InitConfig) UnmarshalJSON(b []byte) error {
	var w initConfigJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = InitConfig(w.initConfigFields)
	c.Spec = w.Spec.Spec()
	return nil
}
