package specjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Marshal is json.Marshal for the runtime's files, byte for byte, without
// building encoding/json's codecs (see Unmarshal). What it does not
// handle is left to json.Marshal.
func Marshal(v any) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 4096)}
	if err := e.value(reflect.ValueOf(v), 0); err != nil {
		return json.Marshal(v)
	}
	return e.b, nil
}

type encoder struct {
	b []byte
}

func (e *encoder) value(v reflect.Value, depth int) error {
	if depth > maxDepth || !v.IsValid() {
		return errUnsupported
	}
	t := v.Type()
	m := methods(t)
	if m&oddMethods != 0 {
		return errUnsupported
	}
	if m&marshals != 0 {
		out, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil {
			return errUnsupported
		}
		// json.Marshal compacts the output (refusing what is not JSON) and
		// escapes HTML in it.
		var buf bytes.Buffer
		if json.Compact(&buf, out) != nil || bytes.ContainsAny(buf.Bytes(), "<>&\u2028\u2029") {
			return errUnsupported
		}
		e.b = append(e.b, buf.Bytes()...)
		return nil
	}
	if m&(textMarshals|ptrMarshals) != 0 {
		return errUnsupported // none in our types; an addressable value would take the pointer's method
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.b = append(e.b, "null"...)
			return nil
		}
		return e.value(v.Elem(), depth+1)
	case reflect.Struct:
		return e.object(v, depth)
	case reflect.Map:
		return e.mapping(v, depth)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return errUnsupported
		}
		if v.IsNil() {
			e.b = append(e.b, "null"...)
			return nil
		}
		e.b = append(e.b, '[')
		for i := range v.Len() {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			if err := e.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
		e.b = append(e.b, ']')
	case reflect.String:
		e.str(v.String())
	case reflect.Bool:
		e.b = strconv.AppendBool(e.b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.b = strconv.AppendInt(e.b, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.b = strconv.AppendUint(e.b, v.Uint(), 10)
	default:
		return errUnsupported
	}
	return nil
}

func (e *encoder) object(v reflect.Value, depth int) error {
	sf, err := fieldsOf(v.Type())
	if err != nil {
		return err
	}
	e.b = append(e.b, '{')
	first := true
	for i := range sf {
		f := &sf[i]
		fv := v.FieldByIndex(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		if !first {
			e.b = append(e.b, ',')
		}
		first = false
		e.b = append(e.b, f.key...)
		if err := e.value(fv, depth+1); err != nil {
			return err
		}
	}
	e.b = append(e.b, '}')
	return nil
}

// mapping writes a map with string keys, sorted as encoding/json sorts
// them.
func (e *encoder) mapping(v reflect.Value, depth int) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String || methods(t.Key())&textMarshals != 0 {
		return errUnsupported
	}
	if v.IsNil() {
		e.b = append(e.b, "null"...)
		return nil
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int {
		switch x, y := a.String(), b.String(); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	e.b = append(e.b, '{')
	for i, k := range keys {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.str(k.String())
		e.b = append(e.b, ':')
		if err := e.value(v.MapIndex(k), depth+1); err != nil {
			return err
		}
	}
	e.b = append(e.b, '}')
	return nil
}

// isEmpty is encoding/json's test for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

const hex = "0123456789abcdef"

// str writes s quoted as json.Marshal does: HTML characters, U+2028 and
// U+2029 escaped, invalid UTF-8 as U+FFFD.
func (e *encoder) str(s string) {
	e.b = append(e.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			e.b = append(e.b, s[start:i]...)
			switch c {
			case '"', '\\':
				e.b = append(e.b, '\\', c)
			case '\b':
				e.b = append(e.b, '\\', 'b')
			case '\f':
				e.b = append(e.b, '\\', 'f')
			case '\n':
				e.b = append(e.b, '\\', 'n')
			case '\r':
				e.b = append(e.b, '\\', 'r')
			case '\t':
				e.b = append(e.b, '\\', 't')
			default:
				e.b = append(e.b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			e.b = append(e.b, s[start:i]...)
			e.b = append(e.b, `\ufffd`...)
			i += n
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			e.b = append(e.b, s[start:i]...)
			e.b = append(e.b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	e.b = append(e.b, s[start:]...)
	e.b = append(e.b, '"')
}
