// Package intelrdt applies linux.intelRdt (Intel Resource Director
// Technology, or AMD's equivalent) through the resctrl filesystem: a
// container joins a control group (CLOS) named by closID or by its ID,
// whose schemata the spec may set, and optionally gets a monitoring group
// of its own.
package intelrdt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ErrNotEnabled is returned when no resctrl filesystem is mounted.
var ErrNotEnabled = errors.New("linux.intelRdt is specified in config, but no resctrl filesystem is mounted (Intel RDT is not enabled)")

// Root returns where the resctrl filesystem is mounted in the runtime's
// mount namespace, or ErrNotEnabled.
func Root() (string, error) {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("resctrl"))
	if err != nil {
		return "", fmt.Errorf("find resctrl mount: %w", err)
	}
	if len(mounts) == 0 {
		return "", ErrNotEnabled
	}
	return mounts[0].Mountpoint, nil
}

// Manager puts the processes of one container into its resctrl groups.
type Manager struct {
	root string // resctrl mount point
	id   string // container ID
	cfg  *specs.LinuxIntelRdt
}

// New returns the manager of container id for cfg, with the resctrl
// filesystem at root (see Root).
func New(root, id string, cfg *specs.LinuxIntelRdt) *Manager {
	return &Manager{root: root, id: id, cfg: cfg}
}

// Path is the container's control group directory: the closID's, the
// root for closID "/", else one named after the container.
func (m *Manager) Path() string {
	switch m.cfg.ClosID {
	case "/":
		return m.root
	case "":
		return filepath.Join(m.root, m.id)
	}
	return filepath.Join(m.root, m.cfg.ClosID)
}

// monPath is the container's monitoring group directory.
func (m *Manager) monPath() string {
	return filepath.Join(m.Path(), "mon_groups", m.id)
}

// schemata returns the lines to write to the schemata file, in the order
// the spec wants: l3CacheSchema, memBwSchema, then schemata.
func (m *Manager) schemata() []string {
	var lines []string
	for _, s := range []string{m.cfg.L3CacheSchema, m.cfg.MemBwSchema} {
		if s != "" {
			lines = append(lines, s)
		}
	}
	return append(lines, m.cfg.Schemata...)
}

// Apply creates or checks the control group, sets its schemata, moves
// every thread of pid into it and, with enableMonitoring, into the
// container's own monitoring group. On error it undoes what it created.
func (m *Manager) Apply(pid int) (err error) {
	dir := m.Path()
	lines := m.schemata()
	created := false
	switch {
	case dir == m.root || (m.cfg.ClosID != "" && len(lines) == 0):
		// The default group, or a pre-configured one: it must exist and
		// is not ours to configure, only to check.
		if _, err := os.Stat(filepath.Join(dir, "tasks")); err != nil && dir != m.root {
			return fmt.Errorf("linux.intelRdt.closID %q: no such pre-configured resctrl group: %w", m.cfg.ClosID, err)
		}
		if len(lines) > 0 {
			if err := m.checkSchemata(dir, lines); err != nil {
				return err
			}
		}
		lines = nil
	default:
		switch err := os.Mkdir(dir, 0o755); {
		case err == nil:
			created = true
		case errors.Is(err, os.ErrExist) && m.cfg.ClosID != "":
			// Someone else's group: it must already be what we want.
			if err := m.checkSchemata(dir, lines); err != nil {
				return err
			}
			lines = nil
		case errors.Is(err, os.ErrExist):
		default:
			return fmt.Errorf("linux.intelRdt: create resctrl group %s: %w", dir, err)
		}
	}
	defer func() {
		if err != nil && created {
			_ = removeGroup(dir)
		}
	}()
	for _, l := range lines {
		if err := writeFile(filepath.Join(dir, "schemata"), l+"\n"); err != nil {
			return fmt.Errorf("linux.intelRdt: write schemata %q: %w", l, err)
		}
	}
	if err := moveThreads(dir, pid); err != nil {
		return fmt.Errorf("linux.intelRdt: join resctrl group %s: %w", dir, err)
	}
	if m.cfg.EnableMonitoring {
		mon := m.monPath()
		if err := os.Mkdir(mon, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("linux.intelRdt.enableMonitoring: create monitoring group %s: %w", mon, err)
		}
		if err := moveThreads(mon, pid); err != nil {
			_ = removeGroup(mon)
			return fmt.Errorf("linux.intelRdt.enableMonitoring: join monitoring group %s: %w", mon, err)
		}
	}
	return nil
}

