package libcontainer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/specjson"
)

// Status is a container's state as the OCI runtime spec names it.
type Status int

const (
	Created Status = iota
	Running
	Paused
	Stopped
	Creating
)

func (s Status) String() string {
	switch s {
	case Created:
		return "created"
	case Running:
		return "running"
	case Paused:
		return "paused"
	case Stopped:
		return "stopped"
	case Creating:
		return "creating"
	}
	return "unknown"
}

// stateVersion is the version of the state.json layout; a runtime that finds
// a newer one refuses to touch the container.
const stateVersion = 1

const (
	stateFile = "state.json"
	fifoName  = "exec.fifo"
)

// State is what the runtime keeps in <root>/<id>/state.json. The OCI config
// is kept as given (validated, with root.path made absolute).
type State struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	// InitPid is the host pid of the container's init; 0 once it is known
	// to be gone. InitStartTime (field 22 of /proc/<pid>/stat) tells a
	// reused pid from ours.
	InitPid       int         `json:"init_pid"`
	InitStartTime uint64      `json:"init_start_time"`
	Bundle        string      `json:"bundle"`
	Rootfs        string      `json:"rootfs"`
	Created       time.Time   `json:"created"`
	Config        *specs.Spec `json:"-"` // "config" (stateJSON)
	// CgroupPaths are the container's cgroup directories (v1: per
	// controller; v2: key "").
	CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
	// NamespacePaths are the init's namespaces, joined by exec.
	NamespacePaths map[specs.LinuxNamespaceType]string `json:"namespace_paths,omitempty"`
	Systemd        bool                                `json:"systemd,omitempty"`
	Rootless       bool                                `json:"rootless,omitempty"`
	// UseFifo is set when init waits on exec.fifo for `runc start`.
	UseFifo bool `json:"use_fifo,omitempty"`
	// Creating is set until the create that writes it has finished: a
	// runtime killed meanwhile leaves a half-made container (see
	// statedir_linux.go).
	Creating bool `json:"creating,omitempty"`
	// NoNewKeyring: the container shares the caller's session keyring
	// (--no-new-keyring), so exec'd processes do not join "_ses.<id>".
	NoNewKeyring bool `json:"no_new_keyring,omitempty"`
	// ExternalDescriptors are the targets of the init's fds 0-2, for CRIU.
	ExternalDescriptors []string `json:"external_descriptors,omitempty"`
	IntelRdtPath        string   `json:"intel_rdt_path,omitempty"`
	// NetDevices moved into the container: host name -> name inside.
	NetDevices map[string]string `json:"net_devices,omitempty"`
	// HostRootMount is the unique mount ID of the bind of the rootfs a
	// container without a mount namespace has in the host's mount
	// namespace, which delete unmounts (see rootfs/hostns.go).
	HostRootMount uint64 `json:"host_root_mount,omitempty"`
}

// saveState writes state.json atomically: a reader sees the old or the new
// file, never a torn one. No fsync: the state root is a tmpfs (/run) and a
// reboot ends every container anyway.
func saveState(dir string, s *State) error {
	s.Version = stateVersion
	b, err := s.MarshalJSON()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".state-*")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, stateFile))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// stateJSON is State as state.json holds it: Config as a specjson.Spec
// (the same JSON, read and written without the Go types of other
// platforms' sections).
type stateJSON struct {
	stateFields
	Config *specjson.Spec `json:"config"`
}

// stateFields is State without its methods.
type stateFields State

// MarshalJSON writes s as state.json holds it.
func (s State) MarshalJSON() ([]byte, error) {
	return specjson.Marshal(stateJSON{stateFields(s), specjson.From(s.Config)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *State) UnmarshalJSON(b []byte) error {
	var w stateJSON
	if err := specjson.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = State(w.stateFields)
	s.Config = w.Config.Spec()
	return nil
}

func loadState(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var s State
	if err := s.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("state file %s is damaged: %w", filepath.Join(dir, stateFile), err)
	}
	if s.Version > stateVersion {
		return nil, fmt.Errorf("state file %s has version %d; this runc knows up to %d", filepath.Join(dir, stateFile), s.Version, stateVersion)
	}
	return &s, nil
}

// OCIState is the state JSON that `runc state` prints and hooks receive, in
// runc's field order.
type OCIState struct {
	Version     string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

// HookState is the state passed to hooks on stdin (runtime-spec's State).
func (s *State) hookState(status Status, pid int) *specs.State {
	st := &specs.State{
		Version: specs.Version,
		ID:      s.ID,
		Status:  specs.ContainerState(status.String()),
		Pid:     pid,
		Bundle:  s.Bundle,
	}
	if s.Config != nil {
		st.Annotations = s.Config.Annotations
	}
	return st
}

// processStartTime returns field 22 of /proc/<pid>/stat and whether the
// process is a zombie (or dead).
func processStartTime(pid int) (start uint64, zombie bool, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false, err
	}
	// comm (field 2) may hold spaces and parentheses: start after the last ')'.
	i := len(b) - 1
	for i >= 0 && b[i] != ')' {
		i--
	}
	if i < 0 {
		return 0, false, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0, false, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	// fields[0] is field 3 (state); field 22 (starttime) is fields[19].
	start, err = strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return start, fields[0] == "Z" || fields[0] == "X", nil
}

// initAlive reports whether the state's init is still the process it was.
func (s *State) initAlive() bool {
	if s.InitPid <= 0 {
		return false
	}
	start, zombie, err := processStartTime(s.InitPid)
	if err != nil || zombie || start != s.InitStartTime {
		return false
	}
	return true
}
