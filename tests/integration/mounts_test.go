package integration

// Mounts as runc 1.5 makes them: the flags a bind keeps from its source
// (locked ones in a user namespace), destinations written as host paths
// under the rootfs, mounts applied in order (a bind source under an
// earlier mount, id-mapped ones included), and /proc on a directory only.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// lockedSource mounts a tmpfs (mode 0777, with a file) in a new directory
// of the test's and makes the mount read-only, nosuid, nodev, noexec and
// noatime: per-mount flags only, the filesystem itself stays writable. In
// a container with a user namespace these flags are locked (MNT_LOCK_*).
// It is unmounted at the end of the test.
func lockedSource(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "locked")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "mode=0777,size=1m"); err != nil {
		t.Fatalf("mount a tmpfs for the test: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME)
	if err := unix.Mount("", dir, "", flags, ""); err != nil {
		t.Fatalf("make %s read-only: %v", dir, err)
	}
	return dir
}

// hostMountsUnder lists the host's mountpoints under dir.
func hostMountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	return out
}

// logMsg undoes the quoting of a logrus text line ("msg=\"...\"") so
// that messages can be searched for as printed.
func logMsg(stderr string) string {
	return strings.ReplaceAll(stderr, `\"`, `"`)
}

// mountsAwk prints "mountpoint fstype" for each mount of the process
// whose mountpoint matches the awk regexp re.
func mountsAwk(re string) string {
	return `awk '$5 ~ "` + re + `" {for (i = 7; $i != "-"; i++); print $5, $(i+1)}' /proc/self/mountinfo`
}

// withSysAdmin gives the container's process CAP_SYS_ADMIN (to try a
// remount from inside).
func withSysAdmin(s *specs.Spec) {
	c := s.Process.Capabilities
	c.Bounding = append(c.Bounding, "CAP_SYS_ADMIN")
	c.Effective = append(c.Effective, "CAP_SYS_ADMIN")
	c.Permitted = append(c.Permitted, "CAP_SYS_ADMIN")
}

// bindFlagsResult is what a container saw of its bind of a locked source.
type bindFlagsResult struct {
	Code int
	// Out: the mount's options, whether it could be written, whether a
	// remount rw from inside the container worked.
	Out, Stderr string
}

