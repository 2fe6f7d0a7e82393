package rpc

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"

	gorpc "github.com/checkpoint-restore/go-criu/v7/rpc"
	"google.golang.org/protobuf/proto"
)

// The reference is go-criu's generated code (a test-only dependency): each
// message, with every field of ours set, must encode to the bytes it
// encodes the same message to, decode from them, and survive its decoding.

// fill sets every field of the struct v points to, recursively, to
// distinct values: negative int32s, uint32s above 1<<31, two elements of
// each repeated field.
func fill(v reflect.Value, seed *int) {
	v = v.Elem()
	for i := range v.NumField() {
		fillValue(v.Field(i), seed)
	}
}

func fillValue(f reflect.Value, seed *int) {
	*seed++
	n := *seed
	switch f.Kind() {
	case reflect.Pointer:
		f.Set(reflect.New(f.Type().Elem()))
		if f.Elem().Kind() == reflect.Struct {
			fill(f, seed)
		} else {
			fillValue(f.Elem(), seed)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(f.Type(), 2, 2)
		for j := range 2 {
			fillValue(s.Index(j), seed)
		}
		f.Set(s)
	case reflect.String:
		f.SetString("s" + strconv.Itoa(n) + "/é")
	case reflect.Bool:
		f.SetBool(n%2 == 0)
	case reflect.Int32:
		switch f.Type() {
		case reflect.TypeFor[CriuReqType]():
			f.SetInt(int64(n % len(reqTypeNames)))
		case reflect.TypeFor[CriuCgMode]():
			f.SetInt(int64(n % 7))
		default:
			f.SetInt(int64(-n * 1000))
		}
	case reflect.Uint32:
		f.SetUint(1<<31 + uint64(n))
	default:
		panic("fill: " + f.Type().String())
	}
}

// toGoCriu copies ours into go-criu's message of the same name; every
// field of ours must have its namesake there.
func toGoCriu(t *testing.T, ours Message) proto.Message {
	t.Helper()
	src := reflect.ValueOf(ours)
	name := src.Elem().Type().Name()
	var dst proto.Message
	for _, m := range []proto.Message{
		&gorpc.CriuReq{}, &gorpc.CriuOpts{}, &gorpc.CriuResp{}, &gorpc.CriuPageServerInfo{},
		&gorpc.ExtMountMap{}, &gorpc.JoinNamespace{}, &gorpc.InheritFd{}, &gorpc.CgroupRoot{},
		&gorpc.CriuFeatures{}, &gorpc.CriuDumpResp{}, &gorpc.CriuRestoreResp{}, &gorpc.CriuNotify{},
		&gorpc.CriuVersion{},
	} {
		if reflect.TypeOf(m).Elem().Name() == name {
			dst = m
		}
	}
	if dst == nil {
		t.Fatalf("go-criu has no message %s", name)
	}
	copyStruct(t, reflect.ValueOf(dst).Elem(), src.Elem())
	return dst
}

func copyStruct(t *testing.T, dst, src reflect.Value) {
	for i := range src.NumField() {
		name := src.Type().Field(i).Name
		df := dst.FieldByName(name)
		if !df.IsValid() {
			t.Fatalf("go-criu's %s has no field %s", dst.Type().Name(), name)
		}
		copyValue(t, df, src.Field(i))
	}
}

func copyValue(t *testing.T, df, sf reflect.Value) {
	switch {
	case sf.Kind() == reflect.Slice:
		if sf.IsNil() {
			return
		}
		s := reflect.MakeSlice(df.Type(), sf.Len(), sf.Len())
		for j := range sf.Len() {
			if e := sf.Index(j); e.Kind() == reflect.Pointer {
				s.Index(j).Set(reflect.New(df.Type().Elem().Elem()))
				copyStruct(t, s.Index(j).Elem(), e.Elem())
			} else {
				s.Index(j).Set(e.Convert(df.Type().Elem()))
			}
		}
		df.Set(s)
	case sf.Kind() == reflect.Pointer && sf.IsNil():
	case sf.Kind() == reflect.Pointer && sf.Elem().Kind() == reflect.Struct:
		df.Set(reflect.New(df.Type().Elem()))
		copyStruct(t, df.Elem(), sf.Elem())
	default:
		if sf.Kind() == reflect.Pointer {
			sf = sf.Elem()
		}
		// A required field of ours is a value, go-criu's a pointer.
		p := reflect.New(df.Type().Elem())
		p.Elem().Set(sf.Convert(df.Type().Elem()))
		df.Set(p)
	}
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// checkCompat checks m against go-criu both ways.
func checkCompat(t *testing.T, m Message, fresh func() Message) {
	t.Helper()
	ours := Marshal(m)
	ref := toGoCriu(t, m)
	theirs, err := deterministic.Marshal(ref)
	if err != nil {
		t.Fatalf("go-criu marshal %T: %v", ref, err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("%T encodes to\n%x\ngo-criu to\n%x", m, ours, theirs)
	}
	// go-criu decodes ours to the same message.
	back := ref.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(ours, back); err != nil {
		t.Fatalf("go-criu cannot decode our %T: %v", m, err)
	}
	if !proto.Equal(back, ref) {
		t.Fatalf("go-criu decodes our %T to %v, want %v", m, back, ref)
	}
	// Ours decodes go-criu's to the message.
	got := fresh()
	if err := Unmarshal(theirs, got); err != nil {
		t.Fatalf("decode go-criu's %T: %v", m, err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("go-criu's %T decodes to\n%v\nwant\n%v", m, toGoCriu(t, got), ref)
	}
}

func TestCompatFull(t *testing.T) {
	for _, fresh := range []func() Message{
		func() Message { return &CriuReq{} },
		func() Message { return &CriuOpts{} },
		func() Message { return &CriuResp{} },
		func() Message { return &CriuPageServerInfo{} },
		func() Message { return &ExtMountMap{} },
		func() Message { return &JoinNamespace{} },
		func() Message { return &InheritFd{} },
		func() Message { return &CgroupRoot{} },
		func() Message { return &CriuFeatures{} },
		func() Message { return &CriuDumpResp{} },
		func() Message { return &CriuRestoreResp{} },
		func() Message { return &CriuNotify{} },
		func() Message { return &CriuVersion{} },
	} {
		m := fresh()
		seed := 0
		fill(reflect.ValueOf(m), &seed)
		t.Run(reflect.TypeOf(m).Elem().Name(), func(t *testing.T) {
			checkCompat(t, m, fresh)
		})
	}
}

// The messages the runtime sends and gets, as it builds them.
func TestCompatTypical(t *testing.T) {
	reqs := []*CriuReq{
		{Type: ReqVersion},
		{Type: ReqNotify, NotifySuccess: new(true)},
		{Type: ReqFeatureCheck, Features: &CriuFeatures{MemTrack: new(true), LazyPages: new(true)}},
		{Type: ReqCheck, Opts: &CriuOpts{ImagesDirFd: 5, LogFile: new("check.log"), LogLevel: new(int32(2))}},
		{Type: ReqRestore, Opts: &CriuOpts{
			ImagesDirFd: -1, WorkDirFd: new(int32(7)), ManageCgroupsMode: new(CgDefault), EmptyNs: new(uint32(0x40000000)),
			CgRoot:    []*CgroupRoot{{Ctrl: new(""), Path: "/a"}, {Ctrl: new("cpu"), Path: "/b"}, {Path: "/c"}},
			InheritFd: []*InheritFd{{Key: "pipe:[1]", Fd: 0}}, Root: new(""), RstSibling: new(false),
		}},
	}
	for _, r := range reqs {
		checkCompat(t, r, func() Message { return &CriuReq{} })
	}
	resps := []*CriuResp{
		{Type: ReqVersion, Success: true, Version: &CriuVersion{MajorNumber: 3, MinorNumber: 17, Sublevel: new(int32(1))}},
		{Type: ReqNotify, Success: true, Notify: &CriuNotify{Script: new("post-restore"), Pid: new(int32(4242))}},
		{Type: ReqRestore, Success: true, Restore: &CriuRestoreResp{Pid: 4242}},
		{Type: ReqDump, Success: false, CrErrno: new(int32(-1)), CrErrmsg: new("Error (criu/cr-dump.c:1): x\n")},
		{Type: ReqEmpty},
	}
	for _, r := range resps {
		checkCompat(t, r, func() Message { return &CriuResp{} })
	}
}

// Fields this package leaves out (newer CRIU's, say) are skipped.
func TestUnknownFields(t *testing.T) {
	ref := &gorpc.CriuResp{
		Type: gorpc.CriuReqType_RESTORE.Enum(), Success: proto.Bool(true),
		Restore: &gorpc.CriuRestoreResp{Pid: proto.Int32(7)},
		Ps:      &gorpc.CriuPageServerInfo{Port: proto.Int32(1)},
	}
	b, err := proto.Marshal(ref)
	if err != nil {
		t.Fatal(err)
	}
	// Unknown fields of every wire type, before and after the known ones.
	unknown := []byte{
		0xf8, 0x07, 0x96, 0x01, // 127: varint 150
		0xf9, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, // 127: fixed64
		0xfd, 0x07, 1, 2, 3, 4, // 127: fixed32
		0xfa, 0x07, 2, 'h', 'i', // 127: bytes
	}
	b = append(append(append([]byte{}, unknown...), b...), unknown...)
	var r CriuResp
	if err := Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Type != ReqRestore || !r.Success || r.GetRestore().GetPid() != 7 || r.Ps == nil || *r.Ps.Port != 1 {
		t.Fatalf("decoded %+v", r)
	}
	opts := &gorpc.CriuOpts{ImagesDirFd: proto.Int32(3), ImagesDir: proto.String("/x"), Tls: proto.Bool(true), TlsCert: proto.String("c"), DisplayStats: proto.Bool(true)}
	b, err = proto.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	var o CriuOpts
	if err := Unmarshal(b, &o); err != nil || !reflect.DeepEqual(o, CriuOpts{ImagesDirFd: 3}) {
		t.Fatalf("decoded %+v, %v", o, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{[]byte{0x08}, "truncated message"},
		{[]byte{0x08, 0x80}, "truncated message"},
		{[]byte{0x08, 0x01, 0x12}, "truncated message"},
		{[]byte{0x08, 0x01, 0x4a, 0x05, 'a'}, "truncated message"},
		{[]byte{0x08, 0x01}, "*rpc.CriuResp: required field 2 missing"},
		{[]byte{0x10, 0x01}, "*rpc.CriuResp: required field 1 missing"},
		{[]byte{0x0a, 0x00, 0x10, 0x01}, "*rpc.CriuResp field 1: wire type 2, want 0"},
		{[]byte{0x08, 0x01, 0x10, 0x01, 0x22, 0x00}, "*rpc.CriuResp field 4: *rpc.CriuRestoreResp: required field 1 missing"},
		{[]byte{0x08, 0x01, 0x10, 0x01, 0x2a, 0x02, 0x08, 0x01}, "*rpc.CriuResp field 5: *rpc.CriuNotify field 1: wire type 0, want 2"},
		{[]byte{0x0b, 0x0c}, "unsupported wire type 3"},
		{[]byte{0x00, 0x01}, "invalid field number 0"},
		{append([]byte{0x08}, bytes.Repeat([]byte{0xff}, 11)...), "invalid varint"},
	} {
		var r CriuResp
		err := Unmarshal(c.in, &r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Unmarshal(%x): %v, want %q", c.in, err, c.want)
		}
	}
}

func TestReqTypeString(t *testing.T) {
	for typ, want := range map[CriuReqType]string{
		ReqDump: "DUMP", ReqPreDump: "PRE_DUMP", ReqSinglePreDump: "SINGLE_PRE_DUMP", 14: "14", -1: "-1",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%d: %q, want %q", int32(typ), got, want)
		}
		if typ >= 0 && int(typ) < len(reqTypeNames) && gorpc.CriuReqType(typ).String() != want {
			t.Errorf("%d: go-criu says %s, we %s", int32(typ), gorpc.CriuReqType(typ), want)
		}
	}
}

func TestGettersNil(t *testing.T) {
	var r *CriuResp
	if r.GetRestore().GetPid() != 0 || r.GetNotify().GetScript() != "" || r.GetNotify().GetPid() != 0 ||
		r.GetFeatures().GetMemTrack() || r.GetFeatures().GetLazyPages() || r.GetVersion() != nil {
		t.Fatal("getters of nil")
	}
}
