package rootfs

// Looking things up in the mount table without paying for all of it: on
// hosts with thousands of mounts (Kubernetes nodes), reading and parsing
// the whole of /proc/thread-self/mountinfo at each container start costs
// milliseconds. statmount(2) describes one mount; where the table must
// still be read, only the lines of interest are parsed.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// mountInfo reads this thread's /proc/thread-self/mountinfo through the
// private procfs handle and parses the lines keep accepts (only those:
// mountinfo.GetMountsFromReader's own filter runs after a line is parsed,
// so it would not spare the work).
func (s *setup) mountInfo(keep func(line []byte) bool) ([]*mountinfo.Info, error) {
	f, closer, err := s.openProcSelf("mountinfo")
	if err != nil {
		return nil, err
	}
	defer closer()
	defer f.Close()
	kept, err := filterLines(f, keep)
	if err != nil {
		return nil, fmt.Errorf("read /proc/thread-self/mountinfo: %w", err)
	}
	mounts, err := mountinfo.GetMountsFromReader(bytes.NewReader(kept), nil)
	if err != nil {
		return nil, fmt.Errorf("read /proc/thread-self/mountinfo: %w", err)
	}
	return mounts, nil
}

// maxMountinfoLine bounds a line filterLines reads (a kept line must
// still fit GetMountsFromReader's 64 KiB; a skipped one may be longer,
// e.g. an overlay with hundreds of layers).
const maxMountinfoLine = 4 << 20

