//go:build runc_initbin && seccomp

package helperbin

import _ "embed"

// program is cmd/runc-seccomp, built by the Makefile before runc.
//
//go:embed runc-seccomp
var program []byte
