package libcontainer

// The runtime's side of the namespace socket (package nssock): a rootless
// create makes the socket for its init to serve its namespaces on until
// start, and an exec asks there when /proc refuses it.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/nssock"
)

// listenNsSock makes the listening socket in the state directory dir.
func listenNsSock(dir string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("namespace socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir, nssock.Name))
	// The mode of a socket's inode before bind is that of the file bind
	// makes: never connectable by others, not even for a moment.
	if err := unix.Fchmod(fd, 0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("namespace socket: %w", err)
	}
	if err := nssock.Addr(dir, func(addr string) error {
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
		name, flag := namespaces.ProcNames[ns.Type], namespaces.Flags[ns.Type]
		if name == "" || flag == 0 {
			continue
		}
		// Each entry is a magic link to the namespace, followed here
		// from the checked procfs directory.
		fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open own %s namespace: %w", ns.Type, err)
		}
		l.nsFiles = append(l.nsFiles, namespaces.File{Type: flag, File: os.NewFile(uintptr(fd), "ns/"+name)})
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
	f := os.NewFile(uintptr(l.cfg.NsSockFd), nssock.Name)
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		logrus.Debugf("init: namespace socket: %v", err)
		return func() {}
	}
	msg := nssock.NewMessage(l.nsFiles)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if err := msg.Send(conn.(*net.UnixConn)); err != nil {
				logrus.Debugf("init: namespace socket: %v", err)
			}
			conn.Close()
		}
	}()
	return func() {
		ln.Close()
		<-done
		for _, ns := range l.nsFiles {
			ns.Close()
		}
		l.nsFiles = nil
	}
}

// namespacesFromInit (exec) gets the namespaces to join (those
// openNamespaces would open) from the init of a created rootless
// container. procErr is why they could not be opened through /proc.
func (c *Container) namespacesFromInit(procErr error) ([]namespaces.File, error) {
	want := map[uint32]bool{}
	for _, ns := range c.state.Config.Linux.Namespaces {
		if _, ok := c.state.NamespacePaths[ns.Type]; ok {
			want[namespaces.Flags[ns.Type]] = true
		}
	}
	var conn net.Conn
	err := nssock.Addr(c.dir, func(addr string) (err error) {
		conn, err = net.DialTimeout("unix", addr, 5*time.Second)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open the container's namespaces: %w (nor could its init be asked: %v)", procErr, err)
	}
	defer conn.Close()
	return nssock.Receive(conn.(*net.UnixConn), want)
}
