package integration

// Time namespaces with linux.timeOffsets: with and without a user
// namespace, as root and rootless, for the init and for exec'd processes,
// side by side with runc 1.5.3.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// The offsets of the tests: far enough apart from the host's clocks that
// a container's uptime tells which namespace it is in.
const (
	timensMonotonic = 10 * 86400
	timensBoottime  = 20 * 86400
)

// timensScript prints the offsets and the uptime a process sees.
const timensScript = "cat /proc/self/timens_offsets; cut -d' ' -f1 /proc/uptime"

func needTimeNS(t *testing.T) {
	t.Helper()
	harness.Requires(t, harness.TimeNS)
}

// addTimeNS gives spec a new time namespace with the tests' offsets.
func addTimeNS(s *specs.Spec) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{
		"monotonic": {Secs: timensMonotonic, Nanosecs: 500},
		"boottime":  {Secs: timensBoottime},
	}
}

// timensSeen is what timensScript printed: the offsets (whitespace
// folded) and whether the uptime is the host's moved by the boot time
// offset.
type timensSeen struct {
	Offsets  string
	UptimeOK bool
}

func parseTimens(t *testing.T, out string) timensSeen {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("output %q: want two offsets and the uptime", out)
	}
	var offs []string
	for _, l := range lines[:2] {
		offs = append(offs, strings.Join(strings.Fields(l), " "))
	}
	hostUp, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	host, _ := strconv.ParseFloat(strings.Fields(string(hostUp))[0], 64)
	ctr, err := strconv.ParseFloat(strings.TrimSpace(lines[2]), 64)
	if err != nil {
		t.Fatalf("uptime %q: %v", lines[2], err)
	}
	d := ctr - host
	return timensSeen{Offsets: strings.Join(offs, "; "), UptimeOK: d > timensBoottime-60 && d < timensBoottime+60}
}

// wantTimens is what a process in the tests' time namespace sees.
var wantTimens = timensSeen{
	Offsets:  "monotonic " + strconv.Itoa(timensMonotonic) + " 500; boottime " + strconv.Itoa(timensBoottime) + " 0",
	UptimeOK: true,
}

// TestTimeNSOffsets: a container with a new time namespace and
// linux.timeOffsets, in a user namespace of its own or not: its init and
// a process exec'd into it see the offsets, as with runc 1.5.3. In a user
// namespace the container used to fail with `open
// /proc/self/timens_offsets: Permission denied` (the runtime must write
// them, the init may not).
func TestTimeNSOffsets(t *testing.T) {
	needTimeNS(t)
	type seen struct{ Run, Exec timensSeen }
	for _, userns := range []bool{true, false} {
		name := "no user namespace"
		if userns {
			name = "user namespace"
		}
		t.Run(name, func(t *testing.T) {
			ours, ref := differential(t, func(t *testing.T, bin string) seen {
				var b *bundle
				if userns {
					b = userNSBundle(t, "sh", "-c", timensScript)
					b.Bin = bin
				} else {
					b = newBundleWith(t, bin, "sh", "-c", timensScript)
				}
				addTimeNS(b.Spec)
				b.write()
				var s seen
				stdout, stderr, code := b.runc("run", b.ID)
				if code != 0 {
					t.Fatalf("run: exit %d: %s", code, stderr)
				}
				s.Run = parseTimens(t, stdout)

				b.Spec.Process.Args = []string{"sleep", "100"}
				b.write()
				b.mustRunc("run", "-d", b.ID)
				s.Exec = parseTimens(t, b.mustRunc("exec", b.ID, "sh", "-c", timensScript))
				b.mustRunc("delete", "--force", b.ID)
				return s
			})
			if ours != ref {
				t.Errorf("ours %+v, runc 1.5.3 %+v", ours, ref)
			}
			if ours.Run != wantTimens || ours.Exec != wantTimens {
				t.Errorf("ours %+v, want %+v for both", ours, wantTimens)
			}
		})
	}
}

