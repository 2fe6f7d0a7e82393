// Command seccompagent is the seccomp agent of the integration tests: it
// listens on a unix socket for the runtime (linux.seccomp.listenerPath),
// receives a seccomp notify fd with the container's process state, and
// answers the notifications.
//
// What it does with a notification:
//   - mkdir, mkdirat: answers success without creating anything, and logs
//     "mkdir <path>" (the path read from the process's memory);
//   - anything else: lets the kernel run the syscall (CONTINUE).
//
// Every message received from the runtime is written, as received, to
// <dir>/state-<n>.json (n from 1), and every answered notification is
// appended to <dir>/log. The socket appears once the agent is ready.
//
// It uses the raw seccomp ioctls, so it builds without cgo.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// notif is struct seccomp_notif.
type notif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

// notifResp is struct seccomp_notif_resp.
type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

var (
	logMu   sync.Mutex
	logFile *os.File
)

func logf(format string, args ...any) {
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(logFile, format+"\n", args...)
}

func main() {
	sock := flag.String("socket", "", "unix socket to listen on")
	dir := flag.String("dir", "", "directory for state-<n>.json and log")
	flag.Parse()
	if *sock == "" || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: seccompagent -socket PATH -dir DIR")
		os.Exit(2)
	}
	var err error
	logFile, err = os.OpenFile(filepath.Join(*dir, "log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC, 0o644)
	if err != nil {
		fatal(err)
	}
	lfd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fatal(err)
	}
	// Bind to a temporary name and rename, so the socket only appears
	// once it accepts connections.
	tmp := *sock + ".tmp"
	os.Remove(tmp)
	if err := unix.Bind(lfd, &unix.SockaddrUnix{Name: tmp}); err != nil {
		fatal(err)
	}
	if err := unix.Listen(lfd, 16); err != nil {
		fatal(err)
	}
	if err := os.Rename(tmp, *sock); err != nil {
		fatal(err)
	}
	for n := 1; ; n++ {
		cfd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		if errors.Is(err, unix.EINTR) {
			n--
			continue
		}
		if err != nil {
			fatal(err)
		}
		nfd, err := receive(cfd, filepath.Join(*dir, fmt.Sprintf("state-%d.json", n)))
		unix.Close(cfd)
		if err != nil {
			logf("connection %d: %v", n, err)
			continue
		}
		go serve(nfd)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "seccompagent:", err)
	os.Exit(1)
}

// receive reads the runtime's one message: the JSON state and the fd.
func receive(cfd int, statePath string) (int, error) {
	buf := make([]byte, 1<<16)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := unix.Recvmsg(cfd, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("recvmsg: %w", err)
	}
	// Written whole, then renamed: the tests wait for the file to appear.
	if err := os.WriteFile(statePath+".tmp", buf[:n], 0o644); err != nil {
		return -1, err
	}
	if err := os.Rename(statePath+".tmp", statePath); err != nil {
		return -1, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return -1, fmt.Errorf("control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err == nil {
			fds = append(fds, got...)
		}
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return -1, fmt.Errorf("got %d fds, want 1", len(fds))
	}
	return fds[0], nil
}

// serve answers the notifications of one filter until it has no users.
func serve(fd int) {
	defer unix.Close(fd)
	for {
		var req notif
		if err := ioctl(fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&req)); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if !errors.Is(err, unix.ENOENT) {
				logf("recv: %v", err)
			}
			return
		}
		resp := notifResp{ID: req.ID}
		switch int(req.Nr) {
		case unix.SYS_MKDIR, unix.SYS_MKDIRAT:
			arg := req.Args[0]
			if int(req.Nr) == unix.SYS_MKDIRAT {
				arg = req.Args[1]
			}
			path, err := readString(req.Pid, arg)
			// The pid may have been reused while we read: only trust
			// what we read if the notification is still pending.
			if verr := ioctl(fd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&req.ID)); verr != nil {
				continue
			}
			if err != nil {
				logf("mkdir <unreadable: %v>", err)
			} else {
				logf("mkdir %s", path)
			}
			// Success, without doing it.
		default:
			resp.Flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
		}
		if err := ioctl(fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp)); err != nil && !errors.Is(err, unix.ENOENT) {
			logf("send: %v", err)
		}
	}
}

// readString reads a NUL-terminated string at addr in pid's memory.
func readString(pid uint32, addr uint64) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, unix.PathMax)
	n, err := f.ReadAt(buf, int64(addr))
	if n == 0 && err != nil {
		return "", err
	}
	if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
		return string(buf[:i]), nil
	}
	return "", errors.New("no NUL within PATH_MAX")
}

func ioctl(fd int, req uint, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}

// The structs have the kernel's sizes, encoded in the ioctl numbers (a
// mismatch does not compile).
var (
	_ [unsafe.Sizeof(notif{}) - 80]struct{}
	_ [80 - unsafe.Sizeof(notif{})]struct{}
	_ [unsafe.Sizeof(notifResp{}) - 24]struct{}
	_ [24 - unsafe.Sizeof(notifResp{})]struct{}
)
