package cgroupmgr

import (
	"strings"
	"testing"
)

func TestFSPath(t *testing.T) {
	for _, tc := range []struct {
		name, id, path, root string
		want                 string
		err                  string // substring of the error, "" for none
	}{
		{name: "absolute", id: "c", path: "/a/b", want: "/a/b"},
		{name: "absolute cleaned", id: "c", path: "/a//b/./c/../d/", want: "/a/b/d"},
		{name: "absolute ignores root", id: "c", path: "/a/b", root: "/r", want: "/a/b"},
		{name: "relative to own cgroup", id: "c", path: "x/y", want: "x/y"},
		{name: "empty uses id", id: "c1", want: "c1"},
		{name: "relative under root", id: "c", path: "x/y", root: "/r/s", want: "/r/s/x/y"},
		{name: "empty under root", id: "c1", root: "/r", want: "/r/c1"},
		{name: "dotdot inside", id: "c", path: "x/../y", root: "/r", want: "/r/y"},
		{name: "dotdot escapes relative", id: "c", path: "../y", err: `linux.cgroupsPath "../y": ".." climbs above`},
		{name: "dotdot escapes root", id: "c", path: "x/../../y", root: "/r", err: `linux.cgroupsPath "x/../../y": ".." climbs above`},
		{name: "dotdot escapes absolute", id: "c", path: "/a/../../etc", err: `linux.cgroupsPath "/a/../../etc": ".." climbs above`},
		{name: "root itself", id: "c", path: "/", err: `linux.cgroupsPath "/": names the cgroup root itself`},
		{name: "own cgroup itself", id: "c", path: "x/..", err: "names the cgroup root itself"},
		{name: "dot", id: "c", path: ".", root: "/r", err: "names the cgroup root itself"},
		{name: "id escapes", id: "..", err: `container id "..": ".." climbs above`},
		{name: "no id no path", err: "no container id"},
		{name: "relative root", id: "c", root: "r", err: "RUNC_CGROUP_ROOT=\"r\": must be an absolute cgroup path"},
		{name: "root is slash", id: "c", root: "/", err: "RUNC_CGROUP_ROOT=\"/\": names the cgroup root itself"},
		{name: "nul", id: "c", path: "/a\x00b", err: "NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fsPath(tc.id, tc.path, tc.root)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("fsPath(%q, %q, %q) = %q, %v; want error containing %q", tc.id, tc.path, tc.root, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("fsPath(%q, %q, %q) = %q, %v; want %q", tc.id, tc.path, tc.root, got, err, tc.want)
			}
		})
	}
}

func TestParseSystemdPath(t *testing.T) {
	for _, tc := range []struct {
		id, path string
		want     systemdPath
		err      string
	}{
		{id: "c1", path: "", want: systemdPath{ScopePrefix: "runc", Name: "c1"}},
		{id: "c1", path: "system.slice:docker:abc", want: systemdPath{Parent: "system.slice", ScopePrefix: "docker", Name: "abc"}},
		{id: "c1", path: ":runc:abc", want: systemdPath{ScopePrefix: "runc", Name: "abc"}},
		{id: "c1", path: "a-b.slice::abc", want: systemdPath{Parent: "a-b.slice", Name: "abc"}},
		{id: "c1", path: "machine.slice:x:my.slice", want: systemdPath{Parent: "machine.slice", ScopePrefix: "x", Name: "my.slice"}},
		{id: "c1", path: "-.slice:x:y", want: systemdPath{Parent: "-.slice", ScopePrefix: "x", Name: "y"}},
		{id: "c1", path: "/abs/path", err: `expected "slice:prefix:name"`},
		{id: "c1", path: "a:b", err: `expected "slice:prefix:name"`},
		{id: "c1", path: "a.slice:b:c:d", err: `expected "slice:prefix:name"`},
		{id: "c1", path: "system.slice:docker:", err: "name part"},
		{id: "c1", path: "system:docker:abc", err: "invalid slice name"},
		{id: "c1", path: "a--b.slice:docker:abc", err: "invalid slice name"},
		{id: "c1", path: "system.slice:doc/ker:abc", err: `must not contain "/"`},
		{id: "", path: "", err: "no container id"},
	} {
		got, err := parseSystemdPath(tc.id, tc.path)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseSystemdPath(%q, %q) = %+v, %v; want error containing %q", tc.id, tc.path, got, err, tc.err)
			} else if tc.path != "" && !strings.Contains(err.Error(), "linux.cgroupsPath") {
				t.Errorf("parseSystemdPath(%q, %q): error %q does not name linux.cgroupsPath", tc.id, tc.path, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSystemdPath(%q, %q) = %+v, %v; want %+v", tc.id, tc.path, got, err, tc.want)
		}
	}
}

func TestCheckInside(t *testing.T) {
	for p, ok := range map[string]bool{
		"a": true, "/a": true, "a/b/..": true, "./a": true, "a/./b": true,
		"": false, "/": false, ".": false, "..": false, "a/../..": false, "/..": false, "a/../../a": false,
	} {
		if err := checkInside(p); (err == nil) != ok {
			t.Errorf("checkInside(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}
