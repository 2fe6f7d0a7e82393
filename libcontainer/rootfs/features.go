package rootfs

import (
	"slices"
	"sort"
)

// extensionOptions are runc's own mount options (options.go).
var extensionOptions = []string{"tmpcopyup", "idmap", "ridmap"}

// KnownMountOptions returns every mount option this package understands
// (for `runc features`): the flag, propagation and recursive options, and
// the extensions tmpcopyup, idmap and ridmap. Anything else is passed to
// the filesystem as data.
func KnownMountOptions() []string {
	out := append(flagOptions.Keys(), propagationOptions.Keys()...)
	out = append(out, recAttrOptions.Keys()...)
	out = append(out, extensionOptions...)
	sort.Strings(out)
	return out
}

// IsKnownMountOption reports whether o is one of KnownMountOptions: a
// mount flag, propagation or attribute rather than filesystem data.
func IsKnownMountOption(o string) bool {
	return flagOptions.Has(o) || propagationOptions.Has(o) || recAttrOptions.Has(o) ||
		slices.Contains(extensionOptions, o)
}

// IsPropagation reports whether p names a mount propagation ("private",
// "rshared", ...), as linux.rootfsPropagation takes.
func IsPropagation(p string) bool { return propagationOptions.Has(p) }
