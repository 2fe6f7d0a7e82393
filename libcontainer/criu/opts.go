package criu

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
)

// Opts are the options of `runc checkpoint` and `runc restore`.
type Opts struct {
	// ImagesDirectory holds the images: checkpoint writes them there,
	// restore reads them.
	ImagesDirectory string
	// WorkDirectory gets CRIU's logs and work files (default: the
	// images directory).
	WorkDirectory string
	// ParentImage is the previous (pre-)dump's images directory,
	// relative to ImagesDirectory: only the memory that changed since is
	// dumped.
	ParentImage string

	LeaveRunning    bool // keep the container running after the dump
	PreDump         bool // dump the memory only, keep running
	TCPEstablished  bool
	TCPSkipInFlight bool
	LinkRemap       bool
	ExtUnixSk       bool
	ShellJob        bool
	FileLocks       bool
	AutoDedup       bool
	LazyPages       bool
	// StatusFd, if not -1, is written a '\0' once the lazy-pages server
	// is ready.
	StatusFd int
	// PageServer sends the memory to a criu page-server.
	PageServer *PageServer
	// ManageCgroupsMode is "soft", "full", "strict", "ignore" or ""
	// (CRIU's default, soft).
	ManageCgroupsMode string
	// EmptyNs is a CLONE_NEW* mask of the namespaces CRIU creates empty
	// on restore rather than restoring their contents (the network
	// namespace always: runc does not manage network devices).
	EmptyNs uint32
	// LsmProfile ("TYPE:NAME") and LsmMountContext replace the
	// checkpointed LSM settings on restore.
	LsmProfile      string
	LsmMountContext string
}

// PageServer is the address of a criu page-server.
type PageServer struct {
	Address string
	Port    int32
}

// ParsePageServer parses --page-server ADDRESS:PORT (runc's wording).
func ParsePageServer(s string) (*PageServer, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || port == "" {
		return nil, errors.New("Use --page-server ADDRESS:PORT to specify page server") //nolint:staticcheck // runc's wording
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return nil, errors.New("Invalid port number") //nolint:staticcheck // runc's wording
	}
	return &PageServer{Address: host, Port: int32(p)}, nil
}

// ParseCgMode checks --manage-cgroups-mode.
func ParseCgMode(s string) (rpc.CriuCgMode, error) {
	switch s {
	case "":
		return rpc.CgDefault, nil
	case "soft":
		return rpc.CgSoft, nil
	case "full":
		return rpc.CgFull, nil
	case "strict":
		return rpc.CgStrict, nil
	case "ignore":
		return rpc.CgIgnore, nil
	}
	return 0, errors.New("Invalid manage cgroups mode") //nolint:staticcheck // runc's wording
}

// EmptyNsMask turns --empty-ns values into a CLONE_NEW* mask. The network
// namespace is always in it; it is also the only one accepted, as in runc.
func EmptyNsMask(names []string) (uint32, error) {
	mask := uint32(unix.CLONE_NEWNET)
	for _, n := range names {
		if specs.LinuxNamespaceType(n) != specs.NetworkNamespace {
			return 0, fmt.Errorf("namespace %q is not supported", n)
		}
	}
	return mask, nil
}

// DefaultConfigFile is the CRIU configuration file for runc containers
// without an org.criu.config annotation.
const DefaultConfigFile = "/etc/criu/runc.conf"

// ConfigAnnotation names a container's own CRIU configuration file; set
// and empty, no configuration file is used at all.
const ConfigAnnotation = "org.criu.config"

// ConfigFile returns the CRIU configuration file for a container with
// these annotations ("" for none). CRIU reads it after the RPC options, so
// its settings win; a file that does not exist is ignored by CRIU.
func ConfigFile(annotations map[string]string) string {
	if f, ok := annotations[ConfigAnnotation]; ok {
		return f
	}
	return DefaultConfigFile
}

// baseOpts are the options dump and restore share.
func baseOpts(o *Opts, spec *specs.Spec, logFile string, imagesFd, workFd int) (*rpc.CriuOpts, error) {
	mode, err := ParseCgMode(o.ManageCgroupsMode)
	if err != nil {
		return nil, err
	}
	r := &rpc.CriuOpts{
		ImagesDirFd:       int32(imagesFd),
		LogLevel:          new(int32(4)),
		LogFile:           new(logFile),
		ManageCgroups:     new(true), // what CRIU before 1.7 reads
		ManageCgroupsMode: new(mode),
		NotifyScripts:     new(true),
		ShellJob:          new(o.ShellJob),
		TcpEstablished:    new(o.TCPEstablished),
		ExtUnixSk:         new(o.ExtUnixSk),
		FileLocks:         new(o.FileLocks),
		EmptyNs:           new(o.EmptyNs),
		OrphanPtsMaster:   new(true),
		AutoDedup:         new(o.AutoDedup),
		LazyPages:         new(o.LazyPages),
	}
	if workFd >= 0 {
		r.WorkDirFd = new(int32(workFd))
	}
	var annotations map[string]string
	if spec != nil {
		annotations = spec.Annotations
	}
	if f := ConfigFile(annotations); f != "" {
		r.ConfigFile = new(f)
	}
	return r, nil
}