// TestBindKeepsLockedFlags: a bind of a read-only, nosuid, nodev, noexec,
// noatime source, with and without a user namespace, keeps what runc 1.5.3
// keeps. In a user namespace the kernel locks those flags: every one the
// options do not clear is kept (an "implied rw" bind stays read-only, and
// the container cannot remount it writable), and an explicit "rw", "exec"
// or another atime mode fails with EPERM and runc's words, leaving nothing
// behind. Without one, options replace the source's flags. Ours used to
// clone the source on the host, where it is not locked: the implied rw
// bind was writable.
func TestBindKeepsLockedFlags(t *testing.T) {
	src := lockedSource(t)
	const script = `awk '$5 == "/m" {print $6}' /proc/self/mountinfo
touch /m/new 2>/dev/null && echo writable || echo read-only
mount -o remount,bind,rw /m 2>/dev/null && echo remounted-rw || echo no-remount`
	for _, userns := range []bool{true, false} {
		for _, tc := range []struct {
			name    string
			options []string
			// wantErr: the failure expected with a user namespace.
			wantErr string
		}{
			{name: "no-flags", options: []string{"bind"}},
			{name: "implied-rw", options: []string{"bind", "nosuid"}},
			{name: "ro", options: []string{"rbind", "ro", "nodev"}},
			{name: "noatime", options: []string{"bind", "noatime"}},
			{name: "explicit-rw", options: []string{"rbind", "rw"}, wantErr: "cannot clear locked flags MS_RDONLY"},
			{name: "explicit-exec", options: []string{"bind", "ro", "exec"}, wantErr: "cannot clear locked flags MS_NOEXEC"},
			{name: "atime-change", options: []string{"bind", "relatime"}, wantErr: "cannot change locked atime flags MS_NOATIME"},
		} {
			name := tc.name
			if userns {
				name = "userns-" + name
			}
			t.Run(name, func(t *testing.T) {
				ours, ref := differential(t, func(t *testing.T, bin string) bindFlagsResult {
					var b *bundle
					if userns {
						b = userNSBundle(t, "sh", "-c", script)
					} else {
						b = newBundle(t, "sh", "-c", script)
					}
					b.Bin = bin
					withSysAdmin(b.Spec)
					b.Spec.Mounts = append(b.Spec.Mounts, specs.Mount{Destination: "/m", Type: "bind", Source: src, Options: tc.options})
					b.write()
					r := b.run(nil, "run", b.ID)
					os.Remove(filepath.Join(src, "new"))
					if r.Code != 0 {
						// Nothing left behind: no state, no mount.
						if _, err := os.Stat(filepath.Join(b.Root, b.ID)); err == nil {
							t.Errorf("state directory left behind by the failed run")
						}
						if m := hostMountsUnder(t, b.Dir); len(m) > 0 {
							t.Errorf("mounts left behind on the host: %v", m)
						}
					}
					return bindFlagsResult{r.Code, r.Stdout, r.Stderr}
				})
				if userns && tc.wantErr != "" {
					for _, r := range []bindFlagsResult{ours, ref} {
						if r.Code == 0 {
							t.Fatalf("the container ran: %q", r.Out)
						}
						for _, want := range []string{`error mounting "` + src + `" to rootfs at "/m"`, tc.wantErr, "operation not permitted"} {
							mustContain(t, "error", logMsg(r.Stderr), want)
						}
					}
					return
				}
				if ours.Code != ref.Code || ours.Out != ref.Out {
					t.Errorf("ours: exit %d, %q (stderr %q)\nrunc 1.5.3: exit %d, %q (stderr %q)", ours.Code, ours.Out, ours.Stderr, ref.Code, ref.Out, ref.Stderr)
				}
				if userns && !strings.Contains(ours.Out, "read-only\nno-remount\n") {
					t.Errorf("the read-only source came out writable in a user namespace: %q", ours.Out)
				}
			})
		}
	}
}

// TestMountDestinationUnderRootfs: a destination written as a host path
// under root.path is taken inside the container ("<rootfs>/mnt" is /mnt),
// for a relative root.path (resolved against the bundle as the kernel
// names it, also when runc is started from a symlink to the bundle) and
// an absolute one; a destination through another name of the rootfs is
// taken literally. As runc 1.5.3; ours mounted on the literal path.
func TestMountDestinationUnderRootfs(t *testing.T) {
	for _, tc := range []struct {
		name string
		// absRoot: root.path absolute; viaLink: runc started in a
		// symlink to the bundle; destLink: the destination names the
		// rootfs through that symlink.
		absRoot, viaLink, destLink bool
	}{
		{name: "relative-root"},
		{name: "absolute-root", absRoot: true},
		{name: "bundle-via-symlink", viaLink: true},
		{name: "destination-via-symlink", viaLink: true, destLink: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours, ref := differential(t, func(t *testing.T, bin string) result {
				b := newBundleWith(t, bin, "sh", "-c", mountsAwk("^/(mnt|tmp)"))
				link := filepath.Join(t.TempDir(), "link")
				if err := os.Symlink(b.Dir, link); err != nil {
					t.Fatal(err)
				}
				if tc.absRoot {
					b.Spec.Root.Path = filepath.Join(b.Dir, "rootfs")
				}
				dest := filepath.Join(b.Dir, "rootfs/mnt")
				if tc.destLink {
					dest = filepath.Join(link, "rootfs/mnt")
				}
				b.Spec.Mounts = append(b.Spec.Mounts, specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs"})
				b.write()
				if tc.viaLink {
					dir := b.Dir
					b.Dir = link
					defer func() { b.Dir = dir }()
				}
				r := b.run(nil, "run", b.ID)
				if r.Code != 0 {
					t.Errorf("run: exit %d: %s", r.Code, r.Stderr)
				}
				// Where the literal destination would be, with the
				// test's temporary directory in it named the same.
				r.Stdout = strings.ReplaceAll(r.Stdout, filepath.Dir(link), "<link-dir>")
				r.Stdout = strings.ReplaceAll(r.Stdout, b.Dir, "<bundle>")
				return r
			})
			if ours.Code != ref.Code || ours.Stdout != ref.Stdout {
				t.Errorf("ours: exit %d, %q\nrunc 1.5.3: exit %d, %q", ours.Code, ours.Stdout, ref.Code, ref.Stdout)
			}
			if !tc.destLink && ours.Stdout != "/mnt tmpfs\n" {
				t.Errorf("tmpfs mounted on %q, want /mnt", ours.Stdout)
			}
		})
	}
}

