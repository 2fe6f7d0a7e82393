package intelrdt

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The host has no resctrl filesystem; these tests run the manager on a
// directory tree that stands in for one.

func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "schemata"), []byte("    L3:0=7ff;1=7ff\n    MB:0=100;1=100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// sleeper starts a single-threaded process to move around.
func sleeper(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRootWithoutResctrl(t *testing.T) {
	if _, err := os.Stat("/sys/fs/resctrl/schemata"); err == nil {
		t.Skip("this host has resctrl")
	}
	if _, err := Root(); !errors.Is(err, ErrNotEnabled) {
		t.Errorf("Root() = %v, want ErrNotEnabled", err)
	}
}

func TestApplyNewGroup(t *testing.T) {
	root := fakeRoot(t)
	pid := sleeper(t)
	m := New(root, "ctr1", &specs.LinuxIntelRdt{
		L3CacheSchema: "L3:0=f0;1=f", MemBwSchema: "MB:0=20;1=70", Schemata: []string{"L2:0=f"},
	})
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "ctr1")
	if m.Path() != dir {
		t.Errorf("Path() = %s, want %s", m.Path(), dir)
	}
	if got := read(t, filepath.Join(dir, "schemata")); got != "L3:0=f0;1=f\nMB:0=20;1=70\nL2:0=f\n" {
		t.Errorf("schemata written %q (want l3, then MB, then schemata)", got)
	}
	if got := read(t, filepath.Join(dir, "tasks")); got != strconv.Itoa(pid) {
		t.Errorf("tasks %q, want %d", got, pid)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("group left after Destroy: %v", err)
	}
}

func TestApplyExistingClosID(t *testing.T) {
	root := fakeRoot(t)
	pid := sleeper(t)
	dir := filepath.Join(root, "gold")
	if err := os.MkdirAll(filepath.Join(dir, "mon_groups"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "schemata"), []byte("    L3:0=07f0;1=001f\n    MB:0= 20;1= 70\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Matching schemata (written differently): joined, nothing written.
	m := New(root, "ctr2", &specs.LinuxIntelRdt{ClosID: "gold", L3CacheSchema: "L3:0=7f0;1=1f", MemBwSchema: "MB:0=20;1=70", EnableMonitoring: true})
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "schemata")); !strings.HasPrefix(got, "    L3:0=07f0") {
		t.Errorf("schemata of a shared group rewritten: %q", got)
	}
	mon := filepath.Join(dir, "mon_groups", "ctr2")
	if got := read(t, filepath.Join(mon, "tasks")); got != strconv.Itoa(pid) {
		t.Errorf("monitoring group tasks %q, want %d", got, pid)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mon); !os.IsNotExist(err) {
		t.Errorf("monitoring group left: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the closID group was removed: %v", err)
	}

	// A mismatch is an error that names the field.
	m = New(root, "ctr3", &specs.LinuxIntelRdt{ClosID: "gold", L3CacheSchema: "L3:0=ff;1=1f"})
	if err := m.Apply(pid); err == nil || !strings.Contains(err.Error(), "linux.intelRdt") {
		t.Errorf("mismatching schemata: %v", err)
	}
}

func TestApplyPreconfiguredClosID(t *testing.T) {
	root := fakeRoot(t)
	pid := sleeper(t)
	// Without schemata the closID group must exist: it is not created.
	m := New(root, "ctr4", &specs.LinuxIntelRdt{ClosID: "nosuch"})
	if err := m.Apply(pid); err == nil || !strings.Contains(err.Error(), `closID "nosuch"`) {
		t.Errorf("missing pre-configured group: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "nosuch")); !os.IsNotExist(err) {
		t.Errorf("missing group was created: %v", err)
	}
	dir := filepath.Join(root, "silver")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tasks"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m = New(root, "ctr4", &specs.LinuxIntelRdt{ClosID: "silver"})
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "tasks")); got != strconv.Itoa(pid) {
		t.Errorf("tasks %q", got)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("pre-configured group removed: %v", err)
	}

	// closID "/" is the default group; its schemata are only checked.
	m = New(root, "ctr4", &specs.LinuxIntelRdt{ClosID: "/", L3CacheSchema: "L3:0=7ff;1=7ff"})
	if err := m.Apply(pid); err != nil {
		t.Fatalf("root group with matching schemata: %v", err)
	}
	if got := read(t, filepath.Join(root, "tasks")); got != strconv.Itoa(pid) {
		t.Errorf("root tasks %q", got)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "schemata")); err != nil {
		t.Errorf("Destroy touched the root group: %v", err)
	}
}

func TestParseSchemataLine(t *testing.T) {
	res, doms := parseSchemataLine("  L3:0=07f0; 1=1F ")
	if res != "L3" || doms["0"] != "7f0" || doms["1"] != "1f" || len(doms) != 2 {
		t.Errorf("got %s %v", res, doms)
	}
	res, doms = parseSchemataLine("MB:0=0")
	if res != "MB" || doms["0"] != "0" {
		t.Errorf("got %s %v", res, doms)
	}
}
