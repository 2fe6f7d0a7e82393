package libcontainer

import (
	"sort"

	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/procattr"
)

// What this libcontainer implements, for `runc features`.

// KnownNamespaces returns the namespace types a container may create or
// join.
func KnownNamespaces() []string {
	var out []string
	for _, t := range namespaces.Types() {
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
func KnownMemoryPolicyModes() []string { return procattr.MemoryPolicyModes() }

// KnownMemoryPolicyFlags returns the linux.memoryPolicy flags.
func KnownMemoryPolicyFlags() []string { return procattr.MemoryPolicyFlags() }
