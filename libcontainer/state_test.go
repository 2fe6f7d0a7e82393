package libcontainer

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/libcontainer/specjson"
)

// TestStateJSON: state.json holds the config under "config", with every
// Linux field, as encoding/json writes it, and reads back as it was
// written.
func TestStateJSON(t *testing.T) {
	s := &State{
		Version: stateVersion, ID: "c", InitPid: 42, Bundle: "/b", Rootfs: "/b/rootfs",
		Created: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC),
		Config: &specs.Spec{
			Version: "1.3.0", Process: &specs.Process{Args: []string{"sh"}}, Hostname: "h",
			Annotations: map[string]string{"a": "b"},
			Linux:       &specs.Linux{CgroupsPath: "/c", Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}}},
		},
		CgroupPaths: map[string]string{"memory": "/sys/fs/cgroup/memory/c"},
		UseFifo:     true,
	}
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	// The bytes encoding/json writes (specjson's codec, see its tests).
	if want, err := json.Marshal(stateJSON{stateFields(*s), specjson.From(s.Config)}); err != nil || !bytes.Equal(b, want) {
		t.Errorf("state.json:\n%s\nencoding/json:\n%s (%v)", b, want, err)
	}
	if !strings.Contains(string(b), `"config":{"ociVersion":"1.3.0","process":{`) || !strings.Contains(string(b), `"init_pid":42`) {
		t.Errorf("state.json: %s", b)
	}
	var got State
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, s) {
		t.Errorf("read back:\n got %+v\nwant %+v", &got, s)
	}
}
