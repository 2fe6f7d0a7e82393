//go:build runc_initbin && !runc_testfault

package initbin

import _ "embed"

// program is cmd/runc-init, built by the Makefile before runc.
//
//go:embed runc-init
var program []byte
