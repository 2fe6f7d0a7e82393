package integration

// Regressions found by driving the runtime from containerd, Docker and
// Podman (tests/clients), reduced to the runc commands those clients run.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// create + start of a process with a non-root user, as `docker run --user
// 1000` does: the init opens exec.fifo for writing after it has become the
// user, so the fifo must be writable by others whatever the caller's umask
// (mkfifo applies it: 0622 became 0600, and the container stopped at once).
func TestCreateStartNonRootUser(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	b := newBundle(t, "id")
	b.Spec.Process.User = specs.User{UID: 1000, GID: 1000}
	b.write()
	b.mustRunc("create", b.ID)
	st, err := os.Stat(filepath.Join(b.Root, b.ID, "exec.fifo"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o622 {
		t.Errorf("exec.fifo mode %o, want 622", perm)
	}
	if s := b.status(); s != "created" {
		t.Fatalf("status %q after create, want created", s)
	}
	b.mustRunc("start", b.ID)
	b.waitStatus("stopped")
}

// Docker lists a --group-add group again when the user is already a
// member (additionalGids [1000 100 29 29]): the process gets each group
// once, as with runc.
func TestAdditionalGidsOnce(t *testing.T) {
	b := newBundle(t, "grep", "^Groups:", "/proc/self/status")
	b.Spec.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 100, 29, 29}}
	b.write()
	r := b.run(nil, "run", b.ID)
	if r.Code != 0 || strings.Join(strings.Fields(r.Stdout), " ") != "Groups: 29 100 1000" {
		t.Fatalf("exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// A usage error of run or create is logged as runc logs it, without the
// "runc run failed: " of a failed start: a shim reading the JSON log shows
// the message as is.
func TestUsageErrorNotWrappedInJSONLog(t *testing.T) {
	b := newBundle(t, "true")
	for _, cmd := range []string{"run", "create"} {
		log := filepath.Join(b.Dir, cmd+"-log.json")
		r := b.run(nil, "--log", log, "--log-format", "json", cmd)
		if r.Code != 1 {
			t.Fatalf("%s without an id: exit %d", cmd, r.Code)
		}
		data, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		want := `\"` + cmd + `\" requires exactly 1 argument(s)"`
		if !strings.Contains(string(data), want) || strings.Contains(string(data), "failed:") {
			t.Errorf("%s: JSON log %q, want a message ending in %s", cmd, data, want)
		}
	}
}
