package protocol

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp/bpf"
)

// wireVersion changes with the form of the config on the wire.
const wireVersion = 1

// MarshalBinary encodes c as it crosses the init socket (wire.go): its
// Spec as an InitSpec, the parts the init reads.
func (c *InitConfig) MarshalBinary() ([]byte, error) {
	w := &wireWriter{b: make([]byte, 0, 2048)}
	w.uint(wireVersion)
	w.str(string(c.Mode))
	w.str(c.ID)
	if w.present(c.Spec != nil) {
		writeInitSpec(w, NewInitSpec(c.Spec))
	}
	if w.present(c.Process != nil) {
		writeProcess(w, c.Process)
	}
	if w.present(c.Seccomp != nil) {
		w.str(string(c.Seccomp.Program))
		w.uint(uint64(c.Seccomp.Flags))
		w.bool(c.Seccomp.Listener)
	}
	if s := c.HookState; w.present(s != nil) {
		w.str(s.Version)
		w.str(s.ID)
		w.str(string(s.Status))
		w.int(int64(s.Pid))
		w.str(s.Bundle)
		w.strMap(s.Annotations)
	}
	for _, b := range []bool{c.ParentHooks, c.NoPivot, c.NoNewKeyring, c.InUserNS, c.NewCgroupNS, c.Rootless, c.InitRoot} {
		w.bool(b)
	}
	w.strMap(c.CgroupPaths)
	for _, n := range []int{c.PreserveFds, c.FifoFd, c.ConsoleFd, c.PidfdFd, c.NsSockFd} {
		w.int(int64(n))
	}
	writeList(w, c.BindSources, func(w *wireWriter, i *int) { w.int(int64(*i)) })
	return w.b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (c *InitConfig) UnmarshalBinary(b []byte) error {
	r := &wireReader{b: b}
	if v := r.uint(); r.err == nil && v != wireVersion {
		return fmt.Errorf("init config: format %d, this runc init reads %d", v, wireVersion)
	}
	*c = InitConfig{Mode: Mode(r.str()), ID: r.str()}
	if r.present() {
		var is InitSpec
		readInitSpec(r, &is)
		c.Spec = is.Spec()
	}
	if r.present() {
		c.Process = new(specs.Process)
		readProcess(r, c.Process)
	}
	if r.present() {
		c.Seccomp = &bpf.Filter{Program: []byte(r.str()), Flags: uint(r.uint()), Listener: r.bool()}
	}
	if r.present() {
		c.HookState = &specs.State{
			Version: r.str(), ID: r.str(), Status: specs.ContainerState(r.str()),
			Pid: int(r.int()), Bundle: r.str(), Annotations: r.strMap(),
		}
	}
	for _, b := range []*bool{&c.ParentHooks, &c.NoPivot, &c.NoNewKeyring, &c.InUserNS, &c.NewCgroupNS, &c.Rootless, &c.InitRoot} {
		*b = r.bool()
	}
	c.CgroupPaths = r.strMap()
	for _, n := range []*int{&c.PreserveFds, &c.FifoFd, &c.ConsoleFd, &c.PidfdFd, &c.NsSockFd} {
		*n = int(r.int())
	}
	c.BindSources = readList(r, func(r *wireReader, i *int) { *i = int(r.int()) })
	if r.err == nil && len(r.b) != 0 {
		r.err = errWire
	}
	if r.err != nil {
		return fmt.Errorf("init config: %w", r.err)
	}
	return nil
}

func writeInitSpec(w *wireWriter, s *InitSpec) {
	if w.present(s.Root != nil) {
		w.str(s.Root.Path)
		w.bool(s.Root.Readonly)
	}
	w.str(s.Hostname)
	w.str(s.Domainname)
	writeList(w, s.Mounts, writeMount)
	if h := s.Hooks; w.present(h != nil) {
		writeList(w, h.CreateContainer, writeHook)
		writeList(w, h.StartContainer, writeHook)
	}
	l := s.Linux
	if !w.present(l != nil) {
		return
	}
	writeList(w, l.UIDMappings, writeIDMapping)
	writeList(w, l.GIDMappings, writeIDMapping)
	w.strMap(l.Sysctl)
	writeList(w, l.Namespaces, func(w *wireWriter, n *specs.LinuxNamespace) {
		w.str(string(n.Type))
		w.str(n.Path)
	})
	writeList(w, l.Devices, writeDevice)
	w.str(l.RootfsPropagation)
	writeStrs(w, l.MaskedPaths)
	writeStrs(w, l.ReadonlyPaths)
	w.str(l.MountLabel)
	if p := l.Personality; w.present(p != nil) {
		w.str(string(p.Domain))
		writeStrs(w, p.Flags)
	}
	if p := l.MemoryPolicy; w.present(p != nil) {
		w.str(string(p.Mode))
		w.str(p.Nodes)
		writeStrs(w, p.Flags)
	}
	w.str(l.Cpus)
}

func readInitSpec(r *wireReader, s *InitSpec) {
	if r.present() {
		s.Root = &specs.Root{Path: r.str(), Readonly: r.bool()}
	}
	s.Hostname = r.str()
	s.Domainname = r.str()
	s.Mounts = readList(r, readMount)
	if r.present() {
		s.Hooks = &InitHooks{CreateContainer: readList(r, readHook), StartContainer: readList(r, readHook)}
	}
	if !r.present() {
		return
	}
	l := &InitLinux{}
	s.Linux = l
	l.UIDMappings = readList(r, readIDMapping)
	l.GIDMappings = readList(r, readIDMapping)
	l.Sysctl = r.strMap()
	l.Namespaces = readList(r, func(r *wireReader, n *specs.LinuxNamespace) {
		n.Type = specs.LinuxNamespaceType(r.str())
		n.Path = r.str()
	})
	l.Devices = readList(r, readDevice)
	l.RootfsPropagation = r.str()
	l.MaskedPaths = readStrs[string](r)
	l.ReadonlyPaths = readStrs[string](r)
	l.MountLabel = r.str()
	if r.present() {
		l.Personality = &specs.LinuxPersonality{Domain: specs.LinuxPersonalityDomain(r.str()), Flags: readStrs[specs.LinuxPersonalityFlag](r)}
	}
	if r.present() {
		l.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MemoryPolicyModeType(r.str()), Nodes: r.str(), Flags: readStrs[specs.MemoryPolicyFlagType](r)}
	}
	l.Cpus = r.str()
}

