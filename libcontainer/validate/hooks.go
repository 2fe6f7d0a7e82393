package validate

import (
	"errors"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hooks checks every hook: an absolute path (the spec extends execv's
// path so), a well-formed env, and a timeout, if set, above zero.
func (v *validator) hooks() error {
	h := v.spec.Hooks
	if h == nil {
		return nil
	}
	for _, list := range []struct {
		name  string
		hooks []specs.Hook
	}{
		{"prestart", h.Prestart}, //nolint:staticcheck // deprecated, still honoured
		{"createRuntime", h.CreateRuntime},
		{"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer},
		{"poststart", h.Poststart},
		{"poststop", h.Poststop},
	} {
		for i, hook := range list.hooks {
			field := fmt.Sprintf("hooks.%s[%d]", list.name, i)
			if hook.Path == "" {
				return fmt.Errorf("%s.path must not be empty", field)
			}
			if !filepath.IsAbs(hook.Path) {
				return fmt.Errorf("%s.path %q must be an absolute path", field, hook.Path)
			}
			if hasNUL(hook.Path) {
				return fmt.Errorf("%s.path contains a NUL byte", field)
			}
			for j, a := range hook.Args {
				if hasNUL(a) {
					return fmt.Errorf("%s.args[%d] contains a NUL byte", field, j)
				}
			}
			if err := checkEnv(field+".env", hook.Env); err != nil {
				return err
			}
			if hook.Timeout != nil && *hook.Timeout <= 0 {
				return fmt.Errorf("%s.timeout %d must be greater than zero", field, *hook.Timeout)
			}
		}
	}
	return nil
}

// rootlessChecks applies what a runtime without root on the host needs:
// a user namespace (mappings, uid=/gid= options, id-mapped mounts and
// network devices are checked where those fields are).
func (v *validator) rootlessChecks() error {
	if !v.rootless {
		return nil
	}
	if !v.hasNS(specs.UserNamespace) {
		return errors.New("linux.namespaces: rootless container requires user namespaces")
	}
	return nil
}
