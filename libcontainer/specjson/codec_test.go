package specjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fill sets v (settable) to random contents: strings with the characters
// JSON escapes, integers at their limits, nil and empty slices and maps,
// nil and set pointers.
func fill(r *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 6 || r.IntN(4) == 0 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(r, v.Elem(), depth+1)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(r.Int64N(1<<36), r.Int64N(1e9)).UTC()))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		if nilOrEmpty(r, v) {
			return
		}
		n := 1 + r.IntN(3)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			fill(r, v.Index(i), depth+1)
		}
	case reflect.Map:
		if nilOrEmpty(r, v) {
			return
		}
		v.Set(reflect.MakeMap(v.Type()))
		for range 1 + r.IntN(3) {
			k := reflect.New(v.Type().Key()).Elem()
			fill(r, k, depth+1)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(r, e, depth+1)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		v.SetString(randString(r))
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(randBits(r)) >> (64 - v.Type().Bits()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(randBits(r) >> (64 - v.Type().Bits()))
	}
}

// randBits returns 64 bits whose top ones, shifted down to a field's size,
// give its limits (0, all ones: -1 or the unsigned maximum, the top bit
// alone: the signed minimum, all but it: the signed maximum) or a random
// value.
func randBits(r *rand.Rand) uint64 {
	switch r.IntN(5) {
	case 0:
		return 0
	case 1:
		return math.MaxUint64
	case 2:
		return 1 << 63
	case 3:
		return math.MaxInt64
	}
	return r.Uint64()
}

