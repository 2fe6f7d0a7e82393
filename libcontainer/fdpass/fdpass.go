// Package fdpass passes one file descriptor over a unix socket
// (SCM_RIGHTS) with a name as the message: runc's console-socket protocol,
// which containerd and conmon read, and the --pidfd-socket one. The init
// sends the pty master and its pidfd with it; the runtime sends the pty
// master CRIU restored, and `runc run` receives its own pty master.
package fdpass

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Send sends fd over the unix socket sock with SCM_RIGHTS, with name as
// the message.
func Send(sock *os.File, name string, fd int) error {
	return unix.Sendmsg(int(sock.Fd()), []byte(name), unix.UnixRights(fd), nil, 0)
}

// Recv receives one fd sent by Send; the file is named by the message.
func Recv(sock *os.File) (*os.File, error) {
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), name, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	fd := FirstRight(oob[:oobn])
	if fd < 0 {
		return nil, errors.New("no file descriptor received")
	}
	return os.NewFile(uintptr(fd), string(name[:n])), nil
}

// FirstRight returns the first fd of the SCM_RIGHTS messages in oob
// (closing any others), or -1.
func FirstRight(oob []byte) int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return -1
	}
	first := -1
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if first < 0 {
				first = fd
			} else {
				unix.Close(fd)
			}
		}
	}
	return first
}
