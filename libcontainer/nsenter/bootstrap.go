package nsenter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The bootstrap message the runtime sends to the C stage (see nsenter.h and
// nsexec.c). Layout, host byte order:
//
//	u32 magic, u32 length of the rest
//	then attributes: u32 type, u32 length, value
//
// The C stage rejects anything malformed or longer than MaxBootstrap.
const (
	bootstrapMagic = 0x434e5552
	// MaxBootstrap bounds the bootstrap message (docs/security.md rule 10).
	MaxBootstrap = 64 * 1024

	attrCloneFlags    = 1
	attrNsPath        = 2
	attrTimensOffsets = 3
	attrRootless      = 4
	attrCgroupTasks   = 5

	maxNsPaths     = 8
	maxCgroupTasks = 32
)

// AllNamespaces is every clone flag the C stage accepts.
const AllNamespaces = unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID |
	unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS |
	unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME

// NsPath is an existing namespace to join.
type NsPath struct {
	Type uint32 // a CLONE_NEW* flag
	Path string
}

// Bootstrap is what the C stage needs before the Go runtime may start.
type Bootstrap struct {
	CloneFlags uint32   // namespaces to create
	Join       []NsPath // namespaces to join
	// TimeOffsets, for a new time namespace, are what the runtime writes
	// to the init's timens_offsets when the C stage asks (only that they
	// exist goes to the C stage).
	TimeOffsets string
	Rootless    bool // the runtime is unprivileged (affects the user namespace dance)
	// CgroupTasks is how many cgroup v1 "tasks" files (opened by the
	// runtime) go with the message (SCM_RIGHTS). Stage 0 writes "0" into
	// each first of all: it moves itself, and the container's process it
	// forks is born there. A thread moving itself skips the kernel's
	// global threadgroup lock, whose write side waits for an RCU grace
	// period. They go with the message, not at the start of runc init, so
	// that it may start while the cgroup is made.
	CgroupTasks int
}

// Encode validates b and returns the wire form.
func (b *Bootstrap) Encode() ([]byte, error) {
	if b.CloneFlags&^AllNamespaces != 0 {
		return nil, fmt.Errorf("bootstrap: bad clone flags %#x", b.CloneFlags)
	}
	if len(b.Join) > maxNsPaths {
		return nil, errors.New("bootstrap: too many namespaces to join")
	}
	var body []byte
	attr := func(t uint32, v []byte) {
		body = binary.NativeEndian.AppendUint32(body, t)
		body = binary.NativeEndian.AppendUint32(body, uint32(len(v)))
		body = append(body, v...)
	}
	attr(attrCloneFlags, binary.NativeEndian.AppendUint32(nil, b.CloneFlags))
	for _, j := range b.Join {
		if j.Type&AllNamespaces == 0 || j.Type&(j.Type-1) != 0 {
			return nil, fmt.Errorf("bootstrap: bad namespace type %#x", j.Type)
		}
		if j.Type&b.CloneFlags != 0 {
			return nil, fmt.Errorf("bootstrap: namespace %#x both joined and created", j.Type)
		}
		if !filepath.IsAbs(j.Path) || strings.IndexByte(j.Path, 0) >= 0 {
			return nil, fmt.Errorf("bootstrap: bad namespace path %q", j.Path)
		}
		v := binary.NativeEndian.AppendUint32(nil, j.Type)
		v = append(v, j.Path...)
		attr(attrNsPath, append(v, 0))
	}
	if b.TimeOffsets != "" {
		if strings.IndexByte(b.TimeOffsets, 0) >= 0 {
			return nil, errors.New("bootstrap: bad time offsets")
		}
		attr(attrTimensOffsets, []byte{1})
	}
	if b.Rootless {
		attr(attrRootless, []byte{1})
	}
	if b.CgroupTasks < 0 || b.CgroupTasks > maxCgroupTasks {
		return nil, fmt.Errorf("bootstrap: bad number of cgroup tasks files %d", b.CgroupTasks)
	}
	if b.CgroupTasks > 0 {
		attr(attrCgroupTasks, binary.NativeEndian.AppendUint32(nil, uint32(b.CgroupTasks)))
	}
	if len(body) > MaxBootstrap {
		return nil, fmt.Errorf("bootstrap: message too long (%d bytes)", len(body))
	}
	msg := binary.NativeEndian.AppendUint32(nil, bootstrapMagic)
	msg = binary.NativeEndian.AppendUint32(msg, uint32(len(body)))
	return append(msg, body...), nil
}
