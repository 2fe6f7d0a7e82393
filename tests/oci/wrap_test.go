package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCreateArgs(t *testing.T) {
	for _, tc := range []struct {
		args            []string
		cmd, bundle, id string
	}{
		{[]string{"create", "--bundle", "/b", "id1"}, "create", "/b", "id1"},
		{[]string{"create", "--pid-file", "/p", "-b", "/b", "id2"}, "create", "/b", "id2"},
		{[]string{"create", "--bundle=/b", "--console-socket", "/s", "id3"}, "create", "/b", "id3"},
		{[]string{"--log", "/l", "run", "-d", "id4"}, "run", ".", "id4"},
		{[]string{"create", "id5"}, "create", ".", "id5"},
		{[]string{"start", "id"}, "", "", ""},
		{[]string{"state", "create"}, "", "", ""},
		{nil, "", "", ""},
	} {
		cmd, bundle, id := createArgs(tc.args)
		if cmd != tc.cmd || bundle != tc.bundle || id != tc.id {
			t.Errorf("createArgs(%q) = %q %q %q, want %q %q %q", tc.args, cmd, bundle, id, tc.cmd, tc.bundle, tc.id)
		}
	}
}

func TestRewriteConfig(t *testing.T) {
	const big = `"rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":1024}]`
	for _, tc := range []struct {
		name, in, want string
		changed        bool
		err            string
	}{
		{name: "empty", in: `{"process":{` + big + `},"linux":{"cgroupsPath":""}}`, want: "/p/r/cid", changed: true},
		{name: "missing", in: `{"linux":{}}`, want: "/p/r/cid", changed: true},
		{name: "no linux", in: `{}`, want: "/p/r/cid", changed: true},
		{name: "relative", in: `{"linux":{"cgroupsPath":"testdir/cgrouptest/container"}}`, want: "/p/r/testdir/cgrouptest/container", changed: true},
		{name: "absolute", in: `{"linux":{"cgroupsPath":"/cgrouptest"}}`},
		{name: "climbs", in: `{"linux":{"cgroupsPath":"../../x"}}`, err: "climbs out"},
		{name: "bad json", in: `{`, err: "config.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, err := rewriteConfig([]byte(tc.in), "/p/r", "cid")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || changed != tc.changed {
				t.Fatalf("changed %v err %v, want changed %v", changed, err, tc.changed)
			}
			if !changed {
				return
			}
			var cfg struct {
				Linux struct {
					CgroupsPath string `json:"cgroupsPath"`
				} `json:"linux"`
			}
			if err := json.Unmarshal(out, &cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.Linux.CgroupsPath != tc.want {
				t.Errorf("cgroupsPath = %q, want %q", cfg.Linux.CgroupsPath, tc.want)
			}
			// large integers must survive the round trip exactly
			if strings.Contains(tc.in, "18446744073709551615") && !strings.Contains(string(out), "18446744073709551615") {
				t.Errorf("lost a uint64: %s", out)
			}
		})
	}
	if _, _, err := rewriteConfig([]byte(`{}`), "rel", "id"); err == nil {
		t.Error("a relative parent was accepted")
	}
}

func TestV1Key(t *testing.T) {
	for in, want := range map[string]string{
		"rw,memory":                "memory",
		"rw,xattr,name=systemd":    "name=systemd",
		"rw,cpu":                   "cpu",
		"rw,cpuacct,cpu":           "cpu,cpuacct",
		"rw,release_agent=/x,pids": "pids",
	} {
		if got := v1Key(in); got != want {
			t.Errorf("v1Key(%q) = %q, want %q", in, got, want)
		}
	}
}
