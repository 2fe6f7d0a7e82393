package cgroupmgr

import (
	"maps"
	"testing"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/fs"
)

// v1Paths gives the paths the library's driver finds by reading the mount
// table, on this host: the same hierarchies (its subsystem list included)
// under the same directories.
func TestV1PathsAsLibrary(t *testing.T) {
	requireRoot(t)
	if cgroups.IsCgroup2UnifiedMode() {
		if v1Paths("/x") != nil {
			t.Fatal("v1 paths on a cgroup v2 host")
		}
		t.Skip("cgroup v2 host: no v1 paths (checked); the comparison needs v1")
	}
	for _, inner := range []string{"/runc-v1paths", "/a/b/c"} {
		lib, err := fs.NewManager(&cgroups.Cgroup{Path: inner, Resources: &cgroups.Resources{}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := lib.GetPaths()
		got := v1Paths(inner)
		if got == nil {
			t.Fatalf("%s: no v1 paths on this host (want %v)", inner, want)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: v1Paths %v, the library %v", inner, got, want)
		}
	}
	if v1Paths("relative") != nil {
		t.Error("v1 paths for a relative path (the library resolves those per controller)")
	}
}
