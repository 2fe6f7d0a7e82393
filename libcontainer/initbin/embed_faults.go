//go:build runc_initbin && runc_testfault

package initbin

import _ "embed"

// program is cmd/runc-init built with the test fault hook, for
// runc.faults (its init:* fault stages).
//
//go:embed runc-init.faults
var program []byte
