package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

func TestStatmountLayout(t *testing.T) {
	var h statmountHdr
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(struct mnt_id_req)", unsafe.Sizeof(mntIDReq{}), unix.MNT_ID_REQ_SIZE_VER0},
		{"sizeof(struct statmount)", unsafe.Sizeof(h), 512},
		{"mask", unsafe.Offsetof(h.Mask), 8},
		{"mnt_id", unsafe.Offsetof(h.MntID), 40},
		{"mnt_propagation", unsafe.Offsetof(h.MntPropagation), 72},
		{"mnt_point", unsafe.Offsetof(h.MntPoint), 108},
		{"str", unsafe.Offsetof(statmountBuf{}.str), 512},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// haveStatmount reports whether statmount(2) should answer: the kernel is
// 6.8 or later, and no seccomp profile of the test's environment (a
// container's) denies it. Other errors fail the test.
func haveStatmount(t *testing.T) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor); err != nil {
		t.Fatalf("kernel release %q: %v", u.Release, err)
	}
	if major < 6 || major == 6 && minor < 8 {
		return false
	}
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, "/", 0, unix.STATX_MNT_ID_UNIQUE, &stx); err != nil {
		t.Fatal(err)
	}
	_, err := statmount(stx.Mnt_id, statmountMntBasic|statmountMntPoint)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
		t.Logf("statmount(2) denied here (%v): only the fallback is tested", err)
		return false
	}
	if err != nil {
		t.Fatalf("statmount(2) of /: %v", err)
	}
	return true
}

// inMountNS runs fn on a thread of its own in a new, private mount
// namespace (the thread is discarded afterwards), with a tmpfs on a
// temporary directory, and a setup that reads this thread's mountinfo.
func inMountNS(t *testing.T, fn func(dir string, s *setup) error) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		errc <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				return fmt.Errorf("unshare: %w", err)
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return fmt.Errorf("make / rprivate: %w", err)
			}
			if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
				return fmt.Errorf("mount tmpfs: %w", err)
			}
			proc, err := procfs.OpenProcRoot()
			if err != nil {
				return err
			}
			defer proc.Close()
			return fn(dir, &setup{proc: proc})
		}()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// testMounts creates, under dir, a shared mount, a private one, a slave
// of the shared one and a shared slave, at paths mountinfo escapes, and
// returns a path in each and the expected answer of mountOf.
func testMounts(dir string) (map[string]mountFacts, error) {
	shared := filepath.Join(dir, "shared dir")
	private := filepath.Join(dir, `priv\ate`+"\n")
	slave := filepath.Join(dir, "slave\tdir")
	sharedSlave := filepath.Join(dir, "shared-slave")
	for _, p := range []string{shared, private, slave, sharedSlave} {
		if err := os.Mkdir(p, 0o755); err != nil {
			return nil, err
		}
	}
	steps := []struct {
		src, dst, fstype string
		flags            uintptr
	}{
		{"tmpfs", shared, "tmpfs", 0},
		{"", shared, "", unix.MS_SHARED},
		{"tmpfs", private, "tmpfs", 0},
		{shared, slave, "", unix.MS_BIND},
		{"", slave, "", unix.MS_SLAVE},
		{shared, sharedSlave, "", unix.MS_BIND},
		{"", sharedSlave, "", unix.MS_SLAVE},
		{"", sharedSlave, "", unix.MS_SHARED},
	}
	for _, s := range steps {
		if err := unix.Mount(s.src, s.dst, s.fstype, s.flags, ""); err != nil {
			return nil, fmt.Errorf("mount %q on %q (%#x): %w", s.src, s.dst, s.flags, err)
		}
	}
	for _, d := range []string{"sub", "nested"} {
		if err := os.Mkdir(filepath.Join(shared, d), 0o755); err != nil {
			return nil, err
		}
	}
	// Shared too (under a shared mount), and propagated to the slaves.
	if err := unix.Mount("tmpfs", filepath.Join(shared, "nested"), "tmpfs", 0, ""); err != nil {
		return nil, err
	}
	return map[string]mountFacts{
		"/":                               {mountpoint: "/", shared: false},
		dir:                               {mountpoint: dir, shared: false},
		shared:                            {mountpoint: shared, shared: true},
		filepath.Join(shared, "sub"):      {mountpoint: shared, shared: true},
		private:                           {mountpoint: private, shared: false},
		slave:                             {mountpoint: slave, shared: false},
		sharedSlave:                       {mountpoint: sharedSlave, shared: true},
		filepath.Join(slave, "sub"):       {mountpoint: slave, shared: false},
		filepath.Join(sharedSlave, "sub"): {mountpoint: sharedSlave, shared: true},
	}, nil
}