func writeProcess(w *wireWriter, p *specs.Process) {
	w.bool(p.Terminal)
	if b := p.ConsoleSize; w.present(b != nil) {
		w.uint(uint64(b.Height))
		w.uint(uint64(b.Width))
	}
	u := &p.User
	w.uint(uint64(u.UID))
	w.uint(uint64(u.GID))
	if w.present(u.Umask != nil) {
		w.uint(uint64(*u.Umask))
	}
	writeList(w, u.AdditionalGids, func(w *wireWriter, g *uint32) { w.uint(uint64(*g)) })
	w.str(u.Username)
	writeStrs(w, p.Args)
	w.str(p.CommandLine)
	writeStrs(w, p.Env)
	w.str(p.Cwd)
	if c := p.Capabilities; w.present(c != nil) {
		for _, set := range [][]string{c.Bounding, c.Effective, c.Inheritable, c.Permitted, c.Ambient} {
			writeStrs(w, set)
		}
	}
	writeList(w, p.Rlimits, func(w *wireWriter, l *specs.POSIXRlimit) {
		w.str(l.Type)
		w.uint(l.Hard)
		w.uint(l.Soft)
	})
	w.bool(p.NoNewPrivileges)
	w.str(p.ApparmorProfile)
	if w.present(p.OOMScoreAdj != nil) {
		w.int(int64(*p.OOMScoreAdj))
	}
	if s := p.Scheduler; w.present(s != nil) {
		w.str(string(s.Policy))
		w.int(int64(s.Nice))
		w.int(int64(s.Priority))
		writeStrs(w, s.Flags)
		w.uint(s.Runtime)
		w.uint(s.Deadline)
		w.uint(s.Period)
	}
	w.str(p.SelinuxLabel)
	if io := p.IOPriority; w.present(io != nil) {
		w.str(string(io.Class))
		w.int(int64(io.Priority))
	}
	if a := p.ExecCPUAffinity; w.present(a != nil) {
		w.str(a.Initial)
		w.str(a.Final)
	}
}

