package cgroupmgr

// What a new container checks of its cgroup before its init joins it, and
// what the runtime looks at when an init it waits for has gone quiet.
//
// A process that joins a frozen cgroup freezes at once: runc init would
// never report, and the runtime would wait for it for good. A cgroup that
// already holds processes would be shared with them (limits, kill, delete).
// runc 1.5 refuses both, with the messages below.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"
)

var (
	// ErrFrozen is returned (wrapped) by CheckUnused for a frozen cgroup.
	ErrFrozen = errors.New("container's cgroup unexpectedly frozen")
	// ErrNotEmpty is returned (wrapped) by CheckUnused for a cgroup that
	// holds processes.
	ErrNotEmpty = errors.New("container's cgroup is not empty")
)

// CheckUnused checks, before Apply, that a new container may have the
// cgroup directories paths (Manager.Paths): none of those that exist
// already may hold a process (in it or below it), and its freezer (the v1
// freezer hierarchy, and the cgroup v2 directory) may not be frozen or
// freezing, neither itself nor through an ancestor, which a directory yet
// to be made would inherit its state from.
//
// On the common path (no directory exists yet) it costs a failed stat per
// hierarchy and two small reads per freezer, of the parent's flags.
func CheckUnused(paths map[string]string) error {
	pids := map[int]bool{}
	seen := map[string]bool{}
	for _, dir := range paths {
		if seen[dir] || dir == "" {
			continue
		}
		seen[dir] = true
		if _, err := os.Stat(dir); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("unable to get cgroup PIDs: %w", err)
		}
		list, err := cgroups.GetAllPids(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("unable to get cgroup PIDs: %w", err)
		}
		for _, p := range list {
			pids[p] = true
		}
	}
	if len(pids) > 0 {
		return fmt.Errorf("%w: %d process(es) found", ErrNotEmpty, len(pids))
	}
	if dir := paths["freezer"]; dir != "" {
		if err := checkThawed(dir, frozenV1); err != nil {
			return err
		}
	}
	if dir := paths[""]; dir != "" {
		if err := checkThawed(dir, frozenV2); err != nil {
			return err
		}
	}
	return nil
}

// checkThawed returns ErrFrozen if dir, or the nearest of its ancestors
// that exists (whose state a new dir inherits), is frozen by frozen.
func checkThawed(dir string, frozen func(dir string) (self, inherited bool, err error)) error {
	for d := dir; strings.HasPrefix(d, cgroupfsRoot+"/"); d = filepath.Dir(d) {
		self, inherited, err := frozen(d)
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := os.Stat(d); serr == nil {
				return nil // a hierarchy's root: it cannot be frozen
			}
			continue // not made yet: its parent decides
		}
		if err != nil {
			return fmt.Errorf("unable to get cgroup freezer state: %w", err)
		}
		switch {
		case self && d == dir:
			return ErrFrozen // runc 1.5's words, without more
		case self:
			return fmt.Errorf("%w: %s is frozen", ErrFrozen, d)
		case inherited:
			return fmt.Errorf("%w: an ancestor of %s is frozen", ErrFrozen, d)
		}
		return nil
	}
	return nil
}

// frozenV1 reads a v1 freezer directory's flags: frozen (or freezing) by
// its own freezer.state, or by an ancestor's. Both are cheap reads (unlike
// freezer.state, which walks every descendant).
func frozenV1(dir string) (self, inherited bool, err error) {
	s, err := os.ReadFile(filepath.Join(dir, "freezer.self_freezing"))
	if err != nil {
		return false, false, err
	}
	p, err := os.ReadFile(filepath.Join(dir, "freezer.parent_freezing"))
	if err != nil {
		return false, false, err
	}
	return string(bytes.TrimSpace(s)) == "1", string(bytes.TrimSpace(p)) == "1", nil
}

// frozenV2 reads a cgroup v2 directory's cgroup.freeze (its own setting)
// and the frozen key of its cgroup.events (its state, which an ancestor's
// setting also gives it).
func frozenV2(dir string) (self, inherited bool, err error) {
	s, err := os.ReadFile(filepath.Join(dir, "cgroup.freeze"))
	if err != nil {
		return false, false, err
	}
	if string(bytes.TrimSpace(s)) == "1" {
		return true, false, nil
	}
	ev, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	if err != nil {
		return false, false, err
	}
	return false, eventsFrozen(ev), nil
}

func eventsFrozen(ev []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(ev))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok && k == "frozen" {
			return v == "1"
		}
	}
	return false
}

// ProcessFrozen returns the cgroup directory whose freezer holds process
// pid frozen (or freezing): its v1 freezer cgroup, or its cgroup v2
// directory. It returns "" when the process is not frozen, or is gone.
func ProcessFrozen(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		parts := strings.SplitN(strings.TrimSuffix(line, "\n"), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			dir := filepath.Join(v2Mountpoint(), parts[2])
			if self, inherited, err := frozenV2(dir); err == nil && (self || inherited) {
				return dir
			}
		case hasController(parts[1], "freezer"):
			mnt, err := cgroups.FindCgroupMountpoint("", "freezer")
			if err != nil {
				continue
			}
			dir := filepath.Join(mnt, parts[2])
			if st, err := os.ReadFile(filepath.Join(dir, "freezer.state")); err == nil {
				if s := string(bytes.TrimSpace(st)); s == "FROZEN" || s == "FREEZING" {
					return dir
				}
			}
		}
	}
	return ""
}

func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}
