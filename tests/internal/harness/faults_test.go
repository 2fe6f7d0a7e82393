package harness

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestFaultBinary: a fault test without a binary that has the hook fails
// (never skips), saying how to get one; with one, it gets its path.
func TestFaultBinary(t *testing.T) {
	old := FaultBin
	defer func() { FaultBin, faultOnce, faultErr = old, sync.Once{}, nil }()
	dir := t.TempDir()
	release := filepath.Join(dir, "runc")
	faults := filepath.Join(dir, "runc.faults")
	if err := os.WriteFile(release, []byte("\x7fELF no hook here"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(faults, []byte("\x7fELF ... "+FaultEnv+" ..."), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		bin, want string
	}{
		{filepath.Join(dir, "missing"), "make runc-faults"},
		{release, "has no fault hook"},
		{faults, ""},
	} {
		FaultBin, faultOnce, faultErr = tc.bin, sync.Once{}, nil
		var got string
		f := run("TestX", func(t testing.TB) { got = FaultBinary(t) })
		if tc.want == "" {
			if f.failed || f.skipped || got != tc.bin {
				t.Errorf("%s: %+v, got %q", tc.bin, f, got)
			}
			continue
		}
		if !f.failed || f.skipped || !strings.Contains(strings.Join(f.msgs, ""), tc.want) {
			t.Errorf("%s: %+v, want a failure saying %q", tc.bin, f, tc.want)
		}
	}
}
