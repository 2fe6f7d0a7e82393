package specjson

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// field is one JSON member of a struct, as encoding/json names it: the
// exported fields, those of untagged embedded structs promoted.
type field struct {
	name      string
	key       []byte // `"name":`, for the encoder
	index     []int
	omitEmpty bool
}

// structFields is what the codec knows of a struct type, built the first
// time the type is met (encoding/json builds it for every type reachable
// from the first, and its encoders too: most of a fresh process's
// decoding time).
type structFields []field

// lookup finds the member named name: by exact name, then as
// encoding/json does, case-insensitively. (A scan: a struct of the spec
// has at most a few dozen fields, and a map would cost more to build.)
func (sf structFields) lookup(name string) *field {
	for i := range sf {
		if sf[i].name == name {
			return &sf[i]
		}
	}
	for i := range sf {
		if strings.EqualFold(sf[i].name, name) {
			return &sf[i]
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type -> structFields

func fieldsOf(t reflect.Type) (structFields, error) {
	if f, ok := fieldCache.Load(t); ok {
		return f.(structFields), nil
	}
	sf, err := collectFields(t)
	if err != nil {
		return nil, err
	}
	fieldCache.Store(t, sf)
	return sf, nil
}

// collectFields lists t's members in encoding/json's order, with its rule
// for a name met more than once: the shallowest wins, or at one depth the
// only tagged one; otherwise none.
func collectFields(t reflect.Type) (structFields, error) {
	type cand struct {
		field
		depth  int
		tagged bool
	}
	var cands []cand
	var walk func(t reflect.Type, index []int, depth int) error
	walk = func(t reflect.Type, index []int, depth int) error {
		if depth > 8 {
			return errUnsupported
		}
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if opts != "" && opts != "omitempty" {
				return errUnsupported // string, omitzero, inline: not met in our types
			}
			idx := append(append([]int(nil), index...), i)
			if sf.Anonymous && name == "" {
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					return errUnsupported
				}
				if ft.Kind() == reflect.Struct {
					if err := walk(ft, idx, depth+1); err != nil {
						return err
					}
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			tagged := name != ""
			if !tagged {
				name = sf.Name
			}
			key := encoder{}
			key.str(name)
			cands = append(cands, cand{field{name, append(key.b, ':'), idx, opts == "omitempty"}, depth, tagged})
		}
		return nil
	}
	if err := walk(t, nil, 0); err != nil {
		return nil, err
	}
	var out structFields
	for i, c := range cands {
		keep := true
		for j, o := range cands {
			if i == j || o.name != c.name {
				continue
			}
			if o.depth < c.depth || (o.depth == c.depth && (!c.tagged || o.tagged)) {
				keep = false
			}
		}
		if keep {
			out = append(out, c.field)
		}
	}
	return out, nil
}

// What a type does for itself in encoding/json, by its methods or its
// pointer's.
const (
	marshals       = 1 << iota // T: json.Marshaler
	ptrMarshals                // *T only: json.Marshaler
	unmarshals                 // *T: json.Unmarshaler
	textMarshals               // T: encoding.TextMarshaler
	textUnmarshals             // *T: encoding.TextUnmarshaler
	// an unnamed struct type with methods (promoted from an embedded
	// field), which encoding/json treats its own way: left to it
	oddMethods
)

var methodCache sync.Map // reflect.Type -> int (the flags above)

// methods tells what t does for itself (see the flags). Only a named
// type, or a struct type embedding one, has methods; reflect.PointerTo
// searches the binary's types, so the answer is kept.
func methods(t reflect.Type) int {
	if t.Name() == "" && t.Kind() != reflect.Struct {
		return 0
	}
	if m, ok := methodCache.Load(t); ok {
		return m.(int)
	}
	pt := reflect.PointerTo(t)
	m := 0
	if t.Name() == "" && pt.NumMethod() > 0 {
		m |= oddMethods
	}
	if t.Implements(reflect.TypeFor[json.Marshaler]()) {
		m |= marshals
	} else if pt.Implements(reflect.TypeFor[json.Marshaler]()) {
		m |= ptrMarshals
	}
	if pt.Implements(reflect.TypeFor[json.Unmarshaler]()) {
		m |= unmarshals
	}
	if t.Implements(reflect.TypeFor[encoding.TextMarshaler]()) {
		m |= textMarshals
	}
	if pt.Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		m |= textUnmarshals
	}
	methodCache.Store(t, m)
	return m
}
