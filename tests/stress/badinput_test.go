package stress

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// badInput is one broken bundle: brk changes its spec, or raw names a
// config.json in testdata to use instead; want are substrings of the error,
// which must name the problem.
type badInput struct {
	name  string
	brk   func(t *testing.T, b *bundle)
	raw   string
	want  []string
	runOK bool // also try `run`
}

var badInputs = []badInput{
	{name: "missing rootfs", brk: func(t *testing.T, b *bundle) {
		b.Spec.Root.Path = filepath.Join(b.Dir, "no-such-rootfs")
	}, want: []string{"root.path", "no-such-rootfs"}, runOK: true},
	{name: "config not JSON", raw: "not-json.json", want: []string{"config.json", "invalid character"}, runOK: true},
	{name: "truncated config", raw: "truncated.json", want: []string{"config.json", "unexpected EOF"}},
	{name: "args not a list", raw: "args-string.json", want: []string{"config.json", "process.args", "[]string"}},
	{name: "memory limit not a number", raw: "limit-string.json", want: []string{"config.json", "limit"}},
	{name: "no process", raw: "no-process.json", want: []string{"process"}},
	{name: "empty args", brk: func(t *testing.T, b *bundle) {
		b.Spec.Process.Args = nil
	}, want: []string{"process.args"}},
	{name: "unknown namespace", brk: func(t *testing.T, b *bundle) {
		b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
	}, want: []string{"namespace", "bogus"}, runOK: true},
	{name: "duplicate namespace", brk: func(t *testing.T, b *bundle) {
		b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace})
	}, want: []string{"namespace", "pid"}},
	{name: "cgroupsPath escaping with ..", brk: func(t *testing.T, b *bundle) {
		b.Spec.Linux.CgroupsPath = "/../../../" + tag + "-escape"
	}, want: []string{"cgroupsPath", ".."}, runOK: true},
	{name: "relative cgroupsPath escaping with ..", brk: func(t *testing.T, b *bundle) {
		b.Spec.Linux.CgroupsPath = "a/../../../" + tag + "-escape"
	}, want: []string{"cgroupsPath", ".."}},
	{name: "huge rlimit", brk: func(t *testing.T, b *bundle) {
		b.Spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1 << 40, Hard: 1 << 40}}
	}, want: []string{"RLIMIT_NOFILE"}, runOK: true},
	{name: "rlimit soft above hard", brk: func(t *testing.T, b *bundle) {
		b.Spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2048, Hard: 1024}}
	}, want: []string{"RLIMIT_NOFILE"}},
	{name: "unknown rlimit", brk: func(t *testing.T, b *bundle) {
		b.Spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS", Soft: 1, Hard: 1}}
	}, want: []string{"RLIMIT_BOGUS"}},
	{name: "10 MB of env", brk: func(t *testing.T, b *bundle) {
		b.Spec.Process.Env = append(b.Spec.Process.Env, "BIG="+strings.Repeat("x", 10<<20))
	}, want: []string{"process.env", "BIG", "too"}, runOK: true},
	{name: "10 MB of env in many variables", brk: func(t *testing.T, b *bundle) {
		for i := 0; i < 160; i++ {
			b.Spec.Process.Env = append(b.Spec.Process.Env, fmt.Sprintf("V%d=%s", i, strings.Repeat("x", 64<<10)))
		}
	}, want: []string{"process.args and process.env are too long"}},
	{name: "non-existent user (uid not mapped in the user namespace)", brk: func(t *testing.T, b *bundle) {
		b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		b.Spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}
		b.Spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}
		b.Spec.Process.User.UID = 5000
	}, want: []string{"5000"}},
	{name: "non-existent additional group", brk: func(t *testing.T, b *bundle) {
		b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		b.Spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}
		b.Spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}
		b.Spec.Process.User.AdditionalGids = []uint32{7000}
	}, want: []string{"7000"}},
	{name: "missing executable", brk: func(t *testing.T, b *bundle) {
		b.Spec.Process.Args = []string{"/no/such/binary"}
	}, want: []string{"/no/such/binary", "no such file"}, runOK: true},
	{name: "relative cwd", brk: func(t *testing.T, b *bundle) {
		b.Spec.Process.Cwd = "tmp"
	}, want: []string{"cwd"}},
	{name: "cwd that does not exist", brk: func(t *testing.T, b *bundle) {
		b.Spec.Process.Cwd = "/no/such/dir"
	}, want: []string{"cwd", "/no/such/dir"}},
	{name: "host sysctl", brk: func(t *testing.T, b *bundle) {
		b.Spec.Linux.Sysctl = map[string]string{"vm.swappiness": "0"}
	}, want: []string{"vm.swappiness"}},
	{name: "hostname without a UTS namespace", brk: func(t *testing.T, b *bundle) {
		var ns []specs.LinuxNamespace
		for _, n := range b.Spec.Linux.Namespaces {
			if n.Type != specs.UTSNamespace {
				ns = append(ns, n)
			}
		}
		b.Spec.Linux.Namespaces = ns
	}, want: []string{"hostname", "UTS"}},
	{name: "namespace path that is not a namespace", brk: func(t *testing.T, b *bundle) {
		for i, n := range b.Spec.Linux.Namespaces {
			if n.Type == specs.NetworkNamespace {
				b.Spec.Linux.Namespaces[i].Path = "/etc/hostname"
			}
		}
	}, want: []string{"linux.namespaces[1].path", "/etc/hostname"}},
	{name: "bad device type", brk: func(t *testing.T, b *bundle) {
		b.Spec.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/bogus", Type: "x", Major: 1, Minor: 3}}
	}, want: []string{"linux.devices[0]", "type"}},
	{name: "bad seccomp action", brk: func(t *testing.T, b *bundle) {
		b.Spec.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_BOGUS"}
	}, want: []string{"seccomp", "SCMP_ACT_BOGUS"}},
	{name: "prestart hook that does not exist", brk: func(t *testing.T, b *bundle) {
		b.Spec.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/no/such/hook"}}} //nolint:staticcheck // prestart is what runc still runs
	}, want: []string{"/no/such/hook"}},
}

