package apparmor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// hostHasAppArmor reports whether the host runs AppArmor: its securityfs
// directory exists and the module parameter says "Y" (as runc and
// libapparmor check).
func hostHasAppArmor() bool {
	if _, err := os.Stat("/sys/kernel/security/apparmor"); err != nil {
		return false
	}
	buf, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && len(buf) > 0 && buf[0] == 'Y'
}

// fakeProc makes openThreadSelf open files under a temporary directory
// standing for /proc/thread-self; a missing file gives os.ErrNotExist, as
// procfs does.
func fakeProc(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := openThreadSelf
	openThreadSelf = func(sub string) (*os.File, func(), error) {
		f, err := os.OpenFile(filepath.Join(dir, sub), os.O_WRONLY, 0)
		if err != nil {
			return nil, nil, err
		}
		return f, func() {}, nil
	}
	t.Cleanup(func() { openThreadSelf = old })
	return dir
}

func TestApplyProfileWritesExecRequest(t *testing.T) {
	dir := fakeProc(t, "attr/apparmor/exec", "attr/exec")
	if err := ApplyProfile("my-profile"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "attr/apparmor/exec"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "exec my-profile" {
		t.Fatalf("attr/apparmor/exec holds %q, want %q", got, "exec my-profile")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "attr/exec")); len(got) != 0 {
		t.Fatalf("the shared attr/exec was written (%q)", got)
	}
}

// Without attr/apparmor (a kernel without AppArmor), the shared attr/exec,
// which belongs to whatever LSM runs, is left alone.
func TestApplyProfileNoAppArmorDir(t *testing.T) {
	dir := fakeProc(t, "attr/exec")
	if err := ApplyProfile("p"); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("error %v, want ErrNotEnabled", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "attr/exec")); len(got) != 0 {
		t.Fatalf("the shared attr/exec was written (%q)", got)
	}
}

func TestApplyProfileEmptyIsNoop(t *testing.T) {
	fakeProc(t) // nothing to write to: any write attempt would fail
	if err := ApplyProfile(""); err != nil {
		t.Fatalf("empty profile: %v", err)
	}
}

func TestApplyProfileNoAttrFile(t *testing.T) {
	fakeProc(t)
	err := ApplyProfile("p")
	if !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("error %v, want ErrNotEnabled", err)
	}
	if !strings.Contains(err.Error(), `unable to apply apparmor profile "p"`) {
		t.Fatalf("error %q does not name the profile", err)
	}
}

func TestApplyProfileBadName(t *testing.T) {
	fakeProc(t, "attr/apparmor/exec")
	for _, name := range []string{"a\nb", "a\x00b"} {
		if err := ApplyProfile(name); err == nil {
			t.Errorf("ApplyProfile(%q) accepted", name)
		}
	}
}

func TestWriteError(t *testing.T) {
	wrap := func(e error) error { return fmt.Errorf("write: %w", e) }
	if err := writeError(nil); err != nil {
		t.Fatal(err)
	}
	if err := writeError(wrap(unix.ENOENT)); err == nil || !strings.Contains(err.Error(), "profile not loaded") {
		t.Errorf("ENOENT: %v", err)
	}
	if err := writeError(wrap(unix.EINVAL)); errors.Is(err, ErrNotEnabled) || !errors.Is(err, unix.EINVAL) {
		t.Errorf("EINVAL: %v, want EINVAL as is", err)
	}
	if err := writeError(wrap(unix.EACCES)); !errors.Is(err, unix.EACCES) {
		t.Errorf("EACCES: %v", err)
	}
}

// The test binary's main goroutine keeps the main thread to itself: a
// goroutine that exits locked to the main thread does not end it (Go
// wedges it instead), so onThrowawayThread's attribute would stay.
func init() { runtime.LockOSThread() }

// onThrowawayThread runs fn on an OS thread that is discarded afterwards, so
// an exec attribute it sets cannot leak into the rest of the test binary.
func onThrowawayThread(fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		ch <- fn()
	}()
	return <-ch
}

// TestApplyProfileHost runs the real write through a private procfs. On a
// host without AppArmor it must say so; with AppArmor (the VM lane) an
// unknown profile is refused as not loaded and "unconfined" is accepted.
func TestApplyProfileHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (private procfs mount)")
	}
	if !hostHasAppArmor() {
		err := onThrowawayThread(func() error { return ApplyProfile("runc-test-profile") })
		if !errors.Is(err, ErrNotEnabled) {
			t.Fatalf("without AppArmor: error %v, want ErrNotEnabled", err)
		}
		return
	}
	err := onThrowawayThread(func() error { return ApplyProfile("runc-test-no-such-profile") })
	if err == nil || !strings.Contains(err.Error(), "profile not loaded") {
		t.Fatalf("unknown profile: error %v, want profile not loaded", err)
	}
	err = onThrowawayThread(func() error {
		if err := ApplyProfile("unconfined"); err != nil {
			return err
		}
		got, err := os.ReadFile("/proc/thread-self/attr/apparmor/exec")
		if err != nil {
			return err
		}
		if !strings.HasPrefix(string(got), "unconfined") {
			return fmt.Errorf("attr/apparmor/exec reads %q after ApplyProfile(unconfined)", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
