package libcontainer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/mntnstest"
)

func TestPrepareRestoreMountpoints(t *testing.T) {
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	outside := filepath.Join(dir, "outside")
	for _, d := range []string{rootfs, outside, filepath.Join(rootfs, "etc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink in the image pointing out of it is resolved inside.
	if err := os.Symlink(outside, filepath.Join(rootfs, "escape")); err != nil {
		t.Fatal(err)
	}
	hostFile := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(hostFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{
		Root: &specs.Root{Path: rootfs},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc"},
			{Destination: "/dev", Type: "tmpfs"},
			{Destination: "/dev/pts", Type: "devpts"},
			{Destination: "/sys", Type: "sysfs"},
			{Destination: "/sys/fs/cgroup", Type: "cgroup"},
			{Destination: "/data/in", Type: "bind", Source: dir},
			{Destination: "/data/in/nested", Type: "bind", Source: dir},
			{Destination: "/etc/resolv.conf", Type: "none", Source: hostFile, Options: []string{"rbind"}},
			{Destination: "/escape/x", Type: "tmpfs"},
		},
	}
	if err := prepareRestoreMountpoints(spec); err != nil {
		t.Fatal(err)
	}
	for p, dir := range map[string]bool{
		"proc": true, "dev": true, "sys": true, "data/in": true, "etc/resolv.conf": false,
	} {
		st, err := os.Lstat(filepath.Join(rootfs, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if st.IsDir() != dir {
			t.Errorf("%s: directory %v, want %v", p, st.IsDir(), dir)
		}
	}
	// Inside other mounts: left to those mounts (and to CRIU).
	for _, p := range []string{"dev/pts", "sys/fs", "data/in/nested"} {
		if _, err := os.Lstat(filepath.Join(rootfs, p)); err == nil {
			t.Errorf("%s created inside another mount", p)
		}
	}
	if _, err := os.Lstat(filepath.Join(outside, "x")); err == nil {
		t.Fatal("a mountpoint was created outside the rootfs through a symlink")
	}
	// Existing ones are left alone; a second run changes nothing.
	if err := prepareRestoreMountpoints(spec); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(rootfs, "etc/resolv.conf")); len(data) != 0 {
		t.Fatalf("mountpoint file changed: %q", data)
	}
}

func TestReadDescriptors(t *testing.T) {
	dir := t.TempDir()
	if _, err := readDescriptors(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "images directory: stat "+filepath.Join(dir, "none")) {
		t.Fatalf("missing images directory: %v", err)
	}
	if _, err := readDescriptors(dir); err == nil || !strings.Contains(err.Error(), dir+" has no checkpoint (no descriptors.json)") {
		t.Fatalf("empty images directory: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, descriptorsFile), []byte(`["pipe:[7]","/dev/null","pipe:[7]"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	fds, err := readDescriptors(dir)
	if err != nil || strings.Join(fds, " ") != "pipe:[7] /dev/null pipe:[7]" {
		t.Fatalf("readDescriptors: %q, %v", fds, err)
	}
	if err := os.WriteFile(filepath.Join(dir, descriptorsFile), []byte(`{`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readDescriptors(dir); err == nil {
		t.Fatal("a damaged descriptors.json was accepted")
	}
}

func TestStdioTargets(t *testing.T) {
	fds := stdioTargets(os.Getpid())
	for i, f := range fds {
		want, _ := os.Readlink(filepath.Join("/proc/self/fd", string(rune('0'+i))))
		if f != want {
			t.Errorf("fd %d: %q, want %q", i, f, want)
		}
	}
	if got := stdioTargets(1 << 30); strings.Join(got, "") != "" {
		t.Errorf("no such process: %q", got)
	}
}

// maskedFiles, in a process whose root is the host's: files (a symlink is
// one) are listed, directories and missing paths are not.
func TestMaskedFiles(t *testing.T) {
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink("/etc", link); err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{Linux: &specs.Linux{MaskedPaths: []string{"/etc/passwd", "/etc", "/nonexistent", link}}}
	if got := maskedFiles(spec, os.Getpid()); !slices.Equal(got, []string{"/etc/passwd", link}) {
		t.Errorf("maskedFiles = %v", got)
	}
}

// TestBindCriuRoot: the rootfs, with a mount below it, is bound on
// criu-root in the state directory; unbindCriuRoot takes the bind (and
// what is below it) away and removes the mountpoint. In a private mount
// namespace, on a thread thrown away afterwards.
func TestBindCriuRoot(t *testing.T) {
	dir, rootfs := t.TempDir(), t.TempDir()
	if err := os.Mkdir(filepath.Join(rootfs, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	mntnstest.Run(t, func() {
		if err := unix.Mount("tmpfs", filepath.Join(rootfs, "sub"), "tmpfs", 0, "size=64k"); err != nil {
			t.Errorf("mount below the rootfs: %v", err)
			return
		}
		if err := os.WriteFile(filepath.Join(rootfs, "sub", "marker"), nil, 0o644); err != nil {
			t.Error(err)
			return
		}
		mnt, tree, err := bindCriuRoot(dir, rootfs)
		if err != nil {
			t.Error(err)
			return
		}
		if mnt != filepath.Join(dir, criuRoot) {
			t.Errorf("mountpoint %s, want %s", mnt, filepath.Join(dir, criuRoot))
		}
		if flags, err := unix.FcntlInt(tree.Fd(), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("bind handle not close-on-exec (%v)", err)
		}
		if _, err := os.Stat(filepath.Join(mnt, "sub", "marker")); err != nil {
			t.Errorf("the bind is not recursive: %v", err)
		}
		unbindCriuRoot(mnt, tree)
		if _, err := os.Lstat(mnt); !os.IsNotExist(err) {
			t.Errorf("%s left after unbindCriuRoot: %v", mnt, err)
		}
		ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
		if err != nil || len(ms) != 0 {
			t.Errorf("mounts left under %s: %v (%v)", dir, ms, err)
		}
		// A second bind on the same directory works: nothing was left.
		mnt, tree, err = bindCriuRoot(dir, rootfs)
		if err != nil {
			t.Errorf("bind again: %v", err)
			return
		}
		unbindCriuRoot(mnt, tree)
	})
}
