package libcontainer

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/seed4bdd2c93/runc/libcontainer/seccomp"
	"github.com/seed4bdd2c93/runc/libcontainer/validate"
)

// FuzzConfig runs arbitrary bytes through what create does with
// config.json before starting anything: decode, validate (with this
// package's seccomp validator wired in) and compile the seccomp filter.
// Nothing may panic, errors are one line, and a config that validates must
// have a filter the init can load. The validate package's FuzzSpec covers
// the rest of the spec on its own.
func FuzzConfig(f *testing.F) {
	logrus.SetOutput(io.Discard)
	bundle := f.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		`{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},"linux":{"namespaces":[{"type":"mount"}]}}`,
		`{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/","apparmorProfile":"p","selinuxLabel":"a:b:c:s0"},"linux":{"namespaces":[{"type":"mount"}],"mountLabel":"x"}}`,
		`{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},"linux":{"namespaces":[{"type":"mount"}],"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}}}`,
		`{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},"linux":{"namespaces":[{"type":"mount"}],"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/a.sock","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}}}`,
		`{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":5000}}}`,
		`{"process":{"args":[]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s specs.Spec
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		if s.Root != nil && !filepath.IsAbs(s.Root.Path) {
			s.Root.Path = filepath.Join(bundle, s.Root.Path)
		}
		err := validate.Spec(&s, bundle, false)
		if err != nil {
			if err.Error() == "" || (strings.Contains(err.Error(), "\n") && !strings.Contains(string(data), `\`)) {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		if s.Linux != nil && s.Linux.Seccomp != nil {
			if _, err := seccomp.Compile(s.Linux.Seccomp); err != nil {
				t.Fatalf("a config that validates has a seccomp filter the init cannot build: %v", err)
			}
		}
	})
}
