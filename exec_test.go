package main

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseUser(t *testing.T) {
	for _, tc := range []struct {
		in       string
		uid, gid uint32
		hasGID   bool
		err      string
	}{
		{in: "1000", uid: 1000},
		{in: "0:0", hasGID: true},
		{in: "1000:100", uid: 1000, gid: 100, hasGID: true},
		{in: "x", err: `parsing x as int for uid failed: strconv.Atoi: parsing "x": invalid syntax`},
		{in: "1:y", err: `parsing y as int for gid failed: strconv.Atoi: parsing "y": invalid syntax`},
		{in: "-1", err: "uid -1 is out of range"},
		{in: "1:4294967295", err: "gid 4294967295 is out of range"},
		{in: "1:2:3", err: `parsing 2:3 as int for gid failed`},
	} {
		uid, gid, hasGID, err := parseUser(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseUser(%q): error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || uid != tc.uid || gid != tc.gid || hasGID != tc.hasGID {
			t.Errorf("parseUser(%q) = %d, %d, %v, %v", tc.in, uid, gid, hasGID, err)
		}
	}
}

// --cap never touches the inheritable set (CVE-2022-29162).
func TestAddCaps(t *testing.T) {
	p := &specs.Process{Capabilities: &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_KILL"},
		Inheritable: []string{"CAP_KILL"},
	}}
	addCaps(p, []string{"CAP_SYS_ADMIN", "CAP_NET_RAW"})
	c := p.Capabilities
	for name, set := range map[string][]string{"bounding": c.Bounding, "effective": c.Effective, "permitted": c.Permitted, "ambient": c.Ambient} {
		if !slices.Contains(set, "CAP_SYS_ADMIN") || !slices.Contains(set, "CAP_NET_RAW") {
			t.Errorf("%s %v lacks the added capabilities", name, set)
		}
	}
	if !slices.Equal(c.Inheritable, []string{"CAP_KILL"}) {
		t.Errorf("inheritable changed to %v", c.Inheritable)
	}
	p = &specs.Process{}
	addCaps(p, []string{"CAP_CHOWN"})
	if p.Capabilities == nil || len(p.Capabilities.Inheritable) != 0 {
		t.Errorf("addCaps on a process without capabilities: %+v", p.Capabilities)
	}
	// Without inheritable capabilities, none could be ambient: as runc,
	// none is added there.
	if len(p.Capabilities.Ambient) != 0 || !slices.Equal(p.Capabilities.Bounding, []string{"CAP_CHOWN"}) {
		t.Errorf("addCaps without inheritable capabilities: %+v", p.Capabilities)
	}
}

func TestCheckTerminal(t *testing.T) {
	const noSocket = "cannot allocate tty if runc will detach without setting console socket"
	const noTTY = "cannot use console socket if runc will not detach or allocate tty"
	for _, tc := range []struct {
		terminal, detach bool
		socket           string
		want             string
	}{
		{false, false, "", ""},
		{true, false, "", ""},
		{false, true, "", ""},
		{true, true, "/s", ""},
		{true, true, "", noSocket},
		{true, false, "/s", noTTY},
		{false, true, "/s", noTTY},
		{false, false, "/s", noTTY},
	} {
		err := checkTerminal(tc.terminal, tc.detach, tc.socket)
		if (err == nil) != (tc.want == "") || err != nil && err.Error() != tc.want {
			t.Errorf("checkTerminal(%v, %v, %q) = %v, want %q", tc.terminal, tc.detach, tc.socket, err, tc.want)
		}
	}
}
