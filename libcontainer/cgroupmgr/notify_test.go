package cgroupmgr

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// recv waits up to d for a value or the close of ch; ok is false on close.
func recv(t *testing.T, ch <-chan struct{}, d time.Duration, what string) (ok bool) {
	t.Helper()
	select {
	case _, ok = <-ch:
		return ok
	case <-time.After(d):
		t.Fatalf("timed out waiting for %s", what)
		return false
	}
}

// TestNotifyOOM: an OOM kill in the cgroup is reported once, and removing
// the cgroup closes the channel.
func TestNotifyOOM(t *testing.T) {
	e := newTestEnv(t)
	p := e.start(true, "sh", "-c", "read x; dd if=/dev/zero of=/dev/null bs=64M count=1; read y")
	res := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(16 * mib))}}
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/oom", Resources: res})
	if err := m.Apply(p.pid); err != nil {
		t.Fatal(err)
	}
	if !cgroups.IsCgroup2UnifiedMode() {
		if _, err := os.Stat(filepath.Join(m.Paths()["memory"], "memory.memsw.limit_in_bytes")); err == nil {
			res.Memory.Swap = ptr(int64(16 * mib)) // no way out through swap
		}
	}
	if err := m.Set(res); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := m.NotifyOOM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("OOM event before any OOM")
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := p.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	if !recv(t, ch, 10*time.Second, "the OOM event") {
		t.Fatal("channel closed instead of an OOM event")
	}
	// On v1 the event comes as the OOM starts, the kill just after.
	eventually(t, "OOMKillCount 1", func() bool {
		n, err := m.(*mgr).lib.OOMKillCount()
		return err == nil && n == 1
	})
	// The shell survived (only dd was killed): let it go and remove the
	// cgroup; the channel must close, with no other event.
	if _, err := p.stdin.Write([]byte("done\n")); err != nil {
		t.Fatal(err)
	}
	if sig := p.wait(t, 10*time.Second); sig != 0 {
		t.Fatalf("shell killed by %v; output %q", sig, p.out.String())
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	for recv(t, ch, 5*time.Second, "the channel to close after Destroy") {
		// v1 reports the memory pressure of the exit too; no more
		// than a stray one is expected.
		if cgroups.IsCgroup2UnifiedMode() {
			t.Fatal("second OOM event on cgroup v2")
		}
	}
}

// TestNotifyOOMCancel: cancelling the context closes the channel and
// releases the watch.
func TestNotifyOOMCancel(t *testing.T) {
	e := newTestEnv(t)
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/cancel"})
	p := e.start(false, "sleep", "100")
	if err := m.Apply(p.pid); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.KillAll(syscall.SIGKILL)
		_ = p.wait(t, 10*time.Second)
		_ = m.Destroy()
	})
	before := openFDs(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := m.NotifyOOM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if recv(t, ch, 5*time.Second, "the channel to close after cancel") {
		t.Fatal("event after cancel")
	}
	eventually(t, "the watch's fds to be closed", func() bool { return openFDs(t) <= before })
}

// TestNotifyOOMNoCgroup: a watch on a cgroup that is gone fails.
func TestNotifyOOMNoCgroup(t *testing.T) {
	e := newTestEnv(t)
	m := mustNew(t, &Config{ID: "c", Path: e.prefix + "/gone"})
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.NotifyOOM(context.Background()); err == nil || !strings.Contains(err.Error(), "watch OOM events") {
		t.Errorf("NotifyOOM on a removed cgroup: %v", err)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
