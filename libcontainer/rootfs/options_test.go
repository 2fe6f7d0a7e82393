package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

func TestParseMountOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []string
		flags   uintptr
		cleared uintptr
		prop    []uintptr
		rec     *unix.MountAttr
		data    []string
	}{
		{name: "empty"},
		{
			name:  "default dev tmpfs",
			in:    []string{"nosuid", "strictatime", "mode=755", "size=65536k"},
			flags: unix.MS_NOSUID | unix.MS_STRICTATIME,
			data:  []string{"mode=755", "size=65536k"},
		},
		{
			name:  "rbind ro",
			in:    []string{"rbind", "ro", "nodev"},
			flags: unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY | unix.MS_NODEV,
		},
		{name: "last wins: ro then rw", in: []string{"ro", "rw"}, cleared: unix.MS_RDONLY},
		{name: "last wins: rw then ro", in: []string{"rw", "ro"}, flags: unix.MS_RDONLY},
		{
			name:    "clearing options",
			in:      []string{"suid", "dev", "exec", "async", "atime", "diratime", "norelatime", "nostrictatime", "symfollow", "nomand", "nolazytime", "loud", "noiversion"},
			cleared: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_SYNCHRONOUS | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME | unix.MS_NOSYMFOLLOW | unix.MS_MANDLOCK | unix.MS_LAZYTIME | unix.MS_SILENT | unix.MS_I_VERSION,
		},
		{
			name:  "setting options",
			in:    []string{"sync", "dirsync", "mand", "lazytime", "noatime", "nodiratime", "relatime", "nosymfollow", "remount", "silent", "iversion", "defaults"},
			flags: unix.MS_SYNCHRONOUS | unix.MS_DIRSYNC | unix.MS_MANDLOCK | unix.MS_LAZYTIME | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_NOSYMFOLLOW | unix.MS_REMOUNT | unix.MS_SILENT | unix.MS_I_VERSION,
		},
		{
			name:  "propagation in order",
			in:    []string{"bind", "rshared", "private", "runbindable", "slave", "rslave", "shared", "rprivate", "unbindable"},
			flags: unix.MS_BIND,
			prop: []uintptr{
				unix.MS_SHARED | unix.MS_REC, unix.MS_PRIVATE, unix.MS_UNBINDABLE | unix.MS_REC, unix.MS_SLAVE,
				unix.MS_SLAVE | unix.MS_REC, unix.MS_SHARED, unix.MS_PRIVATE | unix.MS_REC, unix.MS_UNBINDABLE,
			},
		},
		{
			name:  "recursive attributes",
			in:    []string{"rbind", "rro", "rnosuid", "rdev", "rnoexec", "rnosymfollow"},
			flags: unix.MS_BIND | unix.MS_REC,
			rec: &unix.MountAttr{
				Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NOSYMFOLLOW,
				Attr_clr: unix.MOUNT_ATTR_NODEV,
			},
		},
		{
			name: "recursive last wins",
			in:   []string{"rro", "rrw", "rnodev", "rdev", "rexec", "rnoexec"},
			rec: &unix.MountAttr{
				Attr_set: unix.MOUNT_ATTR_NOEXEC,
				Attr_clr: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NODEV,
			},
		},
		{
			name: "recursive atime mode replaces the previous one",
			in:   []string{"rnoatime", "rstrictatime", "rnodiratime"},
			rec: &unix.MountAttr{
				Attr_set: unix.MOUNT_ATTR_STRICTATIME | unix.MOUNT_ATTR_NODIRATIME,
				Attr_clr: unix.MOUNT_ATTR__ATIME,
			},
		},
		{
			name: "recursive relatime",
			in:   []string{"rnoatime", "rrelatime"},
			rec:  &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RELATIME, Attr_clr: unix.MOUNT_ATTR__ATIME},
		},
		{
			name: "data with commas and quotes",
			in:   []string{"mode=755,size=1m", `context="system_u:object_r:container_file_t:s0:c1,c2"`, "nr_inodes=10", ",,"},
			data: []string{"mode=755", "size=1m", `context="system_u:object_r:container_file_t:s0:c1,c2"`, "nr_inodes=10"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := parseMountOptions(tc.in)
			if o.flags != tc.flags {
				t.Errorf("flags %#x, want %#x", o.flags, tc.flags)
			}
			if o.cleared != tc.cleared {
				t.Errorf("cleared %#x, want %#x", o.cleared, tc.cleared)
			}
			if !reflect.DeepEqual(o.propagation, tc.prop) {
				t.Errorf("propagation %#x, want %#x", o.propagation, tc.prop)
			}
			if !reflect.DeepEqual(o.recAttr, tc.rec) {
				t.Errorf("recAttr %+v, want %+v", o.recAttr, tc.rec)
			}
			if !reflect.DeepEqual(o.data, tc.data) {
				t.Errorf("data %q, want %q", o.data, tc.data)
			}
		})
	}
}

