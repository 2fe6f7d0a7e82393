package criu

import (
	"path"
	"path/filepath"
	"sort"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
)

// ExtMount is a mount of the container whose source CRIU cannot see from
// inside it (a bind mount of a host path): CRIU records it under Name and
// on restore binds Source there again.
type ExtMount struct {
	Dest   string // the mountpoint inside the container
	Name   string // the key in the images
	Source string // on restore: the host path to bind
}

// nullName is the image key of the masked files: on restore they are
// covered with the host's /dev/null.
const nullName = "/dev/null"

// containerPath resolves a mount destination as the container sees it:
// symlinks in the rootfs are followed inside it (runc does the same), so
// that the key is the real mountpoint.
func containerPath(rootfs, dest string) string {
	clean := path.Clean("/" + dest)
	if rootfs == "" {
		return clean
	}
	if full, err := securejoin.SecureJoin(rootfs, clean); err == nil {
		if rel, err := filepath.Rel(rootfs, full); err == nil && !strings.HasPrefix(rel, "..") {
			return path.Clean("/" + rel)
		}
	}
	return clean
}

// isBind reports whether a spec mount is a bind mount.
func isBind(m *specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

// ExternalMounts lists the container's external mounts, in the order of
// the config: bind mounts, the cgroup hierarchies bound from the host
// (cgroupMounts, for cgroup v1 without a cgroup namespace), the masked
// files (covered by /dev/null) and the device nodes (bind-mounted from the
// host in a user namespace; CRIU ignores names that match no mount).
func ExternalMounts(spec *specs.Spec, rootfs string, cgroupMounts []ExtMount, maskedFiles []string) []ExtMount {
	var out []ExtMount
	seen := map[string]bool{}
	add := func(m ExtMount) {
		if !seen[m.Dest] {
			seen[m.Dest] = true
			out = append(out, m)
		}
	}
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		if !isBind(m) {
			continue
		}
		d := containerPath(rootfs, m.Destination)
		add(ExtMount{Dest: d, Name: d, Source: m.Source})
	}
	for _, m := range cgroupMounts {
		add(m)
	}
	for _, p := range maskedFiles {
		add(ExtMount{Dest: path.Clean("/" + p), Name: nullName, Source: nullName})
	}
	if spec.Linux != nil {
		for _, d := range spec.Linux.Devices {
			p := containerPath(rootfs, d.Path)
			add(ExtMount{Dest: p, Name: p, Source: path.Clean("/" + d.Path)})
		}
	}
	return out
}

// DumpMap is the --ext-mount-map of a dump: mountpoint -> name.
func DumpMap(mounts []ExtMount) []*rpc.ExtMountMap {
	out := make([]*rpc.ExtMountMap, 0, len(mounts))
	for _, m := range mounts {
		out = append(out, &rpc.ExtMountMap{Key: m.Dest, Val: m.Name})
	}
	return out
}

// RestoreMap is the --ext-mount-map of a restore: name -> host source, one
// entry per name.
func RestoreMap(mounts []ExtMount) []*rpc.ExtMountMap {
	out := make([]*rpc.ExtMountMap, 0, len(mounts))
	seen := map[string]bool{}
	for _, m := range mounts {
		if seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		out = append(out, &rpc.ExtMountMap{Key: m.Name, Val: m.Source})
	}
	return out
}

// CgroupV1Mounts returns the external mounts of a cgroup v1 mount at dest
// (resolved in rootfs) without a cgroup namespace: the container's tmpfs there holds one bind
// of its own cgroup per host hierarchy (hierarchies: the host mountpoints,
// /sys/fs/cgroup/cpu,cpuacct ...). paths are the container's cgroup
// directories (controller -> host directory); a hierarchy none of them is
// under is left out.
func CgroupV1Mounts(rootfs, dest string, hierarchies []string, paths map[string]string) []ExtMount {
	dest = containerPath(rootfs, dest)
	var out []ExtMount
	for _, h := range hierarchies {
		h = filepath.Clean(h)
		src := ""
		keys := make([]string, 0, len(paths))
		for k := range paths {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := filepath.Clean(paths[k])
			if p == h || strings.HasPrefix(p, h+"/") {
				src = p
				break
			}
		}
		if src == "" {
			continue
		}
		d := path.Join(dest, filepath.Base(h))
		out = append(out, ExtMount{Dest: d, Name: d, Source: src})
	}
	return out
}
