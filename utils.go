package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/sys/userns"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer"
	"github.com/seed4bdd2c93/runc/libcontainer/specjson"
)

const specConfig = "config.json"

const (
	exactArgs = iota
	minArgs
	maxArgs
)

// checkArgs checks the number of positional arguments, with runc's wording.
func checkArgs(ctx *cli.Context, expected, checkType int) error {
	var err error
	name := ctx.Command.Name
	switch checkType {
	case exactArgs:
		if ctx.NArg() != expected {
			err = fmt.Errorf("%s: %q requires exactly %d argument(s)", os.Args[0], name, expected)
		}
	case minArgs:
		if ctx.NArg() < expected {
			err = fmt.Errorf("%s: %q requires a minimum of %d argument(s)", os.Args[0], name, expected)
		}
	case maxArgs:
		if ctx.NArg() > expected {
			err = fmt.Errorf("%s: %q requires a maximum of %d argument(s)", os.Args[0], name, expected)
		}
	}
	if err != nil {
		// runc prints both to stdout; only the error goes to the log.
		fmt.Printf("Incorrect Usage.\n\n")
		_ = cli.ShowCommandHelp(ctx, name)
		return err
	}
	return nil
}

var errEmptyID = errors.New("container id cannot be empty")

// stateRoot returns --root as an absolute path.
func stateRoot(ctx *cli.Context) (string, error) {
	root, err := filepath.Abs(ctx.GlobalString("root"))
	if err != nil {
		return "", err
	}
	return root, nil
}

// getContainer loads the container named by the first argument.
func getContainer(ctx *cli.Context, lock bool) (*libcontainer.Container, error) {
	id := ctx.Args().First()
	if id == "" {
		return nil, errEmptyID
	}
	root, err := stateRoot(ctx)
	if err != nil {
		return nil, err
	}
	return libcontainer.Load(root, id, lock)
}

// loadSpec reads the bundle's config.json. It changes into the bundle, as
// runc does, so that relative paths in the config are bundle-relative; it
// returns the bundle's absolute path.
func loadSpec(ctx *cli.Context) (*specs.Spec, string, error) {
	if b := ctx.String("bundle"); b != "" {
		if err := os.Chdir(b); err != nil {
			return nil, "", err
		}
	}
	// The kernel's value, as runc takes it: symlinks resolved (os.Getwd
	// would give $PWD, which may go through one, and a relative
	// root.path would then be refused as a symlink).
	bundle, err := unix.Getwd()
	if err != nil {
		return nil, "", err
	}
	f, err := os.Open(specConfig)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, "", fmt.Errorf("JSON specification file %s not found", specConfig)
		}
		return nil, "", err
	}
	defer f.Close()
	spec, err := specjson.Decode(f)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", specConfig, err)
	}
	return spec, bundle, nil
}

// absPidFile returns --pid-file made absolute, relative to where runc was
// started (create and run change into the bundle), or "" without it.
func absPidFile(ctx *cli.Context) (string, error) {
	p := ctx.String("pid-file")
	if p == "" {
		return "", nil
	}
	return filepath.Abs(p)
}

// newContainerArgs is what create, run and restore read before they make
// a container.
type newContainerArgs struct {
	spec     *specs.Spec
	bundle   string // absolute
	root     string // --root, absolute
	rootless bool
	pidFile  string // absolute, or ""
}

// loadNewContainer reads --pid-file and the state root (both relative to
// where runc was started), then the bundle's config (see loadSpec, which
// changes into the bundle), and the rootless mode.
func loadNewContainer(ctx *cli.Context) (*newContainerArgs, error) {
	pidFile, err := absPidFile(ctx)
	if err != nil {
		return nil, err
	}
	root, err := stateRoot(ctx)
	if err != nil {
		return nil, err
	}
	spec, bundle, err := loadSpec(ctx)
	if err != nil {
		return nil, err
	}
	if spec.Process == nil {
		return nil, errors.New("process: the config has no process to run")
	}
	rootless, err := isRootless(ctx)
	if err != nil {
		return nil, err
	}
	return &newContainerArgs{spec: spec, bundle: bundle, root: root, rootless: rootless, pidFile: pidFile}, nil
}

// isRootless tells whether to act as an unprivileged runtime: --rootless
// true/false, or with auto, when not root or inside a user namespace.
func isRootless(ctx *cli.Context) (bool, error) {
	switch v := ctx.GlobalString("rootless"); v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "", "auto":
		return os.Geteuid() != 0 || userns.RunningInUserNS(), nil
	default:
		return false, fmt.Errorf("invalid --rootless value %q: must be true, false or auto", v)
	}
}

func shouldHonorXDGRuntimeDir() bool {
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		return false
	}
	if os.Geteuid() != 0 {
		return true
	}
	if !userns.RunningInUserNS() {
		return false
	}
	// root in a user namespace (rootless Docker): honour it unless USER=root.
	u, ok := os.LookupEnv("USER")
	return !ok || u != "root"
}

// createPidFile writes pid to path (absolute: see absPidFile) atomically
// (a temporary file renamed into place), so a reader never sees a partial
// number.
func createPidFile(path string, pid int) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_SYNC, 0o666)
	if err != nil {
		return fmt.Errorf("create pid file: %w", err)
	}
	_, err = f.WriteString(strconv.Itoa(pid))
	f.Close()
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

// parseSignal accepts "KILL", "SIGKILL" or a number, as runc 1.5 does: 0
// (is the init alive?) and any number the kernel takes as a signal (an int)
// are passed on, and the kernel refuses those that are not signals
// ("invalid argument"). A number beyond an int is refused here: the kernel
// would see it truncated, another signal than the one asked for.
func parseSignal(raw string) (unix.Signal, error) {
	if _, err := strconv.Atoi(raw); err == nil {
		n, err := strconv.ParseInt(raw, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("unknown signal %q", raw)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(raw)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if s := unix.SignalNum(name); s != 0 {
		return s, nil
	}
	return 0, fmt.Errorf("unknown signal %q", raw)
}

// givenBool is the value of a givenBoolFlag: a bool flag's value that
// remembers whether the command line set it.
type givenBool struct{ val, given bool }

func (b *givenBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("parse error") // package flag's words for a bool
	}
	b.val, b.given = v, true
	return nil
}

func (b *givenBool) String() string   { return strconv.FormatBool(b.val) }
func (b *givenBool) IsBoolFlag() bool { return true }

// givenBoolFlag is a cli.BoolFlag (the same help, the same parsing) whose
// value tells whether it was given: --flag=false is not the same as no
// flag. cli.Context.IsSet tells too, but its first call walks all the
// command's flags by reflection and stats each one's FilePath.
type givenBoolFlag struct {
	cli.BoolFlag
	v *givenBool
}

func (f givenBoolFlag) Apply(set *flag.FlagSet) { _ = f.ApplyWithError(set) }

// ApplyWithError replaces cli.BoolFlag's, which cli calls rather than
// Apply (cli's errorableFlag interface: hence the error, always nil).
func (f givenBoolFlag) ApplyWithError(set *flag.FlagSet) error { //nolint:unparam // the interface's signature
	*f.v = givenBool{}
	set.Var(f.v, f.Name, f.Usage)
	return nil
}

// noNewPrivs is exec's --no-new-privs.
var noNewPrivs givenBool
