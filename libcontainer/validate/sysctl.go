package validate

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ipcSysctls are the namespaced kernel.* sysctls of the IPC namespace;
// fs.mqueue.* is the rest of it.
var ipcSysctls = []string{
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
	"kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
}

// sysctlDots returns a sysctl name in dotted form. sysctl(8) also takes
// "/" as the separator, in which case a "." is part of a name component
// (net/ipv4/conf/eth0.100/rp_filter); the two are swapped, as runc does.
func sysctlDots(name string) string {
	i := strings.IndexAny(name, "./")
	if i < 0 || name[i] == '.' {
		return name
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, name)
}

// sysctl checks linux.sysctl with runc's rules: /proc/sys is only partly
// namespaced, so only sysctls of a namespace the container does not share
// with the host are allowed. IPC ones need an IPC namespace, net.* a
// network namespace other than the runtime's own, kernel.domainname a UTS
// namespace; kernel.hostname is refused in favour of the hostname field.
// Keys are checked in sorted order so the first error is stable.
func (v *validator) sysctl() error {
	sysctls := v.linux().Sysctl
	keys := make([]string, 0, len(sysctls))
	for k := range sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var hostnet *bool
	for _, key := range keys {
		field := fmt.Sprintf("linux.sysctl[%q]", key)
		if key == "" {
			return fmt.Errorf("%s: sysctl name must not be empty", field)
		}
		if hasNUL(key) || hasNUL(sysctls[key]) {
			return fmt.Errorf("%s contains a NUL byte", field)
		}
		s := sysctlDots(key)
		// Each dotted component names one file under /proc/sys (a "/"
		// in it standing for a "."): none may be empty, "." or "..".
		for _, c := range strings.Split(s, ".") {
			if f := strings.ReplaceAll(c, "/", "."); f == "" || f == "." || f == ".." {
				return fmt.Errorf("%s: %q is not a valid sysctl name", field, key)
			}
		}
		if slices.Contains(ipcSysctls, s) || strings.HasPrefix(s, "fs.mqueue.") {
			if !v.hasNS(specs.IPCNamespace) {
				return fmt.Errorf("%s: sysctl %q is not allowed in the hosts ipc namespace", field, s)
			}
			continue
		}
		if strings.HasPrefix(s, "net.") {
			if hostnet == nil {
				h, err := v.hostNetNS()
				if err != nil {
					return fmt.Errorf("%s: invalid netns path: %w", field, err)
				}
				hostnet = &h
			}
			if *hostnet {
				return fmt.Errorf("%s: sysctl %q not allowed in host network namespace", field, s)
			}
			continue
		}
		if v.hasNS(specs.UTSNamespace) {
			switch s {
			case "kernel.domainname":
				continue
			case "kernel.hostname":
				return fmt.Errorf("%s: sysctl %q is not allowed as it conflicts with the OCI %q field", field, s, "hostname")
			}
		}
		return fmt.Errorf("%s: sysctl %q is not in a separate kernel namespace", field, s)
	}
	return nil
}

// hostNetNS reports whether the container shares the network namespace
// of the runtime: it has none of its own, or joins the one the runtime is
// in ("host" meaning "current", not "initial", as in runc).
func (v *validator) hostNetNS() (bool, error) {
	i, path := v.ns(specs.NetworkNamespace)
	if i < 0 {
		return true, nil
	}
	if path == "" {
		return false, nil
	}
	const self = "/proc/self/ns/net"
	var st1, st2 unix.Stat_t
	if err := unix.Stat(self, &st1); err != nil {
		return false, &os.PathError{Op: "stat", Path: self, Err: err}
	}
	if err := unix.Stat(path, &st2); err != nil {
		return false, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return st1.Dev == st2.Dev && st1.Ino == st2.Ino, nil
}