func openPath(p string) (*os.File, error) {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return os.NewFile(uintptr(fd), p), nil
}

// eachMount calls fn with each mount point of want, opened (O_PATH).
func eachMount(want map[string]mountFacts, fn func(p string, w mountFacts, f *os.File) error) error {
	for p, w := range want {
		f, err := openPath(p)
		if err != nil {
			return err
		}
		err = fn(p, w, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// TestMountOf: statmount(2) and mountinfo describe each mount alike, and
// makePrivateIfShared makes exactly the shared ones private.
func TestMountOf(t *testing.T) {
	withStatmount := haveStatmount(t)
	inMountNS(t, func(dir string, s *setup) error {
		want, err := testMounts(dir)
		if err != nil {
			return err
		}
		err = eachMount(want, func(p string, w mountFacts, f *os.File) error {
			fromInfo, err := s.mountOfMountinfo(f)
			if err != nil {
				return err
			}
			if fromInfo != w {
				t.Errorf("%q: mountinfo says %+v, want %+v", p, fromInfo, w)
			}
			fromStatmount, ok := statmountOf(f)
			switch {
			case !ok && withStatmount:
				t.Errorf("%q: statmount failed on a kernel that has it", p)
			case ok && fromStatmount != w:
				t.Errorf("%q: statmount says %+v, want %+v", p, fromStatmount, w)
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = eachMount(want, func(p string, w mountFacts, f *os.File) error {
			if err := s.makePrivateIfShared(f); err != nil {
				return fmt.Errorf("makePrivateIfShared(%q): %w", p, err)
			}
			after, err := s.mountOfMountinfo(f)
			if err != nil {
				return err
			}
			if after != (mountFacts{mountpoint: w.mountpoint}) {
				t.Errorf("%q: after makePrivateIfShared: %+v", p, after)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Not recursive: the mount below the one made private stays shared.
		mounts, err := s.mountInfo(func([]byte) bool { return true })
		if err != nil {
			return err
		}
		nested := filepath.Join(dir, "shared dir", "nested")
		found := false
		for _, m := range mounts {
			if m.Mountpoint == nested {
				found = true
				if !isShared(m) {
					t.Errorf("%s: %q after makePrivateIfShared of its parent", nested, m.Optional)
				}
			}
		}
		if !found {
			t.Errorf("%s is not mounted", nested)
		}
		return nil
	})
}

// denyStatmount installs on this thread a seccomp filter failing
// statmount(2) with errno.
func denyStatmount(errno unix.Errno) error {
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_STATMOUNT, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(errno)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&fprog)), 0, 0); err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	return nil
}

// TestMountOfFallback: where statmount(2) is missing (ENOSYS) or denied
// by a seccomp profile (EPERM), mountOf answers from mountinfo, and
// makePrivateIfShared still works.
func TestMountOfFallback(t *testing.T) {
	for _, errno := range []unix.Errno{unix.ENOSYS, unix.EPERM} {
		t.Run(errno.Error(), func(t *testing.T) {
			inMountNS(t, func(dir string, s *setup) error {
				want, err := testMounts(dir)
				if err != nil {
					return err
				}
				if err := denyStatmount(errno); err != nil {
					return err
				}
				err = eachMount(want, func(p string, w mountFacts, f *os.File) error {
					if m, ok := statmountOf(f); ok {
						t.Errorf("%q: statmount answered %+v under the seccomp filter", p, m)
					}
					got, err := s.mountOf(f)
					if err != nil {
						return err
					}
					if got != w {
						t.Errorf("%q: mountOf says %+v, want %+v", p, got, w)
					}
					return nil
				})
				if err != nil {
					return err
				}
				return eachMount(want, func(p string, _ mountFacts, f *os.File) error {
					if err := s.makePrivateIfShared(f); err != nil {
						return fmt.Errorf("makePrivateIfShared(%q): %w", p, err)
					}
					if got, err := s.mountOf(f); err != nil || got.shared {
						t.Errorf("%q: after makePrivateIfShared: %+v, %v", p, got, err)
					}
					return nil
				})
			})
		})
	}
}

// sampleMountinfo has cgroup lines and lines that only look like them.
const sampleMountinfo = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
220 22 8:2 / /srv rw,relatime shared:2 - ext4 /dev/sda2 rw
25 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct
40 22 0:40 / /mnt/my\040cgroup rw,relatime - tmpfs cgroup rw
41 22 0:41 / /var/lib/cgroup rw,relatime shared:20 master:3 - tmpfs tmpfs rw
42 22 0:42 /kubepods /var/lib/kubelet/pods/x/volumes/cgroup\040dir rw shared:21 master:4 propagate_from:2 - cgroup cgroup rw,memory
43 22 0:43 / /mnt/a rw - cgroup2fake none rw
44 22 0:44 / /mnt/b rw - fuse.cgroupfs cgroupfs rw
45 22 0:45 / /mnt/c rw - cgroup\040x cgroup rw
46 22 0:46 / /mnt/-\040-\040cgroup\040-\040cgroup rw - tmpfs tmpfs rw
47 22 0:47 /x /a\134b rw unbindable - cgroup2 none\040-\040tmpfs rw
48 22 0:48 / /mnt/d rw - tmpfs a\040-\040cgroup rw
49 22 0:49 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
`

func TestCgroupLineFilter(t *testing.T) {
	kept, err := filterLines(strings.NewReader(sampleMountinfo), fsTypeIs("cgroup", "cgroup2"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range strings.SplitAfter(string(kept), "\n") {
		if l != "" {
			ids = append(ids, strings.Fields(l)[0])
		}
	}
	if want := []string{"31", "32", "35", "42", "47", "49"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("kept lines %v, want %v:\n%s", ids, want, kept)
	}
	if !strings.HasSuffix(string(kept), "\n") || strings.Count(string(kept), "\n") != len(ids) {
		t.Errorf("kept lines are not one per line:\n%q", kept)
	}
	m, err := mountinfo.GetMountsFromReader(strings.NewReader(string(kept)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m[3].Mountpoint != "/var/lib/kubelet/pods/x/volumes/cgroup dir" || m[4].Mountpoint != `/a\b` {
		t.Errorf("unescaped mount points %q, %q", m[3].Mountpoint, m[4].Mountpoint)
	}
	compareFiltered(t, sampleMountinfo)
}

// TestCgroupLineFilterHost: on this host's mount table, the filter keeps
// what a full parse finds.
func TestCgroupLineFilterHost(t *testing.T) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	compareFiltered(t, string(data))
}

// compareFiltered checks that pre-filtering text gives the mounts, and
// the cgroup hierarchies, that a full parse and a filter on the parsed
// type give.
func compareFiltered(t *testing.T, text string) {
	t.Helper()
	for _, types := range [][]string{{"cgroup", "cgroup2"}, {"proc", "sysfs"}, {"tmpfs"}} {
		all, err := mountinfo.GetMountsFromReader(strings.NewReader(text), mountinfo.FSTypeFilter(types...))
		if err != nil {
			t.Fatal(err)
		}
		kept, err := filterLines(strings.NewReader(text), fsTypeIs(types...))
		if err != nil {
			t.Fatal(err)
		}
		filtered, err := mountinfo.GetMountsFromReader(strings.NewReader(string(kept)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(filtered, all) {
			t.Errorf("%v: pre-filtered %d mounts, full parse %d", types, len(filtered), len(all))
		}
		if types[0] == "cgroup" {
			v1a, v2a := parseCgroupMounts(all)
			v1b, v2b := parseCgroupMounts(filtered)
			if !reflect.DeepEqual(v1a, v1b) || !reflect.DeepEqual(v2a, v2b) {
				t.Errorf("cgroup hierarchies differ: %v %v vs %v %v", v1a, v2a, v1b, v2b)
			}
		}
	}
}

func TestMountIDFilter(t *testing.T) {
	for _, id := range []uint64{22, 220, 2, 4} {
		kept, err := filterLines(strings.NewReader(sampleMountinfo), mountIDIs(id))
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		for _, l := range strings.SplitAfter(sampleMountinfo, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == strconv.FormatUint(id, 10) {
				want += l
			}
		}
		if string(kept) != want {
			t.Errorf("id %d: kept %q, want %q", id, kept, want)
		}
	}
}
