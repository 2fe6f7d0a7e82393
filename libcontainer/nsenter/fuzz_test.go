package nsenter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain lets FuzzCStage run this test binary as `runc init`: the C stage
// (linked in through nsenter.go) runs before main, and whatever gets past it
// stops here.
// The init reports how it found itself through its exit code:
// initExitBase + its dumpable flag (see TestInitNotDumpable).
func TestMain(m *testing.M) {
	if os.Getenv("_RUNC_INITPIPE") != "" {
		d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		if err != nil {
			os.Exit(1)
		}
		os.Exit(initExitBase + d)
	}
	os.Exit(m.Run())
}

const initExitBase = 40

// parsed is what a bootstrap message says, as decodeBootstrap reads it.
type parsed struct {
	cloneFlags  uint32
	joins       []NsPath
	timeOffsets bool // the runtime writes them when asked
	rootless    bool
	cgroupTasks int // files sent with the message
}

// decodeBootstrap is the reference reader of the wire format, with the C
// stage's rules (nsexec.c, read_bootstrap): it accepts exactly what the C
// stage must accept, sent with nfds files.
func decodeBootstrap(msg []byte, nfds int) (*parsed, error) {
	if len(msg) < 8 {
		return nil, errors.New("short header")
	}
	if binary.NativeEndian.Uint32(msg) != bootstrapMagic {
		return nil, errors.New("bad magic")
	}
	n := binary.NativeEndian.Uint32(msg[4:])
	if n > MaxBootstrap {
		return nil, errors.New("too long")
	}
	if uint32(len(msg)-8) < n {
		return nil, errors.New("truncated message")
	}
	body := msg[8 : 8+n]
	p := &parsed{}
	for off := uint32(0); off < n; {
		if n-off < 8 {
			return nil, errors.New("truncated attribute")
		}
		typ := binary.NativeEndian.Uint32(body[off:])
		l := binary.NativeEndian.Uint32(body[off+4:])
		off += 8
		if l > n-off {
			return nil, errors.New("attribute overruns")
		}
		val := body[off : off+l]
		off += l
		switch typ {
		case attrCloneFlags:
			if l != 4 {
				return nil, errors.New("bad clone flags attribute")
			}
			p.cloneFlags = binary.NativeEndian.Uint32(val)
			if p.cloneFlags&^AllNamespaces != 0 {
				return nil, errors.New("bad clone flags")
			}
		case attrNsPath:
			if l < 6 || val[l-1] != 0 || bytes.IndexByte(val[4:], 0) != int(l-5) {
				return nil, errors.New("bad namespace path attribute")
			}
			if len(p.joins) >= maxNsPaths {
				return nil, errors.New("too many namespace paths")
			}
			t := binary.NativeEndian.Uint32(val)
			if t&AllNamespaces == 0 || t&(t-1) != 0 {
				return nil, errors.New("bad namespace type")
			}
			p.joins = append(p.joins, NsPath{Type: t, Path: string(val[4 : l-1])})
		case attrTimensOffsets:
			if l != 1 {
				return nil, errors.New("bad time offsets attribute")
			}
			p.timeOffsets = val[0] != 0
		case attrRootless:
			if l != 1 {
				return nil, errors.New("bad rootless attribute")
			}
			p.rootless = val[0] != 0
		case attrCgroupTasks:
			if l != 4 || p.cgroupTasks != 0 || binary.NativeEndian.Uint32(val) == 0 {
				return nil, errors.New("bad cgroup tasks attribute")
			}
			p.cgroupTasks = int(binary.NativeEndian.Uint32(val))
		default:
			return nil, fmt.Errorf("unknown attribute %d", typ)
		}
	}
	if nfds > maxCgroupTasks || p.cgroupTasks != nfds {
		return nil, fmt.Errorf("%d files sent, %d cgroup tasks files named", nfds, p.cgroupTasks)
	}
	return p, nil
}

// FuzzBootstrapEncode builds a bootstrap from arbitrary fields: Encode
// must never panic, must refuse what the C stage could not use, and what
// it produces must decode (with the C stage's rules) to the same fields
// and stay within MaxBootstrap.
func FuzzBootstrapEncode(f *testing.F) {
	f.Add(uint32(unix.CLONE_NEWNS|unix.CLONE_NEWPID), uint32(unix.CLONE_NEWNET), "/var/run/netns/x", "monotonic 1 0\n", false, uint8(1))
	f.Add(uint32(unix.CLONE_NEWUSER|unix.CLONE_NEWNS), uint32(0), "", "", true, uint8(0))
	f.Add(uint32(unix.CLONE_VM), uint32(unix.CLONE_NEWNET), "relative", "", false, uint8(1))
	f.Add(uint32(0), uint32(unix.CLONE_NEWNET|unix.CLONE_NEWIPC), "/a\x00b", "x\x00", false, uint8(9))
	f.Fuzz(func(t *testing.T, flags, joinType uint32, path, offsets string, rootless bool, njoin uint8) {
		b := &Bootstrap{CloneFlags: flags, TimeOffsets: offsets, Rootless: rootless}
		for i := 0; i < int(njoin%12); i++ {
			b.Join = append(b.Join, NsPath{Type: joinType, Path: path})
		}
		msg, err := b.Encode()
		if err != nil {
			if msg != nil {
				t.Fatal("a message with an error")
			}
			return
		}
		if len(msg) > 8+MaxBootstrap {
			t.Fatalf("message of %d bytes", len(msg))
		}
		got, err := decodeBootstrap(msg, 0)
		if err != nil {
			t.Fatalf("Encode produced a message the C stage refuses: %v", err)
		}
		if got.cloneFlags != flags || got.timeOffsets != (offsets != "") || got.rootless != rootless || len(got.joins) != len(b.Join) {
			t.Fatalf("decoded %+v from %+v", got, b)
		}
		for i, j := range got.joins {
			if j != b.Join[i] {
				t.Fatalf("join %d decoded as %+v, want %+v", i, j, b.Join[i])
			}
			if j.Type&flags != 0 || !strings.HasPrefix(j.Path, "/") {
				t.Fatalf("Encode accepted join %+v with clone flags %#x", j, flags)
			}
		}
	})
}

