package cri

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// claimFile records which run owns /k8s.io: "<pid> <work directory>",
// written before containerd starts and removed once the run has cleaned
// up. A run killed midway (SIGKILL, a lost machine session) leaves it
// with its cgroups and mounts; the next run uses it to tell those
// leftovers, which it may remove, from a /k8s.io someone else made.
const claimFile = "/run/runc-cri-tests.claim"

// takePodCgroups checks that /k8s.io is free for this run. When it
// exists it is taken over only if the claim says a run of these tests
// made it, that run's process is gone and no process is left in the
// cgroups; its mounts, work directory and cgroups are removed.
func takePodCgroups() error {
	if dirs := cgroupDirs(podCgroupRoot); len(dirs) > 0 {
		if err := reclaim(); err != nil {
			return fmt.Errorf("%v exists already: containerd's pods would share it (%w); remove it (when nothing uses it) and run again", dirs, err)
		}
	}
	return nil
}

// claimPodCgroups records that this run (work is its directory) owns
// /k8s.io.
func claimPodCgroups() error {
	return os.WriteFile(claimFile, fmt.Appendf(nil, "%d %s\n", os.Getpid(), work), 0o644)
}

// reclaim removes what a killed run of these tests left (see claimFile).
func reclaim() error {
	b, err := os.ReadFile(claimFile)
	if err != nil {
		return fmt.Errorf("no run of these tests claims it: %w", err)
	}
	pidStr, oldWork, ok := strings.Cut(strings.TrimSpace(string(b)), " ")
	pid, err := strconv.Atoi(pidStr)
	// A work directory of these tests, as os.MkdirTemp names it: nothing
	// else is removed.
	if !ok || err != nil || filepath.Dir(oldWork) != "/var/tmp" || !strings.HasPrefix(filepath.Base(oldWork), "runc-cri-") {
		return fmt.Errorf("%s is not a claim: %q", claimFile, b)
	}
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == "cri.test" {
		return fmt.Errorf("the run that made it, pid %d, is still running", pid)
	}
	for _, cg := range podCgroups() {
		if pids := testhost.ProcessesIn(cg); len(pids) > 0 {
			return fmt.Errorf("processes %v are in %s", pids, cg)
		}
	}
	for i := 0; i < 4; i++ {
		for _, m := range testhost.MountsUnder(oldWork) {
			syscall.Unmount(m, syscall.MNT_DETACH)
		}
	}
	if err := os.RemoveAll(oldWork); err != nil {
		return err
	}
	if left := removePodCgroups(); len(cgroupDirs(podCgroupRoot)) > 0 {
		return fmt.Errorf("cannot remove the cgroups a killed run left: %v", left)
	}
	fmt.Fprintf(os.Stderr, "cri: removed what a killed run (pid %d, %s) left: its cgroups below %s and its mounts\n", pid, oldWork, podCgroupRoot)
	return nil
}

// releasePodCgroups drops this run's claim once it has cleaned up.
func releasePodCgroups() {
	os.Remove(claimFile)
}
