package integration

// Id-mapped mounts: "idmap"/"ridmap" and a mount's own uidMappings and
// gidMappings (mount_setattr(MOUNT_ATTR_IDMAP)).

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// userNSBundle is newBundle with a user namespace mapping 0-65535 in the
// container to 100000-165535 on the host. The bundle's directories are
// opened to others, so that the container's root (an ordinary id on the
// host) can reach its rootfs, which it owns, as an image unpacked for
// this mapping would be.
func userNSBundle(t *testing.T, args ...string) *bundle {
	t.Helper()
	b := newBundle(t, args...)
	for _, d := range []string{b.Dir, filepath.Dir(b.Dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chown", "-R", "100000:100000", filepath.Join(b.Dir, "rootfs")).CombinedOutput(); err != nil {
		t.Fatalf("chown rootfs: %v: %s", err, out)
	}
	b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	b.Spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.Spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.write()
	return b
}

// idmapSource makes a host directory with files owned by 0:0 and
// 1000:1000.
func idmapSource(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		id   int
	}{{"root-file", 0}, {"user-file", 1000}} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, f.id, f.id); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// owners runs `stat -c '%n %u:%g'` output through a map.
func owners(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	return m
}

// TestIDMapMounts: in a container with a user namespace, "idmap" maps a
// bind through the container's namespace (files show their on-disk owners;
// without it they are nobody), a mount's own mappings map through those,
// and files created through an id-mapped mount get the on-disk ids.
func TestIDMapMounts(t *testing.T) {
	src := idmapSource(t)
	b := userNSBundle(t, "sh", "-c", "stat -c '%n %u:%g' /idm/* /plain/* /own/* && touch /idm/new && id -u")
	b.Spec.Mounts = append(b.Spec.Mounts,
		specs.Mount{Destination: "/idm", Type: "bind", Source: src, Options: []string{"bind", "idmap"}},
		specs.Mount{Destination: "/plain", Type: "bind", Source: src, Options: []string{"bind"}},
		specs.Mount{
			Destination: "/own", Type: "bind", Source: src, Options: []string{"bind"},
			UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100005, Size: 2000}},
			GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100007, Size: 2000}},
		},
	)
	b.write()
	out := b.mustRunc("run", b.ID)
	got := owners(out)
	for f, want := range map[string]string{
		"/idm/root-file": "0:0", "/idm/user-file": "1000:1000",
		"/plain/root-file": "65534:65534", "/plain/user-file": "65534:65534",
		"/own/root-file": "5:7", "/own/user-file": "1005:1007",
	} {
		if got[f] != want {
			t.Errorf("%s owned by %q in the container, want %s", f, got[f], want)
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(src, "new"), &st); err != nil {
		t.Fatalf("file created through the id-mapped mount: %v", err)
	}
	if st.Uid != 0 || st.Gid != 0 {
		t.Errorf("file created by container root through idmap is %d:%d on disk, want 0:0", st.Uid, st.Gid)
	}
}

// TestIDMapMountRecursive: with rbind, "idmap" maps the top mount only,
// "ridmap" every mount of the tree.
func TestIDMapMountRecursive(t *testing.T) {
	src := idmapSource(t)
	sub := filepath.Join(src, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", sub, "tmpfs", 0, "size=1m,uid=0,gid=0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Unmount(sub, syscall.MNT_DETACH) })
	b := userNSBundle(t, "stat", "-c", "%n %u:%g", "/a", "/a/sub", "/r", "/r/sub")
	b.Spec.Mounts = append(b.Spec.Mounts,
		specs.Mount{Destination: "/a", Type: "bind", Source: src, Options: []string{"rbind", "idmap"}},
		specs.Mount{Destination: "/r", Type: "bind", Source: src, Options: []string{"rbind", "ridmap"}},
	)
	b.write()
	got := owners(b.mustRunc("run", b.ID))
	for f, want := range map[string]string{"/a": "0:0", "/a/sub": "65534:65534", "/r": "0:0", "/r/sub": "0:0"} {
		if got[f] != want {
			t.Errorf("%s owned by %q, want %s", f, got[f], want)
		}
	}
}

// TestIDMapMountWithoutUserNS: a mount's own mappings work without a user
// namespace in the container: on-disk ids show as their host-side mapping.
func TestIDMapMountWithoutUserNS(t *testing.T) {
	src := idmapSource(t)
	b := newBundle(t, "stat", "-c", "%n %u:%g", "/m/root-file", "/m/user-file")
	b.Spec.Mounts = append(b.Spec.Mounts, specs.Mount{
		Destination: "/m", Type: "bind", Source: src, Options: []string{"bind", "ro"},
		UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 2000, Size: 1}, {ContainerID: 1000, HostID: 3000, Size: 1}},
		GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 2001, Size: 1}, {ContainerID: 1000, HostID: 3001, Size: 1}},
	})
	b.write()
	got := owners(b.mustRunc("run", b.ID))
	if got["/m/root-file"] != "2000:2001" || got["/m/user-file"] != "3000:3001" {
		t.Errorf("owners %v, want root-file 2000:2001, user-file 3000:3001", got)
	}
}

// TestIDMapMountErrors: idmap needs a bind mount, and its own mappings or
// a user namespace; the errors name the mount.
func TestIDMapMountErrors(t *testing.T) {
	src := idmapSource(t)
	for _, tc := range []struct {
		name string
		m    specs.Mount
		want string
	}{
		{"not a bind", specs.Mount{Destination: "/m", Type: "tmpfs", Source: "tmpfs", Options: []string{"idmap"}}, "only supported for bind"},
		{"no user namespace", specs.Mount{Destination: "/m", Type: "bind", Source: src, Options: []string{"bind", "idmap"}}, "user namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBundle(t, "true")
			b.Spec.Mounts = append(b.Spec.Mounts, tc.m)
			b.write()
			_, errOut, code := b.runc("run", b.ID)
			if code == 0 {
				t.Fatal("accepted")
			}
			mustContain(t, "error", errOut, "mounts[")
			mustContain(t, "error", errOut, tc.want)
		})
	}
}
