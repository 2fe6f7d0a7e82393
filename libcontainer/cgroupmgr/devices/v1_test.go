package devices

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"
)

// testCgroup1Devices makes a v1 devices cgroup for the test, removed at
// the end.
func testCgroup1Devices(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	root := "/sys/fs/cgroup/devices"
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil || st.Type != unix.CGROUP_SUPER_MAGIC {
		t.Skip("no cgroup v1 devices hierarchy")
	}
	return makeTestCgroup(t, root)
}

func devicesList(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "devices.list"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	slices.Sort(lines)
	return lines
}

func TestSetV1(t *testing.T) {
	dir := testCgroup1Devices(t)
	set := func(rs ...string) {
		t.Helper()
		if err := SetV1(dir, &cgroups.Resources{Devices: rules(t, rs...)}); err != nil {
			t.Fatalf("SetV1 %q: %v", rs, err)
		}
	}
	check := func(what string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := devicesList(t, dir); !slices.Equal(got, want) {
			t.Errorf("%s: devices.list %q, want %q", what, got, want)
		}
	}
	check("new cgroup", "a *:* rwm")
	set(runcDefaults...)
	defaults := []string{
		"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
		"c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
	}
	check("runc defaults", defaults...)
	set(append(slices.Clone(runcDefaults), "allow c 1:11 w")...)
	check("kmsg added", append(slices.Clone(defaults), "c 1:11 w")...)
	set(runcDefaults...)
	check("kmsg taken away", defaults...)
	set(runcDefaults...)
	check("the same again", defaults...)
	set("allow a", "deny c 1:11 rwm")
	check("deny list", "a *:* rwm")
	set("allow a")
	check("allow all", "a *:* rwm")
	set("deny a")
	if got := devicesList(t, dir); !slices.Equal(got, []string{""}) {
		t.Errorf("deny all: devices.list %q", got)
	}
	if err := SetV1(dir, &cgroups.Resources{Devices: rules(t, "deny a", "allow c 1:* r", "deny c 1:3 r")}); err == nil {
		t.Error("a hole in a wildcard rule was taken")
	}
	if err := SetV1(dir, &cgroups.Resources{SkipDevices: true, Devices: rules(t, "allow a")}); err != nil {
		t.Error(err)
	}
	if got := devicesList(t, dir); !slices.Equal(got, []string{""}) {
		t.Errorf("SkipDevices changed devices.list: %q", got)
	}
}
