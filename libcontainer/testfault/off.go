//go:build !runc_testfault

package testfault

// At does nothing: this binary has no fault hook.
func At(string) {}

// Env returns nothing: this binary has no fault hook.
func Env() []string { return nil }