// TestTimeNSJoinedUserNS: a new time namespace with offsets in a user
// namespace the container joins (that of another container): the runtime
// writes the offsets, as runc 1.5.3 does.
func TestTimeNSJoinedUserNS(t *testing.T) {
	needTimeNS(t)
	type seen struct{ Run, Exec timensSeen }
	ours, ref := differential(t, func(t *testing.T, bin string) seen {
		owner := userNSBundle(t, "sleep", "100")
		owner.Bin = bin
		owner.mustRunc("run", "-d", owner.ID)
		b := newBundleWith(t, bin, "sh", "-c", timensScript)
		b.Spec.Root.Path = filepath.Join(owner.Dir, "rootfs")
		b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{
			Type: specs.UserNamespace, Path: fmt.Sprintf("/proc/%d/ns/user", owner.initPid()),
		})
		addTimeNS(b.Spec)
		b.write()
		var s seen
		stdout, stderr, code := b.runc("run", b.ID)
		if code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		s.Run = parseTimens(t, stdout)

		b.Spec.Process.Args = []string{"sleep", "100"}
		b.write()
		b.mustRunc("run", "-d", b.ID)
		s.Exec = parseTimens(t, b.mustRunc("exec", b.ID, "sh", "-c", timensScript))
		b.mustRunc("delete", "--force", b.ID)
		owner.mustRunc("delete", "--force", owner.ID)
		return s
	})
	if ours != ref {
		t.Errorf("ours %+v, runc 1.5.3 %+v", ours, ref)
	}
	if ours.Run != wantTimens || ours.Exec != wantTimens {
		t.Errorf("ours %+v, want %+v for both", ours, wantTimens)
	}
}

// TestRootlessTimeNS: rootless, a container with a time namespace and
// linux.timeOffsets runs, and a process exec'd into it, before and after
// start, joins its time namespace, as with runc 1.5.3.
func TestRootlessTimeNS(t *testing.T) {
	needTimeNS(t)
	u := needRootlessUser(t)
	type seen struct{ Run, ExecCreated, Exec timensSeen }
	ours, ref := differential(t, func(t *testing.T, bin string) seen {
		b := newRootlessBundle(t, u, "sh", "-c", timensScript)
		b.Bin = bin
		addTimeNS(b.Spec)
		b.write()
		var s seen
		stdout, stderr, code := b.runc("run", b.ID)
		if code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		s.Run = parseTimens(t, stdout)

		b.Spec.Process.Args = []string{"sleep", "100"}
		b.write()
		b.mustRunc("create", b.ID)
		s.ExecCreated = parseTimens(t, b.mustRunc("exec", b.ID, "sh", "-c", timensScript))
		b.mustRunc("start", b.ID)
		s.Exec = parseTimens(t, b.mustRunc("exec", b.ID, "sh", "-c", timensScript))
		b.mustRunc("delete", "--force", b.ID)
		return s
	})
	if ours != ref {
		t.Errorf("ours %+v, runc 1.5.3 %+v", ours, ref)
	}
	if want := (seen{wantTimens, wantTimens, wantTimens}); ours != want {
		t.Errorf("ours %+v, want %+v", ours, want)
	}
}

// TestRootlessTimeNSRootInSubIDs: rootless, with the container's root
// mapped into the user's subordinate ids (newuidmap), time offsets still
// apply: stage 0 makes the time namespace, and the runtime writes its
// offsets, before it becomes that root. (runc 1.5.3 refuses this mapping
// rootless: `fchown fd 9: operation not permitted`.)
func TestRootlessTimeNSRootInSubIDs(t *testing.T) {
	needTimeNS(t)
	u := needRootlessUser(t)
	b := newRootlessBundle(t, u, "sh", "-c", timensScript)
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: u.subStart, Size: u.subCount}}
	b.Spec.Linux.UIDMappings, b.Spec.Linux.GIDMappings = m, m
	addTimeNS(b.Spec)
	b.write()
	if out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", u.subStart, u.subStart), filepath.Join(b.Dir, "rootfs")).CombinedOutput(); err != nil {
		t.Fatalf("chown rootfs: %v: %s", err, out)
	}
	stdout, stderr, code := b.runc("run", b.ID)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	if got := parseTimens(t, stdout); got != wantTimens {
		t.Errorf("seen %+v, want %+v", got, wantTimens)
	}
}
