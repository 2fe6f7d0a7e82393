package libcontainer

import (
	"path/filepath"

	"github.com/seed4bdd2c93/runc/libcontainer/intelrdt"
)

// intelRdt returns the manager of the container's linux.intelRdt, or nil
// when the config has none. root is the resctrl mount; "" looks it up.
func (c *Container) intelRdt(root string) (*intelrdt.Manager, error) {
	cfg := c.state.Config
	if cfg == nil || cfg.Linux == nil || cfg.Linux.IntelRdt == nil {
		return nil, nil
	}
	if root == "" {
		var err error
		if root, err = intelrdt.Root(); err != nil {
			return nil, err
		}
	}
	return intelrdt.New(root, c.state.ID, cfg.Linux.IntelRdt), nil
}

// applyIntelRdt puts the new container's init into its resctrl groups and
// records the control group in the state.
func (c *Container) applyIntelRdt(pid int) error {
	m, err := c.intelRdt("")
	if m == nil || err != nil {
		return err
	}
	if err := m.Apply(pid); err != nil {
		return err
	}
	c.state.IntelRdtPath = m.Path()
	return nil
}

// joinIntelRdt puts a process exec'd in the container into the
// container's resctrl groups.
func (c *Container) joinIntelRdt(pid int) error {
	if c.state.IntelRdtPath == "" {
		return nil
	}
	m, err := c.intelRdt(c.intelRdtRoot())
	if m == nil || err != nil {
		return err
	}
	return m.Join(pid)
}

// destroyIntelRdt removes the resctrl groups the container made.
func (c *Container) destroyIntelRdt() error {
	if c.state.IntelRdtPath == "" {
		return nil
	}
	m, err := c.intelRdt(c.intelRdtRoot())
	if m == nil || err != nil {
		return err
	}
	return m.Destroy()
}

// intelRdtRoot is the resctrl mount the container's groups were made in
// (state.IntelRdtPath is set): its control group is the mount itself
// (closID "/") or just below it.
func (c *Container) intelRdtRoot() string {
	if cfg := c.state.Config; cfg != nil && cfg.Linux != nil && cfg.Linux.IntelRdt != nil && cfg.Linux.IntelRdt.ClosID == "/" {
		return c.state.IntelRdtPath
	}
	return filepath.Dir(c.state.IntelRdtPath)
}
