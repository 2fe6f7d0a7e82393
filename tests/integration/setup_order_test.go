package integration

// The order in which runc init sets the process up, as runc 1.5 does it:
// the cwd entered as root before the user change (again as the user only
// if root may not), HOME from the container's /etc/passwd, the
// environment, cwd, namespaces and seccomp filter of each kind of hook, and
// where a failure after the container was created (an execve that fails, a
// startContainer hook) is reported: on the process's stderr, exit 255.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// setupBundle is newBundleWith without ambient capabilities, as runc
// 1.5's spec writes it (an older runc's spec has some, which runc 1.5.3
// warns about on stderr).
func setupBundle(t *testing.T, bin string, args ...string) *bundle {
	t.Helper()
	b := newBundleWith(t, bin, args...)
	b.Spec.Process.Capabilities.Ambient = nil
	b.write()
	return b
}

// TestCwdEnteredAsRoot: a cwd the process's user may not enter (busybox's
// /root is 0700) is entered as root, before the user change, as runc
// does.
func TestCwdEnteredAsRoot(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		b := setupBundle(t, bin, "sh", "-c", "pwd; id -u; id -g")
		b.Spec.Process.User = specs.User{UID: 2000, GID: 2000}
		b.Spec.Process.Cwd = "/root"
		b.write()
		return b.run(nil, "run", b.ID)
	})
	if ref.Code != 0 || ref.Stdout != "/root\n2000\n2000\n" {
		t.Fatalf("runc 1.5.3: exit %d, stdout %q, stderr %q", ref.Code, ref.Stdout, ref.Stderr)
	}
	if ours != ref {
		t.Fatalf("ours: exit %d, stdout %q, stderr %q; want runc 1.5.3's %q", ours.Code, ours.Stdout, ours.Stderr, ref.Stdout)
	}
}

// unmappedDir makes dir in rootfs owned by a host uid that no user
// namespace of the tests maps (so root in the container has no
// CAP_DAC_OVERRIDE over it) and by the host gid hostGID, mode 0050: only
// that group may enter it.
func unmappedDir(t *testing.T, rootfs, dir string, hostGID int) {
	t.Helper()
	p := filepath.Join(rootfs, dir)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 12345, hostGID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o050); err != nil {
		t.Fatal(err)
	}
}

// TestCwdRetriedAsUser: a cwd that root in the container's user namespace
// may not enter (its owner is not mapped) but the process's user may (by
// its group) is entered again once the user is set, as runc does on
// EACCES or EPERM; one that neither may enter fails as runc's does.
func TestCwdRetriedAsUser(t *testing.T) {
	type out struct{ member, other result }
	ours, ref := differential(t, func(t *testing.T, bin string) out {
		var o out
		for _, uid := range []uint32{2000, 3000} {
			b := userNSBundle(t, "sh", "-c", "pwd; id -u")
			b.Bin = bin
			b.Spec.Process.Capabilities.Ambient = nil // as in runc 1.5's spec
			// container gid 2000 is host gid 102000
			unmappedDir(t, filepath.Join(b.Dir, "rootfs"), "shared", 102000)
			b.Spec.Process.User = specs.User{UID: uid, GID: uid}
			b.Spec.Process.Cwd = "/shared"
			b.write()
			r := b.run(nil, "run", b.ID)
			r.Stderr = errMsg(r.Stderr)
			if uid == 2000 {
				o.member = r
			} else {
				o.other = r
			}
		}
		return o
	})
	if ref.member.Code != 0 || ref.member.Stdout != "/shared\n2000\n" {
		t.Fatalf("runc 1.5.3, member of the group: %+v", ref.member)
	}
	if ours.member != ref.member {
		t.Errorf("member of the group: ours %+v, runc 1.5.3 %+v", ours.member, ref.member)
	}
	want := `error during container init: chdir to cwd ("/shared") set in config.json failed: permission denied`
	if ref.other.Code == 0 || !strings.Contains(ref.other.Stderr, want) {
		t.Fatalf("runc 1.5.3, not a member: %+v", ref.other)
	}
	if ours.other != ref.other {
		t.Errorf("not a member: ours %+v, runc 1.5.3 %+v", ours.other, ref.other)
	}
}

