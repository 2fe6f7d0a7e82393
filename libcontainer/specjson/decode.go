package specjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// errUnsupported is the decoder's and the encoder's answer to whatever
// they leave to encoding/json: a syntax or type error (whose wording is
// encoding/json's), and the rare forms they do not handle (invalid UTF-8,
// surrogate escapes, types of no config or state).
var errUnsupported = errors.New("specjson: left to encoding/json")

// Unmarshal is json.Unmarshal for the runtime's files (a config, a
// state): the same result, without building encoding/json's codecs of
// every type reachable from v (see fieldsOf). v points to a zero value.
// Whatever the decoder does not handle, errors included, is decoded again
// by encoding/json, whose result and error stand.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || !decode(data, rv.Elem(), true) {
		return json.Unmarshal(data, v)
	}
	return nil
}

// decode decodes the first JSON value of data into v, and with whole
// checks that only white space follows it. When it cannot, it leaves v
// zero again, for encoding/json.
func decode(data []byte, v reflect.Value, whole bool) bool {
	d := decoder{data: data}
	err := d.value(v, 0)
	if err == nil && whole {
		d.space()
		if d.pos != len(d.data) {
			err = errUnsupported
		}
	}
	if err != nil {
		v.SetZero()
		return false
	}
	return true
}

type decoder struct {
	data []byte
	pos  int
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after white space (0 at the end).
func (d *decoder) peek() byte {
	d.space()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// literal consumes lit (true, false or null).
func (d *decoder) literal(lit string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(lit)) {
		return errUnsupported
	}
	d.pos += len(lit)
	return nil
}

const maxDepth = 1000

// value decodes the next JSON value into v as encoding/json would.
func (d *decoder) value(v reflect.Value, depth int) error {
	if depth > maxDepth {
		return errUnsupported
	}
	c := d.peek()
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if c == 'n' {
			if err := d.literal("null"); err != nil {
				return err
			}
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.value(v.Elem(), depth+1)
	}
	m := methods(t)
	if m&oddMethods != 0 {
		return errUnsupported
	}
	if m&unmarshals != 0 {
		start := d.pos
		if err := d.skip(depth); err != nil {
			return err
		}
		return v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(d.data[start:d.pos])
	}
	if c == 'n' {
		// null: nil for a map or a slice, nothing for the others
		if err := d.literal("null"); err != nil {
			return err
		}
		if k := t.Kind(); k == reflect.Map || k == reflect.Slice {
			v.SetZero()
		}
		return nil
	}
	if m&textUnmarshals != 0 {
		return errUnsupported
	}
	switch t.Kind() {
	case reflect.Struct:
		return d.object(v, depth)
	case reflect.Map:
		return d.mapping(v, depth)
	case reflect.Slice:
		return d.array(v, depth)
	case reflect.String:
		s, err := d.str()
		if err != nil {
			return err
		}
		v.SetString(s)
	case reflect.Bool:
		switch c {
		case 't':
			v.SetBool(true)
			return d.literal("true")
		case 'f':
			v.SetBool(false)
			return d.literal("false")
		}
		return errUnsupported
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(d.integer(), 10, 64)
		if err != nil || v.OverflowInt(n) {
			return errUnsupported
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(d.integer(), 10, 64)
		if err != nil || v.OverflowUint(n) {
			return errUnsupported
		}
		v.SetUint(n)
	default:
		return errUnsupported // floats, interfaces, arrays, []byte: not in our types
	}
	return d.end()
}

// end checks that a scalar ends where JSON lets it: before white space, a
// comma or a closing bracket (or at the end).
func (d *decoder) end() error {
	if d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r', ',', '}', ']':
		default:
			return errUnsupported
		}
	}
	return nil
}

// integer consumes a JSON integer (no fraction, no exponent: for an
// integer field encoding/json refuses those) and returns its text.
func (d *decoder) integer() string {
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	digits := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	if d.pos == digits || (d.data[digits] == '0' && d.pos-digits > 1) {
		return "" // not a JSON integer: ParseInt fails
	}
	return string(d.data[start:d.pos])
}

// object decodes a JSON object into the struct v: members by exact name,
// then case-insensitively; unknown ones skipped.
func (d *decoder) object(v reflect.Value, depth int) error {
	sf, err := fieldsOf(v.Type())
	if err != nil {
		return err
	}
	return d.members(func(name string) error {
		f := sf.lookup(name)
		if f == nil {
			return d.skip(depth + 1)
		}
		return d.value(v.FieldByIndex(f.index), depth+1)
	})
}

