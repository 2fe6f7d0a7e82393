//go:build !seccomp

package seccomp

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestUnsupportedBuild(t *testing.T) {
	if Enabled {
		t.Fatal("Enabled is true in a build without the seccomp tag")
	}
	const want = "this runc binary was built without seccomp support, but linux.seccomp is set"
	fd, err := load(validProfile())
	if err == nil || err.Error() != want {
		t.Fatalf("Load: got error %v, want %q", err, want)
	}
	if fd != -1 {
		t.Fatalf("Load: got fd %d, want -1", fd)
	}
	if err := Validate(validProfile()); err == nil || !strings.Contains(err.Error(), "built without seccomp support") {
		t.Fatalf("Validate: got %v, want the unsupported-build error", err)
	}
	// No seccomp section, or an empty one, is fine in any build.
	for _, c := range []*specs.LinuxSeccomp{nil, {}} {
		if fd, err := load(c); fd != -1 || err != nil {
			t.Fatalf("load(%+v) = %d, %v; want -1, nil", c, fd, err)
		}
		if err := Validate(c); err != nil {
			t.Fatalf("Validate(%+v) = %v, want nil", c, err)
		}
	}
	if v := Version(); v != "" {
		t.Errorf("Version: got %q, want empty", v)
	}
	if KnownActions() != nil || KnownOperators() != nil || KnownArchs() != nil || SupportedFlags() != nil {
		t.Error("feature lists should be nil without seccomp support")
	}
}