func TestParseMountOptionsExtensions(t *testing.T) {
	o := parseMountOptions([]string{"tmpcopyup", "ridmap"})
	if !o.tmpcopyup || !o.idmap || !o.ridmap || o.data != nil {
		t.Errorf("got %+v", o)
	}
	o = parseMountOptions([]string{"rbind", "idmap"})
	if !o.idmap || o.ridmap || o.data != nil {
		t.Errorf("idmap: got %+v", o)
	}
	for _, m := range []struct {
		m    specs.Mount
		want bool
	}{
		{specs.Mount{Options: []string{"bind", "idmap"}}, true},
		{specs.Mount{Options: []string{"rbind", "ridmap"}}, true},
		{specs.Mount{Options: []string{"bind"}, UIDMappings: []specs.LinuxIDMapping{{Size: 1}}}, true},
		{specs.Mount{Options: []string{"bind"}}, false},
	} {
		if got := IsIDMapped(&m.m); got != m.want {
			t.Errorf("IsIDMapped(%+v) = %v", m.m, got)
		}
	}
}

func TestBindSourceIndices(t *testing.T) {
	b := t.TempDir()
	for _, d := range []string{"rootfs/etc", "rootfs/x", "other", "vol"} {
		if err := os.MkdirAll(filepath.Join(b, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"rootfs/evil":  filepath.Join(b, "vol"), // planted in the image: leads out
		"rootfs-alias": filepath.Join(b, "rootfs"),
		"out":          "vol",
	} {
		if err := os.Symlink(target, filepath.Join(b, link)); err != nil {
			t.Fatal(err)
		}
	}
	spec := &specs.Spec{
		Root: &specs.Root{Path: filepath.Join(b, "rootfs")},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/v", Type: "bind", Source: filepath.Join(b, "vol")},
			{Destination: "/i", Source: "/data", Options: []string{"rbind", "idmap"}},
			{Destination: "/r", Source: "/data", Options: []string{"bind", "remount", "ro"}},
			{Destination: "/in", Source: filepath.Join(b, "rootfs/etc"), Options: []string{"bind"}},
			{Destination: "/rel", Source: "rootfs/x", Options: []string{"rbind"}},
			{Destination: "/up", Source: "rootfs/../other", Options: []string{"bind"}},
			{Destination: "/evil", Source: filepath.Join(b, "rootfs/evil"), Options: []string{"bind"}},
			{Destination: "/alias", Source: filepath.Join(b, "rootfs-alias/etc"), Options: []string{"bind"}},
			{Destination: "/out", Source: filepath.Join(b, "out"), Options: []string{"bind"}},
		},
	}
	if got := BindSourceIndices(spec, false, b); !slices.Equal(got, []int{2}) {
		t.Errorf("BindSourceIndices(all=false) = %v; want [2]", got)
	}
	if got := BindSourceIndices(spec, true, b); !slices.Equal(got, []int{1, 2, 6, 9}) {
		t.Errorf("BindSourceIndices(all=true) = %v, want [1 2 6 9]", got)
	}
}

// TestWalkSource: a source is opened on the host without following what
// the rootfs holds; the walk stops at the rootfs, with the rest of the
// path to resolve inside it.
func TestWalkSource(t *testing.T) {
	b := t.TempDir()
	for _, d := range []string{"rootfs/etc", "vol/sub"} {
		if err := os.MkdirAll(filepath.Join(b, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"rootfs/evil":  filepath.Join(b, "vol"),
		"rootfs-alias": filepath.Join(b, "rootfs"),
		"rel":          "vol/./sub",
		"loop":         "loop",
	} {
		if err := os.Symlink(target, filepath.Join(b, link)); err != nil {
			t.Fatal(err)
		}
	}
	var rootfs unix.Stat_t
	if err := unix.Stat(filepath.Join(b, "rootfs"), &rootfs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		src, path, rest string
		inRoot          bool
	}{
		{src: filepath.Join(b, "vol"), path: filepath.Join(b, "vol")},
		{src: filepath.Join(b, "rel"), path: filepath.Join(b, "vol/sub")},
		{src: filepath.Join(b, "rootfs/evil/sub"), path: filepath.Join(b, "rootfs"), rest: "evil/sub", inRoot: true},
		{src: filepath.Join(b, "rootfs-alias/etc"), path: filepath.Join(b, "rootfs"), rest: "etc", inRoot: true},
		{src: filepath.Join(b, "rootfs"), path: filepath.Join(b, "rootfs"), inRoot: true},
	} {
		f, inRoot, rest, err := walkSource(tc.src, &rootfs)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		p, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
		f.Close()
		if p != tc.path || inRoot != tc.inRoot || rest != tc.rest {
			t.Errorf("%s: %s, %v, %q; want %s, %v, %q", tc.src, p, inRoot, rest, tc.path, tc.inRoot, tc.rest)
		}
	}
	for _, src := range []string{filepath.Join(b, "loop"), filepath.Join(b, "nothing/x")} {
		if f, _, _, err := walkSource(src, &rootfs); err == nil {
			f.Close()
			t.Errorf("%s: no error", src)
		}
	}
}

func TestNewEntry(t *testing.T) {
	e := newEntry(3, &specs.Mount{Type: "bind", Source: "/src", Destination: "dst/../x//y/", Options: []string{"ro"}})
	if !e.opts.isBind() || e.opts.isRecursive() {
		t.Errorf("type bind without a bind option must be a non-recursive bind: %#x", e.opts.flags)
	}
	if e.dest != "/x/y" {
		t.Errorf("dest %q, want /x/y", e.dest)
	}
	if got, want := e.String(), "mounts[3] (bind of /src on dst/../x//y/)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if e.deferReadonly() {
		t.Errorf("a bind's ro is not deferred")
	}
	for _, tc := range []struct {
		m    specs.Mount
		want bool
	}{
		{specs.Mount{Type: "tmpfs", Destination: "/dev"}, true},
		{specs.Mount{Type: "tmpfs", Destination: "/run"}, true},
		{specs.Mount{Type: "devtmpfs", Destination: "/dev/"}, true},
		{specs.Mount{Type: "proc", Destination: "/proc"}, false},
	} {
		if got := newEntry(0, &tc.m).deferReadonly(); got != tc.want {
			t.Errorf("deferReadonly(%+v) = %v, want %v", tc.m, got, tc.want)
		}
	}
}

func TestMountAttrs(t *testing.T) {
	for _, tc := range []struct {
		flags uintptr
		want  uint64
	}{
		{0, unix.MOUNT_ATTR_RELATIME},
		{unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC},
		{unix.MS_NOATIME, unix.MOUNT_ATTR_NOATIME},
		{unix.MS_STRICTATIME, unix.MOUNT_ATTR_STRICTATIME},
		{unix.MS_STRICTATIME | unix.MS_NOATIME, unix.MOUNT_ATTR_STRICTATIME},
		{unix.MS_NODIRATIME | unix.MS_NOSYMFOLLOW, unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW},
		{unix.MS_SYNCHRONOUS | unix.MS_BIND, unix.MOUNT_ATTR_RELATIME},
	} {
		if got := mountAttrs(tc.flags); got != tc.want {
			t.Errorf("mountAttrs(%#x) = %#x, want %#x", tc.flags, got, tc.want)
		}
	}
}

func TestRemountAttr(t *testing.T) {
	const perMount = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NOSYMFOLLOW
	for _, tc := range []struct {
		name  string
		flags uintptr
		want  unix.MountAttr
	}{
		{"nothing set clears all, keeps atime", 0, unix.MountAttr{Attr_clr: perMount}},
		{"ro", unix.MS_RDONLY, unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY, Attr_clr: perMount &^ unix.MOUNT_ATTR_RDONLY}},
		{"noatime", unix.MS_NOATIME | unix.MS_NOSUID, unix.MountAttr{
			Attr_set: unix.MOUNT_ATTR_NOATIME | unix.MOUNT_ATTR_NOSUID,
			Attr_clr: perMount&^unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_NODIRATIME,
		}},
		{"relatime nodiratime", unix.MS_RELATIME | unix.MS_NODIRATIME, unix.MountAttr{
			Attr_set: unix.MOUNT_ATTR_RELATIME | unix.MOUNT_ATTR_NODIRATIME,
			Attr_clr: perMount | unix.MOUNT_ATTR__ATIME,
		}},
	} {
		if got := remountAttr(tc.flags); *got != tc.want {
			t.Errorf("%s: remountAttr(%#x) = %+v, want %+v", tc.name, tc.flags, *got, tc.want)
		}
	}
}

func TestSbFlags(t *testing.T) {
	got := sbFlags(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_SYNCHRONOUS | unix.MS_DIRSYNC | unix.MS_LAZYTIME | unix.MS_MANDLOCK | unix.MS_NOEXEC)
	want := []string{"ro", "sync", "dirsync", "lazytime", "mand"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sbFlags = %q, want %q", got, want)
	}
	if got := sbFlags(unix.MS_NOSUID | unix.MS_BIND); got != nil {
		t.Errorf("per-mount flags became superblock flags: %q", got)
	}
}

func TestParseRootfsPropagation(t *testing.T) {
	for in, want := range map[string]uintptr{
		"":            0,
		"shared":      unix.MS_SHARED,
		"rshared":     unix.MS_SHARED | unix.MS_REC,
		"slave":       unix.MS_SLAVE,
		"rslave":      unix.MS_SLAVE | unix.MS_REC,
		"private":     unix.MS_PRIVATE,
		"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
		"unbindable":  unix.MS_UNBINDABLE,
		"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
	} {
		got, err := parseRootfsPropagation(in)
		if err != nil || got != want {
			t.Errorf("parseRootfsPropagation(%q) = %#x, %v; want %#x", in, got, err, want)
		}
	}
	if _, err := parseRootfsPropagation("rbind"); err == nil || !strings.Contains(err.Error(), "linux.rootfsPropagation") {
		t.Errorf("want an error naming linux.rootfsPropagation, got %v", err)
	}
}

func TestStatfsFlags(t *testing.T) {
	for _, tc := range []struct {
		st   int64
		want uintptr
	}{
		{0, unix.MS_STRICTATIME},
		{unix.ST_RDONLY | unix.ST_NOSUID | unix.ST_NODEV | unix.ST_NOEXEC | unix.ST_RELATIME, unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RELATIME},
		{unix.ST_NOATIME | unix.ST_NODIRATIME, unix.MS_NOATIME | unix.MS_NODIRATIME},
		{0x2000, unix.MS_NOSYMFOLLOW | unix.MS_STRICTATIME},
	} {
		if got := statfsFlags(&unix.Statfs_t{Flags: tc.st}); got != tc.want {
			t.Errorf("statfsFlags(%#x) = %#x, want %#x", tc.st, got, tc.want)
		}
	}
}

func TestDataParams(t *testing.T) {
	got := dataParams([]string{"newinstance", "mode=0620", `context="a:b:c:s0:c1,c2"`, "key="})
	want := []mountfd.Param{
		mountfd.Flag("newinstance"),
		mountfd.Set("mode", "0620"),
		mountfd.Set("context", "a:b:c:s0:c1,c2"),
		mountfd.Set("key", ""),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dataParams = %+v, want %+v", got, want)
	}
}

func TestCheckProcDest(t *testing.T) {
	proc := newEntry(0, &specs.Mount{Type: "proc", Destination: "/proc"})
	tmpfs := newEntry(1, &specs.Mount{Type: "tmpfs", Destination: "/proc"})
	bind := newEntry(2, &specs.Mount{Type: "bind", Source: "/x", Destination: "/proc/cpuinfo", Options: []string{"bind"}})
	for _, tc := range []struct {
		dest string
		e    *entry
		ok   bool
	}{
		{"/proc", proc, true},
		{"/proc", tmpfs, false},
		{"/proc", bind, false}, // no procfs source
		{"/proc/cpuinfo", bind, true},
		{"/proc/sys/kernel/ns_last_pid", bind, true},
		{"/proc/sys", bind, false},
		{"/proc/self/attr", tmpfs, false},
		{"/procfoo", tmpfs, true},
		{"/sys", tmpfs, true},
	} {
		err := checkProcDest(tc.dest, tc.e, nil)
		if (err == nil) != tc.ok {
			t.Errorf("checkProcDest(%s, %s) = %v, want ok=%v", tc.dest, tc.e, err, tc.ok)
		}
	}
}

func TestContainerDevices(t *testing.T) {
	mode := os.FileMode(0o600)
	spec := &specs.Spec{Linux: &specs.Linux{Devices: []specs.LinuxDevice{
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: &mode},
		{Path: "/dev/ptmx", Type: "c", Major: 5, Minor: 2},
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229},
	}}}
	devs := containerDevices(spec)
	var paths []string
	for _, d := range devs {
		paths = append(paths, d.Path)
	}
	want := []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/fuse"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("devices %q, want %q", paths, want)
	}
	if devs[0].FileMode == nil || *devs[0].FileMode != 0o600 {
		t.Errorf("linux.devices did not replace the default /dev/null")
	}
	for _, tc := range []struct {
		typ  string
		want uint32
		ok   bool
	}{
		{"c", unix.S_IFCHR | 0o666, true},
		{"u", unix.S_IFCHR | 0o666, true},
		{"b", unix.S_IFBLK | 0o666, true},
		{"p", unix.S_IFIFO | 0o666, true},
		{"x", 0, false},
	} {
		got, err := deviceMode(&specs.LinuxDevice{Type: tc.typ})
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("deviceMode(%s) = %o, %v; want %o", tc.typ, got, err, tc.want)
		}
	}
}

