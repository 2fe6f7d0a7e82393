package libcontainer

// The parent <-> child protocol of container creation and exec.
//
// The runtime starts `runc init` with one end of a socketpair at the fd named
// by _RUNC_INITPIPE. Every message in both directions is a frame:
//
//	u32 type, u32 length, payload        (host byte order)
//
// The sequence for a new container (an exec skips the hooks step and the
// rootfs work in between):
//
//	parent -> stage 0   bootstrap message (nsenter.Bootstrap)
//	stage 0 -> parent   syncUsermapPls         only with a new user namespace;
//	parent -> stage 0   syncUsermapAck         after writing uid_map/gid_map
//	stage 0 -> parent   syncTimeOffsetsPls     only with linux.timeOffsets, once
//	parent -> stage 0   syncTimeOffsetsAck     the time namespace exists; after
//	                    writing /proc/<pid>/timens_offsets
//	stage 0 -> parent   syncChildPid {int32}   stage 0 then exits
//	parent -> init      syncConfig {json initConfig}
//	parent -> init      syncMountFd + fd       only for an exec with initConfig.InitRoot:
//	                    the root directory of the container's init
//	parent -> init      syncCgroupDone {json paths}   once the init is in its
//	                    cgroup; meanwhile the init gets on with its work and
//	                    waits for this only before a cgroup mount, hooks, or
//	                    unsharing its cgroup namespace (moving a process into
//	                    a v1 cgroup costs an RCU grace period: overlap it)
//	init -> parent      syncMountRequest {u32 i}   for each index of
//	parent -> init      syncMountFd + fd           initConfig.BindSources, when
//	                    the init reaches mounts[i] (before or after
//	                    syncCgroupDone): the bind source the parent opened in
//	                    the init's mount namespace (bindsources_linux.go)
//	init -> parent      syncHooks              mounts done, before pivot_root,
//	parent -> init      syncHooksDone          only if prestart/createRuntime hooks exist
//	init -> parent      syncSeccompFd + fd     only with a seccomp notify listener,
//	parent -> init      syncSeccompDone        after the fd went to the listener
//	init -> parent      syncReady              namespaces, rootfs, console done
//	parent -> init      syncRun                after cgroup limits are set
//	init closes its end (close-on-exec, or before it waits on the exec fifo):
//	the parent reads EOF and the creation is complete.
//
// Either side may send syncError {text} instead of the next message; the
// parent may send syncAbort to make the child exit quietly.
// The numbers below 10 are shared with nsenter.h.

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

type syncType uint32

const (
	syncError      syncType = 1
	syncUsermapPls syncType = 2
	syncUsermapAck syncType = 3
	syncChildPid   syncType = 4
	syncAbort      syncType = 5

	syncTimeOffsetsPls syncType = 6
	syncTimeOffsetsAck syncType = 7

	syncConfig       syncType = 10
	syncHooks        syncType = 11
	syncHooksDone    syncType = 12
	syncReady        syncType = 13
	syncRun          syncType = 14
	syncSeccompFd    syncType = 15
	syncSeccompDone  syncType = 16
	syncCgroupDone   syncType = 17
	syncMountFd      syncType = 20
	syncMountRequest syncType = 21
)

// maxSyncPayload bounds a frame (the config of a container with a large
// environment fits easily).
const maxSyncPayload = 64 << 20

var syncNames = map[syncType]string{
	syncError: "error", syncUsermapPls: "usermap request", syncUsermapAck: "usermap ack",
	syncChildPid: "child pid", syncAbort: "abort", syncConfig: "config", syncHooks: "hooks",
	syncHooksDone: "hooks done", syncReady: "ready", syncRun: "run",
	syncSeccompFd: "seccomp fd", syncSeccompDone: "seccomp done", syncCgroupDone: "cgroup done",
	syncMountFd: "bind source fd", syncMountRequest: "bind source request",
	syncTimeOffsetsPls: "time offsets request", syncTimeOffsetsAck: "time offsets ack",
}

func (t syncType) String() string {
	if n, ok := syncNames[t]; ok {
		return n
	}
	return fmt.Sprintf("sync type %d", uint32(t))
}

// syncSock is one end of the init socket.
type syncSock struct{ f *os.File }

func (s syncSock) write(t syncType, payload []byte) error {
	frame := make([]byte, 8, 8+len(payload))
	binary.NativeEndian.PutUint32(frame, uint32(t))
	binary.NativeEndian.PutUint32(frame[4:], uint32(len(payload)))
	if _, err := s.f.Write(append(frame, payload...)); err != nil {
		return fmt.Errorf("send %s: %w", t, err)
	}
	return nil
}

func (s syncSock) writeJSON(t syncType, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.write(t, b)
}

// writeFd sends a payload-less frame of type t carrying fd (SCM_RIGHTS).
func (s syncSock) writeFd(t syncType, fd int) error {
	var hdr [8]byte
	binary.NativeEndian.PutUint32(hdr[:], uint32(t))
	rc, err := s.f.SyscallConn()
	if err != nil {
		return fmt.Errorf("send %s: %w", t, err)
	}
	var n int
	werr := rc.Write(func(sfd uintptr) bool {
		n, err = unix.SendmsgN(int(sfd), hdr[:], unix.UnixRights(fd), nil, unix.MSG_NOSIGNAL)
		return err != unix.EAGAIN // wait for room (a non-blocking socket)
	})
	if werr == nil {
		werr = err
	}
	if werr == nil && n != len(hdr) {
		werr = fmt.Errorf("short write (%d bytes)", n)
	}
	if werr != nil {
		return fmt.Errorf("send %s: %w", t, werr)
	}
	return nil
}

// read reads one frame, and the fd sent with it if any. A peer that closed
// its end gives io.EOF.
//
// The socket is used through its SyscallConn (never Fd, which would make
// it blocking): the runtime's end is non-blocking, so that deadlines end
// its waits (initwatch_linux.go); the init's is blocking.
func (s syncSock) read() (syncType, []byte, *os.File, error) {
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
			return err != unix.EAGAIN
		})
		if rerr == nil {
			rerr = err
		}
		if rerr == unix.EINTR {
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
	t := syncType(binary.NativeEndian.Uint32(hdr[:]))
	n := binary.NativeEndian.Uint32(hdr[4:])
	if n > maxSyncPayload {
		return 0, nil, nil, fmt.Errorf("sync frame %s too long (%d bytes)", t, n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(s.f, payload); err != nil {
		return 0, nil, nil, fmt.Errorf("read %s: %w", t, err)
	}
	return t, payload, file, nil
}

var errAborted = errors.New("aborted by the runtime")
