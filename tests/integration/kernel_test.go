package integration

// The kernel floor (libcontainer/kernel.Floor, stated in the README):
// create, run, exec and restore refuse an older kernel at once, with an
// error naming the floor, and leave nothing behind. setarch --uname-2.6
// (the UNAME26 personality, inherited by runc) makes uname(2) report a
// 2.6 kernel while everything else is this host's.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

const kernelFloorMsg = "runc needs Linux 5.14 or newer"

// uname26 is the wrapper that makes runc see a 2.6 kernel.
func uname26(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("uname", "-m").Output()
	if err != nil {
		t.Fatalf("uname -m: %v", err)
	}
	wrap := []string{"setarch", strings.TrimSpace(string(out)), "--uname-2.6"}
	got, err := exec.Command(wrap[0], append(wrap[1:], "uname", "-r")...).Output()
	if err != nil || !strings.HasPrefix(string(got), "2.6.") {
		t.Fatalf("%s uname -r: %q %v (needs util-linux's setarch)", strings.Join(wrap, " "), got, err)
	}
	return wrap
}

func TestKernelFloorRefused(t *testing.T) {
	wrap := uname26(t)
	b := newBundle(t, "sleep", "100")
	for _, args := range [][]string{
		{"create", b.ID},
		{"run", "-d", b.ID},
		{"run", b.ID},
		{"restore", "-d", "--image-path", fakeImages(t), b.ID},
	} {
		r := b.runAsyncOpts(runOpts{wrap: wrap}, args...).wait()
		if r.Code != 1 {
			t.Errorf("%v on a 2.6 kernel: exit %d, stderr %q; want 1", args, r.Code, r.Stderr)
		}
		mustContain(t, strings.Join(args[:1], " "), errMsg(r.Stderr), "this kernel is Linux 2.6.")
		mustContain(t, strings.Join(args[:1], " "), errMsg(r.Stderr), kernelFloorMsg)
		if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
			t.Fatalf("%v: state directory made on a refused kernel", args)
		}
		for _, h := range testhost.CgroupHierarchies() {
			if _, err := os.Stat(filepath.Join(h, b.CgroupPath())); err == nil {
				t.Fatalf("%v: cgroup %s made on a refused kernel", args, filepath.Join(h, b.CgroupPath()))
			}
		}
	}

	// exec into a container made on this (supported) kernel.
	b.mustRunc("run", "-d", b.ID)
	r := b.runAsyncOpts(runOpts{wrap: wrap}, "exec", b.ID, "true").wait()
	if r.Code == 0 {
		t.Fatalf("exec on a 2.6 kernel succeeded (stderr %q)", r.Stderr)
	}
	mustContain(t, "exec", errMsg(r.Stderr), kernelFloorMsg)
	if out := b.mustRunc("exec", b.ID, "echo", "ok"); strings.TrimSpace(out) != "ok" {
		t.Errorf("exec without the personality: %q", out)
	}
	// What does not start a process still works: state, kill, delete.
	r = b.runAsyncOpts(runOpts{wrap: wrap}, "state", b.ID).wait()
	if r.Code != 0 {
		t.Errorf("state on a 2.6 kernel: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = b.runAsyncOpts(runOpts{wrap: wrap}, "delete", "-f", b.ID).wait()
	if r.Code != 0 {
		t.Errorf("delete -f on a 2.6 kernel: exit %d, stderr %q", r.Code, r.Stderr)
	}
}
