package devices

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"
)

// These tests attach programs to a cgroup v2 directory of their own and
// have a child in it try device accesses. On a cgroup v1 "hybrid" host
// the unified hierarchy (/sys/fs/cgroup/unified) serves: BPF device
// programs apply to the processes of its cgroups whatever v1 does.

const probeChildEnv = "DEVICES_TEST_PROBE_CHILD"

// probeChild waits for a line on stdin (it is in the cgroup then), tries
// the accesses its arguments name ("r PATH", "w PATH", "m c MAJOR:MINOR")
// and prints "ok" or "denied" for each, one a line.
func probeChild() {
	_, _ = io.ReadFull(os.Stdin, make([]byte, 1))
	dir := os.Getenv(probeChildEnv)
	for i, a := range os.Args[1:] {
		op, arg, _ := strings.Cut(a, " ")
		var err error
		switch op {
		case "r", "w":
			flag := os.O_RDONLY
			if op == "w" {
				flag = os.O_WRONLY
			}
			var f *os.File
			if f, err = os.OpenFile(arg, flag, 0); err == nil {
				f.Close()
			}
		case "m":
			var typ rune
			var major, minor uint32
			if _, err = fmt.Sscanf(arg, "%c %d:%d", &typ, &major, &minor); err != nil {
				break
			}
			mode := uint32(unix.S_IFCHR)
			if typ == 'b' {
				mode = unix.S_IFBLK
			}
			p := filepath.Join(dir, "node"+strconv.Itoa(i))
			if err = unix.Mknod(p, mode|0o600, int(unix.Mkdev(major, minor))); err == nil {
				os.Remove(p)
			}
		}
		switch {
		case err == nil:
			fmt.Println("ok")
		case errors.Is(err, os.ErrPermission):
			fmt.Println("denied")
		default:
			fmt.Println("error:", err)
		}
	}
}

// testCgroup2 makes a cgroup v2 directory for the test, removed at the
// end, and skips where there is none to be had.
func testCgroup2(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	needBPF(t)
	var root string
	for _, dir := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			root = dir
			break
		}
	}
	if root == "" {
		t.Skip("no cgroup v2 hierarchy")
	}
	return makeTestCgroup(t, root)
}

// makeTestCgroup makes a cgroup of the test's own under root, removed
// when the test ends.
func makeTestCgroup(t *testing.T, root string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	dir := filepath.Join(root, "runc-test-devices-"+hex.EncodeToString(b))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove the test cgroup: %v", err)
		}
	})
	return dir
}

// probe runs a child in the cgroup dir trying the accesses, and returns
// its verdicts.
func probe(t *testing.T, dir string, accesses ...string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], accesses...)
	cmd.Env = append(os.Environ(), probeChildEnv+"="+t.TempDir())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	joinErr := cgroups.WriteFile(dir, "cgroup.procs", strconv.Itoa(cmd.Process.Pid))
	if joinErr != nil {
		_ = cmd.Process.Kill()
	}
	_, _ = in.Write([]byte{'\n'})
	in.Close()
	if err := cmd.Wait(); err != nil || joinErr != nil {
		t.Fatalf("probe child: %v, %v; stderr %q", joinErr, err, errOut.String())
	}
	return strings.Fields(strings.ReplaceAll(out.String(), "error: ", "error:"))
}

