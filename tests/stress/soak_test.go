package stress

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSoak runs lifecycles one after another, half create/start/(exec)/
// kill/delete and half foreground `run`, and checks that the host ends
// exactly as it began.
func TestSoak(t *testing.T) {
	n := 100
	if long {
		n = 1000
	}
	root := filepath.Join(baseDir, "soak-state")
	b := newBundle(t, root)
	defer b.remove()

	// Sample our own open fds while runc runs, for the peak.
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := int64(countFds()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()

	before := takeSnapshot(root)
	var createDur, runDur time.Duration
	start := time.Now()
	for i := 0; i < n && !t.Failed(); i++ {
		b.ID = fmt.Sprintf("%s-soak-%d", tag, i)
		b.Spec.Linux.CgroupsPath = b.CgroupPath()
		t0 := time.Now()
		if i%2 == 0 {
			soakDetached(t, b)
			createDur += time.Since(t0)
		} else {
			soakForeground(t, b, i%7)
			runDur += time.Since(t0)
		}
	}
	elapsed := time.Since(start)
	close(stop)
	<-sampled

	after := checkHost(t, before, root)
	report(t, "soak", before, after)
	fmt.Printf("soak: %d lifecycles in %v: %.1f lifecycles/s (detached %.1f ms each, foreground run %.1f ms each); caller fds %d -> %d, peak %d; mounts %d -> %d; cgroup dirs %d -> %d; adopted processes left %d; state entries left %d\n",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
		ms(createDur)/float64((n+1)/2), ms(runDur)/float64(max(n/2, 1)),
		before.fds, after.fds, peak.Load(), len(before.mounts), len(after.mounts),
		len(before.cgroups), len(after.cgroups), len(after.children), len(after.state))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// soakDetached: create, check created, start, check running, exec, kill,
// check stopped, delete.
func soakDetached(t *testing.T, b *bundle) {
	t.Helper()
	b.Spec.Process.Args = []string{"sleep", "1000"}
	b.write()
	b.mustRunc("create", b.ID)
	st, r := b.stateOf()
	if st == nil || st["status"] != "created" {
		t.Fatalf("%s after create: %v %s", b.ID, st, r)
	}
	pid := int(st["pid"].(float64))
	if !slices.Contains(b.cgroupProcs(), pid) {
		t.Fatalf("%s: init %d not in its cgroup (%v)", b.ID, pid, b.cgroupProcs())
	}
	b.mustRunc("start", b.ID)
	if s := b.status(); s != "running" {
		t.Fatalf("%s after start: %s", b.ID, s)
	}
	if r := b.mustRunc("exec", b.ID, "sh", "-c", "echo exec-ok"); r.Stdout != "exec-ok\n" {
		t.Fatalf("%s: exec: %s", b.ID, r)
	}
	b.mustRunc("kill", b.ID, "KILL")
	b.waitStatus("stopped")
	b.mustRunc("delete", b.ID)
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); !os.IsNotExist(err) {
		t.Fatalf("%s: state directory still there after delete", b.ID)
	}
}

// soakForeground: run in the foreground a process that reports its
// hostname and open fds and exits with code.
func soakForeground(t *testing.T, b *bundle, code int) {
	t.Helper()
	b.Spec.Process.Args = []string{"sh", "-c", fmt.Sprintf("hostname; ls /proc/self/fd; exit %d", code)}
	b.write()
	r := b.runc("run", b.ID)
	if r.Code != code {
		t.Fatalf("%s: run: %s, want exit %d", b.ID, r, code)
	}
	lines := strings.Fields(r.Stdout)
	// ls has its directory open as fd 3; anything more leaked from runc.
	if len(lines) < 1 || lines[0] != b.Spec.Hostname || !slices.Equal(lines[1:], []string{"0", "1", "2", "3"}) {
		t.Fatalf("%s: run output %q: want the hostname %q and fds 0-3", b.ID, r.Stdout, b.Spec.Hostname)
	}
	if _, err := os.Stat(filepath.Join(b.Root, b.ID)); !os.IsNotExist(err) {
		t.Fatalf("%s: state directory still there after run", b.ID)
	}
}