// TestRootlessCwd: the same two cases in a rootless container (as a user
// with a subordinate id range, uids 1.. mapped to it): /root (0700, owned
// by the container's root, the user) is entered as root, and a directory
// of an unmapped owner as the process's user.
func TestRootlessCwd(t *testing.T) {
	u := needRootlessUser(t)
	type out struct{ root, shared string }
	ours, ref := differential(t, func(t *testing.T, bin string) out {
		var o out
		for _, cwd := range []string{"/root", "/shared"} {
			b := newRootlessBundle(t, u, "sh", "-c", "pwd; id -u")
			b.Bin = bin
			b.Spec.Process.Capabilities.Ambient = nil // as in runc 1.5's spec
			b.Spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(u.uid), Size: 1}, {ContainerID: 1, HostID: u.subStart, Size: u.subCount}}
			b.Spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(u.gid), Size: 1}, {ContainerID: 1, HostID: u.subStart, Size: u.subCount}}
			// container gid 2000 is host gid subStart+1999
			unmappedDir(t, filepath.Join(b.Dir, "rootfs"), "shared", int(u.subStart)+1999)
			b.Spec.Process.User = specs.User{UID: 2000, GID: 2000}
			b.Spec.Process.Cwd = cwd
			b.write()
			stdout, stderr, code := b.runc("run", b.ID)
			got := fmt.Sprintf("exit %d, stdout %q, stderr %q", code, stdout, errMsg(stderr))
			if cwd == "/root" {
				o.root = got
			} else {
				o.shared = got
			}
		}
		return o
	})
	if want := (out{`exit 0, stdout "/root\n2000\n", stderr ""`, `exit 0, stdout "/shared\n2000\n", stderr ""`}); ref != want {
		t.Fatalf("runc 1.5.3: %+v, want %+v", ref, want)
	}
	if ours != ref {
		t.Fatalf("ours: %+v, runc 1.5.3: %+v", ours, ref)
	}
}

// TestProcessEnvAsRunc: the process's environment as runc 1.5 builds it:
// an empty HOME= is replaced by the user's home from the container's
// /etc/passwd ("/" without an entry), added at the end; a variable set
// twice keeps its last value in the place of its last entry.
func TestProcessEnvAsRunc(t *testing.T) {
	type out struct{ root, user, nobody, noHome string }
	ours, ref := differential(t, func(t *testing.T, bin string) out {
		var o out
		for _, tc := range []struct {
			uid uint32
			env []string
			dst *string
		}{
			{0, []string{"A=1", "PATH=/bin:/usr/bin", "HOME=", "B=2", "A=3"}, &o.root},
			{1000, []string{"PATH=/bin:/usr/bin", "HOME="}, &o.user},
			{2000, []string{"HOME=", "PATH=/bin:/usr/bin"}, &o.nobody},
			{1000, []string{"PATH=/bin:/usr/bin", "TERM=xterm"}, &o.noHome},
		} {
			b := setupBundle(t, bin, "env")
			b.Spec.Process.User = specs.User{UID: tc.uid}
			b.Spec.Process.Env = tc.env
			b.write()
			r := b.run(nil, "run", b.ID)
			*tc.dst = fmt.Sprintf("exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
		}
		return o
	})
	want := out{
		"exit 0: PATH=/bin:/usr/bin\nB=2\nA=3\nHOME=/root\n",
		"exit 0: PATH=/bin:/usr/bin\nHOME=/home/user\n",
		"exit 0: PATH=/bin:/usr/bin\nHOME=/\n",
		"exit 0: PATH=/bin:/usr/bin\nTERM=xterm\nHOME=/home/user\n",
	}
	if ref != want {
		t.Fatalf("runc 1.5.3: %+v, want %+v", ref, want)
	}
	if ours != ref {
		t.Fatalf("ours:\n%+v\nrunc 1.5.3:\n%+v", ours, ref)
	}
}

// TestExecEnvAsRunc: `runc exec -e` on a variable of the config moves it
// to the end, as runc 1.5 does.
func TestExecEnvAsRunc(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) string {
		b := setupBundle(t, bin, "sleep", "100")
		b.Spec.Process.Env = []string{"PATH=/usr/bin:/bin", "TERM=xterm"}
		b.write()
		b.mustRunc("run", "-d", b.ID)
		return b.mustRunc("exec", "-e", "PATH=/bin", "-e", "FOO=bar", "-e", "HOME=", b.ID, "env")
	})
	if want := "TERM=xterm\nPATH=/bin\nFOO=bar\nHOME=/root\n"; ref != want {
		t.Fatalf("runc 1.5.3: %q, want %q", ref, want)
	}
	if ours != ref {
		t.Fatalf("ours %q, runc 1.5.3 %q", ours, ref)
	}
}

