package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

// testHandler records the steps Drive calls, and fails the one named in
// fail.
type testHandler struct {
	calls []string
	fail  string
	// readyWait, if set, is waited for in Ready.
	readyWait chan struct{}
}

func (h *testHandler) step(name string) error {
	h.calls = append(h.calls, name)
	if name == h.fail {
		return errors.New(name + " failed")
	}
	return nil
}

func (h *testHandler) IDMaps(stage0 int) error { return h.step(fmt.Sprint("idmaps ", stage0)) }

func (h *testHandler) TimeOffsets(stage0 int) error { return h.step(fmt.Sprint("offsets ", stage0)) }

func (h *testHandler) InitPid(pid int) error { return h.step(fmt.Sprint("pid ", pid)) }

func (h *testHandler) Hooks(pid int) error { return h.step(fmt.Sprint("hooks ", pid)) }

func (h *testHandler) BindSource(pid, i int) (*os.File, error) {
	if err := h.step(fmt.Sprint("bindsource ", pid, " ", i)); err != nil {
		return nil, err
	}
	return os.Open("/dev/null")
}

func (h *testHandler) JoinCgroup(pid int) (map[string]string, error) {
	return map[string]string{"": "/sys/fs/cgroup/x"}, h.step(fmt.Sprint("cgroup ", pid))
}

func (h *testHandler) SeccompFd(f *os.File) error {
	return h.step(fmt.Sprint("seccomp ", f != nil))
}

func (h *testHandler) Ready(pid int) error {
	if h.readyWait != nil {
		<-h.readyWait
	}
	return h.step(fmt.Sprint("ready ", pid))
}

type testWatch struct{ handedOver int }

func (w *testWatch) Expect(string) {}

func (w *testWatch) Handover(pid int) error {
	w.handedOver = pid
	return nil
}

// fakeInit runs script, the init's side, on the child end of a new init
// socket, and drives the parent end with h. It returns what Drive
// returned and the script's error.
func fakeInit(t *testing.T, mode Mode, h Handler, script func(s Sock) error) (int, error, error) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	parent, child := NewSock(os.NewFile(uintptr(fds[0]), "parent")), NewSock(os.NewFile(uintptr(fds[1]), "child"))
	done := make(chan error, 1)
	go func() {
		defer child.File().Close()
		done <- script(child)
	}()
	pid, derr := Drive(Init{Sock: parent, Stage0: 7, Config: &InitConfig{Mode: mode, ID: "c1"}, Watch: &testWatch{}}, h)
	parent.File().Close() // a script still waiting reads what is left, then EOF
	return pid, derr, <-done
}

// expectFrame reads the next frame and checks its type.
func expectFrame(s Sock, want Type) ([]byte, *os.File, error) {
	t, payload, f, err := s.Read()
	if err != nil {
		return nil, nil, err
	}
	if t != want {
		return nil, f, fmt.Errorf("got %s, want %s", t, want)
	}
	return payload, f, nil
}

func childPid(pid int) []byte {
	return binary.NativeEndian.AppendUint32(nil, uint32(pid))
}

// toCgroupDone plays the init from its pid to SyncCgroupDone.
func toCgroupDone(s Sock, pid int) error {
	if err := s.Write(SyncChildPid, childPid(pid)); err != nil {
		return err
	}
	if _, _, err := expectFrame(s, SyncConfig); err != nil {
		return err
	}
	_, _, err := expectFrame(s, SyncCgroupDone)
	return err
}

// TestDriveSequence runs every step of a new container's sequence and
// checks what the handler was asked and what the init got: with the init
// waiting for the hooks, and going on while the runtime works.
func TestDriveSequence(t *testing.T) {
	for _, wait := range []bool{true, false} {
		t.Run(fmt.Sprint("wait=", wait), func(t *testing.T) { driveSequence(t, wait) })
	}
}

