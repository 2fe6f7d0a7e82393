// Package rpc is CRIU's RPC protocol (criu/images/rpc.proto, proto2): the
// messages the runtime exchanges with `criu swrk`, with the fields it
// uses, and their protocol-buffers wire encoding.
//
// The codec is written by hand on the wire format rather than generated:
// generated protobuf code registers its descriptors at program start, and
// pulls in the reflection machinery, which every run of the runtime would
// pay for, `runc --version` included, while only checkpoint and restore
// need the messages. Fields of rpc.proto not listed here are skipped when
// decoding. A required field is a plain value (always encoded), an
// optional one a pointer (nil: absent), as in generated code.
package rpc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// wireType is the low three bits of a field's tag.
type wireType uint8

const (
	wireVarint  wireType = 0
	wireFixed64 wireType = 1
	wireBytes   wireType = 2
	wireFixed32 wireType = 5
)

// Message is one of the package's message types, what Marshal and
// Unmarshal work on.
type Message interface {
	// marshal appends the fields, in field number order (as the
	// generated code does, so that the bytes are the same).
	marshal(e *encoder)
	// field decodes one field into the message (merging, as protobuf
	// does for a message field that comes twice); an unknown one is
	// ignored.
	field(f *field) error
	// required is the mask (1<<number) of the required fields.
	required() uint64
}

// Marshal encodes m.
func Marshal(m Message) []byte {
	var e encoder
	m.marshal(&e)
	return e.b
}

// Unmarshal decodes b into m, which should be zero: repeated fields are
// appended to. Unknown fields are skipped; a missing required field, a
// field of the wrong wire type or a truncated message is an error.
func Unmarshal(b []byte, m Message) error {
	var seen uint64
	for len(b) > 0 {
		var f field
		n, err := f.parse(b)
		if err != nil {
			return fmt.Errorf("%T: %w", m, err)
		}
		b = b[n:]
		if err := m.field(&f); err != nil {
			return fmt.Errorf("%T field %d: %w", m, f.num, err)
		}
		if f.num < 64 {
			seen |= 1 << f.num
		}
	}
	if missing := m.required() &^ seen; missing != 0 {
		for n := range 64 {
			if missing&(1<<n) != 0 {
				return fmt.Errorf("%T: required field %d missing", m, n)
			}
		}
	}
	return nil
}

// encoder appends fields to b.
type encoder struct{ b []byte }

func (e *encoder) tag(num int, t wireType) {
	e.b = binary.AppendUvarint(e.b, uint64(num)<<3|uint64(t))
}

func (e *encoder) varint(num int, v uint64) {
	e.tag(num, wireVarint)
	e.b = binary.AppendUvarint(e.b, v)
}

// int32 and enums are sign-extended to 64 bits: a negative value takes
// ten bytes.
func (e *encoder) int32(num int, v int32) { e.varint(num, uint64(int64(v))) }

func (e *encoder) bool(num int, v bool) {
	var x uint64
	if v {
		x = 1
	}
	e.varint(num, x)
}

func (e *encoder) string(num int, s string) {
	e.tag(num, wireBytes)
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) optInt32(num int, v *int32) {
	if v != nil {
		e.int32(num, *v)
	}
}

func (e *encoder) optUint32(num int, v *uint32) {
	if v != nil {
		e.varint(num, uint64(*v))
	}
}

func (e *encoder) optBool(num int, v *bool) {
	if v != nil {
		e.bool(num, *v)
	}
}

func (e *encoder) optString(num int, s *string) {
	if s != nil {
		e.string(num, *s)
	}
}

func (e *encoder) strings(num int, ss []string) {
	for _, s := range ss {
		e.string(num, s)
	}
}

// message encodes m as a length-delimited field.
func (e *encoder) message(num int, m Message) {
	var sub encoder
	m.marshal(&sub)
	e.tag(num, wireBytes)
	e.b = binary.AppendUvarint(e.b, uint64(len(sub.b)))
	e.b = append(e.b, sub.b...)
}

// field is one decoded field: a varint or fixed-size value in u, a
// length-delimited one in b.
type field struct {
	num int
	typ wireType
	u   uint64
	b   []byte
}

var (
	errTruncated = errors.New("truncated message")
	errVarint    = errors.New("invalid varint")
)

func uvarint(b []byte) (uint64, int, error) {
	v, n := binary.Uvarint(b)
	switch {
	case n == 0:
		return 0, 0, errTruncated
	case n < 0:
		return 0, 0, errVarint
	}
	return v, n, nil
}

// parse decodes the field at the start of b and returns its length.
func (f *field) parse(b []byte) (int, error) {
	tag, n, err := uvarint(b)
	if err != nil {
		return 0, err
	}
	num := tag >> 3
	if num == 0 || num > 1<<29-1 {
		return 0, fmt.Errorf("invalid field number %d", num)
	}
	f.num, f.typ = int(num), wireType(tag&7)
	rest := b[n:]
	switch f.typ {
	case wireVarint:
		v, m, err := uvarint(rest)
		if err != nil {
			return 0, err
		}
		f.u = v
		return n + m, nil
	case wireFixed64:
		if len(rest) < 8 {
			return 0, errTruncated
		}
		f.u = binary.LittleEndian.Uint64(rest)
		return n + 8, nil
	case wireFixed32:
		if len(rest) < 4 {
			return 0, errTruncated
		}
		f.u = uint64(binary.LittleEndian.Uint32(rest))
		return n + 4, nil
	case wireBytes:
		l, m, err := uvarint(rest)
		if err != nil {
			return 0, err
		}
		if l > uint64(len(rest)-m) {
			return 0, errTruncated
		}
		f.b = rest[m : m+int(l)]
		return n + m + int(l), nil
	}
	// Groups (3, 4) are deprecated; rpc.proto has none.
	return 0, fmt.Errorf("field %d: unsupported wire type %d", num, f.typ)
}

func (f *field) want(t wireType) error {
	if f.typ != t {
		return fmt.Errorf("wire type %d, want %d", f.typ, t)
	}
	return nil
}

func (f *field) int32() (int32, error) {
	return int32(f.u), f.want(wireVarint)
}

func (f *field) uint32() (uint32, error) {
	return uint32(f.u), f.want(wireVarint)
}

func (f *field) bool() (bool, error) {
	return f.u != 0, f.want(wireVarint)
}

func (f *field) string() (string, error) {
	return string(f.b), f.want(wireBytes)
}

func (f *field) optInt32() (*int32, error) {
	v, err := f.int32()
	return &v, err
}

func (f *field) optUint32() (*uint32, error) {
	v, err := f.uint32()
	return &v, err
}

func (f *field) optBool() (*bool, error) {
	v, err := f.bool()
	return &v, err
}

func (f *field) optString() (*string, error) {
	v, err := f.string()
	return &v, err
}

// message decodes the field into m.
func (f *field) message(m Message) error {
	if err := f.want(wireBytes); err != nil {
		return err
	}
	return Unmarshal(f.b, m)
}
