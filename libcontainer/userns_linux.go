package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// writeIDMaps writes the uid and gid maps of the user namespace that pid has
// just created. Root writes them directly; an unprivileged runtime can map
// only its own ids itself (with setgroups denied) and needs the setuid
// helpers newuidmap/newgidmap for anything more.
func writeIDMaps(pid int, l *specs.Linux, rootless bool) error {
	uidMap, gidMap := formatIDMap(l.UIDMappings), formatIDMap(l.GIDMappings)
	if uidMap == "" || gidMap == "" {
		return fmt.Errorf("a user namespace needs linux.uidMappings and linux.gidMappings")
	}
	proc := fmt.Sprintf("/proc/%d/", pid)
	if !rootless || ownIDsOnly(l) {
		if rootless {
			if err := os.WriteFile(proc+"setgroups", []byte("deny"), 0); err != nil {
				return fmt.Errorf("deny setgroups: %w", err)
			}
		}
		if err := os.WriteFile(proc+"uid_map", []byte(uidMap), 0); err != nil {
			return fmt.Errorf("write uid_map (linux.uidMappings): %w", err)
		}
		if err := os.WriteFile(proc+"gid_map", []byte(gidMap), 0); err != nil {
			return fmt.Errorf("write gid_map (linux.gidMappings): %w", err)
		}
		return nil
	}
	if err := idmapHelper("newuidmap", pid, l.UIDMappings); err != nil {
		return err
	}
	return idmapHelper("newgidmap", pid, l.GIDMappings)
}

func formatIDMap(m []specs.LinuxIDMapping) string {
	var sb strings.Builder
	for _, e := range m {
		fmt.Fprintf(&sb, "%d %d %d\n", e.ContainerID, e.HostID, e.Size)
	}
	return sb.String()
}

// ownIDsOnly reports whether the maps map just one id each, to the caller's
// own uid and gid: the one mapping an unprivileged process may write.
func ownIDsOnly(l *specs.Linux) bool {
	return len(l.UIDMappings) == 1 && len(l.GIDMappings) == 1 &&
		l.UIDMappings[0].Size == 1 && l.GIDMappings[0].Size == 1 &&
		int(l.UIDMappings[0].HostID) == os.Geteuid() && int(l.GIDMappings[0].HostID) == os.Getegid()
}

func idmapHelper(helper string, pid int, m []specs.LinuxIDMapping) error {
	path, err := exec.LookPath(helper)
	if err != nil {
		return fmt.Errorf("mapping more than your own id needs %s (package uidmap): %w", helper, err)
	}
	args := []string{strconv.Itoa(pid)}
	for _, e := range m {
		args = append(args, strconv.Itoa(int(e.ContainerID)), strconv.Itoa(int(e.HostID)), strconv.Itoa(int(e.Size)))
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", helper, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// writeTimeOffsets writes the offsets of the time namespace that pid has
// just created (before any process is in it). The runtime writes them, as
// it writes the id maps: in a user namespace, the C stage may not open its
// own timens_offsets.
func writeTimeOffsets(pid int, offsets string) error {
	if offsets == "" {
		return errors.New("time offsets asked for, but the config has none")
	}
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/timens_offsets", pid), []byte(offsets), 0); err != nil {
		return fmt.Errorf("write time namespace offsets (linux.timeOffsets): %w", err)
	}
	return nil
}
