// Package protocol is what the runtime and `runc init` say to each other
// while a container is created or a process is exec'd into it: the frames
// on the init socket (this file), the init's config (config.go), the
// errors that cross the socket (errors.go), and the runtime's side of the
// sequence below, Drive (drive.go), which calls a Handler for each step
// that asks something of the runtime. Both processes import it
// (libcontainer and libcontainer/initproc); it imports neither.
//
// The runtime starts `runc init` with one end of a socketpair at the fd named
// by _RUNC_INITPIPE (EnvInitPipe). Every message in both directions is a
// frame:
//
//	u32 type, u32 length, payload        (host byte order)
//
// The sequence for a new container (an exec skips the hooks step and the
// rootfs work in between):
//
//	parent -> stage 0   bootstrap message (nsenter.Bootstrap)
//	stage 0 -> parent   SyncUsermapPls         only with a new user namespace;
//	parent -> stage 0   SyncUsermapAck         after writing uid_map/gid_map
//	stage 0 -> parent   SyncTimeOffsetsPls     only with linux.timeOffsets, once
//	parent -> stage 0   SyncTimeOffsetsAck     the time namespace exists; after
//	                    writing /proc/<pid>/timens_offsets
//	stage 0 -> parent   SyncChildPid {int32}   stage 0 then exits
//	parent -> init      SyncConfig InitConfig     (MarshalBinary, initwire.go)
//	parent -> init      SyncMountFd + fd       only for an exec with InitConfig.InitRoot:
//	                    the root directory of the container's init
//	parent -> init      SyncCgroupDone {json paths}   once the init is in its
//	                    cgroup; meanwhile the init gets on with its work and
//	                    waits for this only before a cgroup mount, hooks,
//	                    unsharing its cgroup namespace, or SyncReady (moving
//	                    a process into a v1 cgroup costs an RCU grace
//	                    period: overlap it)
//	init -> parent      SyncMountRequest {u32 i}   for each index of
//	parent -> init      SyncMountFd + fd           InitConfig.BindSources, when
//	                    the init reaches mounts[i] (before or after
//	                    SyncCgroupDone): the bind source the parent opened in
//	                    the init's mount namespace (libcontainer/bindsources_linux.go)
//	init -> parent      SyncHooks {u8 wait}    mounts and device nodes done,
//	                    before pivot_root: the parent sets the cgroup
//	                    limits, runs prestart/createRuntime hooks and, if
//	                    the init waits (it does with such hooks, or a
//	                    console to set up), answers
//	parent -> init      SyncHooksDone
//	init -> parent      SyncSeccompFd + fd     only with a seccomp notify listener,
//	parent -> init      SyncSeccompDone        after the fd went to the listener
//	init -> parent      SyncReady              namespaces, rootfs, console done
//	parent -> init      SyncRun                after the state is saved; not
//	                    for an exec, whose init goes on to its execve (as
//	                    runc's does: nothing is left for the parent to do
//	                    first, the cgroup being done)
//	init closes its end (close-on-exec, or before it waits on the exec fifo):
//	the parent reads EOF and the creation is complete.
//
// Either side may send SyncError {text} instead of the next message; the
// parent may send SyncAbort to make the child exit quietly.
// The numbers below 10 are shared with nsenter.h.
//
// On the runtime's side, Drive answers each frame of the init with the
// Handler method for its step:
//
//	SyncUsermapPls      IDMaps
//	SyncTimeOffsetsPls  TimeOffsets
//	SyncChildPid        Watcher.Handover (stage 0 exits), InitPid; then
//	                    SyncConfig goes, and JoinCgroup's paths with
//	                    SyncCgroupDone
//	SyncMountRequest    BindSource
//	SyncHooks           Hooks
//	SyncSeccompFd       SeccompFd
//	SyncReady           Ready
//
// The init's side is package initproc (libcontainer/initproc), the C
// stage's libcontainer/nsenter/nsexec.c.
package protocol

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/fdpass"
)

// Type is the type of a frame.
type Type uint32

const (
	SyncError      Type = 1
	SyncUsermapPls Type = 2
	SyncUsermapAck Type = 3
	SyncChildPid   Type = 4
	SyncAbort      Type = 5

	SyncTimeOffsetsPls Type = 6
	SyncTimeOffsetsAck Type = 7

	SyncConfig       Type = 10
	SyncHooks        Type = 11
	SyncHooksDone    Type = 12
	SyncReady        Type = 13
	SyncRun          Type = 14
	SyncSeccompFd    Type = 15
	SyncSeccompDone  Type = 16
	SyncCgroupDone   Type = 17
	SyncMountFd      Type = 20
	SyncMountRequest Type = 21
)

// MaxPayload bounds a frame (the config of a container with a large
// environment fits easily).
const MaxPayload = 64 << 20

// HooksPayload is the payload of SyncHooks: whether the init waits for
// SyncHooksDone.
func HooksPayload(wait bool) []byte {
	if wait {
		return []byte{1}
	}
	return []byte{0}
}

// hooksWait decodes HooksPayload.
func hooksWait(payload []byte) (bool, error) {
	if len(payload) != 1 || payload[0] > 1 {
		return false, fmt.Errorf("bad hooks message %q", payload)
	}
	return payload[0] == 1, nil
}

