package main

import (
	"os"
	"strconv"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer"
)

type runMode int

const (
	modeCreate runMode = iota // runc create: the init waits for runc start
	modeRun                   // runc run: the process starts at once
)

// startContainer is the shared body of create and run: it returns the exit
// code runc should exit with.
func startContainer(ctx *cli.Context, mode runMode) (int, error) {
	id := ctx.Args().First()
	if id == "" {
		return -1, errEmptyID
	}
	// The fds to pass on, checked before runc opens any of its own:
	// socket activation's (systemd's LISTEN_FDS), then --preserve-fds.
	listenFiles := listenFds()
	preserved, err := preservedFds(3+len(listenFiles), ctx.Int("preserve-fds"))
	if err != nil {
		return -1, err
	}
	libcontainer.Prepare()
	a, err := loadNewContainer(ctx)
	if err != nil {
		return -1, err
	}
	logrus.Debug("config loaded")
	spec, bundle, root, rootless, pidFile := a.spec, a.bundle, a.root, a.rootless, a.pidFile
	detach := mode == modeCreate || ctx.Bool("detach")

	p := libcontainer.Process{ExtraFiles: append(listenFiles, preserved...)}
	// Only the container's own process gets these, not the saved config
	// that exec starts from.
	var extraEnv []string
	if len(listenFiles) > 0 {
		extraEnv = append(extraEnv, "LISTEN_FDS="+strconv.Itoa(len(listenFiles)), "LISTEN_PID=1")
	}

	notify := newNotifySocket(root, id)
	var onStateDir func(string) error
	if notify != nil {
		extraEnv = append(extraEnv, notify.setupSpec(spec))
		onStateDir = func(string) error {
			if err := notify.mkdir(); err != nil {
				return err
			}
			// runc create leaves the socket to runc start.
			if mode == modeRun {
				return notify.bind()
			}
			return nil
		}
		defer notify.close()
	}

	var uid, gid int
	if spec.Linux != nil {
		uid, gid = libcontainer.RootIDs(spec.Linux)
	}
	t, err := setupIO(&p, spec.Process.Terminal, detach, ctx.String("console-socket"), uid, gid)
	if err != nil {
		return -1, err
	}
	defer t.close()
	pidfdSock, err := setupPidfdSocket(&p, ctx.String("pidfd-socket"))
	if err != nil {
		return -1, err
	}
	if pidfdSock != nil {
		defer pidfdSock.Close()
	}

	logrus.Debug("io set up")
	var handler *signalHandler
	if !detach {
		handler = newSignalHandler(!ctx.Bool("no-subreaper"))
	}
	logrus.Debug("signals set up")
	c, err := libcontainer.Create(root, &libcontainer.CreateOptions{
		ID:           id,
		Bundle:       bundle,
		Spec:         spec,
		UseFifo:      mode == modeCreate,
		NoPivot:      ctx.Bool("no-pivot"),
		NoNewKeyring: ctx.Bool("no-new-keyring"),
		Systemd:      ctx.GlobalBool("systemd-cgroup"),
		Rootless:     rootless,
		IO:           p,
		ExtraEnv:     extraEnv,
		OnStateDir:   onStateDir,
	})
	if err != nil {
		return -1, err
	}
	var poststart func() error
	if mode == modeRun {
		poststart = c.Poststart
	}
	pid, err := started(c, t, pidFile, poststart)
	if err != nil {
		return -1, err
	}
	if detach {
		if mode == modeRun {
			// runc run -d returns once the container is ready.
			if err := notify.relay(pid, pidAlive(pid)); err != nil {
				logrus.Warn(err)
			}
		}
		return 0, nil
	}
	if notify != nil {
		// In the foreground, runc is the service's main process.
		go func() {
			if err := notify.relay(os.Getpid(), pidAlive(pid)); err != nil {
				logrus.Warn(err)
			}
		}()
	}

	return waitAndDelete(root, id, pid, handler, t, ctx.Bool("keep")), nil
}

// started finishes the start of a new container c (created, run or
// restored): the terminal handed over, the pid file written, then post (if
// any). On failure the container is destroyed. c is closed either way.
func started(c *libcontainer.Container, t *tty, pidFile string, post func() error) (int, error) {
	defer c.Close()
	pid := c.State().InitPid
	err := t.started()
	if err == nil && pidFile != "" {
		err = createPidFile(pidFile, pid)
	}
	if err == nil && post != nil {
		err = post()
	}
	if err != nil {
		if derr := c.Destroy(); derr != nil {
			logrus.Error(derr)
		}
		return -1, err
	}
	return pid, nil
}

// waitAndDelete is the foreground end of run and restore: signals forwarded
// to the process pid until it exits, the terminal restored, then the
// container deleted (unless keep). It returns the exit code for runc.
func waitAndDelete(root, id string, pid int, handler *signalHandler, t *tty, keep bool) int {
	status := handler.forward(pid, t)
	logrus.Debugf("container process exited: %d", status)
	t.wait()
	if !keep {
		if c, err := libcontainer.Load(root, id, true); err == nil {
			if err := c.Destroy(); err != nil {
				logrus.Error(err)
			}
			c.Close()
		}
	}
	return status
}