func mustSetV2(t *testing.T, dir string, r *cgroups.Resources) []uint32 {
	t.Helper()
	if err := SetV2(dir, r); err != nil {
		t.Fatalf("SetV2: %v", err)
	}
	ids, err := AttachedPrograms(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

var deviceProbes = []string{"r /dev/null", "w /dev/null", "r /dev/zero", "w /dev/zero", "r /dev/full", "m c 1:3", "m c 1:7"}

func TestSetV2Enforces(t *testing.T) {
	dir := testCgroup2(t)
	if got := probe(t, dir, deviceProbes...); !slices.Equal(got, []string{"ok", "ok", "ok", "ok", "ok", "ok", "ok"}) {
		t.Fatalf("no program yet: %q", got)
	}

	r := &cgroups.Resources{Devices: rules(t, "deny a", "allow c 1:3 rwm", "allow c 1:5 r")}
	ids := mustSetV2(t, dir, r)
	if len(ids) != 1 {
		t.Fatalf("%d programs attached, want 1", len(ids))
	}
	want := []string{"ok", "ok", "ok", "denied", "denied", "ok", "denied"}
	if got := probe(t, dir, deviceProbes...); !slices.Equal(got, want) {
		t.Fatalf("first rules: %q, want %q", got, want)
	}

	// An update replaces the program.
	r = &cgroups.Resources{Devices: rules(t, "deny a", "allow c 1:5 rw", "allow c 1:7 rwm")}
	ids2 := mustSetV2(t, dir, r)
	if len(ids2) != 1 || ids2[0] == ids[0] {
		t.Fatalf("programs %v after the update, was %v: want one new one", ids2, ids)
	}
	want = []string{"denied", "denied", "ok", "ok", "ok", "denied", "ok"}
	if got := probe(t, dir, deviceProbes...); !slices.Equal(got, want) {
		t.Fatalf("updated rules: %q, want %q", got, want)
	}

	// SkipDevices leaves it alone.
	if ids3 := mustSetV2(t, dir, &cgroups.Resources{SkipDevices: true}); !slices.Equal(ids3, ids2) {
		t.Fatalf("programs %v after a SkipDevices Set, was %v", ids3, ids2)
	}

	// A deny list.
	r = &cgroups.Resources{Devices: rules(t, "allow a", "deny c 1:5 w", "deny c 1:3 r")}
	if ids := mustSetV2(t, dir, r); len(ids) != 1 {
		t.Fatalf("%d programs attached, want 1", len(ids))
	}
	want = []string{"denied", "ok", "ok", "denied", "ok", "ok", "ok"}
	if got := probe(t, dir, deviceProbes...); !slices.Equal(got, want) {
		t.Fatalf("deny list: %q, want %q", got, want)
	}

	// Allow all: still one program (which allows everything), as with the
	// library.
	if ids := mustSetV2(t, dir, &cgroups.Resources{Devices: rules(t, "allow a")}); len(ids) != 1 {
		t.Fatalf("%d programs attached, want 1", len(ids))
	}
	if got := probe(t, dir, deviceProbes...); !slices.Equal(got, []string{"ok", "ok", "ok", "ok", "ok", "ok", "ok"}) {
		t.Fatalf("allow all: %q", got)
	}
}

// TestSetV2ReplacesForeignPrograms: programs someone else attached (as
// systemd does) are detached, so that ours is the one left.
func TestSetV2ReplacesForeignPrograms(t *testing.T) {
	dir := testCgroup2(t)
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for range 3 {
		// A program that denies everything.
		prog, err := loadProgram(verdict(false))
		if err != nil {
			t.Fatal(err)
		}
		err = attachProgram(fd, prog)
		unix.Close(prog)
		if err != nil {
			t.Fatal(err)
		}
	}
	if ids, _ := AttachedPrograms(dir); len(ids) != 3 {
		t.Fatalf("%d programs attached, want 3", len(ids))
	}
	if got := probe(t, dir, "r /dev/null"); !slices.Equal(got, []string{"denied"}) {
		t.Fatalf("deny-all programs: %q", got)
	}
	if ids := mustSetV2(t, dir, &cgroups.Resources{Devices: rules(t, "deny a", "allow c 1:3 r")}); len(ids) != 1 {
		t.Fatalf("%d programs attached, want 1", len(ids))
	}
	if got := probe(t, dir, "r /dev/null", "w /dev/null"); !slices.Equal(got, []string{"ok", "denied"}) {
		t.Fatalf("our rules: %q", got)
	}
}

// TestSetV2Errors: rules that cannot be enforced fail, unless they allow
// everything they name.
func TestSetV2Errors(t *testing.T) {
	r := &cgroups.Resources{Devices: rules(t, "deny a", "allow c 1:* r", "deny c 1:3 r")}
	if err := SetV2("/nonexistent", r); err == nil || !strings.Contains(err.Error(), "wider exception") {
		t.Errorf("hole in a wildcard: %v", err)
	}
	if err := SetV2("/nonexistent", &cgroups.Resources{Devices: rules(t, "deny a")}); err == nil {
		t.Error("no error for a missing cgroup")
	}
	// A plain file is no cgroup: bpf(2) fails (not the open).
	f := filepath.Join(t.TempDir(), "f")
	if err := os.Mkdir(f, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := SetV2(f, &cgroups.Resources{Devices: rules(t, "deny a", "allow c 1:3 rwm")}); err == nil {
			t.Error("SetV2 on a directory that is no cgroup succeeded")
		}
	}
	if err := SetV2(f, &cgroups.Resources{Devices: rules(t, "allow c 1:3 rwm", "allow b 8:* rwm")}); err != nil {
		t.Errorf("allow-only rwm rules: %v (errors of bpf(2) are to be ignored)", err)
	}
	if err := SetV2(f, &cgroups.Resources{Devices: rules(t, "allow a")}); err != nil {
		t.Errorf("allow all: %v", err)
	}
}
