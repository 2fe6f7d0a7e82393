package nsenter

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestEncode(t *testing.T) {
	b := &Bootstrap{
		CloneFlags:  unix.CLONE_NEWNS | unix.CLONE_NEWPID,
		Join:        []NsPath{{Type: unix.CLONE_NEWNET, Path: "/var/run/netns/x"}},
		TimeOffsets: "monotonic 1 0\n",
	}
	msg, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.NativeEndian.Uint32(msg); got != bootstrapMagic {
		t.Fatalf("magic %#x", got)
	}
	if got := binary.NativeEndian.Uint32(msg[4:]); int(got) != len(msg)-8 {
		t.Fatalf("length %d, message %d", got, len(msg))
	}
	if !bytes.Contains(msg, []byte("/var/run/netns/x\x00")) {
		t.Fatal("path missing")
	}
}

func TestEncodeRejects(t *testing.T) {
	for name, b := range map[string]*Bootstrap{
		"flags":     {CloneFlags: unix.CLONE_VM},
		"relative":  {Join: []NsPath{{Type: unix.CLONE_NEWNET, Path: "netns"}}},
		"nul":       {Join: []NsPath{{Type: unix.CLONE_NEWNET, Path: "/a\x00b"}}},
		"two types": {Join: []NsPath{{Type: unix.CLONE_NEWNET | unix.CLONE_NEWIPC, Path: "/a"}}},
		"both":      {CloneFlags: unix.CLONE_NEWNET, Join: []NsPath{{Type: unix.CLONE_NEWNET, Path: "/a"}}},
		"too long":  {Join: slices.Repeat([]NsPath{{Type: unix.CLONE_NEWNET, Path: "/" + strings.Repeat("x", MaxBootstrap/8)}}, 8)},
	} {
		if _, err := b.Encode(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestEncodeCgroupTasks(t *testing.T) {
	b := &Bootstrap{CloneFlags: unix.CLONE_NEWNS, CgroupTasks: []int{7, 8, 9}}
	msg, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err := decodeBootstrap(msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.cgroupTasks) != 3 || p.cgroupTasks[0] != 7 || p.cgroupTasks[2] != 9 {
		t.Fatalf("decoded cgroup tasks fds %v", p.cgroupTasks)
	}
	for name, b := range map[string]*Bootstrap{
		"stdio fd": {CgroupTasks: []int{2}},
		"too many": {CgroupTasks: make([]int, maxCgroupTasks+1)},
	} {
		if _, err := b.Encode(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