// nilOrEmpty leaves the slice or map v nil, or makes it empty, one time
// in four each, and tells whether it did.
func nilOrEmpty(r *rand.Rand, v reflect.Value) bool {
	switch r.IntN(4) {
	case 0:
		return true
	case 1:
		if v.Kind() == reflect.Map {
			v.Set(reflect.MakeMap(v.Type()))
		} else {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		return true
	}
	return false
}

func randString(r *rand.Rand) string {
	parts := []string{"", "a", "/proc", "é", "日本", "<", ">", "&", `"`, `\`, "\n", "\t", "\x00", "\x1f", "\x7f", "\u2028", "\u2029", "\xff", "\xe2\x82", "\U0001F600", "CAP_SYS_ADMIN"}
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

// state is a stand-in for libcontainer's state.json (which this package
// cannot import): the kinds it holds besides the spec.
type state struct {
	Version     int                 `json:"version"`
	Created     time.Time           `json:"created"`
	Stamp       struct{ time.Time } `json:"stamp"` // time's methods, promoted
	Start       uint64              `json:"start,omitempty"`
	Paths       map[string]string   `json:"paths,omitempty"`
	Namespaces  map[specs.LinuxNamespaceType]string
	Flag        bool     `json:"flag,omitempty"`
	List        []string `json:"list,omitempty"`
	Config      *Spec    `json:"config"`
	unexported  int      //nolint:unused // encoding/json skips it, and so must the codec
	Ignored     string   `json:"-"`
	DefaultName string
}

// TestCodecIsEncodingJSON: on random specs and states, Marshal writes
// json.Marshal's bytes, and Unmarshal and Decode read them back as
// encoding/json does.
func TestCodecIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		for _, typ := range []reflect.Type{reflect.TypeFor[Spec](), reflect.TypeFor[state]()} {
			v := reflect.New(typ)
			fill(r, v.Elem(), 0)
			want, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			got, err := Marshal(v.Interface())
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%d: Marshal(%s):\n got %s (%v)\nwant %s", i, typ, got, err, want)
			}
			checkUnmarshal(t, typ, want)
			if typ == reflect.TypeFor[Spec]() {
				ours, oerr := Decode(bytes.NewReader(want))
				var std Spec
				serr := json.NewDecoder(bytes.NewReader(want)).Decode(&std)
				if fmt.Sprint(oerr) != fmt.Sprint(serr) || !reflect.DeepEqual(ours, std.Spec()) {
					t.Fatalf("%d: Decode(%s): %+v (%v), want %+v (%v)", i, want, ours, oerr, std.Spec(), serr)
				}
			}
		}
	}
}

// checkUnmarshal decodes data into a new typ with Unmarshal and with
// json.Unmarshal: the same value and the same error.
func checkUnmarshal(t *testing.T, typ reflect.Type, data []byte) {
	t.Helper()
	ours, std := reflect.New(typ), reflect.New(typ)
	oerr := Unmarshal(data, ours.Interface())
	serr := json.Unmarshal(data, std.Interface())
	if fmt.Sprint(oerr) != fmt.Sprint(serr) {
		t.Fatalf("Unmarshal(%q) into %s: error %v, encoding/json's %v", data, typ, oerr, serr)
	}
	if !reflect.DeepEqual(ours.Interface(), std.Interface()) {
		t.Fatalf("Unmarshal(%q) into %s:\n got %+v\nwant %+v", data, typ, ours.Elem(), std.Elem())
	}
}

// TestUnmarshalOddInputs: what a hand-written config may hold, and what
// it must not, read as encoding/json reads it.
func TestUnmarshalOddInputs(t *testing.T) {
	for _, in := range []string{
		`{}`, ` {"ociVersion":"1.2.0"} `, `{"OCIVERSION":"x","ociversion":"y"}`,
		`{"process":{"cwd":"/a"},"process":{"args":["x"]}}`,
		`{"mounts":[{"destination":"/a","type":"x"},{"destination":"/c"}],"mounts":[{"destination":"/b"}]}`,
		`{"annotations":{"a":"1"},"annotations":{"b":"2"}}`, `{"annotations":{"a":null}}`,
		`{"process":null}`, `{"mounts":null}`, `{"mounts":[]}`, `{"hostname":null}`,
		`{"linux":{"seccomp":{"flags":[]}}}`, `{"linux":{"seccomp":{"flags":null}}}`,
		`{"unknown":{"a":[1,2.5e-3,-0,true,false,null,"x\u00e9"]},"hostname":"h"}`,
		`{"linux":{"resources":{"memory":{"limit":-1,"swap":9223372036854775807}}}}`,
		`{"linux":{"resources":{"memory":{"limit":9223372036854775808}}}}`,
		`{"linux":{"resources":{"cpu":{"shares":-1}}}}`, `{"linux":{"resources":{"cpu":{"shares":1.0}}}}`,
		`{"linux":{"resources":{"cpu":{"shares":1e3}}}}`, `{"linux":{"resources":{"cpu":{"shares":01}}}}`,
		`{"linux":{"resources":{"blockIO":{"weightDevice":[{"major":8,"minor":0,"weight":10}]}}}}`,
		`{"process":{"user":{"uid":4294967296}}}`, `{"process":{"user":{"uid":"0"}}}`,
		`{"process":{"terminal":"yes"}}`, `{"process":{"terminal":tru}}`, `{"process":{"terminal":truex}}`,
		`{"hostname":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9"}`, `{"hostname":"\ud83d\ude00"}`, `{"hostname":"\ud83d"}`,
		"{\"hostname\":\"\xff\"}", "{\"hostname\":\"a\x01\"}", `{"hostname":"\x"}`,
		`{"hostname":"a"`, `{"hostname":"a",}`, `{"hostname" "a"}`, `{,}`, `[]`, `null`, ``, `   `,
		`{"hostname":"a"} x`, `{"hostname":"a"}{}`, `{"mounts":[1,]}`, `{"mounts":[{}{}]}`,
		`{"unknown":[1 2]}`, `{"unknown":-}`, `{"unknown":1.}`, `{"unknown":.5}`, `{"unknown":1e}`,
	} {
		checkUnmarshal(t, reflect.TypeFor[Spec](), []byte(in))
		ours, oerr := Decode(strings.NewReader(in))
		var std Spec
		serr := json.NewDecoder(strings.NewReader(in)).Decode(&std)
		if fmt.Sprint(oerr) != fmt.Sprint(serr) || (serr == nil && !reflect.DeepEqual(ours, std.Spec())) {
			t.Errorf("Decode(%q): %+v (%v), want %+v (%v)", in, ours, oerr, std.Spec(), serr)
		}
	}
}

// FuzzUnmarshal: any input decodes to encoding/json's value and error.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"process":{"args":["sh"],"user":{"uid":1}},"linux":{"namespaces":[{"type":"pid"}]}}`))
	f.Add([]byte(`{"version":1,"created":"2026-01-02T03:04:05Z","paths":{"a":"b"},"config":{"hostname":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkUnmarshal(t, reflect.TypeFor[Spec](), data)
		checkUnmarshal(t, reflect.TypeFor[state](), data)
	})
}