// hookKinds are the hooks in the order they run.
var hookKinds = []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}

// hookReport is a hook that writes its cwd, its environment (sorted) and
// whether it runs in the host's mount namespace to file (a host path for
// the runtime's hooks, a path in the container for the container's; a
// createContainer hook's is relative to its cwd).
func hookReport(t *testing.T, file string) specs.Hook {
	hostMnt, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`{ pwd; env | sort; if [ "$(readlink /proc/self/ns/mnt)" = %q ]; then echo host mount ns; else echo container mount ns; fi; } > %s`, hostMnt, file)
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", script}}
}

// TestHookEnvCwdNamespace: each kind of hook, without env, runs with the
// environment, cwd and mount namespace runc 1.5 gives it: the runtime's
// hooks (prestart, createRuntime, poststart, poststop) with runc's own
// environment (nvidia-container-runtime-hook needs its PATH) and cwd (the
// bundle) on the host; createContainer in the container's mount namespace
// before pivot_root, with the rootfs as cwd and an empty environment;
// startContainer in the container with the process's environment and
// cwd. A hook with env gets just that.
func TestHookEnvCwdNamespace(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) string {
		b := setupBundle(t, bin, "true")
		b.Spec.Process.Cwd = "/tmp"
		b.Spec.Process.Env = []string{"PATH=/usr/bin:/bin", "TERM=xterm", "PROCESS_VAR=1"}
		logs := filepath.Join(b.Dir, "hooks")
		if err := os.Mkdir(logs, 0o755); err != nil {
			t.Fatal(err)
		}
		h := &specs.Hooks{}
		for _, kind := range hookKinds {
			file := filepath.Join(logs, kind)
			switch kind {
			case "createContainer":
				file = "./tmp/" + kind // the rootfs is its cwd
			case "startContainer":
				file = "/tmp/" + kind
			}
			hk := hookReport(t, file)
			list := []specs.Hook{hk}
			if kind == "prestart" || kind == "startContainer" {
				// and one with env, whose own is all it gets
				withEnv := hookReport(t, file+"-env")
				withEnv.Env = []string{"HOOK_VAR=1", "PATH=/bin"}
				list = append(list, withEnv)
			}
			switch kind {
			case "prestart":
				h.Prestart = list //nolint:staticcheck // deprecated by the OCI spec, still run: tested
			case "createRuntime":
				h.CreateRuntime = list
			case "createContainer":
				h.CreateContainer = list
			case "startContainer":
				h.StartContainer = list
			case "poststart":
				h.Poststart = list
			case "poststop":
				h.Poststop = list
			}
		}
		b.Spec.Hooks = h
		b.write()
		// runc with an environment of our choosing, run from another
		// directory than the bundle.
		cmd := exec.Command(b.bin(), "--root", b.Root, "run", "--bundle", b.Dir, b.ID)
		cmd.Dir = "/"
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "RUNC_CALLER_VAR=caller"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run: %v: %s", err, out)
		}
		var sb strings.Builder
		for _, kind := range hookKinds {
			files := []string{filepath.Join(logs, kind), filepath.Join(logs, kind+"-env")}
			switch kind {
			case "createContainer", "startContainer":
				files = []string{filepath.Join(b.Dir, "rootfs/tmp", kind), filepath.Join(b.Dir, "rootfs/tmp", kind+"-env")}
			}
			for _, f := range files {
				data, err := os.ReadFile(f)
				if os.IsNotExist(err) && strings.HasSuffix(f, "-env") {
					continue
				}
				if err != nil {
					t.Fatalf("%s hook: %v", kind, err)
				}
				fmt.Fprintf(&sb, "== %s\n%s", filepath.Base(f), strings.ReplaceAll(string(data), b.Dir, "$BUNDLE"))
			}
		}
		return sb.String()
	})
	for _, want := range []string{
		"== prestart\n$BUNDLE\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nPWD=$BUNDLE\nRUNC_CALLER_VAR=caller\nhost mount ns\n",
		"== prestart-env\n$BUNDLE\nHOOK_VAR=1\nPATH=/bin\nPWD=$BUNDLE\nhost mount ns\n",
		"== createContainer\n$BUNDLE/rootfs\nPWD=$BUNDLE/rootfs\ncontainer mount ns\n",
		"== startContainer\n/tmp\nHOME=/root\nPATH=/usr/bin:/bin\nPROCESS_VAR=1\nPWD=/tmp\nSHLVL=1\nTERM=xterm\ncontainer mount ns\n",
		"== poststop\n$BUNDLE\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nPWD=$BUNDLE\nRUNC_CALLER_VAR=caller\nhost mount ns\n",
	} {
		if !strings.Contains(ref, want) {
			t.Fatalf("runc 1.5.3's hooks:\n%s\nwant:\n%s", ref, want)
		}
	}
	if ours != ref {
		t.Fatalf("ours:\n%s\nrunc 1.5.3:\n%s", ours, ref)
	}
}

