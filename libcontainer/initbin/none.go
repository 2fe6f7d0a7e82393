//go:build !runc_initbin

package initbin

// program: none, runc re-executes itself as `runc init`.
var program []byte
