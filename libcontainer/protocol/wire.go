package protocol

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
)

// The init's config crosses the socket in a compact binary form (see
// initwire.go) rather than in JSON: encoding/json builds, once per
// process, the codec of every type it meets, and the init is a new
// process each time (a cold decode of the config took 1.3-2.7 ms and
// 95 kB of heap in the init there, a warm one 0.1 ms).
//
// The form is a sequence of values in a fixed order, without names:
// unsigned and signed varints, booleans as one byte, strings and lists as
// a length then their bytes or items, an optional value as a presence
// byte then the value. A list or map of no item reads back as nil. Both
// ends are the same build (runc and its embedded init), which the first
// byte, wireVersion, checks.

// wireWriter appends values to b.
type wireWriter struct{ b []byte }

func (w *wireWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *wireWriter) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }

func (w *wireWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *wireWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}

// present writes whether an optional value follows, and returns it.
func (w *wireWriter) present(ok bool) bool {
	w.bool(ok)
	return ok
}

func (w *wireWriter) strMap(m map[string]string) {
	w.uint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		w.str(k)
		w.str(m[k])
	}
}

// writeList writes the length of xs, then each item with f.
func writeList[T any](w *wireWriter, xs []T, f func(*wireWriter, *T)) {
	w.uint(uint64(len(xs)))
	for i := range xs {
		f(w, &xs[i])
	}
}

func writeStrs[S ~string](w *wireWriter, xs []S) {
	writeList(w, xs, func(w *wireWriter, s *S) { w.str(string(*s)) })
}

// errWire is the error of a config that is not one wireWriter wrote.
var errWire = errors.New("truncated or malformed")

// wireReader reads values from b. The first error sticks: later reads
// return zero values, and err says what went wrong.
type wireReader struct {
	b   []byte
	err error
}

// fail records a malformed input: no more values are read.
func (r *wireReader) fail() {
	r.err, r.b = errWire, nil
}

func (r *wireReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// int reads what binary.AppendVarint wrote: a zig-zag encoded uint.
func (r *wireReader) int() int64 {
	u := r.uint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *wireReader) bool() bool {
	if len(r.b) == 0 || r.b[0] > 1 {
		r.fail()
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

func (r *wireReader) str() string {
	n := r.count()
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *wireReader) present() bool { return r.bool() }

// count reads a length: at most the bytes left (a list's every item takes
// one at least).
func (r *wireReader) count() int {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *wireReader) strMap() map[string]string {
	n := r.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

// readList reads what writeList wrote (nil for no item).
func readList[T any](r *wireReader, f func(*wireReader, *T)) []T {
	n := r.count()
	if n == 0 {
		return nil
	}
	xs := make([]T, n)
	for i := range xs {
		f(r, &xs[i])
	}
	return xs
}

func readStrs[S ~string](r *wireReader) []S {
	return readList(r, func(r *wireReader, s *S) { *s = S(r.str()) })
}
