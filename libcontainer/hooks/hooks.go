// Package hooks runs OCI hooks: the runtime runs prestart, createRuntime,
// poststart and poststop hooks, runc init the createContainer and
// startContainer ones (in the container's namespaces).
package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Run runs hooks in order with state as JSON on stdin. The first one
// that fails (non-zero exit, or still running after its timeout) stops the
// rest and its error names the hook, its exit and its output. Poststop
// hooks are the exception (runtime-spec, lifecycle step 13): a failing one
// is only worth a warning and the remaining ones still run, so all of them
// run and their errors are joined.
//
// Run is for the hooks the runtime runs (prestart, createRuntime,
// poststart, poststop): one without env inherits the runtime's environment,
// as in runc (a hook such as nvidia-container-runtime-hook needs its PATH).
func Run(hooks []specs.Hook, kind string, state *specs.State) error {
	return RunEnv(hooks, kind, state, nil)
}

// RunEnv runs hooks giving those without env defaultEnv (nil: the
// runtime's own environment).
func RunEnv(hooks []specs.Hook, kind string, state *specs.State, defaultEnv []string) error {
	if len(hooks) == 0 {
		return nil
	}
	in, err := json.Marshal(state)
	if err != nil {
		return err
	}
	var errs []error
	for i, h := range hooks {
		if err := runHook(h, in, defaultEnv); err != nil {
			err = fmt.Errorf("error running %s hook #%d: %w", kind, i, err)
			if kind != "poststop" {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func runHook(h specs.Hook, state []byte, defaultEnv []string) error {
	ctx := context.Background()
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, h.Path)
	cmd.Args = h.Args
	if len(cmd.Args) == 0 {
		cmd.Args = []string{h.Path}
	}
	cmd.Env = h.Env
	if len(cmd.Env) == 0 {
		cmd.Env = defaultEnv // nil: ours
	}
	cmd.Stdin = bytes.NewReader(state)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// The hook gets a process group of its own, killed whole when it
	// times out: what it started must not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Don't let a hook's children holding the pipes keep us waiting.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: timed out after %ds", h.Path, *h.Timeout)
	}
	if err != nil {
		return fmt.Errorf("%s: %w, stdout: %s, stderr: %s", h.Path, err,
			strings.TrimSpace(stdout.String()), strings.TrimSpace(stderr.String()))
	}
	return nil
}
