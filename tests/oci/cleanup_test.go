package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestRemoveCgroupTree: a nested cgroup with a live process in it is
// emptied (the process killed) and removed, depth first.
func TestRemoveCgroupTree(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	hs, err := cgroupHierarchies()
	if err != nil {
		t.Fatal(err)
	}
	var pids string
	for _, h := range hs {
		if filepath.Base(h.mount) == "pids" {
			pids = h.mount
		}
	}
	if pids == "" {
		t.Skip("no v1 pids hierarchy")
	}
	top := filepath.Join(pids, fmt.Sprintf("oci-validate-test-%d", os.Getpid()))
	leaf := filepath.Join(top, "a", "b")
	if err := os.MkdirAll(leaf, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = removeCgroupTree(top) })
	cmd := exec.Command("sleep", "100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		_ = cmd.Process.Kill()
		t.Fatal(err)
	}
	if got := cgroupProcs(leaf); len(got) != 1 || got[0] != cmd.Process.Pid {
		t.Fatalf("cgroupProcs = %v, want [%d]", got, cmd.Process.Pid)
	}
	if err := removeCgroupTree(top); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(top); !os.IsNotExist(err) {
		t.Fatalf("%s still there: %v", top, err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the process in the cgroup was not killed")
	}
	// a missing tree is fine
	if err := removeCgroupTree(top); err != nil {
		t.Fatal(err)
	}
}

// TestCgroupHierarchies finds this host's hierarchies and our own cgroup
// in each.
func TestCgroupHierarchies(t *testing.T) {
	hs, err := cgroupHierarchies()
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) == 0 {
		t.Skip("no cgroup hierarchy mounted")
	}
	for _, h := range hs {
		if h.own == "" {
			t.Errorf("%s: own cgroup not found", h.mount)
			continue
		}
		if _, err := os.Stat(h.own); err != nil {
			t.Errorf("%s: own cgroup %s: %v", h.mount, h.own, err)
		}
	}
}
