package integration

// Mounts as runc 1.5 makes them: the flags a bind keeps from its source
// (locked ones in a user namespace), destinations written as host paths
// under the rootfs, mounts applied in order (a bind source under an
// earlier mount, id-mapped ones included), and /proc on a directory only.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// logMsg undoes the quoting of a logrus text line ("msg=\"...\"") so
// that messages can be searched for as printed.
func logMsg(stderr string) string {
	return strings.ReplaceAll(stderr, `\"`, `"`)
}

// TestProcOnOrdinaryDirectory: /proc in the image that is a symlink or a
// file is refused with runc 1.5.3's words, and nothing is mounted where
// the symlink points.
func TestProcOnOrdinaryDirectory(t *testing.T) {
	for _, kind := range []string{"symlink", "file"} {
		t.Run(kind, func(t *testing.T) {
			ours, ref := differential(t, func(t *testing.T, bin string) result {
				b := newBundleWith(t, bin, "echo", "CONTAINER-RAN")
				proc := filepath.Join(b.Dir, "rootfs/proc")
				if err := os.Remove(proc); err != nil {
					t.Fatal(err)
				}
				var err error
				if kind == "symlink" {
					err = os.Symlink("/tmp", proc)
				} else {
					err = os.WriteFile(proc, nil, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
				r := b.run(nil, "run", b.ID)
				if ents, _ := os.ReadDir(filepath.Join(b.Dir, "rootfs/tmp")); len(ents) > 0 {
					t.Errorf("something was made in the symlink's target: %v", ents)
				}
				return r
			})
			for _, r := range []result{ours, ref} {
				if r.Code == 0 || strings.Contains(r.Stdout, "CONTAINER-RAN") {
					t.Fatalf("the container ran: %q", r.Stdout)
				}
				mustContain(t, "error", logMsg(r.Stderr), `error mounting "proc" to rootfs at "/proc"`)
				mustContain(t, "error", logMsg(r.Stderr), `filesystem "proc" must be mounted on ordinary directory`)
			}
		})
	}
}