// String is t's name. A switch, not a map: a package-level map is built
// by the package's initialiser, at the start of every runc and runc init.
func (t Type) String() string {
	switch t {
	case SyncError:
		return "error"
	case SyncUsermapPls:
		return "usermap request"
	case SyncUsermapAck:
		return "usermap ack"
	case SyncChildPid:
		return "child pid"
	case SyncAbort:
		return "abort"
	case SyncTimeOffsetsPls:
		return "time offsets request"
	case SyncTimeOffsetsAck:
		return "time offsets ack"
	case SyncConfig:
		return "config"
	case SyncHooks:
		return "hooks"
	case SyncHooksDone:
		return "hooks done"
	case SyncReady:
		return "ready"
	case SyncRun:
		return "run"
	case SyncSeccompFd:
		return "seccomp fd"
	case SyncSeccompDone:
		return "seccomp done"
	case SyncCgroupDone:
		return "cgroup done"
	case SyncMountFd:
		return "bind source fd"
	case SyncMountRequest:
		return "bind source request"
	}
	return fmt.Sprintf("sync type %d", uint32(t))
}

// Sock is one end of the init socket.
type Sock struct{ f *os.File }

// NewSock makes f, one end of the init socket, a Sock.
func NewSock(f *os.File) Sock { return Sock{f} }

// File returns the socket's file.
func (s Sock) File() *os.File { return s.f }

// Write sends a frame of type t.
func (s Sock) Write(t Type, payload []byte) error {
	frame := make([]byte, 8, 8+len(payload))
	binary.NativeEndian.PutUint32(frame, uint32(t))
	binary.NativeEndian.PutUint32(frame[4:], uint32(len(payload)))
	if _, err := s.f.Write(append(frame, payload...)); err != nil {
		return fmt.Errorf("send %s: %w", t, err)
	}
	return nil
}

// WriteJSON sends a frame of type t whose payload is v in JSON.
func (s Sock) WriteJSON(t Type, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Write(t, b)
}

// WriteFd sends a payload-less frame of type t carrying fd (SCM_RIGHTS).
func (s Sock) WriteFd(t Type, fd int) error {
	var hdr [8]byte
	binary.NativeEndian.PutUint32(hdr[:], uint32(t))
	if err := s.Send(hdr[:], fd); err != nil {
		return fmt.Errorf("send %s: %w", t, err)
	}
	return nil
}

// Send writes b with fds (SCM_RIGHTS, on its first byte), through the
// poller: it waits for room in a non-blocking socket, as long as the
// file's deadline lets it.
func (s Sock) Send(b []byte, fds ...int) error {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	var n int
	werr := rc.Write(func(sfd uintptr) bool {
		n, err = unix.SendmsgN(int(sfd), b, oob, nil, unix.MSG_NOSIGNAL)
		return !errors.Is(err, unix.EAGAIN)
	})
	if werr == nil {
		werr = err
	}
	if werr != nil || n == len(b) {
		return werr
	}
	// The rest, should the socket have taken part of it.
	_, err = s.f.Write(b[n:])
	return err
}

// Read reads one frame, and the fd sent with it if any. A peer that closed
// its end gives io.EOF.
//
// The socket is used through its SyscallConn (never Fd, which would make
// it blocking): the runtime's end is non-blocking, so that deadlines end
// its waits (libcontainer/initwatch_linux.go); the init's is blocking.
func (s Sock) Read() (Type, []byte, *os.File, error) {
	var (
		hdr  [8]byte
		got  int
		file *os.File
		oob  = make([]byte, unix.CmsgSpace(4))
	)
	rc, err := s.f.SyscallConn()
	if err != nil {
		return 0, nil, nil, err
	}
	for got < len(hdr) {
		var n, oobn int
		rerr := rc.Read(func(fd uintptr) bool {
			n, oobn, _, _, err = unix.Recvmsg(int(fd), hdr[got:], oob, unix.MSG_CMSG_CLOEXEC)
			return !errors.Is(err, unix.EAGAIN)
		})
		if rerr == nil {
			rerr = err
		}
		if errors.Is(rerr, unix.EINTR) {
			continue
		}
		if rerr != nil {
			if file != nil {
				file.Close()
			}
			return 0, nil, nil, rerr
		}
		if oobn > 0 && file == nil {
			if fd := fdpass.FirstRight(oob[:oobn]); fd >= 0 {
				file = os.NewFile(uintptr(fd), "received fd")
			}
		}
		if n == 0 {
			if file != nil {
				file.Close()
			}
			return 0, nil, nil, io.EOF
		}
		got += n
	}
	t := Type(binary.NativeEndian.Uint32(hdr[:]))
	n := binary.NativeEndian.Uint32(hdr[4:])
	if n > MaxPayload {
		return 0, nil, nil, fmt.Errorf("sync frame %s too long (%d bytes)", t, n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(s.f, payload); err != nil {
		return 0, nil, nil, fmt.Errorf("read %s: %w", t, err)
	}
	return t, payload, file, nil
}