func readProcess(r *wireReader, p *specs.Process) {
	p.Terminal = r.bool()
	if r.present() {
		p.ConsoleSize = &specs.Box{Height: uint(r.uint()), Width: uint(r.uint())}
	}
	u := &p.User
	u.UID = uint32(r.uint())
	u.GID = uint32(r.uint())
	if r.present() {
		u.Umask = ptr(uint32(r.uint()))
	}
	u.AdditionalGids = readList(r, func(r *wireReader, g *uint32) { *g = uint32(r.uint()) })
	u.Username = r.str()
	p.Args = readStrs[string](r)
	p.CommandLine = r.str()
	p.Env = readStrs[string](r)
	p.Cwd = r.str()
	if r.present() {
		c := &specs.LinuxCapabilities{}
		for _, set := range []*[]string{&c.Bounding, &c.Effective, &c.Inheritable, &c.Permitted, &c.Ambient} {
			*set = readStrs[string](r)
		}
		p.Capabilities = c
	}
	p.Rlimits = readList(r, func(r *wireReader, l *specs.POSIXRlimit) {
		l.Type = r.str()
		l.Hard = r.uint()
		l.Soft = r.uint()
	})
	p.NoNewPrivileges = r.bool()
	p.ApparmorProfile = r.str()
	if r.present() {
		p.OOMScoreAdj = ptr(int(r.int()))
	}
	if r.present() {
		p.Scheduler = &specs.Scheduler{
			Policy: specs.LinuxSchedulerPolicy(r.str()), Nice: int32(r.int()), Priority: int32(r.int()),
			Flags: readStrs[specs.LinuxSchedulerFlag](r), Runtime: r.uint(), Deadline: r.uint(), Period: r.uint(),
		}
	}
	p.SelinuxLabel = r.str()
	if r.present() {
		p.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPriorityClass(r.str()), Priority: int(r.int())}
	}
	if r.present() {
		p.ExecCPUAffinity = &specs.CPUAffinity{Initial: r.str(), Final: r.str()}
	}
}

func writeMount(w *wireWriter, m *specs.Mount) {
	w.str(m.Destination)
	w.str(m.Type)
	w.str(m.Source)
	writeStrs(w, m.Options)
	writeList(w, m.UIDMappings, writeIDMapping)
	writeList(w, m.GIDMappings, writeIDMapping)
}

func readMount(r *wireReader, m *specs.Mount) {
	m.Destination = r.str()
	m.Type = r.str()
	m.Source = r.str()
	m.Options = readStrs[string](r)
	m.UIDMappings = readList(r, readIDMapping)
	m.GIDMappings = readList(r, readIDMapping)
}

func writeHook(w *wireWriter, h *specs.Hook) {
	w.str(h.Path)
	writeStrs(w, h.Args)
	writeStrs(w, h.Env)
	if w.present(h.Timeout != nil) {
		w.int(int64(*h.Timeout))
	}
}

func readHook(r *wireReader, h *specs.Hook) {
	h.Path = r.str()
	h.Args = readStrs[string](r)
	h.Env = readStrs[string](r)
	if r.present() {
		h.Timeout = ptr(int(r.int()))
	}
}

func writeIDMapping(w *wireWriter, m *specs.LinuxIDMapping) {
	w.uint(uint64(m.ContainerID))
	w.uint(uint64(m.HostID))
	w.uint(uint64(m.Size))
}

func readIDMapping(r *wireReader, m *specs.LinuxIDMapping) {
	m.ContainerID = uint32(r.uint())
	m.HostID = uint32(r.uint())
	m.Size = uint32(r.uint())
}

func writeDevice(w *wireWriter, d *specs.LinuxDevice) {
	w.str(d.Path)
	w.str(d.Type)
	w.int(d.Major)
	w.int(d.Minor)
	if w.present(d.FileMode != nil) {
		w.uint(uint64(*d.FileMode))
	}
	for _, id := range []*uint32{d.UID, d.GID} {
		if w.present(id != nil) {
			w.uint(uint64(*id))
		}
	}
}

func readDevice(r *wireReader, d *specs.LinuxDevice) {
	d.Path = r.str()
	d.Type = r.str()
	d.Major = r.int()
	d.Minor = r.int()
	if r.present() {
		d.FileMode = ptr(os.FileMode(r.uint()))
	}
	for _, id := range []**uint32{&d.UID, &d.GID} {
		if r.present() {
			*id = ptr(uint32(r.uint()))
		}
	}
}

func ptr[T any](v T) *T { return &v }
