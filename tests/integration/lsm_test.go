package integration

// AppArmor and SELinux. This host runs neither: here the tests check the
// errors and no-op paths (as runc's); the AppArmor confinement tests run in
// the VM lane, whose Debian kernel has AppArmor (make test-vm-security).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// requireAppArmor skips unless AppArmor is enabled and its parser is
// there (`make test-vm-security`).
func requireAppArmor(t *testing.T) {
	t.Helper()
	harness.Requires(t, harness.AppArmor, harness.AppArmorParser)
}

// loadAppArmorProfile loads a profile that allows everything but writes
// under /denied, and unloads it at the end of the test.
func loadAppArmorProfile(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("runc-test-%d-%s", os.Getpid(), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	text := fmt.Sprintf(`profile %s flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  mount,
  umount,
  pivot_root,
  ptrace,
  signal,
  unix,
  deny /denied/** w,
  deny /denied/ w,
}
`, name)
	path := filepath.Join(t.TempDir(), "profile")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("apparmor_parser", "-r", path).CombinedOutput(); err != nil {
		t.Fatalf("apparmor_parser -r: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("apparmor_parser", "-R", path).CombinedOutput(); err != nil {
			t.Errorf("apparmor_parser -R: %v: %s", err, out)
		}
	})
	return name
}

// confinedScript writes outside and inside /denied and prints the
// results and the process's AppArmor label.
const confinedScript = `mkdir -p /denied; echo x > /allowed && echo allowed-ok; echo x > /denied/f && echo denied-WRITTEN; cat /proc/self/attr/current; echo`

func prepareDenied(t *testing.T, b *bundle) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(b.Dir, "rootfs/denied"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestAppArmorProfileConfines(t *testing.T) {
	requireAppArmor(t)
	profile := loadAppArmorProfile(t)
	b := newBundle(t, "sh", "-c", confinedScript)
	prepareDenied(t, b)
	b.Spec.Process.ApparmorProfile = profile
	b.write()
	r := b.run(nil, "run", b.ID)
	mustContain(t, "stdout", r.Stdout, "allowed-ok")
	if strings.Contains(r.Stdout, "denied-WRITTEN") {
		t.Fatalf("the profile did not confine the container: %q", r.Stdout)
	}
	mustContain(t, "stderr", r.Stderr, "Permission denied")
	mustContain(t, "label", r.Stdout, profile+" (enforce)")
	if _, err := os.Stat(filepath.Join(b.Dir, "rootfs/denied/f")); err == nil {
		t.Fatal("the denied file exists")
	}
}

// TestAppArmorExec: `runc exec --apparmor` confines the exec'd process; a
// plain exec gets the container's profile (here none).
func TestAppArmorExec(t *testing.T) {
	requireAppArmor(t)
	profile := loadAppArmorProfile(t)
	b := newBundle(t, "sleep", "100")
	prepareDenied(t, b)
	b.mustRunc("run", "-d", b.ID)
	r := b.run(nil, "exec", "--apparmor", profile, b.ID, "sh", "-c", confinedScript)
	if strings.Contains(r.Stdout, "denied-WRITTEN") || !strings.Contains(r.Stdout, profile+" (enforce)") {
		t.Fatalf("exec --apparmor: stdout %q stderr %q", r.Stdout, r.Stderr)
	}
	r = b.run(nil, "exec", b.ID, "sh", "-c", confinedScript)
	if !strings.Contains(r.Stdout, "denied-WRITTEN") || !strings.Contains(r.Stdout, "unconfined") {
		t.Fatalf("plain exec: stdout %q stderr %q", r.Stdout, r.Stderr)
	}
}

func TestAppArmorProfileNotLoaded(t *testing.T) {
	requireAppArmor(t)
	b := newBundle(t, "echo", "CONTAINER-RAN")
	b.Spec.Process.ApparmorProfile = fmt.Sprintf("runc-test-missing-%d", os.Getpid())
	b.write()
	r := b.run(nil, "run", b.ID)
	if r.Code == 0 || strings.Contains(r.Stdout, "CONTAINER-RAN") {
		t.Fatalf("ran with a profile that is not loaded: %q", r.Stdout)
	}
	mustContain(t, "stderr", r.Stderr, "profile not loaded")
}

// TestAppArmorNotEnabled: as runc, a profile on a host without AppArmor is
// an error (the process would otherwise run unconfined), and an empty
// profile is fine.
func TestAppArmorNotEnabled(t *testing.T) {
	harness.Requires(t, harness.Not(harness.AppArmor))
	b := newBundle(t, "echo", "CONTAINER-RAN")
	b.Spec.Process.ApparmorProfile = "docker-default"
	b.write()
	r := b.run(nil, "run", b.ID)
	if r.Code == 0 || strings.Contains(r.Stdout, "CONTAINER-RAN") {
		t.Fatalf("ran unconfined although a profile was asked for: %q", r.Stdout)
	}
	mustContain(t, "stderr", r.Stderr, "unable to apply apparmor profile")
	mustContain(t, "stderr", r.Stderr, "docker-default")
	mustContain(t, "stderr", r.Stderr, "apparmor is not enabled")
}

// TestSELinuxDisabled: without SELinux, a process label is refused with
// runc's message, and linux.mountLabel is dropped (the kernel would refuse
// the context= option).
func TestSELinuxDisabled(t *testing.T) {
	harness.Requires(t, harness.Not(harness.SELinux))
	t.Run("mountLabel", func(t *testing.T) {
		b := newBundle(t, "sh", "-c", "grep -c context= /proc/self/mountinfo; true")
		b.Spec.Linux.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2"
		b.write()
		r := b.run(nil, "run", b.ID)
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != "0" {
			t.Fatalf("exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("selinuxLabel", func(t *testing.T) {
		b := newBundle(t, "echo", "CONTAINER-RAN")
		b.Spec.Process.SelinuxLabel = "system_u:system_r:container_t:s0:c1,c2"
		b.write()
		r := b.run(nil, "run", b.ID)
		if r.Code == 0 || strings.Contains(r.Stdout, "CONTAINER-RAN") {
			t.Fatalf("ran: %q", r.Stdout)
		}
		mustContain(t, "stderr", r.Stderr, "selinux label is specified in config, but selinux is disabled or not supported")
	})
	t.Run("exec --process-label", func(t *testing.T) {
		b := newBundle(t, "sleep", "100")
		b.mustRunc("run", "-d", b.ID)
		r := b.run(nil, "exec", "--process-label", "system_u:system_r:container_t:s0", b.ID, "echo", "CONTAINER-RAN")
		if r.Code == 0 || strings.Contains(r.Stdout, "CONTAINER-RAN") {
			t.Fatalf("exec ran: %q", r.Stdout)
		}
		mustContain(t, "stderr", r.Stderr, "selinux")
	})
}
