package libcontainer

import (
	"sort"
)

// What this libcontainer implements, for `runc features`.

// KnownNamespaces returns the namespace types a container may create or
// join.
func KnownNamespaces() []string {
	var out []string
	for t := range nsFlags {
		out = append(out, string(t))
	}
	sort.Strings(out)
	return out
}

// KnownHooks returns the hooks the runtime runs, in the order of a
// container's life.
func KnownHooks() []string {
	return []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}
}

// KnownMemoryPolicyModes returns the linux.memoryPolicy modes.
func KnownMemoryPolicyModes() []string {
	return sortedKeys(mpolModes)
}

// KnownMemoryPolicyFlags returns the linux.memoryPolicy flags.
func KnownMemoryPolicyFlags() []string {
	return sortedKeys(mpolFlags)
}

func sortedKeys[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}