// filterLines returns the lines of r that keep accepts, each with its
// newline. It reads 16 KiB at a time (the buffer grows for a longer
// line): the init is a fresh process, in which each page of a larger
// buffer would be one more fault.
func filterLines(r io.Reader, keep func(line []byte) bool) ([]byte, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 16<<10), maxMountinfoLine)
	var out []byte
	for sc.Scan() {
		if line := sc.Bytes(); keep(line) {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return out, sc.Err()
}

// mountinfoFSType returns the filesystem type field of a mountinfo line
// (still escaped), or nil. It follows the first " - ": the fields before
// it (root and mount point with their spaces escaped as \040, options,
// optional fields) cannot contain one.
func mountinfoFSType(line []byte) []byte {
	_, rest, ok := bytes.Cut(line, []byte(" - "))
	if !ok {
		return nil
	}
	if i := bytes.IndexByte(rest, ' '); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// fsTypeIs returns a line filter keeping the mounts of the given types.
func fsTypeIs(types ...string) func(line []byte) bool {
	return func(line []byte) bool {
		t := mountinfoFSType(line)
		for _, want := range types {
			if string(t) == want {
				return true
			}
		}
		return false
	}
}

// mountIDIs returns a line filter keeping the mount of (old, reusable)
// mount ID id: the first field of a line.
func mountIDIs(id uint64) func(line []byte) bool {
	prefix := strconv.AppendUint(nil, id, 10)
	prefix = append(prefix, ' ')
	return func(line []byte) bool { return bytes.HasPrefix(line, prefix) }
}

// mountFacts is what makePrivateIfShared needs to know of a mount.
type mountFacts struct {
	mountpoint string // relative to our root, unescaped
	shared     bool   // in a peer group
}

// mountOf describes the mount f is on: with statmount(2) where the kernel
// has it (Linux 6.8), else from mountinfo.
func (s *setup) mountOf(f *os.File) (mountFacts, error) {
	if m, ok := statmountOf(f); ok {
		return m, nil
	}
	return s.mountOfMountinfo(f)
}

// mountOfMountinfo is mountOf from the mount table, for kernels without
// statmount(2) (or where it is denied).
func (s *setup) mountOfMountinfo(f *os.File) (mountFacts, error) {
	var stx unix.Statx_t
	if err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID, &stx); err != nil {
		return mountFacts{}, &os.PathError{Op: "statx", Path: f.Name(), Err: err}
	}
	mounts, err := s.mountInfo(mountIDIs(stx.Mnt_id))
	if err != nil {
		return mountFacts{}, err
	}
	for _, m := range mounts {
		if uint64(m.ID) == stx.Mnt_id {
			return mountFacts{mountpoint: m.Mountpoint, shared: isShared(m)}, nil
		}
	}
	return mountFacts{}, fmt.Errorf("mount %d of %s is not in mountinfo", stx.Mnt_id, f.Name())
}

// isShared reports whether a mount is in a peer group.
func isShared(m *mountinfo.Info) bool {
	for _, opt := range strings.Fields(m.Optional) {
		if strings.HasPrefix(opt, "shared:") {
			return true
		}
	}
	return false
}

// statmount(2) (Linux 6.8), from include/uapi/linux/mount.h; x/sys/unix
// has the syscall number and MNT_ID_REQ_SIZE_VER0, not the structures.
const (
	statmountMntBasic = 0x2  // STATMOUNT_MNT_BASIC: mnt_id ... propagate_from
	statmountMntPoint = 0x10 // STATMOUNT_MNT_POINT: the mnt_point string
)

// mntIDReq is struct mnt_id_req, version 0 (MNT_ID_REQ_SIZE_VER0).
type mntIDReq struct {
	Size   uint32
	Spare  uint32 // 0
	MntID  uint64 // unique mount ID (statx STATX_MNT_ID_UNIQUE)
	Params uint64 // STATMOUNT_*
}

// statmountHdr is the fixed part of struct statmount as of 6.8 (later
// kernels name some spare fields; the layout is stable). Every __u64 is
// at a multiple of 8, so there is no padding on any architecture.
type statmountHdr struct {
	Size           uint32
	MntOpts        uint32
	Mask           uint64
	SbDevMajor     uint32
	SbDevMinor     uint32
	SbMagic        uint64
	SbFlags        uint32
	FsType         uint32
	MntID          uint64
	MntParentID    uint64
	MntIDOld       uint32
	MntParentIDOld uint32
	MntAttr        uint64
	MntPropagation uint64 // MS_SHARED | MS_SLAVE | MS_UNBINDABLE, or MS_PRIVATE
	MntPeerGroup   uint64
	MntMaster      uint64
	PropagateFrom  uint64
	MntRoot        uint32
	MntPoint       uint32 // offset of the mount point in str
	Spare2         [50]uint64
}

// statmountBuf is the buffer statmount fills: the header, then str[], the
// strings. A mount point longer than str gives EOVERFLOW, and mountOf
// falls back to mountinfo.
type statmountBuf struct {
	statmountHdr
	str [2 * unix.PathMax]byte
}

// statmountOf describes the mount f is on with statx(STATX_MNT_ID_UNIQUE)
// and statmount(2). ok is false if the kernel lacks either (before 6.8),
// or refuses (a seccomp profile, an LSM), or gives an answer mountinfo
// would not have (no mount point: not reachable from our root); the
// caller then asks mountinfo, which gives the same answers and errors as
// before statmount existed. The mount is in our mount namespace and, f
// having been opened under our root, reachable from it: statmount's
// permission checks pass, in a user namespace too.
func statmountOf(f *os.File) (_ mountFacts, ok bool) {
	var stx unix.Statx_t
	if err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID_UNIQUE, &stx); err != nil {
		return mountFacts{}, false
	}
	if stx.Mask&unix.STATX_MNT_ID_UNIQUE == 0 {
		return mountFacts{}, false // before 6.8: Mnt_id is the old ID
	}
	sm, err := statmount(stx.Mnt_id, statmountMntBasic|statmountMntPoint)
	if err != nil {
		return mountFacts{}, false
	}
	const want = statmountMntBasic | statmountMntPoint
	if sm.Mask&want != want || sm.MntID != stx.Mnt_id {
		return mountFacts{}, false
	}
	mp, ok := sm.str0(sm.MntPoint)
	if !ok || mp == "" {
		return mountFacts{}, false
	}
	return mountFacts{mountpoint: mp, shared: sm.MntPropagation&unix.MS_SHARED != 0}, true
}

// statmount calls statmount(2) for the mount of unique ID id in our mount
// namespace.
func statmount(id, params uint64) (*statmountBuf, error) {
	req := mntIDReq{Size: unix.MNT_ID_REQ_SIZE_VER0, MntID: id, Params: params}
	buf := new(statmountBuf)
	_, _, errno := unix.Syscall6(unix.SYS_STATMOUNT, uintptr(unsafe.Pointer(&req)),
		uintptr(unsafe.Pointer(buf)), unsafe.Sizeof(*buf), 0, 0, 0)
	if errno != 0 {
		return nil, errno
	}
	return buf, nil
}

// str0 returns the NUL-terminated string at offset off of str.
func (b *statmountBuf) str0(off uint32) (string, bool) {
	if uint64(off) >= uint64(len(b.str)) {
		return "", false
	}
	s := b.str[off:]
	i := bytes.IndexByte(s, 0)
	if i < 0 {
		return "", false
	}
	return string(s[:i]), true
}