func driveSequence(t *testing.T, wait bool) {
	h := &testHandler{}
	pid, err, serr := fakeInit(t, ModeStandard, h, func(s Sock) error {
		for _, step := range []struct{ send, want Type }{
			{SyncUsermapPls, SyncUsermapAck},
			{SyncTimeOffsetsPls, SyncTimeOffsetsAck},
		} {
			if err := s.Write(step.send, nil); err != nil {
				return err
			}
			if _, _, err := expectFrame(s, step.want); err != nil {
				return err
			}
		}
		if err := s.Write(SyncChildPid, childPid(42)); err != nil {
			return err
		}
		payload, _, err := expectFrame(s, SyncConfig)
		if err != nil {
			return err
		}
		var cfg InitConfig
		if err := cfg.UnmarshalBinary(payload); err != nil {
			return fmt.Errorf("config %q: %w", payload, err)
		}
		if cfg.ID != "c1" {
			return fmt.Errorf("config %q: id %q, want c1", payload, cfg.ID)
		}
		if payload, _, err = expectFrame(s, SyncCgroupDone); err != nil {
			return fmt.Errorf("cgroup done: %w", err)
		}
		if string(payload) != `{"":"/sys/fs/cgroup/x"}` {
			return fmt.Errorf("cgroup done %q", payload)
		}
		if err := s.Write(SyncMountRequest, binary.NativeEndian.AppendUint32(nil, 3)); err != nil {
			return err
		}
		_, f, err := expectFrame(s, SyncMountFd)
		if err != nil {
			return fmt.Errorf("bind source: %w", err)
		}
		if f == nil {
			return errors.New("bind source: no file")
		}
		f.Close()
		if err := s.Write(SyncHooks, HooksPayload(wait)); err != nil {
			return err
		}
		if wait {
			if _, _, err := expectFrame(s, SyncHooksDone); err != nil {
				return err
			}
		}
		if err := s.WriteFd(SyncSeccompFd, 0); err != nil {
			return err
		}
		if _, _, err := expectFrame(s, SyncSeccompDone); err != nil {
			return err
		}
		if err := s.Write(SyncReady, nil); err != nil {
			return err
		}
		_, _, err = expectFrame(s, SyncRun)
		return err
	})
	if err != nil || serr != nil || pid != 42 {
		t.Fatalf("Drive = %d, %v (init: %v)", pid, err, serr)
	}
	want := []string{"idmaps 7", "offsets 7", "pid 42", "cgroup 42", "bindsource 42 3", "hooks 42", "seccomp true", "ready 42"}
	if !reflect.DeepEqual(h.calls, want) {
		t.Fatalf("steps %q, want %q", h.calls, want)
	}
}

