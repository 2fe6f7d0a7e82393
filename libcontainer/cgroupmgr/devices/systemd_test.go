package devices

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/cgroups"
)

// propString renders properties as "Name=value; ...".
func propString(t *testing.T, r *cgroups.Resources, sdVer int) string {
	t.Helper()
	props, err := SystemdProperties(r, sdVer)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range props {
		out = append(out, fmt.Sprintf("%s=%v", p.Name, p.Value.Value()))
	}
	return strings.Join(out, "; ")
}

// ifExists returns s if the path in it ("{PATH perms}") exists.
func ifExists(s string) string {
	path := strings.Fields(strings.Trim(s, " {}"))[0]
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return s
}

func TestSystemdProperties(t *testing.T) {
	cases := []struct {
		name  string
		rules []string
		sdVer int
		want  string
	}{
		{"allow all", []string{"allow a"}, 252, "DeviceAllow=[]; DevicePolicy=auto"},
		{"deny list", []string{"allow a", "deny c 1:11 rwm"}, 252, "DeviceAllow=[]; DevicePolicy=strict"},
		{"deny all", []string{"deny a"}, 252, "DeviceAllow=[]; DevicePolicy=strict; DeviceAllow=[]"},
		{
			"allow list",
			[]string{"deny a", "allow c 1:3 rwm", "allow c 136:* rw", "allow c *:* m", "allow b 8:0 r", "allow c *:5 r"},
			252,
			"DeviceAllow=[]; DevicePolicy=strict; DeviceAllow=[{char-* m} {/dev/char/1:3 rwm} {/dev/block/8:0 r} {char-136 rw}]",
		},
		{
			"old systemd: groups by name, only existing nodes",
			[]string{"deny a", "allow c 1:3 rwm", "allow c 1:* r", "allow b 4095:1048575 r"},
			239,
			"DeviceAllow=[]; DevicePolicy=strict; DeviceAllow=[{char-mem r}" + ifExists(" {/dev/char/1:3 rwm}") + "]",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := propString(t, &cgroups.Resources{Devices: rules(t, tc.rules...)}, tc.sdVer); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if props, err := SystemdProperties(&cgroups.Resources{SkipDevices: true}, 252); err != nil || props != nil {
		t.Errorf("SkipDevices: %v, %v", props, err)
	}
	if _, err := SystemdProperties(&cgroups.Resources{Devices: rules(t, "allow c 1:* r", "deny c 1:3 r")}, 252); err == nil {
		t.Error("a hole in a wildcard rule was taken")
	}
}
