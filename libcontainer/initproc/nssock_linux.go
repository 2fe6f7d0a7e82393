package initproc

import (
	"fmt"
	"os"

	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/nssock"
)

// The init's side of the namespace socket (package nssock): the init of a
// rootless create serves its namespaces on it until start.

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
		name, flag := namespaces.ProcName(ns.Type), namespaces.Flag(ns.Type)
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
	// Non-blocking, the file is the poller's: closing it ends an accept.
	if err := unix.SetNonblock(l.cfg.NsSockFd, true); err != nil {
		logrus.Debugf("init: namespace socket: %v", err)
		return func() {}
	}
	ln := os.NewFile(uintptr(l.cfg.NsSockFd), nssock.Name)
	rc, err := ln.SyscallConn()
	if err != nil {
		ln.Close()
		logrus.Debugf("init: namespace socket: %v", err)
		return func() {}
	}
	msg := nssock.NewMessage(l.nsFiles)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var conn int
			var aerr error
			if err := rc.Read(func(fd uintptr) bool {
				conn, _, aerr = unix.Accept4(int(fd), unix.SOCK_CLOEXEC)
				return aerr != unix.EAGAIN
			}); err != nil {
				return // closed
			}
			switch {
			case aerr == unix.ECONNABORTED || aerr == unix.EINTR:
				continue // that client gave up
			case aerr != nil:
				logrus.Debugf("init: namespace socket: %v", aerr)
				return // as after a close: no retrying an error in a loop
			}
			if err := msg.Send(conn); err != nil {
				logrus.Debugf("init: namespace socket: %v", err)
			}
			unix.Close(conn)
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