// runCStage runs this test binary as `runc init` with msg as its
// bootstrap message, files sent with it, and returns how stage 0 ended and
// what it sent back.
func runCStage(t *testing.T, msg []byte, files ...*os.File) (*os.ProcessState, []byte) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	parent := os.NewFile(uintptr(fds[0]), "parent")
	child := os.NewFile(uintptr(fds[1]), "child")
	defer parent.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{"_RUNC_INITPIPE=3"}
	cmd.ExtraFiles = []*os.File{child}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	parent.SetDeadline(time.Now().Add(10 * time.Second))
	var oob []byte
	for _, f := range files {
		oob = append(oob, unix.UnixRights(int(f.Fd()))...)
	}
	if len(msg) > 0 && len(oob) > 0 {
		n, err := unix.SendmsgN(fds[0], msg, oob, nil, 0)
		if err != nil {
			t.Fatalf("send bootstrap: %v", err)
		}
		msg = msg[n:]
	}
	if _, err := parent.Write(msg); err != nil && !errors.Is(err, syscall.EPIPE) {
		t.Logf("write bootstrap: %v", err)
	}
	// No usermap answers and no config: the stage (or its child) sees
	// EOF and gives up.
	unix.Shutdown(fds[0], unix.SHUT_WR)
	var out bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := parent.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("C stage hung on message %x", msg)
	}
	return cmd.ProcessState, out.Bytes()
}

// FuzzCStage feeds arbitrary bytes to the real C stage as its bootstrap
// message (docs/security.md rule 10). It must never crash or hang, and it must
// refuse, with an error frame and a failing exit, every message the
// reference reader refuses. The seeds are encoded messages and broken ones.
func FuzzCStage(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("needs root: a valid message makes the stage create namespaces")
	}
	good, err := (&Bootstrap{CloneFlags: unix.CLONE_NEWNS | unix.CLONE_NEWUTS, TimeOffsets: ""}).Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	join, _ := (&Bootstrap{Join: []NsPath{{Type: unix.CLONE_NEWUTS, Path: "/proc/self/ns/uts"}}}).Encode()
	f.Add(join)
	f.Add(good[:len(good)-2])
	f.Add([]byte{})
	f.Add(append(append([]byte{}, good[:4]...), 0xff, 0xff, 0xff, 0xff))
	hdr := binary.NativeEndian.AppendUint32(nil, bootstrapMagic)
	f.Add(append(binary.NativeEndian.AppendUint32(hdr, 12), 2, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, msg []byte) {
		st, out := runCStage(t, msg)
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("C stage killed by %v on message %x", ws.Signal(), msg)
		}
		if _, err := decodeBootstrap(msg, 0); err == nil {
			return // valid: the stage may go on or fail for the host's reasons
		}
		if st.ExitCode() == 0 {
			t.Fatalf("C stage accepted a malformed message %x", msg)
		}
		if len(out) < 8 || binary.NativeEndian.Uint32(out) != 1 { // syncError
			t.Fatalf("C stage refused %x without an error frame (sent %x)", msg, out)
		}
	})
}

// TestInitNotDumpable is CVE-2016-9962's check: the process the C stage
// hands to the Go init is not dumpable (nothing in the container may
// ptrace it or open its /proc files before it execs the container
// process). The test becomes a subreaper to collect the init's exit code.
func TestInitNotDumpable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (the stage creates namespaces)")
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	msg, err := (&Bootstrap{CloneFlags: unix.CLONE_NEWNS | unix.CLONE_NEWUTS}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	st, out := runCStage(t, msg)
	if st.ExitCode() != 0 {
		t.Fatalf("stage 0 failed: %v, sent %x", st, out)
	}
	if len(out) < 12 || binary.NativeEndian.Uint32(out) != 4 { // syncChildPid
		t.Fatalf("no child pid from stage 0: %x", out)
	}
	pid := int(int32(binary.NativeEndian.Uint32(out[8:])))
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			if err != nil {
				t.Fatalf("wait for the init %d: %v", pid, err)
			}
			break
		}
	}
	if !ws.Exited() || ws.ExitStatus() != initExitBase {
		t.Fatalf("init: %v (exit %d): want exit %d, i.e. not dumpable", ws, ws.ExitStatus(), initExitBase)
	}
}
