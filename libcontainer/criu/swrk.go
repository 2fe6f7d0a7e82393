package criu

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
)

// FirstExtraFd is the number Session.ExtraFiles[0] has in criu: fds 0-2 are
// its stdio and 3 is the RPC socket.
const FirstExtraFd = 4

// Session is one conversation with `criu swrk`: a request, CRIU's
// notifications, and its answer. go-criu's own client cannot give criu
// stdio and extra files, nor pass on the fds that come with a
// notification, all of which restore needs; the messages are package rpc's.
type Session struct {
	Criu *Criu
	// Stdin, Stdout and Stderr become criu's stdio (nil: /dev/null). On
	// restore, the InheritFd entries name them: the restored process
	// gets them in place of the pipes it had.
	Stdin, Stdout, Stderr *os.File
	// ExtraFiles become criu's fds FirstExtraFd, FirstExtraFd+1, ...
	ExtraFiles []*os.File
	// Started, if set, is called with criu's pid once it runs, before the
	// request is sent (restore puts criu in the container's cgroup there
	// and adds the cgroup roots to the request).
	Started func(pid int, req *rpc.CriuReq) error
	// Notify, if set, handles CRIU's notifications (the request must set
	// NotifyScripts). An error ends the conversation: CRIU then aborts.
	Notify func(n *Notification) error
}

// Notification is one of CRIU's notifications ("action scripts"):
// pre-dump, post-dump, network-lock, setup-namespaces, post-restore,
// orphan-pts-master, status-ready, ...
type Notification struct {
	Script string
	Pid    int // for setup-namespaces and post-restore: the restored init
	// Files came with the message (orphan-pts-master: the pty master).
	// The handler owns them; Session closes them if it returns an error.
	Files []*os.File
}

// RPCError is a request CRIU answered with a failure.
type RPCError struct {
	Type  rpc.CriuReqType
	Errno int32
	Msg   string
}

func (e *RPCError) Error() string {
	s := fmt.Sprintf("criu failed: type %s errno %d", e.Type, e.Errno)
	if e.Errno != 0 {
		s += " (" + unix.Errno(e.Errno).Error() + ")"
	}
	if msg := cleanLogLine(e.Msg); msg != "" {
		s += ": " + msg
	}
	return s
}

// maxMessage bounds one message from CRIU (runc reads 40 KiB).
const maxMessage = 10 * 4096

// Run starts `criu swrk`, sends req and answers the notifications until
// CRIU's final answer, which it returns once criu has exited.
func (s *Session) Run(req *rpc.CriuReq) (*rpc.CriuResp, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("criu socketpair: %w", err)
	}
	client := os.NewFile(uintptr(fds[0]), "criu socket (client)")
	server := os.NewFile(uintptr(fds[1]), "criu socket (server)")
	fc, err := net.FileConn(client)
	client.Close()
	if err != nil {
		server.Close()
		return nil, fmt.Errorf("criu socket: %w", err)
	}
	conn := fc.(*net.UnixConn)
	defer conn.Close()

	cmd := exec.Command(s.Criu.Path, "swrk", "3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.Stdin, s.Stdout, s.Stderr
	cmd.ExtraFiles = append([]*os.File{server}, s.ExtraFiles...)
	err = cmd.Start()
	server.Close()
	if err != nil {
		return nil, fmt.Errorf("start criu: %w", err)
	}
	logrus.Debugf("criu swrk started: %d, %s request", cmd.Process.Pid, req.Type)
	waited := false
	defer func() {
		if !waited {
			// Our end closed first: criu sees EOF and gives up.
			conn.Close()
			_ = cmd.Wait()
		}
	}()
	if s.Started != nil {
		if err := s.Started(cmd.Process.Pid, req); err != nil {
			return nil, err
		}
	}
	resp, err := s.converse(conn, req)
	if err != nil {
		return resp, err
	}
	// The final answer came: criu exits once our end is closed (a
	// PRE_DUMP session would wait for another request, as runc has it
	// do, and exits with an error then, which is expected).
	conn.Close()
	waited = true
	werr := cmd.Wait()
	if werr != nil && req.Type != rpc.ReqPreDump {
		return resp, fmt.Errorf("criu swrk: %w", werr)
	}
	return resp, nil
}

// converse sends req and handles CRIU's messages up to the final answer.
func (s *Session) converse(conn *net.UnixConn, req *rpc.CriuReq) (*rpc.CriuResp, error) {
	typ := req.Type
	statusFd := -1
	if req.Opts != nil && req.Opts.StatusFd != nil {
		statusFd = int(*req.Opts.StatusFd)
	}
	if err := send(conn, req); err != nil {
		return nil, err
	}
	buf := make([]byte, maxMessage)
	oob := make([]byte, unix.CmsgSpace(4*16))
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if statusFd >= 0 {
			// An old CRIU writes the lazy-pages status itself on the fd
			// it inherited; once it answers anything it has its copy.
			unix.Close(statusFd)
			statusFd = -1
		}
		if err != nil {
			return nil, fmt.Errorf("read from criu: %w", err)
		}
		files, ferr := receivedFiles(oob[:oobn])
		if n == 0 {
			closeAll(files)
			return nil, errors.New("criu closed the connection without an answer")
		}
		if n == len(buf) {
			closeAll(files)
			return nil, errors.New("criu message too large")
		}
		resp := &rpc.CriuResp{}
		if err := rpc.Unmarshal(buf[:n], resp); err != nil {
			closeAll(files)
			return nil, fmt.Errorf("criu answer: %w", err)
		}
		if !resp.Success {
			closeAll(files)
			return resp, &RPCError{Type: resp.Type, Errno: resp.GetCrErrno(), Msg: resp.GetCrErrmsg()}
		}
		if resp.Type != rpc.ReqNotify {
			closeAll(files)
			if resp.Type != typ {
				return resp, fmt.Errorf("criu answered %s to %s", resp.Type, typ)
			}
			return resp, nil
		}
		if ferr != nil {
			closeAll(files)
			return resp, fmt.Errorf("criu notification: %w", ferr)
		}
		nt := resp.GetNotify()
		note := &Notification{Script: nt.GetScript(), Pid: int(nt.GetPid()), Files: files}
		logrus.Debugf("criu notification %q (pid %d, %d fds)", note.Script, note.Pid, len(files))
		if s.Notify != nil {
			if err := s.Notify(note); err != nil {
				closeAll(note.Files)
				return resp, err
			}
		} else {
			closeAll(files)
		}
		ack := &rpc.CriuReq{Type: rpc.ReqNotify, NotifySuccess: new(true)}
		if err := send(conn, ack); err != nil {
			return resp, err
		}
	}
}

func send(conn *net.UnixConn, req *rpc.CriuReq) error {
	if _, err := conn.Write(rpc.Marshal(req)); err != nil {
		return fmt.Errorf("write to criu: %w", err)
	}
	return nil
}

// receivedFiles returns the fds that came with a message, close-on-exec.
func receivedFiles(oob []byte) ([]*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var files []*os.File
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), fmt.Sprintf("fd from criu (%d)", fd)))
		}
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// CloseFiles closes the files that came with a notification, for handlers
// that do not use them.
func CloseFiles(n *Notification) {
	closeAll(n.Files)
	n.Files = nil
}
