package libcontainer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestSendSeccompListener checks the message a seccomp agent receives: one
// ContainerProcessState JSON with the notify fd as SCM_RIGHTS (runc's
// protocol).
func TestSendSeccompListener(t *testing.T) {
	sockPath := filepath.Join(t.TempDir(), "agent.sock")
	lfd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrUnix{Name: sockPath}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 1); err != nil {
		t.Fatal(err)
	}
	memfd, err := unix.MemfdCreate("seccomp-test", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(memfd), "memfd")
	defer f.Close()

	sc := &specs.LinuxSeccomp{ListenerPath: sockPath, ListenerMetadata: "meta"}
	state := &specs.State{Version: specs.Version, ID: "c1", Status: specs.StateCreating, Pid: 42, Bundle: "/b", Annotations: map[string]string{"k": "v"}}
	if err := sendSeccompListener(sc, state, 43, f); err != nil {
		t.Fatal(err)
	}
	cfd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(cfd)
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(cfd, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	var got specs.ContainerProcessState
	if err := json.Unmarshal(buf[:n], &got); err != nil {
		t.Fatalf("message %q: %v", buf[:n], err)
	}
	if got.Version != specs.Version || len(got.Fds) != 1 || got.Fds[0] != specs.SeccompFdName || got.Pid != 43 || got.Metadata != "meta" {
		t.Errorf("message %+v", got)
	}
	if got.State.ID != "c1" || got.State.Pid != 42 || got.State.Status != specs.StateCreating || got.State.Bundle != "/b" || got.State.Annotations["k"] != "v" {
		t.Errorf("state %+v", got.State)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages %v: %v", msgs, err)
	}
	rfds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(rfds) != 1 {
		t.Fatalf("rights %v: %v", rfds, err)
	}
	defer unix.Close(rfds[0])
	var st1, st2 unix.Stat_t
	if err := unix.Fstat(rfds[0], &st1); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(memfd, &st2); err != nil {
		t.Fatal(err)
	}
	if st1.Ino != st2.Ino || st1.Dev != st2.Dev {
		t.Error("the fd received is not the one sent")
	}

	// No agent: the error names the field.
	sc.ListenerPath = filepath.Join(t.TempDir(), "none.sock")
	err = sendSeccompListener(sc, state, 43, f)
	if err == nil || !strings.Contains(err.Error(), "linux.seccomp.listenerPath") {
		t.Fatalf("missing agent: %v", err)
	}
}
