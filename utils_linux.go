package main

import (
	"errors"
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
	if err := checkArgs(ctx, 1, exactArgs); err != nil {
		return -1, err
	}
	id := ctx.Args().First()
	if id == "" {
		return -1, errEmptyID
	}
	spec, bundle, err := loadSpec(ctx)
	if err != nil {
		return -1, err
	}
	logrus.Debug("config loaded")
	if spec.Process == nil {
		return -1, errors.New("process: the config has no process to run")
	}
	root, err := stateRoot(ctx)
	if err != nil {
		return -1, err
	}
	rootless, err := isRootless(ctx)
	if err != nil {
		return -1, err
	}
	detach := mode == modeCreate || ctx.Bool("detach")

	p := libcontainer.Process{}
	// Socket activation: the fds systemd passed us go to the container.
	if n, err := strconv.Atoi(os.Getenv("LISTEN_FDS")); err == nil && n > 0 {
		for i := 0; i < n; i++ {
			p.ExtraFiles = append(p.ExtraFiles, os.NewFile(uintptr(3+i), "listen fd "+strconv.Itoa(i)))
		}
		spec.Process.Env = append(spec.Process.Env, "LISTEN_FDS="+strconv.Itoa(n), "LISTEN_PID=1")
	}
	base := 3 + len(p.ExtraFiles)
	for i := 0; i < ctx.Int("preserve-fds"); i++ {
		p.ExtraFiles = append(p.ExtraFiles, os.NewFile(uintptr(base+i), "preserved fd "+strconv.Itoa(base+i)))
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
	})
	if err != nil {
		return -1, err
	}
	pid := c.State().InitPid
	destroy := func() {
		if err := c.Destroy(); err != nil {
			logrus.Error(err)
		}
	}
	if err := t.started(); err != nil {
		destroy()
		c.Close()
		return -1, err
	}
	if pf := ctx.String("pid-file"); pf != "" {
		if err := createPidFile(pf, pid); err != nil {
			destroy()
			c.Close()
			return -1, err
		}
	}
	if mode == modeRun {
		if err := c.Poststart(); err != nil {
			destroy()
			c.Close()
			return -1, err
		}
	}
	c.Close()
	if detach {
		return 0, nil
	}

	status := handler.forward(pid, t)
	logrus.Debugf("container process exited: %d", status)
	t.wait()
	if !ctx.Bool("keep") {
		if c, err := libcontainer.Load(root, id, true); err == nil {
			if err := c.Destroy(); err != nil {
				logrus.Error(err)
			}
			c.Close()
		}
	}
	return status, nil
}
