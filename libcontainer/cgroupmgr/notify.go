package cgroupmgr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/fscommon"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// NotifyOOM returns a channel that receives a value each time the kernel
// reports an out-of-memory condition in the container's memory cgroup.
// The channel is closed when ctx is done, and when the cgroup goes away:
// on cgroup v1 when its memory directory is removed, on cgroup v2 also as
// soon as no process is left in it (cgroup.events "populated 0"), as runc
// does.
//
// cgroup v1 (and hybrid hosts, whose memory controller is v1) registers an
// eventfd on memory.oom_control through cgroup.event_control: one event per
// OOM notification from the kernel, OOM kill or not. cgroup v2 watches
// memory.events with inotify and sends one event per increase of its
// oom_kill counter.
func (m *mgr) NotifyOOM(ctx context.Context) (<-chan struct{}, error) {
	if cgroups.IsCgroup2UnifiedMode() {
		dir := m.lib.Path("")
		if dir == "" {
			return nil, fmt.Errorf("watch OOM events of cgroup %s: no cgroup v2 directory", m.name())
		}
		return notifyOOMv2(ctx, dir)
	}
	dir := m.lib.Path("memory")
	if dir == "" {
		return nil, fmt.Errorf("watch OOM events of cgroup %s: no memory cgroup", m.name())
	}
	return notifyOOMv1(ctx, dir)
}

// notifyOOMv1 registers an eventfd for memory.oom_control in dir.
func notifyOOMv1(ctx context.Context, dir string) (<-chan struct{}, error) {
	ctl, err := os.OpenFile(filepath.Join(dir, "memory.oom_control"), os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("watch OOM events: %w", err)
	}
	defer ctl.Close() // the kernel holds its own reference once registered
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watch OOM events: eventfd: %w", err)
	}
	ev := os.NewFile(uintptr(efd), "oom eventfd")
	reg := strconv.Itoa(efd) + " " + strconv.Itoa(int(ctl.Fd()))
	if err := cgroups.WriteFile(dir, "cgroup.event_control", reg); err != nil {
		ev.Close()
		return nil, fmt.Errorf("watch OOM events: register eventfd: %w", err)
	}
	ch := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { ev.Close() })
	go func() {
		defer close(ch)
		defer stop()
		defer ev.Close()
		buf := make([]byte, 8)
		for {
			if _, err := ev.Read(buf); err != nil {
				if !errors.Is(err, os.ErrClosed) {
					logrus.Debugf("OOM eventfd of %s: %v", dir, err)
				}
				return
			}
			// The kernel also signals the eventfd when the cgroup is
			// removed.
			if _, err := os.Lstat(filepath.Join(dir, "cgroup.event_control")); err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// notifyOOMv2 watches memory.events and cgroup.events in dir.
func notifyOOMv2(ctx context.Context, dir string) (<-chan struct{}, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watch OOM events: inotify: %w", err)
	}
	in := os.NewFile(uintptr(fd), "inotify")
	memWd, err := unix.InotifyAddWatch(fd, filepath.Join(dir, "memory.events"), unix.IN_MODIFY)
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("watch OOM events: %s: %w", filepath.Join(dir, "memory.events"), err)
	}
	cgWd, err := unix.InotifyAddWatch(fd, filepath.Join(dir, "cgroup.events"), unix.IN_MODIFY)
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("watch OOM events: %s: %w", filepath.Join(dir, "cgroup.events"), err)
	}
	// Count from now: earlier OOM kills are not news.
	last, err := fscommon.GetValueByKey(dir, "memory.events", "oom_kill")
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("watch OOM events: %w", err)
	}
	ch := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { in.Close() })
	go func() {
		defer close(ch)
		defer stop()
		defer in.Close()
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			n, err := in.Read(buf)
			if err != nil {
				if !errors.Is(err, os.ErrClosed) {
					logrus.Debugf("inotify on %s: %v", dir, err)
				}
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				e := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				off += unix.SizeofInotifyEvent + int(e.Len)
				if e.Mask&unix.IN_IGNORED != 0 {
					return // the file, and so the cgroup, is gone
				}
				if e.Mask&unix.IN_MODIFY == 0 {
					continue
				}
				switch int(e.Wd) {
				case memWd:
					n, err := fscommon.GetValueByKey(dir, "memory.events", "oom_kill")
					if err != nil {
						return
					}
					for ; last < n; last++ {
						select {
						case ch <- struct{}{}:
						case <-ctx.Done():
							return
						}
					}
				case cgWd:
					populated, err := fscommon.GetValueByKey(dir, "cgroup.events", "populated")
					if err != nil || populated == 0 {
						return
					}
				}
			}
		}
	}()
	return ch, nil
}
