package integration

// The regression tests of runc's CVEs from 2024 on (cve_test.go has the
// older ones and says how they are built).

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// CVE-2024-21626: an fd runc leaked into the container (a host directory)
// could be used as the working directory, /proc/self/fd/N, and reach the
// host from there. No runtime fd may be open in the container process, and
// a cwd outside the container's root is refused.
func TestCVE_2024_21626(t *testing.T) {
	t.Run("no fd leaks", func(t *testing.T) {
		b := newBundle(t)
		out := b.runScript("ls /proc/self/fd")
		// ls itself holds one fd (3) on the directory it lists.
		if got := strings.Fields(out); strings.Join(got, " ") != "0 1 2 3" {
			t.Fatalf("the container process has fds %q, want only stdio", got)
		}
	})
	t.Run("no fd leaks with close_range denied", func(t *testing.T) {
		// A seccomp profile that predates close_range(2) denies it (the
		// OCI validation suite's does, as do older Docker profiles): the
		// fds must still be closed, by a walk of /proc/self/fd.
		for _, nnp := range []bool{false, true} {
			b := newBundle(t, "ls", "/proc/self/fd")
			b.Spec.Process.NoNewPrivileges = nnp
			b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"close_range"}, Action: specs.ActErrno}},
			}
			b.write()
			r := b.run(nil, "run", b.ID)
			if r.Code != 0 {
				t.Fatalf("noNewPrivileges=%v: exit %d: %s", nnp, r.Code, r.Stderr)
			}
			if got := strings.Fields(r.Stdout); strings.Join(got, " ") != "0 1 2 3" {
				t.Fatalf("noNewPrivileges=%v: the container process has fds %q, want only stdio", nnp, got)
			}
		}
	})
	t.Run("process.cwd", func(t *testing.T) {
		for fd := 3; fd <= 12; fd++ {
			b := newBundle(t, "sh", "-c", "echo CONTAINER-RAN; pwd; ls ../../../../../ | head -3")
			b.Spec.Process.Cwd = fmt.Sprintf("/proc/self/fd/%d", fd)
			b.write()
			r := b.run(nil, "run", b.ID)
			if r.Code == 0 {
				// Allowed only if the fd was a directory inside the
				// container (it is not: no such fd is open).
				t.Fatalf("cwd %s: the process ran: %q", b.Spec.Process.Cwd, r.Stdout)
			}
			if !strings.Contains(r.Stderr, "chdir to cwd") && !strings.Contains(r.Stderr, "outside of the container") {
				t.Fatalf("cwd %s: exit %d with %q", b.Spec.Process.Cwd, r.Code, r.Stderr)
			}
		}
	})
	t.Run("preserved directory fd as cwd", func(t *testing.T) {
		// A host directory handed in with --preserve-fds is reachable as
		// /proc/self/fd/3: the check on the working directory (getcwd
		// after chdir) is what refuses it.
		hostDir := t.TempDir()
		dir, err := os.Open(hostDir)
		if err != nil {
			t.Fatal(err)
		}
		defer dir.Close()
		b := newBundle(t, "sh", "-c", "echo CONTAINER-RAN; pwd; touch escaped")
		b.Spec.Process.Cwd = "/proc/self/fd/3"
		b.write()
		cmd := exec.Command(runcBin, "--root", b.Root, "run", "--preserve-fds", "1", b.ID)
		cmd.Dir = b.Dir
		cmd.ExtraFiles = []*os.File{dir}
		r := harness.RunCombined(t, cmd, harness.RunTimeout)
		out := r.Stdout
		if r.Code == 0 || strings.Contains(out, "CONTAINER-RAN") {
			t.Fatalf("the process ran with a host directory as its cwd: %s", out)
		}
		mustContain(t, "output", out, "outside of the container's root")
		cveEmptyDir(t, hostDir)
	})
	t.Run("exec --cwd", func(t *testing.T) {
		b := newBundle(t, "sleep", "100")
		b.mustRunc("run", "-d", b.ID)
		r := b.run(nil, "exec", b.ID, "ls", "/proc/self/fd")
		if got := strings.Fields(r.Stdout); r.Code != 0 || strings.Join(got, " ") != "0 1 2 3" {
			t.Fatalf("exec'd process has fds %q (exit %d, %s), want only stdio", got, r.Code, r.Stderr)
		}
		for fd := 3; fd <= 12; fd++ {
			r := b.run(nil, "exec", "--cwd", fmt.Sprintf("/proc/self/fd/%d", fd), b.ID, "sh", "-c", "echo CONTAINER-RAN; pwd")
			if r.Code == 0 {
				t.Fatalf("exec --cwd /proc/self/fd/%d: the process ran: %q", fd, r.Stdout)
			}
		}
	})
}