// TestDriveErrors: how the errors of either side end Drive, and what the
// init is told.
func TestDriveErrors(t *testing.T) {
	toPid := func(s Sock) error { return toCgroupDone(s, 42) }
	// askAborted sends t and expects SyncAbort back.
	askAborted := func(t Type, payload []byte) func(s Sock) error {
		return func(s Sock) error {
			if err := toPid(s); err != nil {
				return err
			}
			if err := s.Write(t, payload); err != nil {
				return err
			}
			_, _, err := expectFrame(s, SyncAbort)
			return err
		}
	}
	for _, tc := range []struct {
		name   string
		mode   Mode
		fail   string
		script func(s Sock) error
		want   string
	}{
		{
			"init error", ModeStandard, "",
			func(s Sock) error { return s.Write(SyncError, []byte("mount /proc: denied")) },
			"error during container init: mount /proc: denied",
		},
		{
			"exec's init error", ModeSetns, "",
			func(s Sock) error { return s.Write(SyncError, []byte("mount /proc: denied")) },
			"mount /proc: denied",
		},
		{
			"init gone before ready", ModeStandard, "", toPid,
			"error during container init: runc init exited before the container was set up",
		},
		{
			"hook", ModeStandard, "hooks 42", askAborted(SyncHooks, HooksPayload(true)),
			"error during container init: hooks 42 failed",
		},
		{
			"limits, the init not waiting", ModeStandard, "hooks 42", askAborted(SyncHooks, HooksPayload(false)),
			"error during container init: hooks 42 failed",
		},
		{
			"bad hooks message", ModeStandard, "", askAborted(SyncHooks, nil),
			`error during container init: bad hooks message ""`,
		},
		{
			"exec's hook", ModeSetns, "hooks 42", askAborted(SyncHooks, HooksPayload(true)),
			"hooks 42 failed",
		},
		{
			"id maps", ModeStandard, "idmaps 7",
			func(s Sock) error {
				if err := s.Write(SyncUsermapPls, nil); err != nil {
					return err
				}
				_, _, err := expectFrame(s, SyncAbort)
				return err
			},
			"idmaps 7 failed",
		},
		{
			"unexpected frame", ModeStandard, "", askAborted(SyncRun, nil),
			"error during container init: unexpected run from runc init",
		},
		{
			"seccomp without fd", ModeStandard, "", askAborted(SyncSeccompFd, nil),
			"error during container init: seccomp notify fd message without an fd",
		},
		{
			"bad child pid", ModeStandard, "",
			func(s Sock) error { return s.Write(SyncChildPid, []byte{1}) },
			"bad child pid message",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err, serr := fakeInit(t, tc.mode, &testHandler{fail: tc.fail}, tc.script)
			if serr != nil {
				t.Fatalf("init side: %v", serr)
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Drive: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestDriveReadyThenGone: an init killed once set up (its end closed
// before the runtime's SyncRun) is a container that stopped, not an
// error.
func TestDriveReadyThenGone(t *testing.T) {
	h := &testHandler{readyWait: make(chan struct{})}
	pid, err, serr := fakeInit(t, ModeStandard, h, func(s Sock) error {
		if err := toCgroupDone(s, 42); err != nil {
			return err
		}
		if err := s.Write(SyncReady, nil); err != nil {
			return err
		}
		// Gone before SyncRun: the runtime's write fails (EPIPE).
		s.File().Close()
		close(h.readyWait)
		return nil
	})
	if err != nil || serr != nil || pid != 42 {
		t.Fatalf("Drive = %d, %v (init: %v)", pid, err, serr)
	}
}

// TestDriveExecNoRun: an exec's init goes on to its execve after
// SyncReady (the execve closes its end): it is sent no SyncRun, and a
// failed Ready aborts it.
func TestDriveExecNoRun(t *testing.T) {
	for _, fail := range []string{"", "ready 43"} {
		t.Run("fail="+fail, func(t *testing.T) {
			h := &testHandler{fail: fail}
			pid, err, serr := fakeInit(t, ModeSetns, h, func(s Sock) error {
				if err := toCgroupDone(s, 43); err != nil {
					return err
				}
				if err := s.Write(SyncReady, nil); err != nil {
					return err
				}
				// The execve: nothing more from this side.
				if err := unix.Shutdown(int(s.File().Fd()), unix.SHUT_WR); err != nil {
					return err
				}
				want := Type(0) // EOF
				if fail != "" {
					want = SyncAbort
				}
				got, _, _, err := s.Read()
				switch {
				case err != nil && want == 0:
					return nil
				case err != nil:
					return fmt.Errorf("after ready: %w, want %s", err, want)
				case got != want:
					return fmt.Errorf("after ready: got %s, want %s", got, want)
				}
				return nil
			})
			if serr != nil {
				t.Fatalf("init side: %v", serr)
			}
			if fail == "" && (err != nil || pid != 43) {
				t.Fatalf("Drive = %d, %v", pid, err)
			}
			if fail != "" && (err == nil || err.Error() != "ready 43 failed") {
				t.Fatalf("Drive: %v, want %q", err, "ready 43 failed")
			}
		})
	}
}
