package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seed4bdd2c93/runc/tests/internal/testhost"
)

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	root, point, fstype, superOpts string
}

// readMountinfo parses /proc/self/mountinfo.
func readMountinfo() ([]mountEntry, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ms []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 5 || len(b) < 3 {
			continue
		}
		ms = append(ms, mountEntry{root: testhost.UnescapeMount(a[3]), point: testhost.UnescapeMount(a[4]), fstype: b[0], superOpts: b[2]})
	}
	return ms, sc.Err()
}

// hierarchy is one mounted cgroup hierarchy and the caller's own cgroup in
// it.
type hierarchy struct {
	mount string // where it is mounted, e.g. /sys/fs/cgroup/memory
	own   string // the caller's cgroup as a directory under mount ("" if unknown)
}

// cgroupHierarchies lists the mounted cgroup v1 and v2 hierarchies (each
// mounted at its root; bind mounts of sub-cgroups are skipped).
func cgroupHierarchies() ([]hierarchy, error) {
	ms, err := readMountinfo()
	if err != nil {
		return nil, err
	}
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var hs []hierarchy
	for _, m := range ms {
		if (m.fstype != "cgroup" && m.fstype != "cgroup2") || m.root != "/" || seen[m.point] {
			continue
		}
		seen[m.point] = true
		h := hierarchy{mount: m.point}
		key := ""
		if m.fstype == "cgroup" {
			key = v1Key(m.superOpts)
		}
		if p, ok := own[key]; ok {
			h.own = filepath.Join(m.point, p)
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// v1Key turns a v1 mount's super options ("rw,memory" or
// "rw,xattr,name=systemd") into the sorted controller list that
// /proc/self/cgroup uses.
func v1Key(superOpts string) string {
	var cs []string
	for _, o := range strings.Split(superOpts, ",") {
		switch {
		case strings.HasPrefix(o, "name="):
			cs = append(cs, o)
		case o == "rw" || o == "ro" || o == "xattr" || o == "noprefix" || o == "clone_children" ||
			o == "cpuset_v2_mode" || o == "favordynmods" || strings.Contains(o, "="):
		default:
			cs = append(cs, o)
		}
	}
	sort.Strings(cs)
	return strings.Join(cs, ",")
}

// ownCgroups reads /proc/self/cgroup into sorted controller list -> path
// ("" for the v2 line).
func ownCgroups() (map[string]string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	own := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		cs := strings.Split(parts[1], ",")
		sort.Strings(cs)
		own[strings.Join(cs, ",")] = parts[2]
	}
	return own, nil
}

// removeCgroupTree removes the cgroup dir (a directory in a cgroup
// hierarchy) and everything below it, killing the processes left in it
// first. Missing directories are fine.
func removeCgroupTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroupTree(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// a frozen v1 cgroup would keep SIGKILLed processes alive
	if _, err := os.Stat(filepath.Join(dir, "freezer.state")); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, pid := range cgroupProcs(dir) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			errs = append(errs, fmt.Errorf("rmdir %s: %w", dir, err))
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.Join(errs...)
}

// cgroupProcs lists the pids in a cgroup directory.
func cgroupProcs(dir string) []int {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// childCgroups lists the subdirectories of a cgroup directory.
func childCgroups(dir string) map[string]bool {
	set := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			set[e.Name()] = true
		}
	}
	return set
}

// unmountUnder detaches every mount at or below dir in this (private) mount
// namespace, deepest first, and reports the ones that would not go.
func unmountUnder(dir string) error {
	ms, err := readMountinfo()
	if err != nil {
		return err
	}
	var points []string
	for _, m := range ms {
		if m.point == dir || strings.HasPrefix(m.point, dir+"/") {
			points = append(points, m.point)
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
			errs = append(errs, fmt.Errorf("umount %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// hasMountsUnder reports whether any mount point lies at or below dir.
func hasMountsUnder(dir string) bool {
	ms, err := readMountinfo()
	if err != nil {
		return true
	}
	for _, m := range ms {
		if m.point == dir || strings.HasPrefix(m.point, dir+"/") {
			return true
		}
	}
	return false
}

// deleteContainers force-deletes every container the runtime lists in its
// state directory, then removes what is left of the directory's content.
func deleteContainers(runtime, stateDir string) []string {
	out, _ := exec.Command(runtime, "--root", stateDir, "list", "-q").Output()
	var ids []string
	for _, id := range strings.Fields(string(out)) {
		ids = append(ids, id)
		_ = exec.Command(runtime, "--root", stateDir, "delete", "--force", id).Run()
	}
	entries, _ := os.ReadDir(stateDir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(stateDir, e.Name()))
	}
	return ids
}
