//go:build !seccomp

package seccomp

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Enabled reports whether this binary was built with seccomp support.
const Enabled = false

var errUnsupported = errors.New("this runc binary was built without seccomp support, but linux.seccomp is set")

// SettleFlags does nothing: this build loads no profile.
func SettleFlags(*specs.LinuxSeccomp) {}

// checkSupport rejects any non-empty profile in this build.
func checkSupport(*specs.LinuxSeccomp) error {
	return errUnsupported
}

// Version returns "": there is no libseccomp in this build.
func Version() string { return "" }

// KnownActions returns nil: this build supports no seccomp actions.
func KnownActions() []string { return nil }

// KnownOperators returns nil: this build supports no seccomp operators.
func KnownOperators() []string { return nil }

// KnownArchs returns nil: this build supports no seccomp architectures.
func KnownArchs() []string { return nil }

// SupportedFlags returns nil: this build supports no seccomp flags.
func SupportedFlags() []string { return nil }
