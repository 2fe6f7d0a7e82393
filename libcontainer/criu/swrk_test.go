package criu

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
)

var (
	fakeOnce sync.Once
	fakePath string
	fakeErr  error
)

// fakeCriu builds tests/cmd/fakecriu once.
func fakeCriu(t *testing.T) string {
	t.Helper()
	fakeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fakecriu")
		if err != nil {
			fakeErr = err
			return
		}
		fakePath = filepath.Join(dir, "criu")
		// "go" from PATH: go test puts its own toolchain first there.
		out, err := exec.Command("go", "build", "-o", fakePath, "../../tests/cmd/fakecriu").CombinedOutput()
		if err != nil {
			fakeErr = fmt.Errorf("build fakecriu: %w: %s", err, out)
		}
	})
	if fakeErr != nil {
		t.Fatal(fakeErr)
	}
	return fakePath
}

func TestNew(t *testing.T) {
	fake := fakeCriu(t)
	t.Setenv("FAKECRIU_VERSION", "3.17.1")
	c, err := New(fake)
	if err != nil || c.Version != 31701 || c.Path != fake {
		t.Fatalf("New: %+v, %v", c, err)
	}
	// A name is looked up in $PATH.
	t.Setenv("PATH", filepath.Dir(fake)+":"+os.Getenv("PATH"))
	if c, err := New(""); err != nil || c.Path != fake {
		t.Fatalf("New(\"\"): %+v, %v", c, err)
	}
	// A build from git counts as the next minor version.
	t.Setenv("FAKECRIU_GITID", "v3.17.1-12-gabcdef")
	if c, err := New(fake); err != nil || c.Version != 31800 {
		t.Fatalf("New (git build): %+v, %v", c, err)
	}
	t.Setenv("FAKECRIU_GITID", "")
	t.Setenv("FAKECRIU_VERSION", "2.12")
	_, err = New(fake)
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Have != 21200 || err.Error() != "criu version 2.12.0 is too old, need 3.0.0 or later" {
		t.Fatalf("old criu: %v", err)
	}
	_, err = New("/nonexistent/criu")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "criu binary not found: /nonexistent/criu: ") {
		t.Fatalf("missing criu: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	_, err = New("")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "criu binary not found: criu: executable file not found in $PATH") {
		t.Fatalf("criu not in $PATH: %v", err)
	}
}

func TestCheck(t *testing.T) {
	c := &Criu{Path: fakeCriu(t), Version: 31701}
	t.Setenv("FAKECRIU_ERROR", "kerndat_vdso_fill_symtable failed when initializing kerndat.")
	err := c.Check()
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("Check: %v", err)
	}
	want := "criu cannot work on this system: `criu check` fails: kerndat_vdso_fill_symtable failed when initializing kerndat."
	if err.Error() != want {
		t.Fatalf("Check: %q, want %q", err, want)
	}
	var re *RPCError
	if !errors.As(err, &re) || re.Type != rpc.ReqCheck {
		t.Fatalf("Check does not wrap the failed request: %#v", ce.Err)
	}
	t.Setenv("FAKECRIU_SUCCEED", "1")
	if err := c.Check(); err != nil {
		t.Fatalf("Check with a working criu: %v", err)
	}
}

