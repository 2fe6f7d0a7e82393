package nsenter

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
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
	b := &Bootstrap{CloneFlags: unix.CLONE_NEWNS, CgroupTasks: 3}
	msg, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err := decodeBootstrap(msg, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.cgroupTasks != 3 {
		t.Fatalf("decoded %d cgroup tasks files", p.cgroupTasks)
	}
	if _, err := decodeBootstrap(msg, 2); err == nil {
		t.Fatal("3 files named, 2 sent: accepted")
	}
	for _, n := range []int{-1, maxCgroupTasks + 1} {
		if _, err := (&Bootstrap{CgroupTasks: n}).Encode(); err == nil {
			t.Errorf("%d cgroup tasks files: no error", n)
		}
	}
}

// TestCStageCgroupTasks: the C stage writes "0" to each file sent with the
// bootstrap message (here the write end of a pipe, for a tasks file), and
// refuses a message that names another number of files than it came with.
func TestCStageCgroupTasks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a valid message makes the stage create namespaces")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	named := func(n int) []byte {
		b := &Bootstrap{CloneFlags: unix.CLONE_NEWUTS, CgroupTasks: n}
		msg, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	runCStage(t, named(1), w)
	w.Close()
	if got, _ := io.ReadAll(r); string(got) != "0" {
		t.Fatalf("the C stage wrote %q to the tasks file, want \"0\"", got)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, tc := range []struct {
		named int
		sent  []*os.File
		want  string
	}{
		{2, []*os.File{null}, "bootstrap message: 1 files sent, 2 cgroup tasks files named"},
		{1, nil, "bootstrap message: 0 files sent, 1 cgroup tasks files named"},
		{0, []*os.File{null}, "bootstrap message: 1 files sent, 0 cgroup tasks files named"},
	} {
		st, out := runCStage(t, named(tc.named), tc.sent...)
		if st.ExitCode() == 0 || !bytes.Contains(out, []byte(tc.want)) {
			t.Errorf("%d named, %d sent: exit %d, sent %q; want an error %q", tc.named, len(tc.sent), st.ExitCode(), out, tc.want)
		}
	}
}
