//go:build !runc_initbin || !seccomp

package helperbin

// program: none; a runc built without the tags links libseccomp itself.
var program []byte