func TestSessionNotifications(t *testing.T) {
	c := &Criu{Path: fakeCriu(t), Version: 31701}
	trace := filepath.Join(t.TempDir(), "trace")
	t.Setenv("FAKECRIU_TRACE", trace)
	t.Setenv("FAKECRIU_SUCCEED", "1")
	t.Setenv("FAKECRIU_NOTIFY", "setup-namespaces,orphan-pts-master,post-restore")
	var got []string
	var files []*os.File
	var started int
	s := &Session{
		Criu: c,
		Started: func(pid int, req *rpc.CriuReq) error {
			started = pid
			req.Opts.CgRoot = append(req.Opts.CgRoot, &rpc.CgroupRoot{Path: "/x"})
			return nil
		},
		Notify: func(n *Notification) error {
			got = append(got, fmt.Sprintf("%s:%d:%d", n.Script, n.Pid, len(n.Files)))
			files = append(files, n.Files...)
			n.Files = nil
			return nil
		},
	}
	resp, err := s.Run(&rpc.CriuReq{Type: rpc.ReqRestore, Opts: &rpc.CriuOpts{ImagesDirFd: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if resp.GetRestore().GetPid() != 4242 || started <= 0 {
		t.Fatalf("restore answer %v, criu pid %d", resp, started)
	}
	if s := strings.Join(got, " "); s != "setup-namespaces:4242:0 orphan-pts-master:4242:1 post-restore:4242:0" {
		t.Fatalf("notifications: %s", s)
	}
	// The fd that came with the notification is ours, close-on-exec, and
	// the one sent (/dev/null).
	var st unix.Stat_t
	if err := unix.Fstat(int(files[0].Fd()), &st); err != nil || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		t.Fatalf("received fd: %v %v", st, err)
	}
	if flags, err := unix.FcntlInt(files[0].Fd(), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Fatalf("received fd flags %#x, %v", flags, err)
	}
	data, _ := os.ReadFile(trace)
	if string(data) != "RESTORE\nack setup-namespaces\nack orphan-pts-master\nack post-restore\n" {
		t.Fatalf("criu saw %q", data)
	}

	// A handler's error ends the conversation: criu gets no ack.
	os.Remove(trace)
	s.Notify = func(n *Notification) error { return errors.New("hook failed") }
	if _, err := s.Run(&rpc.CriuReq{Type: rpc.ReqRestore, Opts: &rpc.CriuOpts{ImagesDirFd: -1}}); err == nil || err.Error() != "hook failed" {
		t.Fatalf("failing handler: %v", err)
	}
	data, _ = os.ReadFile(trace)
	if string(data) != "RESTORE\nno ack for setup-namespaces\n" {
		t.Fatalf("criu saw %q", data)
	}
}

func TestSessionFailure(t *testing.T) {
	c := &Criu{Path: fakeCriu(t), Version: 31701}
	dir := t.TempDir()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	t.Setenv("FAKECRIU_ERROR", "Can't dump ghost file /x")
	s := &Session{Criu: c}
	_, err = s.Run(&rpc.CriuReq{Type: rpc.ReqDump, Opts: &rpc.CriuOpts{
		ImagesDirFd: int32(d.Fd()), LogFile: new(DumpLog),
	}})
	var re *RPCError
	if !errors.As(err, &re) || re.Type != rpc.ReqDump || err.Error() != "criu failed: type DUMP errno 0" {
		t.Fatalf("failed dump: %v", err)
	}
	logPath := filepath.Join(dir, DumpLog)
	if got := LogError(err, logPath).Error(); got != "criu failed: type DUMP errno 0: Can't dump ghost file /x (log: "+logPath+")" {
		t.Fatalf("LogError: %s", got)
	}
	// criu that is not there at all.
	s = &Session{Criu: &Criu{Path: "/nonexistent/criu"}}
	if _, err := s.Run(&rpc.CriuReq{Type: rpc.ReqVersion}); err == nil || !strings.Contains(err.Error(), "start criu") {
		t.Fatalf("missing criu: %v", err)
	}
}

func TestErrorLines(t *testing.T) {
	log := `(00.000994) Version: 3.17.1 (gitid 0)
(00.017906) Error (criu/util.c:642): exited, status=1
(00.056450) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds
(00.056453) Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable
(00.056454) Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.
(00.056514) Adjust mmap_min_addr 0x1000 -> 0x10000
Error (criu/crtools.c:260): Could not initialize kernel features detection.
(00.100000) Warn  (criu/x.c:1): not an error
`
	p := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(p, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ErrorLines(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"vdso: Failed to fill self vdso symtable",
		"kerndat_vdso_fill_symtable failed when initializing kerndat.",
		"Could not initialize kernel features detection.",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("ErrorLines = %q, want %q", got, want)
	}
	if _, err := ErrorLines(filepath.Join(t.TempDir(), "none"), 3); !os.IsNotExist(err) {
		t.Fatalf("missing log: %v", err)
	}
}

func TestFormatVersion(t *testing.T) {
	for v, want := range map[int]string{30000: "3.0.0", 31701: "3.17.1", 40000: "4.0.0", 31112: "3.11.12"} {
		if got := FormatVersion(v); got != want {
			t.Errorf("FormatVersion(%d) = %s, want %s", v, got, want)
		}
	}
}

func TestRPCErrorMessage(t *testing.T) {
	e := &RPCError{Type: rpc.ReqDump, Msg: "Error (criu/cr-dump.c:1618): A session leader of 266(1) is outside of its pid namespace\n"}
	want := "criu failed: type DUMP errno 0: A session leader of 266(1) is outside of its pid namespace"
	if e.Error() != want {
		t.Fatalf("%q, want %q", e.Error(), want)
	}
	e = &RPCError{Type: rpc.ReqRestore, Errno: int32(unix.ENOENT)}
	if e.Error() != "criu failed: type RESTORE errno 2 (no such file or directory)" {
		t.Fatal(e.Error())
	}
	// The log's lines are added once.
	p := filepath.Join(t.TempDir(), "dump.log")
	log := "(00.1) Error (a.c:1): first\n(00.2) Error (criu/cr-dump.c:1618): A session leader of 266(1) is outside of its pid namespace\n"
	if err := os.WriteFile(p, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	got := LogError(&RPCError{Type: rpc.ReqDump, Msg: "Error (criu/cr-dump.c:1618): A session leader of 266(1) is outside of its pid namespace\n"}, p).Error()
	if got != want+": first (log: "+p+")" {
		t.Fatalf("LogError: %q", got)
	}
}