// TestBindSourceUnderEarlierMount: mounts apply in order, so a bind source
// inside the rootfs is found under the mounts before it: here a tmpfs on
// /mnt, a host directory bound on /mnt/x and a tmpfs on /mnt/y, whose
// mountpoints exist only in that tmpfs. A plain bind and an id-mapped one
// (its own mappings) of <rootfs>/mnt/x, and with a user namespace an
// "idmap" one (the container's mappings) of <rootfs>/mnt/y, the tmpfs the
// container mounted, as runc 1.5.3 does. Ours opened id-mapped sources on
// the host before any container mount existed ("open_tree
// <rootfs>/mnt/x: no such file or directory").
func TestBindSourceUnderEarlierMount(t *testing.T) {
	host := idmapSource(t)
	for _, userns := range []bool{true, false} {
		name := "no-userns"
		if userns {
			name = "userns"
		}
		t.Run(name, func(t *testing.T) {
			ours, ref := differential(t, func(t *testing.T, bin string) result {
				script := "stat -c '%n %u:%g' /data/user-file /idm/user-file\n" + mountsAwk("^/(mnt|data|idm)")
				var b *bundle
				if userns {
					b = userNSBundle(t, "sh", "-c", script+`
echo through-idmap > /idm2/f && cat /mnt/y/f && stat -c '%n %u:%g' /idm2/f /mnt/y/f`)
				} else {
					b = newBundle(t, "sh", "-c", script)
				}
				b.Bin = bin
				// The mount's own mappings give host ids that the
				// container's user namespace maps to 2000 and 3000.
				base := uint32(0)
				if userns {
					base = 100000
				}
				inRootfs := func(p string) string { return filepath.Join(b.Dir, "rootfs", p) }
				b.Spec.Mounts = append(b.Spec.Mounts,
					specs.Mount{Destination: "/mnt", Type: "tmpfs", Source: "tmpfs"},
					specs.Mount{Destination: "/mnt/x", Type: "bind", Source: host, Options: []string{"bind"}},
					specs.Mount{Destination: "/mnt/y", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}},
					specs.Mount{Destination: "/data", Type: "bind", Source: inRootfs("mnt/x"), Options: []string{"bind"}},
					specs.Mount{
						Destination: "/idm", Type: "bind", Source: inRootfs("mnt/x"), Options: []string{"bind"},
						UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: base + 2000, Size: 1}, {ContainerID: 1000, HostID: base + 3000, Size: 1}},
						GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: base + 2001, Size: 1}, {ContainerID: 1000, HostID: base + 3001, Size: 1}},
					},
				)
				if userns {
					b.Spec.Mounts = append(b.Spec.Mounts,
						specs.Mount{Destination: "/idm2", Type: "bind", Source: inRootfs("mnt/y"), Options: []string{"bind", "idmap"}})
				}
				b.write()
				r := b.run(nil, "run", b.ID)
				if r.Code != 0 {
					t.Errorf("run: exit %d: %s", r.Code, r.Stderr)
				}
				if _, err := os.Stat(inRootfs("mnt/x")); err == nil {
					t.Errorf("%s was made on the host's rootfs: the mount was not found under the tmpfs", inRootfs("mnt/x"))
				}
				return r
			})
			if ours.Code != ref.Code || ours.Stdout != ref.Stdout {
				t.Errorf("ours: exit %d, %q\nrunc 1.5.3: exit %d, %q", ours.Code, ours.Stdout, ref.Code, ref.Stdout)
			}
			mustContain(t, "output", ours.Stdout, "/idm/user-file 3000:3001\n")
			fs := map[string]string{}
			for _, l := range strings.Split(ours.Stdout, "\n") {
				if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[0], "/") {
					fs[f[0]] = f[1]
				}
			}
			if x := fs["/mnt/x"]; x == "" || x == "tmpfs" || fs["/data"] != x || fs["/idm"] != x {
				t.Errorf("/data and /idm are not the host directory bound on /mnt/x: %q", ours.Stdout)
			}
			if userns {
				mustContain(t, "output", ours.Stdout, "through-idmap\n")
			}
		})
	}
}