// writeRaw replaces config.json by a file from testdata.
func writeRaw(t *testing.T, b *bundle, name string) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	// Keep the cgroup under our prefix should the runtime get that far.
	s := strings.ReplaceAll(string(data), "@CGROUP@", b.CgroupPath())
	s = strings.ReplaceAll(s, "@ROOTFS@", rootfs)
	if err := os.WriteFile(filepath.Join(b.Dir, "config.json"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadInput feeds the runtime broken bundles: each must be refused with
// an error naming the problem and a non-zero exit, leaving nothing behind.
func TestBadInput(t *testing.T) {
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			cmds := [][]string{{"create"}}
			if tc.runOK {
				cmds = append(cmds, []string{"run"})
			}
			for _, cmd := range cmds {
				b := newBundle(t, "", "true")
				before := takeSnapshot(b.Root)
				if tc.raw != "" {
					writeRaw(t, b, tc.raw)
				} else {
					tc.brk(t, b)
					b.write()
				}
				r := b.runc(append(cmd, b.ID)...)
				if r.Code == 0 {
					t.Errorf("%s succeeded: %s", cmd[0], r)
					b.runc("delete", "--force", b.ID)
				} else {
					for _, w := range tc.want {
						if !strings.Contains(r.Stderr, w) {
							t.Errorf("%s: error does not name the problem (%q): %s", cmd[0], w, r.Stderr)
						}
					}
					if strings.Contains(r.Stderr, "panic") || r.Code != 1 {
						t.Errorf("%s: %s", cmd[0], r)
					}
				}
				t.Logf("%s: %s", cmd[0], strings.TrimSpace(r.Stderr))
				checkHost(t, before, b.Root)
				if l := removeCgroups(b.CgroupPath()); len(l) > 0 {
					t.Errorf("cgroups left: %v", l)
				}
				b.remove()
			}
		})
	}
}

// TestSymlinkMountContained: a mount whose destination goes through a
// symlink in the rootfs pointing at the host (absolutely, or with enough
// ".."s) lands inside the rootfs, as runc resolves it (rejecting symlinks
// would break images where /var/run -> /run). The host directory the link
// names must be untouched.
func TestSymlinkMountContained(t *testing.T) {
	for _, tc := range []struct{ name, link, inside string }{
		{"absolute", "", ""},
		{"relative", "../../../../../../..", "/mnt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBundle(t, "", "cat", "/proc/self/mountinfo")
			defer b.remove()
			before := takeSnapshot(b.Root)
			own := filepath.Join(b.Dir, "rootfs")
			if out, err := combinedOutput("cp", "-a", rootfs, own); err != nil {
				t.Fatalf("copy rootfs: %v: %s", err, out)
			}
			// The host directory the mount would cover if the link were
			// followed on the host, with a file in it.
			hostDir := filepath.Join(b.Dir, "host-target")
			if err := os.MkdirAll(filepath.Join(hostDir, "mnt"), 0o755); err != nil {
				t.Fatal(err)
			}
			marker := filepath.Join(hostDir, "mnt", "marker")
			if err := os.WriteFile(marker, []byte("host"), 0o644); err != nil {
				t.Fatal(err)
			}
			link, inside := tc.link, tc.inside
			if link == "" {
				link, inside = hostDir, hostDir+"/mnt"
			}
			if err := os.Symlink(link, filepath.Join(own, "evil")); err != nil {
				t.Fatal(err)
			}
			b.Spec.Root.Path = own
			b.Spec.Mounts = append(b.Spec.Mounts, specs.Mount{Destination: "/evil/mnt", Type: "tmpfs", Source: "tmpfs"})
			b.write()
			r := b.runc("run", b.ID)
			if r.Code != 0 {
				// Refusing is safe too, if the error names the mount.
				mustContain(t, "stderr", r.Stderr, "/evil/mnt")
				t.Logf("refused: %s", r.Stderr)
			} else {
				found := false
				for _, line := range strings.Split(r.Stdout, "\n") {
					if f := strings.Fields(line); len(f) > 4 && f[4] == inside {
						found = true
					}
				}
				if !found {
					t.Errorf("no mount on %s inside the container:\n%s", inside, r.Stdout)
				}
			}
			if data, err := os.ReadFile(marker); err != nil || string(data) != "host" {
				t.Errorf("host directory changed: %q %v", data, err)
			}
			checkHost(t, before, b.Root)
		})
	}
}
