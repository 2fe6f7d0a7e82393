// Package lazy holds values built on first use. sync.OnceValue does that
// too, but a package-level variable set by a call to it is set by the
// package's initialiser, at every start of runc and runc init; a Value is
// a composite literal, data in the binary.
package lazy

import "sync"

// Value is the result of New, computed by the first Get.
type Value[T any] struct {
	New  func() T
	once sync.Once
	v    T
}

// Get returns the value, computing it on the first call.
func (l *Value[T]) Get() T {
	l.once.Do(func() { l.v = l.New() })
	return l.v
}
