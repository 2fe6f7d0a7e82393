package libcontainer

// Rootless exec into a created container.
//
// Until `runc start`, the init is runc itself, non-dumpable (security rule
// 7): its /proc/<pid>/ns files are out of reach of a runtime without
// CAP_SYS_PTRACE on the host, as a rootless one is. (runc 1.5 leaves that
// init dumpable, so that any process of the container's uid, those exec'd
// into it included, could ptrace it and use its host file descriptors.)
// Instead, the init of a rootless `runc create` hands its namespaces out
// while it waits for start: on a socket in the state directory (nsSockName,
// mode 0600, which the runtime makes and passes it), where only the
// runtime's user reaches. `runc exec` asks there when /proc refuses it.
// Once the process is exec'd, the socket is gone with the init's fds and
// the process's /proc files are readable again.
//
// On a connection the init sends one frame: a u32 CLONE_NEW* flag per
// namespace, the namespaces' fds in the same order (SCM_RIGHTS). It then
// closes the connection.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/criu"
)

const nsSockName = "ns.sock"

// maxNsFiles bounds what an exec accepts from the socket (one of each
// namespace type).
const maxNsFiles = 8

// nsSockAddr runs fn with the socket's address in the state directory
// dir: a path through an fd of dir, which fits in sun_path however long
// dir is.
func nsSockAddr(dir string, fn func(addr string) error) error {
	d, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(d)
	return fn(fmt.Sprintf("/proc/self/fd/%d/%s", d, nsSockName))
}

// listenNsSock makes the listening socket in the state directory dir.
func listenNsSock(dir string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("namespace socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir, nsSockName))
	// The mode of a socket's inode before bind is that of the file bind
	// makes: never connectable by others, not even for a moment.
	if err := unix.Fchmod(fd, 0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("namespace socket: %w", err)
	}
	if err := nsSockAddr(dir, func(addr string) error {
		return unix.Bind(fd, &unix.SockaddrUnix{Name: addr})
	}); err != nil {
		f.Close()
		return nil, fmt.Errorf("namespace socket: bind %s: %w", f.Name(), err)
	}
	if err := unix.Listen(fd, 4); err != nil {
		f.Close()
		return nil, fmt.Errorf("namespace socket: %w", err)
	}
	return f, nil
}

// openOwnNamespaces (init) opens the namespaces of the container that the
// init is in, through a private procfs handle, from the thread that will
// exec (the one in the container's cgroup namespace). Call it on the
// locked main thread once every namespace is in place.
func (l *linuxInit) openOwnNamespaces() error {
	if l.cfg.NsSockFd <= 0 {
		return nil
	}
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return fmt.Errorf("open a private procfs: %w", err)
	}
	defer proc.Close()
	dir, closer, err := proc.OpenThreadSelf("ns")
	if err != nil {
		return fmt.Errorf("open own namespaces: %w", err)
	}
	defer closer()
	defer dir.Close()
	for _, ns := range l.cfg.Spec.Linux.Namespaces {
		name, flag := criu.NsNames[ns.Type], nsFlags[ns.Type]
		if name == "" || flag == 0 {
			continue
		}
		// Each entry is a magic link to the namespace, followed here
		// from the checked procfs directory.
		fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open own %s namespace: %w", ns.Type, err)
		}
		l.nsFiles = append(l.nsFiles, nsFile{typ: flag, file: os.NewFile(uintptr(fd), "ns/"+name)})
	}
	return nil
}

// serveNamespaces (init) answers connections on the namespace socket with
// the namespaces openOwnNamespaces opened, until the returned function is
// called.
func (l *linuxInit) serveNamespaces() (stop func()) {
	if l.cfg.NsSockFd <= 0 {
		return func() {}
	}
	f := os.NewFile(uintptr(l.cfg.NsSockFd), nsSockName)
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		logrus.Debugf("init: namespace socket: %v", err)
		return func() {}
	}
	var (
		flags []byte
		fds   []int
	)
	for _, ns := range l.nsFiles {
		flags = binary.NativeEndian.AppendUint32(flags, ns.typ)
		fds = append(fds, int(ns.file.Fd()))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			uc := conn.(*net.UnixConn)
			_ = uc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, _, err := uc.WriteMsgUnix(flags, unix.UnixRights(fds...), nil); err != nil {
				logrus.Debugf("init: namespace socket: %v", err)
			}
			uc.Close()
		}
	}()
	return func() {
		ln.Close()
		<-done
		for _, ns := range l.nsFiles {
			ns.file.Close()
		}
		l.nsFiles = nil
		runtime.KeepAlive(fds)
	}
}

// namespacesFromInit (exec) gets the namespaces to join (those
// openNamespaces would open) from the init of a created rootless
// container. procErr is why they could not be opened through /proc.
func (c *Container) namespacesFromInit(procErr error) (_ []nsFile, err error) {
	want := map[uint32]bool{}
	for _, ns := range c.state.Config.Linux.Namespaces {
		if _, ok := c.state.NamespacePaths[ns.Type]; ok {
			want[nsFlags[ns.Type]] = true
		}
	}
	var conn net.Conn
	err = nsSockAddr(c.dir, func(addr string) (err error) {
		conn, err = net.DialTimeout("unix", addr, 5*time.Second)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open the container's namespaces: %w (nor could its init be asked: %v)", procErr, err)
	}
	defer conn.Close()
	uc := conn.(*net.UnixConn)
	_ = uc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4*maxNsFiles)
	oob := make([]byte, unix.CmsgSpace(4*maxNsFiles))
	n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	if msgs, perr := unix.ParseSocketControlMessage(oob[:oobn]); perr == nil {
		for i := range msgs {
			if rights, rerr := unix.ParseUnixRights(&msgs[i]); rerr == nil {
				fds = append(fds, rights...)
			}
		}
	}
	var files []nsFile
	defer func() {
		if err != nil {
			for _, f := range files {
				f.file.Close()
			}
		}
	}()
	for i, fd := range fds {
		unix.CloseOnExec(fd)
		f := os.NewFile(uintptr(fd), "namespace from the init")
		if 4*i+4 > n || !want[binary.NativeEndian.Uint32(buf[4*i:])] {
			f.Close()
			continue
		}
		typ := binary.NativeEndian.Uint32(buf[4*i:])
		delete(want, typ) // one of each
		files = append(files, nsFile{typ: typ, file: f})
	}
	if len(want) > 0 {
		return nil, errors.New("open the container's namespaces: its init did not send them all")
	}
	return files, nil
}
