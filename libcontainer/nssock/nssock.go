// Package nssock is the namespace socket: how `runc exec` of a rootless
// runtime gets the namespaces of a container created and not yet started.
//
// Until `runc start`, the init is runc itself, non-dumpable (docs/security.md
// rule 7): its /proc/<pid>/ns files are out of reach of a runtime without
// CAP_SYS_PTRACE on the host, as a rootless one is. (runc 1.5 leaves that
// init dumpable, so that any process of the container's uid, those exec'd
// into it included, could ptrace it and use its host file descriptors.)
// Instead, the init of a rootless `runc create` hands its namespaces out
// while it waits for start: on a socket in the state directory (Name, mode
// 0600, which the runtime makes and passes it), where only the runtime's
// user reaches. `runc exec` asks there when /proc refuses it. Once the
// process is exec'd, the socket is gone with the init's fds and the
// process's /proc files are readable again.
//
// On a connection the init sends one message: a u32 CLONE_NEW* flag per
// namespace, the namespaces' fds in the same order (SCM_RIGHTS). It then
// closes the connection.
//
// The runtime's side (making the socket, asking) is in
// libcontainer/nssock_linux.go, the init's (serving) in
// libcontainer/initproc/nssock_linux.go; this package holds the address
// and the message.
package nssock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
)

// Name is the socket's name in the state directory.
const Name = "ns.sock"

// maxFiles bounds what an exec accepts from the socket (one of each
// namespace type).
const maxFiles = 8

// timeout bounds the exchange on a connection.
const timeout = 5 * time.Second

// Addr runs fn with the socket's address in the state directory dir: a
// path through an fd of dir, which fits in sun_path however long dir is.
func Addr(dir string, fn func(addr string) error) error {
	d, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(d)
	return fn(fmt.Sprintf("/proc/self/fd/%d/%s", d, Name))
}

// Message is the message the init sends on every connection.
type Message struct {
	flags  []byte
	rights []byte
}

// NewMessage makes the message that hands out nss.
func NewMessage(nss []namespaces.File) Message {
	var (
		flags []byte
		fds   []int
	)
	for _, ns := range nss {
		flags = binary.NativeEndian.AppendUint32(flags, ns.Type)
		fds = append(fds, int(ns.Fd()))
	}
	return Message{flags: flags, rights: unix.UnixRights(fds...)}
}

// Send sends the message on conn, a connection to the socket (an fd).
func (m Message) Send(conn int) error {
	if err := setTimeout(conn, unix.SO_SNDTIMEO); err != nil {
		return err
	}
	_, err := unix.SendmsgN(conn, m.flags, m.rights, nil, 0)
	return err
}

// Dial connects to the socket in the state directory dir and returns the
// connection's fd.
func Dial(dir string) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	// A full backlog makes connect wait, as long as the send timeout.
	if err := setTimeout(fd, unix.SO_SNDTIMEO); err != nil {
		unix.Close(fd)
		return -1, err
	}
	err = Addr(dir, func(addr string) error {
		return unix.Connect(fd, &unix.SockaddrUnix{Name: addr})
	})
	if err != nil {
		unix.Close(fd)
		return -1, &os.PathError{Op: "connect", Path: Name, Err: err}
	}
	return fd, nil
}

// setTimeout bounds the exchange on a connection (SO_SNDTIMEO or
// SO_RCVTIMEO).
func setTimeout(fd, opt int) error {
	tv := unix.NsecToTimeval(timeout.Nanoseconds())
	return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv)
}

// Receive reads the message on conn (an fd) and returns the namespaces of
// the types in want, one of each (it closes the others). It fails unless
// it got one of every type in want.
func Receive(conn int, want map[uint32]bool) (_ []namespaces.File, err error) {
	if err := setTimeout(conn, unix.SO_RCVTIMEO); err != nil {
		return nil, err
	}
	buf := make([]byte, 4*maxFiles)
	oob := make([]byte, unix.CmsgSpace(4*maxFiles))
	n, oobn, _, _, err := unix.Recvmsg(conn, buf, oob, unix.MSG_CMSG_CLOEXEC)
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
	var files []namespaces.File
	defer func() {
		if err != nil {
			for _, f := range files {
				f.Close()
			}
		}
	}()
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "namespace from the init")
		if 4*i+4 > n || !want[binary.NativeEndian.Uint32(buf[4*i:])] {
			f.Close()
			continue
		}
		typ := binary.NativeEndian.Uint32(buf[4*i:])
		delete(want, typ) // one of each
		files = append(files, namespaces.File{Type: typ, File: f})
	}
	if len(want) > 0 {
		return nil, errors.New("open the container's namespaces: its init did not send them all")
	}
	return files, nil
}
