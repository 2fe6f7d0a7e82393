package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMakeStateDir(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	// makeStateDirPlain expects the root to exist (makeStateDir makes it);
	// map order decides which runs first.
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, plain := range map[string]bool{"rename": false, "plain": true} {
		t.Run(name, func(t *testing.T) {
			id := "c-" + name
			c := &Container{state: &State{ID: id}}
			var err error
			if plain {
				c.state.Creating = true
				err = c.makeStateDirPlain(filepath.Join(root, id))
			} else {
				err = c.makeStateDir(root)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.dir != filepath.Join(root, id) || c.lock == nil {
				t.Fatalf("dir %q lock %v", c.dir, c.lock)
			}
			st, err := os.Stat(c.dir)
			if err != nil || st.Mode().Perm() != 0o711 {
				t.Errorf("state directory: %v %v", st.Mode(), err)
			}
			s, err := loadState(c.dir)
			if err != nil || !s.Creating || s.ID != id {
				t.Fatalf("state.json: %+v %v", s, err)
			}
			// Others see it locked by its creator, hence "creating".
			if !creatorAlive(c.dir) {
				t.Error("creatorAlive: false while the creator holds the lock")
			}
			loaded, err := Load(root, id, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := loaded.Status(); got != Creating {
				t.Errorf("status %v while creating", got)
			}
			// A second create of the ID fails and leaves nothing.
			c2 := &Container{state: &State{ID: id}}
			if err := c2.makeStateDir(root); err == nil || !strings.Contains(err.Error(), "container with id exists: "+id) {
				t.Errorf("second create: %v", err)
			}
			c.Close()
			// The creator gone, a half-made container is stopped.
			if creatorAlive(c.dir) {
				t.Error("creatorAlive: true after the creator let go")
			}
			if got := loaded.Status(); got != Stopped {
				t.Errorf("status %v after the creator went away", got)
			}
		})
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), newDirPrefix) {
			t.Errorf("temporary directory left: %s", e.Name())
		}
	}
}

func TestMakeStateDirErrorNamesTheDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a read-only tmpfs")
	}
	root := t.TempDir()
	if err := unix.Mount("tmpfs", root, "tmpfs", unix.MS_RDONLY, "size=64k"); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(root, unix.MNT_DETACH)
	c := &Container{state: &State{ID: "x"}}
	err := c.makeStateDir(root)
	// The real name, not the temporary one, and the errno.
	if want := "create state directory " + filepath.Join(root, "x") + ": read-only file system"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestRemoveStale(t *testing.T) {
	root := t.TempDir()
	// Without state.json, and a temporary directory nobody holds.
	for _, d := range []string{"a", newDirPrefix + "a:1", newDirPrefix + "b:1"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o711); err != nil {
			t.Fatal(err)
		}
	}
	// A container being created (locked temporary directory) is spared.
	held, err := lockDir(filepath.Join(root, newDirPrefix+"b:1"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	// A real container is spared.
	c := &Container{state: &State{ID: "c"}}
	if err := c.makeStateDir(root); err != nil {
		t.Fatal(err)
	}
	c.Close()

	for _, id := range []string{"a", "b", "c", "nope"} {
		if _, err := RemoveStale(root, id); err != nil {
			t.Fatal(err)
		}
	}
	var left []string
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if strings.Join(left, " ") != newDirPrefix+"b:1 c" {
		t.Errorf("left %v, want the locked temporary directory and the real container", left)
	}
}

// The state directory is 0711 whatever the caller's umask.
func TestStateDirModeIgnoresUmask(t *testing.T) {
	old := unix.Umask(0o077)
	defer unix.Umask(old)
	root := t.TempDir()
	c := &Container{state: &State{ID: "m"}}
	if err := c.makeStateDir(root); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := os.Stat(filepath.Join(root, "m"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o711 {
		t.Errorf("state directory mode %o, want 711", st.Mode().Perm())
	}
}
