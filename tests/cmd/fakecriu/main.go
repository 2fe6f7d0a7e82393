// Command fakecriu stands in for criu in the tests of the error paths of
// checkpoint and restore: run as `fakecriu swrk FD`, it answers CRIU's RPC
// on FD the way a criu that cannot work would.
//
//   - VERSION: answered with $FAKECRIU_VERSION (major.minor[.sublevel],
//     default 3.17.1) and the git id $FAKECRIU_GITID (a build from git).
//   - CHECK, DUMP, RESTORE and the rest fail; each writes the log file
//     the request names, in its images directory, with an error line
//     ($FAKECRIU_ERROR, default "fake criu cannot work here").
//   - FEATURE_CHECK: every feature asked for is missing if
//     $FAKECRIU_NO_FEATURES is set, present otherwise.
//
// With $FAKECRIU_SUCCEED set, other requests succeed instead (RESTORE
// with pid 4242), after the notifications listed in $FAKECRIU_NOTIFY
// (comma-separated script names; orphan-pts-master comes with an fd of
// /dev/null, the others with pid 4242), each acknowledged by the client.
//
// Each request is appended to $FAKECRIU_TRACE (if set), one type a line,
// so that tests can see what the runtime asked.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "swrk" {
		fmt.Fprintln(os.Stderr, "usage: fakecriu swrk FD")
		os.Exit(2)
	}
	fd, err := strconv.Atoi(os.Args[2])
	if err != nil {
		os.Exit(2)
	}
	buf := make([]byte, 1<<16)
	n, err := unix.Read(fd, buf)
	if err != nil || n <= 0 {
		os.Exit(1)
	}
	req := &rpc.CriuReq{}
	if err := proto.Unmarshal(buf[:n], req); err != nil {
		fmt.Fprintln(os.Stderr, "fakecriu:", err)
		os.Exit(1)
	}
	trace(req.GetType().String())
	resp := &rpc.CriuResp{Type: req.GetType().Enum(), Success: proto.Bool(false)}
	switch req.GetType() {
	case rpc.CriuReqType_VERSION:
		resp.Success = proto.Bool(true)
		resp.Version = version()
	case rpc.CriuReqType_FEATURE_CHECK:
		resp.Success = proto.Bool(true)
		have := os.Getenv("FAKECRIU_NO_FEATURES") == ""
		f := &rpc.CriuFeatures{}
		if req.GetFeatures().MemTrack != nil {
			f.MemTrack = proto.Bool(have)
		}
		if req.GetFeatures().LazyPages != nil {
			f.LazyPages = proto.Bool(have)
		}
		resp.Features = f
	default:
		if os.Getenv("FAKECRIU_SUCCEED") == "" {
			writeLog(req.GetOpts())
			break
		}
		notify(fd)
		resp.Success = proto.Bool(true)
		if req.GetType() == rpc.CriuReqType_RESTORE {
			resp.Restore = &rpc.CriuRestoreResp{Pid: proto.Int32(4242)}
		}
	}
	out, err := proto.Marshal(resp)
	if err != nil {
		os.Exit(1)
	}
	if _, err := unix.Write(fd, out); err != nil {
		os.Exit(1)
	}
	if !resp.GetSuccess() {
		os.Exit(1)
	}
}

// notify sends the notifications of $FAKECRIU_NOTIFY and reads the acks.
func notify(fd int) {
	for _, script := range strings.Split(os.Getenv("FAKECRIU_NOTIFY"), ",") {
		if script == "" {
			continue
		}
		resp := &rpc.CriuResp{
			Type:    rpc.CriuReqType_NOTIFY.Enum(),
			Success: proto.Bool(true),
			Notify:  &rpc.CriuNotify{Script: proto.String(script), Pid: proto.Int32(4242)},
		}
		out, err := proto.Marshal(resp)
		if err != nil {
			os.Exit(1)
		}
		var oob []byte
		if script == "orphan-pts-master" {
			null, err := unix.Open("/dev/null", unix.O_RDWR, 0)
			if err != nil {
				os.Exit(1)
			}
			oob = unix.UnixRights(null)
		}
		if err := unix.Sendmsg(fd, out, oob, nil, 0); err != nil {
			os.Exit(1)
		}
		buf := make([]byte, 4096)
		n, err := unix.Read(fd, buf)
		ack := &rpc.CriuReq{}
		if err != nil || proto.Unmarshal(buf[:n], ack) != nil || !ack.GetNotifySuccess() {
			trace("no ack for " + script)
			os.Exit(1)
		}
		trace("ack " + script)
	}
}

func version() *rpc.CriuVersion {
	v := os.Getenv("FAKECRIU_VERSION")
	if v == "" {
		v = "3.17.1"
	}
	var nums [3]int32
	for i, p := range strings.SplitN(v, ".", 3) {
		n, _ := strconv.Atoi(p)
		nums[i] = int32(n)
	}
	cv := &rpc.CriuVersion{MajorNumber: proto.Int32(nums[0]), MinorNumber: proto.Int32(nums[1])}
	if nums[2] != 0 {
		cv.Sublevel = proto.Int32(nums[2])
	}
	if g := os.Getenv("FAKECRIU_GITID"); g != "" {
		cv.Gitid = proto.String(g)
	}
	return cv
}

// writeLog writes the request's log file where criu would: in the work
// directory if given, else the images directory (fds of the client,
// reached through /proc as criu does).
func writeLog(o *rpc.CriuOpts) {
	if o == nil || o.GetLogFile() == "" {
		return
	}
	dirFd := o.GetImagesDirFd()
	if o.WorkDirFd != nil {
		dirFd = o.GetWorkDirFd()
	}
	dir := fmt.Sprintf("/proc/%d/fd/%d", os.Getppid(), dirFd)
	msg := os.Getenv("FAKECRIU_ERROR")
	if msg == "" {
		msg = "fake criu cannot work here"
	}
	log := fmt.Sprintf("(00.000100) Version: fake\n(00.000200) Error (fake.c:1): %s\n", msg)
	_ = os.WriteFile(filepath.Join(dir, o.GetLogFile()), []byte(log), 0o600)
}

func trace(s string) {
	p := os.Getenv("FAKECRIU_TRACE")
	if p == "" {
		return
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, s)
}
