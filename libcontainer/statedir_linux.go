package libcontainer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/testfault"
)

// The state directory <root>/<id> of a container never exists without a
// state.json: Create makes it under a temporary name that is not a valid
// ID (".new:<id>:<random>"), locks it, writes a first state.json marked
// "creating" (with the cgroup paths as soon as they are known, before any
// cgroup exists) and renames it into place. A runtime killed half-way
// through create thus leaves a container that `state` and `list` report as
// stopped and that `delete` cleans up, cgroup and all.

const newDirPrefix = ".new:"

// makeStateDir creates the container's state directory under root, locked,
// holding c.state marked as creating.
func (c *Container) makeStateDir(root string) (err error) {
	id := c.state.ID
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("create state root: %w", err)
	}
	dir := filepath.Join(root, id)
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("container with id exists: %s", id)
	}
	c.state.Creating = true
	c.state.Version = stateVersion
	data, err := c.state.MarshalJSON()
	if err != nil {
		return err
	}
	var tmp string
	var lock *os.File
	for try := 0; lock == nil; try++ {
		tmp = filepath.Join(root, fmt.Sprintf("%s%s:%d", newDirPrefix, id, rand.Uint32()))
		if err = os.Mkdir(tmp, 0o711); err != nil {
			if os.IsExist(err) && try < 5 {
				continue
			}
			return stateDirError(dir, err)
		}
		// A delete of the same ID (RemoveStale) may remove the temporary
		// directory before we hold its lock: take another.
		if lock, err = lockDir(tmp); err != nil && (!errors.Is(err, ErrNotExist) || try == 5) {
			os.RemoveAll(tmp)
			return stateDirError(dir, err)
		}
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			lock.Close()
		}
	}()
	// 0711 whatever the umask: an init that is not root on the host (user
	// namespace) reaches its exec fifo through it.
	if err := unix.Fchmod(int(lock.Fd()), 0o711); err != nil {
		return stateDirError(dir, err)
	}
	// Nobody sees the directory before the rename: no need for saveState's
	// temporary file.
	if err := writeNewFile(filepath.Join(tmp, stateFile), data); err != nil {
		return stateDirError(dir, err)
	}
	err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
	case errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTEMPTY):
		return fmt.Errorf("container with id exists: %s", id)
	case errors.Is(err, unix.EINVAL):
		// No RENAME_NOREPLACE on this filesystem: mkdir the real name.
		if err = c.makeStateDirPlain(dir); err != nil {
			return err
		}
		os.RemoveAll(tmp)
		lock.Close()
		testfault.At("create:statedir")
		return nil
	default:
		return stateDirError(dir, err)
	}
	c.dir, c.lock = dir, lock
	testfault.At("create:statedir")
	return nil
}

// stateDirError names the state directory (not the temporary one) and the
// errno.
func stateDirError(dir string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("create state directory %s: %w", dir, err)
}

// writeNewFile creates path with data.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// makeStateDirPlain is makeStateDir without an atomic rename: a concurrent
// reader may briefly see the directory without its state.json.
func (c *Container) makeStateDirPlain(dir string) error {
	if err := os.Mkdir(dir, 0o711); err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("container with id exists: %s", c.state.ID)
		}
		return stateDirError(dir, err)
	}
	lock, err := lockDir(dir)
	if err == nil {
		err = saveState(dir, c.state)
		if err != nil {
			lock.Close()
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return stateDirError(dir, err)
	}
	c.dir, c.lock = dir, lock
	return nil
}

// creatorAlive reports whether the state directory is locked by someone
// else: for a container still marked creating, the runtime creating it.
func creatorAlive(dir string) bool {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) == unix.EWOULDBLOCK
}

// RemoveStale removes what a runtime killed at the very start of create
// may leave of container id under root: a state directory without a
// state.json (also made by other runtimes), or a temporary one nobody holds.
// It reports whether it removed anything.
func RemoveStale(root, id string) (bool, error) {
	removed := false
	dir := filepath.Join(root, id)
	if lock, err := lockDir(dir); err == nil {
		_, serr := os.Lstat(filepath.Join(dir, stateFile))
		if os.IsNotExist(serr) {
			if err := os.RemoveAll(dir); err != nil {
				lock.Close()
				return false, fmt.Errorf("remove state directory: %w", err)
			}
			removed = true
		}
		lock.Close()
	}
	tmps, _ := filepath.Glob(filepath.Join(root, newDirPrefix+id+":*"))
	for _, tmp := range tmps {
		fd, err := unix.Open(tmp, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == nil {
			if os.RemoveAll(tmp) == nil {
				removed = true
			}
		}
		unix.Close(fd)
	}
	return removed, nil
}
