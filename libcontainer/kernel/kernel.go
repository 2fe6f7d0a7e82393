// Package kernel states the oldest Linux kernel the runtime supports, in
// one place, and checks the running kernel against it.
//
// The floor is what the code needs:
//
//	open_tree, move_mount, fsopen, fsconfig, fsmount  5.2   (package mountfd)
//	pidfd_open                                        5.3
//	openat2 (RESOLVE_IN_ROOT), time namespaces        5.6
//	clone3 with CLONE_INTO_CGROUP                     5.7
//	statx STATX_MNT_ID                                5.8
//	close_range CLOSE_RANGE_CLOEXEC                   5.11
//	mount_setattr, MOUNT_ATTR_IDMAP                   5.12  (package mountfd)
//	cgroup.kill                                       5.14
//
// 5.14 rather than 5.12: it is the kernel of RHEL 9 and its rebuilds (the
// oldest maintained enterprise kernel with all of the above), every LTS
// kernel from 5.15 on is above it, and no maintained distribution ships
// 5.12 or 5.13. What newer kernels add is used where it is found, with a
// fallback that serves kernels above the floor: the overlayfs seal of the
// runc binary (lowerdir+, 6.8; else a sealed memfd, see exeseal), MFD_EXEC
// (6.3), STATX_MNT_ID_UNIQUE (6.8), seccomp flags (probed).
package kernel

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/internal/lazy"
)

// Floor is the oldest Linux (major.minor) the runtime supports.
const Floor = "5.14"

// Check refuses a kernel older than Floor, with an error that names both.
// It calls uname(2) once per process; a release it cannot parse passes.
func Check() error { return check.Get() }

var check = lazy.Value[error]{New: func() error {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil
	}
	return checkRelease(unix.ByteSliceToString(u.Release[:]))
}}

func checkRelease(release string) error {
	if !older(release, Floor) {
		return nil
	}
	return fmt.Errorf("this kernel is Linux %s; runc needs Linux %s or newer", release, Floor)
}

// older reports whether release (uname -r: "6.1.0-28-amd64") is older than
// floor ("5.14"), comparing major.minor; an unparsable release is not.
func older(release, floor string) bool {
	major, minor, ok := majorMinor(release)
	if !ok {
		return false
	}
	fmajor, fminor, ok := majorMinor(floor)
	if !ok {
		panic("kernel.Floor " + floor + " is not major.minor")
	}
	return major < fmajor || major == fmajor && minor < fminor
}

// majorMinor parses the "major.minor" a release starts with (fmt's scanner
// would be the first use of its machinery in most runs of runc).
func majorMinor(release string) (major, minor int, ok bool) {
	maj, rest, found := strings.Cut(release, ".")
	if !found {
		return 0, 0, false
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	major, err1 := strconv.Atoi(maj)
	minor, err2 := strconv.Atoi(rest[:end])
	return major, minor, err1 == nil && err2 == nil
}
