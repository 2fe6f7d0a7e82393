// Package table holds the small constant lookup tables of runc (names of
// a spec's enumerations and their kernel values, and the like). A
// package-level map is built by its package's initialiser, which every
// runc and runc init start runs, whether the command looks anything up or
// not; a Table literal of constants is data in the binary, and a linear
// search of a few dozen entries is no slower than hashing the key.
package table

// Table maps keys to values: {key, value} pairs. (The pairs are of an
// unnamed struct type, so that a table's literal may leave out the field
// names.) Unlike a map literal's, a table's duplicate keys compile: each
// package's tests check its tables with Duplicate.
type Table[K comparable, V any] []struct {
	Key K
	Val V
}

// Lookup returns the value of k, and whether t has k.
func (t Table[K, V]) Lookup(k K) (V, bool) {
	for _, e := range t {
		if e.Key == k {
			return e.Val, true
		}
	}
	var zero V
	return zero, false
}

// Has reports whether t has k.
func (t Table[K, V]) Has(k K) bool {
	_, ok := t.Lookup(k)
	return ok
}

// Keys returns t's keys, in t's order.
func (t Table[K, V]) Keys() []K {
	out := make([]K, len(t))
	for i, e := range t {
		out[i] = e.Key
	}
	return out
}

// Duplicate returns a key t holds more than once, if any. (The key is an
// any, so that tests can check tables of all types in one loop.)
func (t Table[K, V]) Duplicate() (any, bool) {
	for i, e := range t {
		for _, f := range t[i+1:] {
			if e.Key == f.Key {
				return e.Key, true
			}
		}
	}
	return nil, false
}
