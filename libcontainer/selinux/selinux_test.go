package selinux

import (
	"errors"
	"runtime"
	"testing"
)

// fake replaces the library with recorders; enabled says whether SELinux
// is on.
func fake(t *testing.T, enabled bool, fail error) (exec, key *[]string) {
	t.Helper()
	var e, k []string
	oldEnabled, oldExec, oldKey := getEnabled, setExecLabel, setKeyLabel
	getEnabled = func() bool { return enabled }
	setExecLabel = func(l string) error { e = append(e, l); return fail }
	setKeyLabel = func(l string) error { k = append(k, l); return fail }
	t.Cleanup(func() { getEnabled, setExecLabel, setKeyLabel = oldEnabled, oldExec, oldKey })
	return &e, &k
}

const label = "system_u:system_r:container_t:s0:c1,c2"

func TestEnabledHost(t *testing.T) {
	exec, key := fake(t, true, nil)
	if got := MountLabel(label); got != label {
		t.Errorf("MountLabel = %q, want %q", got, label)
	}
	if got := MountLabel(""); got != "" {
		t.Errorf("MountLabel(\"\") = %q", got)
	}
	if err := SetExecLabel(label); err != nil {
		t.Fatal(err)
	}
	if err := SetExecLabel(""); err != nil {
		t.Fatal(err)
	}
	if len(*exec) != 1 || (*exec)[0] != label {
		t.Errorf("exec labels written: %q, want only %q", *exec, label)
	}
	if err := SetKeyLabel(label); err != nil {
		t.Fatal(err)
	}
	if err := SetKeyLabel(""); err != nil {
		t.Fatal(err)
	}
	if len(*key) != 2 || (*key)[0] != label || (*key)[1] != "" {
		t.Errorf("key labels written: %q, want %q then a reset", *key, label)
	}
}

func TestDisabledHost(t *testing.T) {
	exec, key := fake(t, false, nil)
	if got := MountLabel(label); got != "" {
		t.Errorf("MountLabel without SELinux = %q, want none", got)
	}
	if err := SetExecLabel(""); err != nil {
		t.Errorf("empty exec label: %v", err)
	}
	if err := SetKeyLabel(""); err != nil {
		t.Errorf("empty key label: %v", err)
	}
	if err := SetExecLabel(label); !errors.Is(err, ErrDisabled) {
		t.Errorf("exec label without SELinux: %v, want ErrDisabled", err)
	}
	if err := SetKeyLabel(label); !errors.Is(err, ErrDisabled) {
		t.Errorf("key label without SELinux: %v, want ErrDisabled", err)
	}
	if len(*exec)+len(*key) != 0 {
		t.Errorf("labels written on a host without SELinux: exec %q key %q", *exec, *key)
	}
}

func TestLibraryErrorWrapped(t *testing.T) {
	boom := errors.New("boom")
	fake(t, true, boom)
	if err := SetExecLabel(label); !errors.Is(err, boom) {
		t.Errorf("SetExecLabel: %v", err)
	}
	if err := SetKeyLabel(label); !errors.Is(err, boom) {
		t.Errorf("SetKeyLabel: %v", err)
	}
}

// TestHostNoop runs the real library on this host: without SELinux, the
// empty labels the init sets for an unlabelled container must succeed.
func TestHostNoop(t *testing.T) {
	if getEnabled() {
		t.Skip("SELinux is enabled here")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := SetExecLabel(""); err != nil {
		t.Fatal(err)
	}
	if err := SetKeyLabel(""); err != nil {
		t.Fatal(err)
	}
	if MountLabel(label) != "" {
		t.Fatal("mount label kept without SELinux")
	}
	if err := SetExecLabel(label); !errors.Is(err, ErrDisabled) {
		t.Fatalf("process label without SELinux: %v", err)
	}
}
