package initproc

import (
	"fmt"
	"os"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// checkExecSize reports, naming what to fix, arguments and environment
// that execve(2) would refuse with E2BIG. It runs in the init before it
// tells the parent it is ready: after that, `runc create` has succeeded and
// an exec failure would only show as a container that stopped at start.
//
// The kernel's limits (fs/exec.c): each string at most MAX_ARG_STRLEN (32
// pages) with its NUL; all strings and their pointers at most a quarter of
// RLIMIT_STACK, capped at 3/4 of 8 MiB and at least 32 pages.
func checkExecSize(path string, args, env []string) error {
	maxStr := 32 * os.Getpagesize()
	for i, a := range args {
		if len(a)+1 > maxStr {
			return fmt.Errorf("process.args[%d] is too long for execve: %d bytes, the kernel takes at most %d in one argument", i, len(a), maxStr-1)
		}
	}
	for _, e := range env {
		if len(e)+1 > maxStr {
			name, _, _ := strings.Cut(e, "=")
			return fmt.Errorf("process.env: %s is too long for execve: %d bytes, the kernel takes at most %d in one variable", name, len(e), maxStr-1)
		}
	}
	limit := uint64(8<<20) / 4 * 3
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_STACK, &rl); err == nil && rl.Cur/4 < limit {
		limit = rl.Cur / 4
	}
	limit = max(limit, uint64(maxStr))
	total := uint64(len(path)+1) + uint64(max(len(args), 1)+len(env))*uint64(unsafe.Sizeof(uintptr(0)))
	for _, a := range args {
		total += uint64(len(a) + 1)
	}
	for _, e := range env {
		total += uint64(len(e) + 1)
	}
	if total > limit {
		return fmt.Errorf("process.args and process.env are too long for execve: %d bytes in all, the kernel takes at most %d (a quarter of RLIMIT_STACK, up to 6 MiB)", total, limit)
	}
	return nil
}
