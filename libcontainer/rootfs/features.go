package rootfs

import "sort"

// KnownMountOptions returns every mount option this package understands
// (for `runc features`): the flag, propagation and recursive options, and
// the extensions tmpcopyup, idmap and ridmap. Anything else is passed to
// the filesystem as data.
func KnownMountOptions() []string {
	var out []string
	for o := range flagOptions {
		out = append(out, o)
	}
	for o := range propagationOptions {
		out = append(out, o)
	}
	for o := range recAttrOptions {
		out = append(out, o)
	}
	out = append(out, "tmpcopyup", "idmap", "ridmap")
	sort.Strings(out)
	return out
}
