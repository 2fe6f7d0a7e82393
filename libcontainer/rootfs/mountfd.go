package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/mountfd"
)

// Every mount the package makes goes through package mountfd: built
// detached, as a file descriptor, and attached with move_mount(2) onto a
// file descriptor of the destination. What is here turns the spec's
// options into its terms.

// dataParams turns "key=value" and "flag" data options into fsconfig
// parameters. The SELinux context options may be quoted for mount(2)
// (their values contain commas); fsconfig takes the raw value.
func dataParams(data []string) []mountfd.Param {
	params := make([]mountfd.Param, 0, len(data))
	for _, d := range data {
		key, value, ok := strings.Cut(d, "=")
		if !ok {
			params = append(params, mountfd.Flag(d))
			continue
		}
		switch key {
		case "context", "fscontext", "defcontext", "rootcontext":
			value = strings.Trim(value, `"`)
		}
		params = append(params, mountfd.Set(key, value))
	}
	return params
}

// hasParam reports whether params set key.
func hasParam(params []mountfd.Param, key string) bool {
	for _, p := range params {
		if p.Key == key {
			return true
		}
	}
	return false
}

// flagParams are the fsconfig flags of the superblock flags in flags.
func flagParams(flags uintptr) []mountfd.Param {
	var params []mountfd.Param
	for _, f := range sbFlags(flags) {
		params = append(params, mountfd.Flag(f))
	}
	return params
}

// setPropagation applies mount(2)-style propagation flags (MS_SHARED,
// MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, each optionally with MS_REC) to the
// attached mount whose root f is.
func setPropagation(f *os.File, flags uintptr) error {
	attr := &unix.MountAttr{Propagation: uint64(flags &^ unix.MS_REC)}
	if err := mountfd.SetAttr(f, flags&unix.MS_REC != 0, attr); err != nil {
		return fmt.Errorf("set propagation %s: %w", propagationName(flags), err)
	}
	return nil
}

// propagationName gives the mount(8) name of propagation flags.
func propagationName(flags uintptr) string {
	for _, o := range propagationOptions {
		if o.Val == flags {
			return o.Key
		}
	}
	return fmt.Sprintf("%#x", flags)
}

// isNotExist reports ENOENT, however wrapped.
func isNotExist(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, os.ErrNotExist)
}