// Join moves pid (an exec'd process) into the container's groups, which
// Apply made.
func (m *Manager) Join(pid int) error {
	dir := m.Path()
	if m.cfg.EnableMonitoring {
		dir = m.monPath()
	}
	if err := moveThreads(dir, pid); err != nil {
		return fmt.Errorf("linux.intelRdt: join resctrl group %s: %w", dir, err)
	}
	return nil
}

// Destroy removes the monitoring group, and the control group if the
// runtime made it (no closID), as the spec says. Groups already gone are
// not an error.
func (m *Manager) Destroy() error {
	var errs []error
	if m.cfg.EnableMonitoring {
		if err := removeGroup(m.monPath()); err != nil {
			errs = append(errs, fmt.Errorf("remove resctrl monitoring group: %w", err))
		}
	}
	if m.cfg.ClosID == "" {
		if err := removeGroup(m.Path()); err != nil {
			errs = append(errs, fmt.Errorf("remove resctrl group: %w", err))
		}
	}
	return errors.Join(errs...)
}

// checkSchemata compares the wanted schemata lines with those of an
// existing group.
func (m *Manager) checkSchemata(dir string, want []string) error {
	b, err := os.ReadFile(filepath.Join(dir, "schemata"))
	if err != nil {
		return fmt.Errorf("linux.intelRdt: read schemata of %s: %w", dir, err)
	}
	have := parseSchemata(string(b))
	for _, l := range want {
		res, doms := parseSchemataLine(l)
		cur, ok := have[res]
		if !ok {
			return fmt.Errorf("linux.intelRdt: resctrl group %s has no %s schema (want %q)", dir, res, l)
		}
		for d, v := range doms {
			if cur[d] != v {
				return fmt.Errorf("linux.intelRdt: existing resctrl group %s has schemata %q, which does not match %q", dir, strings.TrimSpace(string(b)), l)
			}
		}
	}
	return nil
}

// parseSchemata parses a schemata file: resource -> domain -> value.
func parseSchemata(text string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		res, doms := parseSchemataLine(line)
		if out[res] == nil {
			out[res] = map[string]string{}
		}
		for d, v := range doms {
			out[res][d] = v
		}
	}
	return out
}

// parseSchemataLine parses "L3:0=7f0;1=1f" into its resource and
// domain -> value, values normalised (hex bitmasks without leading zeros,
// lower case).
func parseSchemataLine(line string) (string, map[string]string) {
	res, rest, _ := strings.Cut(strings.TrimSpace(line), ":")
	doms := map[string]string{}
	for _, part := range strings.Split(rest, ";") {
		d, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v = strings.ToLower(strings.TrimSpace(v))
		if t := strings.TrimLeft(v, "0"); t != "" {
			v = t
		}
		doms[strings.TrimSpace(d)] = v
	}
	return strings.TrimSpace(res), doms
}

// moveThreads writes every thread of pid to dir/tasks (resctrl groups
// hold threads, and a Go init has several), until no new one appears.
func moveThreads(dir string, pid int) error {
	tasks := filepath.Join(dir, "tasks")
	done := map[string]bool{}
	for range 10 {
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			return err
		}
		moved := false
		for _, e := range ents {
			if done[e.Name()] {
				continue
			}
			if err := writeFile(tasks, e.Name()); err != nil {
				if errors.Is(err, unix.ESRCH) {
					continue // the thread exited
				}
				return err
			}
			done[e.Name()] = true
			moved = true
		}
		if !moved {
			return nil
		}
	}
	return nil
}

// writeFile writes one value to a resctrl file (each write is parsed on
// its own by the kernel).
func writeFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeGroup removes a resctrl group directory (rmdir removes a group
// with its files; RemoveAll tries that first). A group already gone is
// not an error.
func removeGroup(dir string) error {
	return os.RemoveAll(dir)
}