func TestNeedsDevSetup(t *testing.T) {
	for _, tc := range []struct {
		mounts []specs.Mount
		want   bool
	}{
		{nil, true},
		{[]specs.Mount{{Type: "tmpfs", Destination: "/dev"}}, true},
		{[]specs.Mount{{Type: "bind", Source: "/dev", Destination: "/dev/"}}, false},
		{[]specs.Mount{{Type: "none", Source: "/dev", Destination: "/dev", Options: []string{"rbind"}}}, false},
		{[]specs.Mount{{Type: "bind", Source: "/x", Destination: "/dev/x"}}, true},
	} {
		var entries []*entry
		for i := range tc.mounts {
			entries = append(entries, newEntry(i, &tc.mounts[i]))
		}
		if got := needsDevSetup(entries); got != tc.want {
			t.Errorf("needsDevSetup(%+v) = %v, want %v", tc.mounts, got, tc.want)
		}
	}
}

const hybridMountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
33 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,xattr,memory
34 31 0:31 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/x,name=systemd
35 31 0:32 /sub /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
36 31 0:29 / /other/cpu rw,relatime - cgroup cgroup rw,cpuacct,cpu
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`

func TestParseCgroupMounts(t *testing.T) {
	mounts, err := mountinfo.GetMountsFromReader(strings.NewReader(hybridMountinfo), nil)
	if err != nil {
		t.Fatal(err)
	}
	v1, v2 := parseCgroupMounts(mounts)
	want := []cgroupHierarchy{
		{mountpoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/", subsystems: []string{"cpu", "cpuacct"}},
		{mountpoint: "/sys/fs/cgroup/memory", root: "/", subsystems: []string{"memory"}},
		{mountpoint: "/sys/fs/cgroup/systemd", root: "/", subsystems: []string{"name=systemd"}},
		{mountpoint: "/sys/fs/cgroup/pids", root: "/sub", subsystems: []string{"pids"}},
	}
	if !reflect.DeepEqual(v1, want) {
		t.Errorf("v1 = %+v\nwant %+v", v1, want)
	}
	if v2 == nil || v2.mountpoint != "/sys/fs/cgroup/unified" || v2.subsystems != nil {
		t.Errorf("v2 = %+v", v2)
	}

	own, err := parseProcCgroup(strings.NewReader("5:pids:/sub/ctr\n4:name=systemd:/user.slice\n3:memory:/ctr\n2:cpu,cpuacct:/ctr2\n0::/unified/ctr\nbad line\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		h          cgroupHierarchy
		configured map[string]string
		want       string
		ok         bool
	}{
		{want[0], nil, "/sys/fs/cgroup/cpu,cpuacct/ctr2", true},
		{want[0], map[string]string{"cpuacct": "/configured"}, "/configured", true},
		{want[1], map[string]string{"cpu": "/configured"}, "/sys/fs/cgroup/memory/ctr", true},
		{want[2], nil, "/sys/fs/cgroup/systemd/user.slice", true},
		{want[3], nil, "/sys/fs/cgroup/pids/ctr", true},
		{*v2, nil, "/sys/fs/cgroup/unified/unified/ctr", true},
		{*v2, map[string]string{"": "/u"}, "/u", true},
		{cgroupHierarchy{mountpoint: "/m", root: "/other", subsystems: []string{"memory"}}, nil, "", false},
		{cgroupHierarchy{mountpoint: "/m", root: "/", subsystems: []string{"rdma"}}, nil, "", false},
	} {
		got, err := cgroupSource(&tc.h, tc.configured, own)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("cgroupSource(%+v, %v) = %q, %v; want %q", tc.h, tc.configured, got, err, tc.want)
		}
	}
}

func TestContainerDest(t *testing.T) {
	for _, tc := range []struct{ root, dest, want string }{
		{"/b/rootfs", "/b/rootfs/mnt", "/mnt"},
		{"/b/rootfs/", "/b/rootfs/./mnt/../etc//x", "/etc/x"},
		{"/b/rootfs", "/b/rootfs", "/"},
		{"/b/rootfs", "/b/rootfs2/mnt", "/b/rootfs2/mnt"},
		{"/b/rootfs", "/mnt", "/mnt"},
		{"/b/rootfs", "mnt/x", "mnt/x"},
		{"/", "/mnt", "/mnt"},
	} {
		if got := ContainerDest(tc.root, tc.dest); got != tc.want {
			t.Errorf("ContainerDest(%q, %q) = %q, want %q", tc.root, tc.dest, got, tc.want)
		}
	}
}

// TestTablesUnique: no table holds a key twice (a map literal with one
// would not have compiled).
func TestTablesUnique(t *testing.T) {
	for i, tb := range []interface{ Duplicate() (any, bool) }{
		flagOptions, propagationOptions, recAttrOptions,
	} {
		if k, dup := tb.Duplicate(); dup {
			t.Errorf("table %d holds %v twice", i, k)
		}
	}
}
