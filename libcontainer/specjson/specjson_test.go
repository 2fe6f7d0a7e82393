package specjson

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// otherPlatforms are the sections of specs.Spec that Spec leaves out.
var otherPlatforms = map[string]bool{"Solaris": true, "Windows": true, "VM": true, "ZOS": true, "FreeBSD": true}

// TestSpecHasEveryLinuxField: Spec has every field of specs.Spec but the
// other platforms', with the same type and JSON name (a field a new
// runtime-spec adds fails here until Spec has it).
func TestSpecHasEveryLinuxField(t *testing.T) {
	ours := reflect.TypeOf(Spec{})
	theirs := reflect.TypeOf(specs.Spec{})
	for i := range theirs.NumField() {
		f := theirs.Field(i)
		g, ok := ours.FieldByName(f.Name)
		switch {
		case otherPlatforms[f.Name]:
			if ok {
				t.Errorf("Spec has %s, another platform's section", f.Name)
			}
		case !ok:
			t.Errorf("Spec lacks specs.Spec's %s", f.Name)
		case g.Type != f.Type || g.Tag.Get("json") != f.Tag.Get("json"):
			t.Errorf("Spec.%s is %v %q, specs.Spec's %v %q", f.Name, g.Type, g.Tag.Get("json"), f.Type, f.Tag.Get("json"))
		}
	}
	if ours.NumField() != theirs.NumField()-len(otherPlatforms) {
		t.Errorf("Spec has %d fields, want %d", ours.NumField(), theirs.NumField()-len(otherPlatforms))
	}
}

// TestDecode: a config decodes as encoding/json decodes it into a
// specs.Spec, less the other platforms' sections.
func TestDecode(t *testing.T) {
	cfg := `{"ociVersion":"1.3.0","process":{"args":["sh"],"cwd":"/","user":{"uid":1}},
		"root":{"path":"rootfs"},"hostname":"h","domainname":"d",
		"mounts":[{"destination":"/proc","type":"proc","source":"proc"}],
		"hooks":{"poststop":[{"path":"/bin/true"}]},"annotations":{"a":"b"},
		"linux":{"namespaces":[{"type":"pid"}],"resources":{"memory":{"limit":1048576}}},
		"windows":{"layerFolders":["C:\\"]},"vm":{"kernel":{"path":"/k"}}} trailing`
	got, err := Decode(strings.NewReader(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var want specs.Spec
	if err := json.NewDecoder(strings.NewReader(cfg)).Decode(&want); err != nil {
		t.Fatal(err)
	}
	want.Windows, want.VM = nil, nil
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("Decode:\n got %+v\nwant %+v", got, &want)
	}
	if _, err := Decode(strings.NewReader(`{"process":{"args":"sh"}}`)); err == nil || !strings.Contains(err.Error(), "process.args") {
		t.Errorf("a bad type: error %v, want one naming process.args", err)
	}
	if got := From(nil).Spec(); got != nil {
		t.Errorf("nil: %v", got)
	}
}
