package integration

// The runtime's contract with systemd: NOTIFY_SOCKET proxied (a Type=notify
// unit running runc sees the container's READY=1) and socket activation
// (LISTEN_FDS) passed to the container's process.

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sdnotifyBin builds tests/cmd/sdnotify (static, for the busybox rootfs)
// once per run, as testCmd builds the others.
func sdnotifyBin(t *testing.T) string {
	t.Helper()
	return testCmd(t, "sdnotify", "")
}

// notifyBundle is a bundle whose rootfs has /bin/sdnotify.
func notifyBundle(t *testing.T, args ...string) *bundle {
	t.Helper()
	return withSdnotify(t, newBundle(t, args...))
}

// withSdnotify puts /bin/sdnotify in b's rootfs.
func withSdnotify(t *testing.T, b *bundle) *bundle {
	t.Helper()
	data, err := os.ReadFile(sdnotifyBin(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "rootfs/bin/sdnotify"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

// notifyHostSocket plays systemd: a datagram socket that collects the
// messages sent to it and answers BARRIER=1 by closing the fd sent along.
type notifyHostSocket struct {
	Path string
	msgs chan string
}

func newNotifyHostSocket(t *testing.T) *notifyHostSocket {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "nfy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := &notifyHostSocket{Path: filepath.Join(dir, "notify"), msgs: make(chan string, 16)}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: h.Path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		oob := make([]byte, unix.CmsgSpace(4*4))
		for {
			n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
			if err != nil {
				return
			}
			if oobn > 0 {
				msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
				for i := range msgs {
					fds, _ := unix.ParseUnixRights(&msgs[i])
					for _, fd := range fds {
						unix.Close(fd) // the barrier's acknowledgement
					}
				}
			}
			h.msgs <- string(buf[:n])
		}
	}()
	return h
}

// next returns the next message, or "" after timeout.
func (h *notifyHostSocket) next(timeout time.Duration) string {
	select {
	case m := <-h.msgs:
		return m
	case <-time.After(timeout):
		return ""
	}
}

// expectReady checks the sequence runc sends once the container is ready.
func (h *notifyHostSocket) expectReady(t *testing.T, mainPid int) {
	t.Helper()
	for _, want := range []string{"READY=1\n", "MAINPID=" + strconv.Itoa(mainPid) + "\n", "BARRIER=1"} {
		if got := h.next(10 * time.Second); got != want {
			t.Fatalf("host notify socket got %q, want %q", got, want)
		}
	}
}

func TestNotifySocketRunDetached(t *testing.T) {
	host := newNotifyHostSocket(t)
	// "; exit 0": sh must not exec its last command, or /proc/<pid>/environ
	// reads empty while the exec replaces its memory.
	b := notifyBundle(t, "sh", "-c", "sleep 1; sdnotify STATUS=starting; sdnotify READY=1 STATUS=up; sleep 100; exit 0")
	start := time.Now()
	r := b.runAsyncOpts(runOpts{env: []string{"NOTIFY_SOCKET=" + host.Path}}, "run", "-d", b.ID).wait()
	if r.Code != 0 {
		t.Fatalf("run -d: exit %d stderr %q", r.Code, r.Stderr)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("run -d returned after %v, before the container was ready", d)
	}
	pid := b.initPid()
	host.expectReady(t, pid)
	// The container's process has its own socket, read-only bound at
	// /run/notify; processes exec'd later do not (they start from the
	// config, as in runc).
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if !bytes.Contains(env, []byte("NOTIFY_SOCKET=/run/notify/notify.sock\x00")) {
		t.Errorf("container environment %q", env)
	}
	mi, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if line := mountinfoLine(t, string(mi), "/run/notify"); !strings.Contains(line, " ro,") {
		t.Errorf("/run/notify mount: %q", line)
	}
	if out := b.mustRunc("exec", b.ID, "sh", "-c", "echo ${NOTIFY_SOCKET:-unset}"); out != "unset\n" {
		t.Errorf("exec'd process NOTIFY_SOCKET=%q", out)
	}
}

func TestNotifySocketCreateStart(t *testing.T) {
	host := newNotifyHostSocket(t)
	b := notifyBundle(t, "sh", "-c", "sleep 1; sdnotify READY=1; sleep 100")
	env := runOpts{env: []string{"NOTIFY_SOCKET=" + host.Path}}
	if r := b.runAsyncOpts(env, "create", b.ID).wait(); r.Code != 0 {
		t.Fatalf("create: exit %d stderr %q", r.Code, r.Stderr)
	}
	start := time.Now()
	if r := b.runAsyncOpts(env, "start", b.ID).wait(); r.Code != 0 {
		t.Fatalf("start: exit %d stderr %q", r.Code, r.Stderr)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("start returned after %v, before the container was ready", d)
	}
	host.expectReady(t, b.initPid())
}

// In the foreground runc is the unit's main process.
func TestNotifySocketForeground(t *testing.T) {
	host := newNotifyHostSocket(t)
	b := notifyBundle(t, "sh", "-c", "sdnotify READY=1; sleep 1; exit 3")
	a := b.runAsyncOpts(runOpts{env: []string{"NOTIFY_SOCKET=" + host.Path}}, "run", b.ID)
	host.expectReady(t, a.Cmd.Process.Pid)
	if r := a.wait(); r.Code != 3 {
		t.Errorf("run: exit %d stderr %q", r.Code, r.Stderr)
	}
}

// A container that exits without READY does not keep runc waiting, and
// nothing is reported ready.
func TestNotifySocketNeverReady(t *testing.T) {
	host := newNotifyHostSocket(t)
	b := notifyBundle(t, "sh", "-c", "sleep 0.5")
	if r := b.runAsyncOpts(runOpts{env: []string{"NOTIFY_SOCKET=" + host.Path}}, "run", "-d", b.ID).wait(); r.Code != 0 {
		t.Fatalf("run -d: exit %d stderr %q", r.Code, r.Stderr)
	}
	if m := host.next(500 * time.Millisecond); m != "" {
		t.Errorf("host got %q from a container that never was ready", m)
	}
}

// activationFiles makes n files whose content names their fd (3, 4, ...).
func activationFiles(t *testing.T, n int) []*os.File {
	t.Helper()
	var files []*os.File
	for i := 0; i < n; i++ {
		f, err := os.CreateTemp(t.TempDir(), "listen")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "fd%d\n", 3+i)
		f.Seek(0, 0)
		t.Cleanup(func() { f.Close() })
		files = append(files, f)
	}
	return files
}

// runActivated runs runc as systemd's socket activation starts a service:
// fds 3.. open, LISTEN_FDS=nListen and LISTEN_PID naming runc (listenPid
// "self"), or another process.
func (b *bundle) runActivated(files []*os.File, nListen int, listenPid string, args ...string) result {
	b.t.Helper()
	pidExpr := "$$"
	if listenPid != "self" {
		pidExpr = listenPid
	}
	wrap := []string{"/bin/sh", "-c", fmt.Sprintf(`LISTEN_PID=%s LISTEN_FDS=%d exec "$@"`, pidExpr, nListen), "sh"}
	return b.runAsyncOpts(runOpts{files: files, wrap: wrap}, args...).wait()
}

func TestListenFds(t *testing.T) {
	const script = `echo fds=${LISTEN_FDS:-none} pid=${LISTEN_PID:-none}; for fd in 3 4 5; do [ -e /proc/self/fd/$fd ] && cat /proc/self/fd/$fd; done; true`
	b := newBundle(t, "sh", "-c", script)
	r := b.runActivated(activationFiles(t, 2), 2, "self", "run", b.ID)
	if r.Code != 0 || r.Stdout != "fds=2 pid=1\nfd3\nfd4\n" {
		t.Errorf("activated run: exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	// With --preserve-fds, the preserved fds follow the listen fds.
	b = newBundle(t, "sh", "-c", script)
	r = b.runActivated(activationFiles(t, 3), 2, "self", "run", "--preserve-fds", "1", b.ID)
	if r.Code != 0 || r.Stdout != "fds=2 pid=1\nfd3\nfd4\nfd5\n" {
		t.Errorf("activated run --preserve-fds 1: exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	// LISTEN_PID for another process: the fds are not runc's to pass.
	b = newBundle(t, "sh", "-c", script)
	r = b.runActivated(activationFiles(t, 2), 2, "1", "run", b.ID)
	if r.Code != 0 || r.Stdout != "fds=none pid=none\n" {
		t.Errorf("run with another process's LISTEN_PID: exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	// Only the container's process is activated, not later execs.
	b = newBundle(t, "sleep", "100")
	if r := b.runActivated(activationFiles(t, 1), 1, "self", "run", "-d", b.ID); r.Code != 0 {
		t.Fatalf("activated run -d: exit %d stderr %q", r.Code, r.Stderr)
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", b.initPid()))
	if !bytes.Contains(env, []byte("LISTEN_FDS=1\x00")) || !bytes.Contains(env, []byte("LISTEN_PID=1\x00")) {
		t.Errorf("container environment %q", env)
	}
	if out := b.mustRunc("exec", b.ID, "sh", "-c", "echo ${LISTEN_FDS:-none}"); out != "none\n" {
		t.Errorf("exec'd process LISTEN_FDS=%q", out)
	}
}

// With a user namespace the socket's directory, under runc's root-only
// state directory, is still bound (the runtime opens it on the host).
func TestNotifySocketUserNS(t *testing.T) {
	host := newNotifyHostSocket(t)
	b := withSdnotify(t, userNSBundle(t, "sh", "-c", "sdnotify READY=1; sleep 1"))
	a := b.runAsyncOpts(runOpts{env: []string{"NOTIFY_SOCKET=" + host.Path}}, "run", b.ID)
	host.expectReady(t, a.Cmd.Process.Pid)
	if r := a.wait(); r.Code != 0 {
		t.Errorf("run: exit %d stderr %q", r.Code, r.Stderr)
	}
}