// CVE-2025-31133: masked paths were covered by bind-mounting the
// container's /dev/null, which the container could replace with a symlink
// (here to a file of the image) or something else, unmasking or
// redirecting the mount. The mask must be the real null device and the
// symlink's target left alone.
func TestCVE_2025_31133(t *testing.T) {
	for name, replace := range map[string]string{
		"symlink":      `ln -s /etc/victim $R/dev/null`,
		"regular file": `echo fake > $R/dev/null`,
		"directory":    `mkdir $R/dev/null`,
	} {
		t.Run(name, func(t *testing.T) {
			b := newBundle(t)
			if err := os.WriteFile(filepath.Join(b.Dir, "rootfs/etc/victim"), []byte("victim\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			b.Spec.Linux.MaskedPaths = append(b.Spec.Linux.MaskedPaths, "/etc/secret")
			if err := os.WriteFile(filepath.Join(b.Dir, "rootfs/etc/secret"), []byte("secret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			// /dev/null may be a bind mount of the host's: take it away.
			cveHook(b, "umount $R/dev/null 2>/dev/null || true\nrm -f $R/dev/null\n"+replace)
			b.Spec.Process.Args = []string{"sh", "-c", `echo CONTAINER-RAN; stat -c '%n %t:%T %F' /proc/kcore /etc/secret; cat /etc/secret | wc -c; grep -c ' /etc/victim ' /proc/self/mountinfo; cat /etc/victim`}
			b.write()
			r := b.run(nil, "run", b.ID)
			cveAttackDone(t, b)
			if r.Code != 0 {
				// Refusing to start is a correct outcome too.
				t.Logf("refused: %s", strings.TrimSpace(r.Stderr))
				return
			}
			for _, want := range []string{
				"/proc/kcore 1:3 character special file",
				"/etc/secret 1:3 character special file",
			} {
				if _, err := os.Stat("/proc/kcore"); err != nil && strings.HasPrefix(want, "/proc/kcore") {
					continue
				}
				mustContain(t, "stdout", r.Stdout, want)
			}
			if !strings.HasSuffix(r.Stdout, "0\n0\nvictim\n") {
				t.Fatalf("the masked file leaked or the symlink target was mounted on: %q", r.Stdout)
			}
		})
	}
}

// cveConsole is a --console-socket receiver: it accepts one connection
// and keeps the pty master it receives.
type cveConsole struct {
	path   string
	master chan *os.File
}

func newCveConsole(t *testing.T) *cveConsole {
	t.Helper()
	c := &cveConsole{path: filepath.Join(t.TempDir(), "console.sock"), master: make(chan *os.File, 1)}
	lfd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(lfd, &unix.SockaddrUnix{Name: c.path}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 1); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer unix.Close(lfd)
		cfd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		if err != nil {
			close(c.master)
			return
		}
		defer unix.Close(cfd)
		buf := make([]byte, 4096)
		oob := make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := unix.Recvmsg(cfd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == nil {
			if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil && len(msgs) == 1 {
				if fds, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(fds) == 1 {
					c.master <- os.NewFile(uintptr(fds[0]), "pty master")
					return
				}
			}
		}
		close(c.master)
	}()
	return c
}

// output reads what the container writes on its terminal until it closes.
func (c *cveConsole) output(t *testing.T) string {
	t.Helper()
	var m *os.File
	select {
	case m = <-c.master:
	case <-time.After(10 * time.Second):
		t.Fatal("no pty master received")
	}
	if m == nil {
		t.Fatal("console socket: no pty master")
	}
	defer m.Close()
	var out bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := m.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			return strings.ReplaceAll(out.String(), "\r\n", "\n")
		}
	}
}

// CVE-2025-52565: the pty slave was bind-mounted onto /dev/console by path;
// a /dev/console (or /dev/pts entry) that the container replaced by a
// symlink redirected that bind mount onto another file (for instance one in
// /proc). The console must be the container's pty and the symlink's target
// left alone.
func TestCVE_2025_52565(t *testing.T) {
	for name, attack := range map[string]string{
		// No attack: the console must work (so the test can tell).
		"baseline":             "true",
		"/dev/console symlink": "umount $R/dev/console 2>/dev/null || true\nrm -f $R/dev/console\nln -s /etc/victim $R/dev/console",
		"/dev/pts replaced":    "umount -l $R/dev/pts\nrm -rf $R/dev/pts\nmkdir -p $R/fakepts\nln -s /etc/victim $R/fakepts/0\nln -s /etc/victim $R/fakepts/ptmx\nln -s /fakepts $R/dev/pts",
	} {
		t.Run(name, func(t *testing.T) {
			b := newBundle(t)
			if err := os.WriteFile(filepath.Join(b.Dir, "rootfs/etc/victim"), []byte("victim\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cveHook(b, attack)
			b.Spec.Process.Terminal = true
			b.Spec.Process.Args = []string{"sh", "-c", `echo CONTAINER-RAN; grep -c ' /etc/victim ' /proc/self/mountinfo; cat /etc/victim; stat -c '%F' /dev/console`}
			b.write()
			con := newCveConsole(t)
			r := b.run(nil, "run", "-d", "--console-socket", con.path, b.ID)
			cveAttackDone(t, b)
			if r.Code != 0 && name == "baseline" {
				t.Fatalf("a container with a terminal did not start: %s", r.Stderr)
			}
			if r.Code != 0 {
				t.Logf("refused: %s", strings.TrimSpace(r.Stderr))
			} else {
				out := con.output(t)
				if !strings.Contains(out, "CONTAINER-RAN\n0\nvictim\ncharacter special file") {
					t.Fatalf("the console bind mount was redirected: %q", out)
				}
			}
			data, err := os.ReadFile(filepath.Join(b.Dir, "rootfs/etc/victim"))
			if err != nil || string(data) != "victim\n" {
				t.Fatalf("the symlink's target changed: %q %v", data, err)
			}
		})
	}
}

// readNetSysctl reads a sysctl of pid's network namespace (the host's
// view of it, not through the container's /proc).
func readNetSysctl(t *testing.T, pid int, name string) string {
	t.Helper()
	type res struct {
		v   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // this thread changes netns: never unlocked, it dies
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err != nil {
			ch <- res{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{err: err}
			return
		}
		// /proc/sys/net shows the network namespace of the reader.
		data, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(name, ".", "/"))
		ch <- res{strings.TrimSpace(string(data)), err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// CVE-2025-52881: writes runc made to /proc (sysctls, LSM labels) could be
// redirected by mounts the container controls, onto other files (in the
// real attack, host-wide procfs files). The runtime writes through its own
// procfs handle: a bind mount over the container's /proc/sys/... does not
// receive the write, and the real setting is made.
func TestCVE_2025_52881(t *testing.T) {
	decoy := filepath.Join(t.TempDir(), "decoy")
	if err := os.WriteFile(decoy, []byte("decoy\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	b := newBundle(t, "sleep", "100")
	b.Spec.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	// Keep /proc/sys writable, so that the bind mount stays in the way
	// of a runtime writing through the container's /proc.
	var ro []string
	for _, p := range b.Spec.Linux.ReadonlyPaths {
		if p != "/proc/sys" {
			ro = append(ro, p)
		}
	}
	b.Spec.Linux.ReadonlyPaths = ro
	cveHook(b, "mount --bind "+decoy+" $R/proc/sys/net/ipv4/ip_forward")
	b.write()
	b.mustRunc("run", "-d", b.ID)
	cveAttackDone(t, b)
	if data, _ := os.ReadFile(decoy); string(data) != "decoy\n" {
		t.Fatalf("the sysctl write landed on the file bound over /proc/sys/net/ipv4/ip_forward: %q", data)
	}
	if v := readNetSysctl(t, b.initPid(), "net.ipv4.ip_forward"); v != "1" {
		t.Fatalf("the container's net.ipv4.ip_forward is %q, want 1", v)
	}
	b.mustRunc("kill", b.ID, "KILL")
	b.waitStatus("stopped")
}