// mapping decodes a JSON object into the map v (string keys), into the map
// there is: a member's value replaces the entry.
func (d *decoder) mapping(v reflect.Value, depth int) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String || methods(t.Key())&textUnmarshals != 0 {
		return errUnsupported
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	return d.members(func(name string) error {
		e := reflect.New(t.Elem()).Elem()
		if err := d.value(e, depth+1); err != nil {
			return err
		}
		v.SetMapIndex(reflect.ValueOf(name).Convert(t.Key()), e)
		return nil
	})
}

// members reads an object, calling member with each name, the value next.
func (d *decoder) members(member func(name string) error) error {
	return d.sequence('{', '}', func() error {
		if d.peek() != '"' {
			return errUnsupported
		}
		name, err := d.str()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return errUnsupported
		}
		d.pos++
		return member(name)
	})
}

// array decodes a JSON array into the slice v as encoding/json does: into
// the elements there are, growing it as needed, then cut to the array's
// length; [] gives an empty slice, not nil.
func (d *decoder) array(v reflect.Value, depth int) error {
	if v.Type().Elem().Kind() == reflect.Uint8 {
		return errUnsupported // base64 in encoding/json
	}
	i := 0
	err := d.elements(func() error {
		if i >= v.Cap() {
			v.Grow(1)
		}
		if i >= v.Len() {
			v.SetLen(i + 1)
		}
		i++
		return d.value(v.Index(i-1), depth+1)
	})
	if err != nil {
		return err
	}
	if i == 0 {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	} else {
		v.SetLen(i)
	}
	return nil
}

// elements reads an array, calling element for each value.
func (d *decoder) elements(element func() error) error {
	return d.sequence('[', ']', element)
}

// sequence reads open, the items (item reads each) separated by commas,
// then end: an object's members or an array's elements.
func (d *decoder) sequence(open, end byte, item func() error) error {
	if d.peek() != open {
		return errUnsupported
	}
	d.pos++
	if d.peek() == end {
		d.pos++
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case end:
			d.pos++
			return nil
		default:
			return errUnsupported
		}
	}
}

// str reads a JSON string. Invalid UTF-8 and \u escapes of surrogates,
// which encoding/json replaces, are left to it.
func (d *decoder) str() (string, error) {
	if d.peek() != '"' {
		return "", errUnsupported
	}
	d.pos++
	start := d.pos
	var buf []byte
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := d.data[start:d.pos]
			d.pos++
			if buf != nil {
				return string(append(buf, s...)), nil
			}
			return string(s), nil
		case c < 0x20:
			return "", errUnsupported
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && n == 1 {
				return "", errUnsupported
			}
			d.pos += n
		case c == '\\':
			buf = append(buf, d.data[start:d.pos]...)
			if d.pos+1 >= len(d.data) {
				return "", errUnsupported
			}
			e := d.data[d.pos+1]
			d.pos += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				if d.pos+4 > len(d.data) {
					return "", errUnsupported
				}
				r, err := strconv.ParseUint(string(d.data[d.pos:d.pos+4]), 16, 16)
				if err != nil || (r >= 0xd800 && r < 0xe000) {
					return "", errUnsupported
				}
				d.pos += 4
				buf = utf8.AppendRune(buf, rune(r))
			default:
				return "", errUnsupported
			}
			start = d.pos
		default:
			d.pos++
		}
	}
	return "", errUnsupported
}

// skip consumes one JSON value, checking its syntax (encoding/json checks
// the whole input before it decodes).
func (d *decoder) skip(depth int) error {
	if depth > maxDepth {
		return errUnsupported
	}
	switch c := d.peek(); c {
	case '{':
		return d.members(func(string) error { return d.skip(depth + 1) })
	case '[':
		return d.elements(func() error { return d.skip(depth + 1) })
	case '"':
		_, err := d.str()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		if err := d.number(); err != nil {
			return err
		}
		return d.end()
	}
}

// number consumes a JSON number.
func (d *decoder) number() error {
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	first := d.pos
	if n := digits(); n == 0 || (n > 1 && d.data[first] == '0') {
		return errUnsupported
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return errUnsupported
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return errUnsupported
		}
	}
	return nil
}