// TestStartContainerHookUnderSeccomp: with noNewPrivileges, the seccomp
// filter is loaded before the startContainer hooks, which run under it, as
// in runc: a rule making mkdir fail with EOPNOTSUPP fails the hook's
// mkdir.
func TestStartContainerHookUnderSeccomp(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) result {
		b := setupBundle(t, bin, "cat", "/tmp/hook.log")
		b.Spec.Process.NoNewPrivileges = true
		errno := uint(95) // EOPNOTSUPP
		b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &errno}},
		}
		b.Spec.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{
			"sh", "-c",
			"mkdir /tmp/hookdir > /tmp/hook.log 2>&1; echo rc=$? >> /tmp/hook.log",
		}}}}
		b.write()
		return b.run(nil, "run", b.ID)
	})
	if want := "mkdir: can't create directory '/tmp/hookdir': Operation not supported\nrc=1\n"; ref.Stdout != want {
		t.Fatalf("runc 1.5.3: %+v, want stdout %q", ref, want)
	}
	if ours != ref {
		t.Fatalf("ours %+v, runc 1.5.3 %+v", ours, ref)
	}
}

// badInterpreter writes /run.sh, a script whose interpreter does not
// exist: the lookup of the executable succeeds, its execve fails (ENOENT).
func badInterpreter(t *testing.T, b *bundle) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(b.Dir, "rootfs/run.sh"), []byte("#!/nonexistent\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// createWithStdio runs `runc create` with the container's (and runc's)
// stdout and stderr going to files, returned open: what the process, or
// its init, writes after create can be read from them.
func createWithStdio(t *testing.T, b *bundle) (code int, stdout, stderr *os.File) {
	t.Helper()
	stdout, stderr = b.tempFile(), b.tempFile()
	t.Cleanup(func() { stdout.Close(); stderr.Close() })
	cmd := exec.Command(b.bin(), "--root", b.Root, "create", b.ID)
	cmd.Dir, cmd.Stdout, cmd.Stderr = b.Dir, stdout, stderr
	r := harness.RunCmd(t, cmd, harness.RunTimeout)
	if r.Code == -1 {
		t.Fatal(r.Stderr)
	}
	return r.Code, stdout, stderr
}

// waitWritten waits (up to 10s) for read to give something and returns it
// ("" if nothing came).
func waitWritten(read func() string) string {
	var s string
	harness.Poll(10*time.Second, func() bool { s = read(); return s != "" })
	return s
}

// fileText reads f when called.
func fileText(f *os.File) func() string { return func() string { return readAll(f) } }

// TestExecveFailureReported: an execve that fails once the container is
// created (a script whose interpreter is missing) is printed by the init
// on the process's stderr as runc 1.5 prints it, `exec /run.sh: no such
// file or directory`, with exit status 255: runc run exits 255; runc
// start succeeds and the message is on the container's stderr (it was
// lost); runc exec exits 255 (and -d 0, the message on its stderr).
func TestExecveFailureReported(t *testing.T) {
	const msg = "exec /run.sh: no such file or directory\n"
	type out struct {
		run result
		// create+start: their exit codes and stderr, then what the
		// container's stderr (create's) shows
		createCode, startCode  int
		createErr, startErr    string
		containerErr           string
		exec, execDetached     result
		execDetachedProcessErr string
	}
	ours, ref := differential(t, func(t *testing.T, bin string) out {
		var o out
		b := setupBundle(t, bin, "/run.sh")
		badInterpreter(t, b)
		o.run = b.run(nil, "run", b.ID)

		b = setupBundle(t, bin, "/run.sh")
		badInterpreter(t, b)
		var stderr *os.File
		o.createCode, _, stderr = createWithStdio(t, b)
		o.createErr = readAll(stderr)
		_, o.startErr, o.startCode = b.runc("start", b.ID)
		b.waitStatus("stopped")
		o.containerErr = waitWritten(fileText(stderr))

		b = setupBundle(t, bin, "sleep", "100")
		badInterpreter(t, b)
		b.mustRunc("run", "-d", b.ID)
		o.exec = b.run(nil, "exec", b.ID, "/run.sh")
		r := b.runAsync("exec", "-d", b.ID, "/run.sh")
		o.execDetached = r.wait()
		o.execDetached.Stderr = ""
		// the process's stderr is runc exec -d's
		o.execDetachedProcessErr = waitWritten(r.Stderr)
		return o
	})
	want := out{
		run:                    result{Stderr: msg, Code: 255},
		containerErr:           msg,
		exec:                   result{Stderr: msg, Code: 255},
		execDetachedProcessErr: msg,
	}
	if ref != want {
		t.Fatalf("runc 1.5.3: %+v\nwant %+v", ref, want)
	}
	if ours != ref {
		t.Fatalf("ours:\n%+v\nrunc 1.5.3:\n%+v", ours, ref)
	}
}

// TestStartContainerHookFailureReported: a startContainer hook that fails
// fails the process's start as an execve failure does (runc 1.5): on the
// process's stderr, exit 255, with runc run and with create+start (where
// it was lost).
func TestStartContainerHookFailureReported(t *testing.T) {
	const prefix = "error running startContainer hook #0: "
	type out struct {
		runCode, startCode int
		runErr, startErr   string
	}
	ours, ref := differential(t, func(t *testing.T, bin string) out {
		var o out
		hooks := &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo hook-says-no >&2; exit 3"}}}}
		b := setupBundle(t, bin, "echo", "process ran")
		b.Spec.Hooks = hooks
		b.write()
		r := b.run(nil, "run", b.ID)
		o.runCode, o.runErr = r.Code, r.Stdout+r.Stderr

		b = setupBundle(t, bin, "echo", "process ran")
		b.Spec.Hooks = hooks
		b.write()
		code, stdout, stderr := createWithStdio(t, b)
		if code != 0 {
			t.Fatalf("create: exit %d: %s", code, readAll(stderr))
		}
		_, _, o.startCode = b.runc("start", b.ID)
		b.waitStatus("stopped")
		o.startErr = waitWritten(fileText(stderr)) + readAll(stdout)
		return o
	})
	for name, r := range map[string]out{"ours": ours, "runc 1.5.3": ref} {
		if r.runCode != 255 || r.startCode != 0 {
			t.Errorf("%s: run exit %d (want 255), start exit %d (want 0)", name, r.runCode, r.startCode)
		}
		for what, s := range map[string]string{"run": r.runErr, "container's stderr after start": r.startErr} {
			if !strings.HasPrefix(s, prefix) || !strings.Contains(s, "exit status 3") || !strings.Contains(s, "hook-says-no") || strings.Contains(s, "process ran") {
				t.Errorf("%s: %s: %q, want the hook's failure (%s...) and no process", name, what, s, prefix)
			}
		}
	}
}

// TestInitErrorPrefix: a new container's init failure reads as runc 1.5's,
// "error during container init: ..." (an exec's has no such prefix).
func TestInitErrorPrefix(t *testing.T) {
	type out struct{ run, create, exec string }
	ours, ref := differential(t, func(t *testing.T, bin string) out {
		var o out
		b := setupBundle(t, bin, "/nonexistent")
		_, stderr, _ := b.runc("run", b.ID)
		o.run = errMsg(stderr)
		_, stderr, _ = b.runc("create", b.ID)
		o.create = errMsg(stderr)
		b = setupBundle(t, bin, "sleep", "100")
		b.mustRunc("run", "-d", b.ID)
		_, stderr, _ = b.runc("exec", b.ID, "/nonexistent")
		o.exec = errMsg(stderr)
		return o
	})
	const lookup = `exec: "/nonexistent": stat /nonexistent: no such file or directory`
	want := out{
		run:    "runc run failed: unable to start container process: error during container init: " + lookup,
		create: "runc create failed: unable to start container process: error during container init: " + lookup,
		exec:   "exec failed: unable to start container process: " + lookup,
	}
	if ref != want {
		t.Fatalf("runc 1.5.3: %+v\nwant %+v", ref, want)
	}
	if ours != ref {
		t.Fatalf("ours:\n%+v\nrunc 1.5.3:\n%+v", ours, ref)
	}
}

// TestInitErrorPrefixHooks: a failing hook of a new container, run by the
// runtime (prestart) or by the init (createContainer), is reported as runc
// 1.5 reports it, "error during container init: error running <kind> hook
// #0: ..." (what follows names the hook's exit and output, in our words).
func TestInitErrorPrefixHooks(t *testing.T) {
	ours, ref := differential(t, func(t *testing.T, bin string) map[string]string {
		out := map[string]string{}
		for _, kind := range []string{"prestart", "createContainer"} {
			b := setupBundle(t, bin, "true")
			h := []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo hook-says-no >&2; exit 4"}}}
			if kind == "prestart" {
				b.Spec.Hooks = &specs.Hooks{Prestart: h} //nolint:staticcheck // deprecated by the OCI spec, still run: tested
			} else {
				b.Spec.Hooks = &specs.Hooks{CreateContainer: h}
			}
			b.write()
			_, stderr, code := b.runc("run", b.ID)
			out[kind] = fmt.Sprintf("exit %d: %s", code, errMsg(stderr))
		}
		return out
	})
	for _, kind := range []string{"prestart", "createContainer"} {
		prefix := "exit 1: runc run failed: unable to start container process: error during container init: error running " + kind + " hook #0: "
		for name, got := range map[string]string{"ours": ours[kind], "runc 1.5.3": ref[kind]} {
			if !strings.HasPrefix(got, prefix) || !strings.Contains(got, "exit status 4") || !strings.Contains(got, "hook-says-no") {
				t.Errorf("%s, failing %s hook: %q, want %q...", name, kind, got, prefix)
			}
		}
	}
}

// TestPrestartHookSeesLimits: the cgroup limits are set before the
// prestart and createRuntime hooks run, and what a hook adds to them
// stays, as in runc 1.5: a prestart hook reads the container's pids.max,
// and on cgroup v1 allows one more device (as a GPU hook does), which the
// container then finds in its devices.list.
func TestPrestartHookSeesLimits(t *testing.T) {
	v1Devices := "/sys/fs/cgroup/devices"
	if _, err := os.Stat(v1Devices); err != nil {
		v1Devices = "" // cgroup v2: device rules are a BPF program
	}
	ours, ref := differential(t, func(t *testing.T, bin string) string {
		b := setupBundle(t, bin, "sh", "-c", "grep '^b 7:0' /sys/fs/cgroup/devices/devices.list || echo no loop0 rule")
		report := filepath.Join(b.Dir, "prestart")
		script := fmt.Sprintf(`cg=%s; if [ -d /sys/fs/cgroup/pids ]; then f=/sys/fs/cgroup/pids$cg; else f=/sys/fs/cgroup$cg; fi
cat $f/pids.max > %s
if [ -n %q ]; then echo 'b 7:0 r' > %s$cg/devices.allow; fi`, b.CgroupPath(), report, v1Devices, v1Devices)
		pids := int64(42)
		if b.Spec.Linux.Resources == nil {
			b.Spec.Linux.Resources = &specs.LinuxResources{}
		}
		b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: &pids}
		b.Spec.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", script}}}} //nolint:staticcheck // deprecated by the OCI spec, still run: tested
		b.write()
		out := b.mustRunc("run", b.ID)
		data, err := os.ReadFile(report)
		if err != nil {
			t.Fatalf("prestart hook: %v", err)
		}
		if v1Devices == "" {
			out = ""
		}
		return "pids.max in the hook: " + strings.TrimSpace(string(data)) + "; container: " + strings.TrimSpace(out)
	})
	want := "pids.max in the hook: 42; container: b 7:0 r"
	if v1Devices == "" {
		want = "pids.max in the hook: 42; container: "
	}
	if ref != want {
		t.Fatalf("runc 1.5.3: %q, want %q", ref, want)
	}
	if ours != ref {
		t.Fatalf("ours %q, runc 1.5.3 %q", ours, ref)
	}
}
