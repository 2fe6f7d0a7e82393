package mountfd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/mntnstest"
)

func openPath(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.OpenFile(p, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Error(err)
		return nil
	}
	return f
}

func checkCloexec(t *testing.T, f *os.File) {
	t.Helper()
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("%s: fd %d not close-on-exec (%v)", f.Name(), f.Fd(), err)
	}
}

// mountAt returns the mountinfo entry of the mount at p, or nil.
func mountAt(t *testing.T, p string) *mountinfo.Info {
	t.Helper()
	ms, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(p))
	if err != nil {
		t.Error(err)
		return nil
	}
	if len(ms) == 0 {
		return nil
	}
	return ms[len(ms)-1]
}

// A new tmpfs, configured, attached on a directory by fd, then detached.
func TestNewAttachDetach(t *testing.T) {
	dir := t.TempDir()
	mntnstest.Run(t, func() {
		mnt, err := New("tmpfs", "mountfd-test", []Param{Set("size", "1m"), Set("mode", "0710")}, unix.MOUNT_ATTR_NOEXEC)
		if err != nil {
			t.Error(err)
			return
		}
		defer mnt.Close()
		checkCloexec(t, mnt)
		dst := openPath(t, dir)
		if dst == nil {
			return
		}
		defer dst.Close()
		if err := Attach(mnt, dst); err != nil {
			t.Error(err)
			return
		}
		m := mountAt(t, dir)
		if m == nil || m.FSType != "tmpfs" || m.Source != "mountfd-test" || !strings.Contains(m.Options, "noexec") {
			t.Errorf("mount at %s: %+v, want tmpfs mountfd-test noexec", dir, m)
		}
		if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o710 {
			t.Errorf("mode of the tmpfs root: %v %v, want 0710", st.Mode(), err)
		}
		if err := Detach(mnt); err != nil {
			t.Error(err)
		}
		if m := mountAt(t, dir); m != nil {
			t.Errorf("still mounted after Detach: %+v", m)
		}
	})
}

// A refused parameter names itself and what the kernel logged.
func TestNewError(t *testing.T) {
	mntnstest.Run(t, func() {
		_, err := New("tmpfs", "tmpfs", []Param{Set("bogus", "1")}, 0)
		if err == nil || !strings.Contains(err.Error(), "fsconfig bogus=1: ") || !strings.Contains(err.Error(), "kernel says: ") {
			t.Errorf("error %v, want fsconfig bogus=1 and the kernel's message", err)
		}
		_, err = New("no-such-fs", "", nil, 0)
		if err == nil || !errors.Is(err, unix.ENODEV) || !strings.HasPrefix(err.Error(), "fsopen no-such-fs: ") {
			t.Errorf("error %v, want fsopen no-such-fs: ENODEV", err)
		}
	})
}

// A recursive clone made read-only is a read-only bind; the source stays
// writable. Reconfigure changes the superblock of the source.
func TestCloneSetAttrReconfigure(t *testing.T) {
	src, dst, other := t.TempDir(), t.TempDir(), t.TempDir()
	mntnstest.Run(t, func() {
		tmpfs, err := New("tmpfs", "tmpfs", []Param{Set("size", "1m")}, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer tmpfs.Close()
		srcDir := openPath(t, src)
		dstDir := openPath(t, dst)
		if srcDir == nil || dstDir == nil {
			return
		}
		defer srcDir.Close()
		defer dstDir.Close()
		if err := Attach(tmpfs, srcDir); err != nil {
			t.Error(err)
			return
		}
		if err := os.Mkdir(filepath.Join(src, "sub"), 0o755); err != nil {
			t.Error(err)
			return
		}
		sub, err := New("tmpfs", "sub", nil, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer sub.Close()
		subDir := openPath(t, filepath.Join(src, "sub"))
		if subDir == nil {
			return
		}
		defer subDir.Close()
		if err := Attach(sub, subDir); err != nil {
			t.Error(err)
			return
		}

		clone, err := Clone(unix.AT_FDCWD, src, true)
		if err != nil {
			t.Error(err)
			return
		}
		defer clone.Close()
		checkCloexec(t, clone)
		if err := SetAttr(clone, true, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
			t.Error(err)
			return
		}
		if err := Attach(clone, dstDir); err != nil {
			t.Error(err)
			return
		}
		for _, p := range []string{dst, filepath.Join(dst, "sub")} {
			err := os.WriteFile(filepath.Join(p, "f"), nil, 0o644)
			if !errors.Is(err, unix.EROFS) {
				t.Errorf("write in %s: %v, want EROFS (a read-only rbind)", p, err)
			}
		}
		if err := os.WriteFile(filepath.Join(src, "sub", "f"), nil, 0o644); err != nil {
			t.Errorf("the source is no longer writable: %v", err)
		}

		// Clone of an fd (no path), not recursive: the mount alone.
		one, err := Clone(int(tmpfs.Fd()), "", false)
		if err != nil {
			t.Error(err)
			return
		}
		defer one.Close()
		checkCloexec(t, one)
		third := openPath(t, other)
		if third == nil {
			return
		}
		defer third.Close()
		if err := Attach(one, third); err != nil {
			t.Error(err)
			return
		}
		if m := mountAt(t, filepath.Join(other, "sub")); m != nil {
			t.Errorf("a non-recursive clone has the submount: %+v", m)
		}
		if _, err := os.Stat(filepath.Join(other, "sub", "f")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("sub/f through the non-recursive clone: %v, want not found", err)
		}

		if err := Reconfigure(tmpfs, []Param{Set("size", "2m")}); err != nil {
			t.Error(err)
			return
		}
		var st unix.Statfs_t
		if err := unix.Statfs(src, &st); err != nil || st.Blocks*uint64(st.Bsize) != 2<<20 {
			t.Errorf("size after Reconfigure: %d blocks of %d (%v), want 2m", st.Blocks, st.Bsize, err)
		}
		if err := Reconfigure(tmpfs, []Param{Set("bogus", "1")}); err == nil || !strings.Contains(err.Error(), "fsconfig bogus=1") {
			t.Errorf("Reconfigure bogus=1: %v", err)
		}
	})
}
