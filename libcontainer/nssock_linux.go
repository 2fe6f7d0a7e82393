package libcontainer

// The runtime's side of the namespace socket (package nssock): a rootless
// create makes the socket for its init to serve its namespaces on until
// start, and an exec asks there when /proc refuses it.

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/nssock"
)

// listenNsSock makes the listening socket in the state directory dir.
func listenNsSock(dir string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("namespace socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir, nssock.Name))
	// The mode of a socket's inode before bind is that of the file bind
	// makes: never connectable by others, not even for a moment.
	if err := unix.Fchmod(fd, 0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("namespace socket: %w", err)
	}
	if err := nssock.Addr(dir, func(addr string) error {
		return unix.Bind(fd, &unix.SockaddrUnix{Name: addr})
	}); err != nil {
		f.Close()
		return nil, fmt.Errorf("namespace socket: bind %s: %w", f.Name(), err)
	}
	if err := unix.Listen(fd, 4); err != nil {
		f.Close()
		return nil, fmt.Errorf("namespace socket: %w", err)
	}
	return f, nil
}

// namespacesFromInit (exec) gets the namespaces to join (those
// openNamespaces would open) from the init of a created rootless
// container. procErr is why they could not be opened through /proc.
func (c *Container) namespacesFromInit(procErr error) ([]namespaces.File, error) {
	want := map[uint32]bool{}
	for _, ns := range c.state.Config.Linux.Namespaces {
		if _, ok := c.state.NamespacePaths[ns.Type]; ok {
			want[namespaces.Flag(ns.Type)] = true
		}
	}
	conn, err := nssock.Dial(c.dir)
	if err != nil {
		return nil, fmt.Errorf("open the container's namespaces: %w (nor could its init be asked: %v)", procErr, err) //nolint:errorlint // the fallback's error is context: errors.Is/As must see the first cause only
	}
	defer unix.Close(conn)
	return nssock.Receive(conn, want)
}