// TestProcOnOrdinaryDirectory: /proc in the image that is a symlink or a
// file is refused with runc 1.5.3's words, and nothing is mounted where
// the symlink points.
func TestProcOnOrdinaryDirectory(t *testing.T) {
	for _, kind := range []string{"symlink", "file"} {
		t.Run(kind, func(t *testing.T) {
			ours, ref := differential(t, func(t *testing.T, bin string) result {
				b := newBundleWith(t, bin, "echo", "CONTAINER-RAN")
				proc := filepath.Join(b.Dir, "rootfs/proc")
				if err := os.Remove(proc); err != nil {
					t.Fatal(err)
				}
				var err error
				if kind == "symlink" {
					err = os.Symlink("/tmp", proc)
				} else {
					err = os.WriteFile(proc, nil, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
				r := b.run(nil, "run", b.ID)
				if ents, _ := os.ReadDir(filepath.Join(b.Dir, "rootfs/tmp")); len(ents) > 0 {
					t.Errorf("something was made in the symlink's target: %v", ents)
				}
				return r
			})
			for _, r := range []result{ours, ref} {
				if r.Code == 0 || strings.Contains(r.Stdout, "CONTAINER-RAN") {
					t.Fatalf("the container ran: %q", r.Stdout)
				}
				mustContain(t, "error", logMsg(r.Stderr), `error mounting "proc" to rootfs at "/proc"`)
				mustContain(t, "error", logMsg(r.Stderr), `filesystem "proc" must be mounted on ordinary directory`)
			}
		})
	}
}

// TestMountsWithoutOpenat2: under a seccomp profile that fails openat2
// with ENOSYS (a container engine's profile older than openat2, around a
// runc run inside it), the rootfs lookups fall back to pathrs-lite's
// resolver: a bind mount below a symlinked directory lands inside the
// rootfs all the same.
func TestMountsWithoutOpenat2(t *testing.T) {
	noOpenat2 := testCmd(t, "noopenat2", "NOOPENAT2_BINARY")
	b := newBundle(t, "cat", "/data/sub/f")
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("through the fallback\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// /data is a symlink inside the container, to /var/data
	rootfs := filepath.Join(b.Dir, "rootfs")
	if err := os.MkdirAll(filepath.Join(rootfs, "var/data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/var/data", filepath.Join(rootfs, "data")); err != nil {
		t.Fatal(err)
	}
	b.Spec.Mounts = append(b.Spec.Mounts, specs.Mount{Destination: "/data/sub", Type: "bind", Source: src, Options: []string{"bind", "ro"}})
	b.write()
	r := b.RunWith(harness.Call{Wrap: []string{noOpenat2}}, "run", b.ID)
	if r.Code != 0 || r.Stdout != "through the fallback\n" {
		t.Fatalf("run under a filter failing openat2: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "var/data/sub")); err != nil {
		t.Errorf("the mountpoint is not where the symlink leads inside the rootfs: %v", err)
	}
}
