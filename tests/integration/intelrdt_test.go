package integration

import (
	"os"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// TestIntelRdtWithoutResctrl: on a host without resctrl (like this one),
// linux.intelRdt is a clear error and nothing is left behind.
func TestIntelRdtWithoutResctrl(t *testing.T) {
	harness.Requires(t, harness.Not(harness.Resctrl))
	b := newBundle(t, "true")
	b.Spec.Linux.IntelRdt = &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=f", EnableMonitoring: true}
	b.write()
	_, errOut, code := b.runc("run", b.ID)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	mustContain(t, "error", errOut, "linux.intelRdt is specified in config, but no resctrl filesystem is mounted")
}

// TestIntelRdtClosGroup: where resctrl is mounted, the container joins a
// control group named after it, with the schemata asked for, and the
// group goes away on delete.
func TestIntelRdtClosGroup(t *testing.T) {
	harness.Requires(t, harness.Resctrl)
	b := newBundle(t, "sleep", "100")
	b.Spec.Linux.IntelRdt = &specs.LinuxIntelRdt{EnableMonitoring: true}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	pid := b.initPid()
	dir := "/sys/fs/resctrl/" + b.ID
	tasks, err := os.ReadFile(dir + "/tasks")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains("\n"+string(tasks), "\n"+strconv.Itoa(pid)+"\n") {
		t.Errorf("init %d not in %s/tasks", pid, dir)
	}
	if _, err := os.Stat(dir + "/mon_groups/" + b.ID); err != nil {
		t.Errorf("no monitoring group: %v", err)
	}
	b.mustRunc("delete", "--force", b.ID)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("resctrl group left after delete: %v", err)
	}
}
