package initproc

import (
	"errors"
	"fmt"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/hooks"
	"github.com/seed4bdd2c93/runc/libcontainer/namespaces"
	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
	"github.com/seed4bdd2c93/runc/libcontainer/rootfs"
	"github.com/seed4bdd2c93/runc/libcontainer/selinux"
	"github.com/seed4bdd2c93/runc/libcontainer/testfault"
)

// standardInit sets up a new container: network loopback, root
// filesystem (with the createContainer hooks), console, hostname, sysctls
// and keyring, then finishes like any process.
func (l *linuxInit) standardInit() (err error) {
	spec := l.cfg.Spec
	if spec == nil || spec.Linux == nil {
		return errors.New("init config has no linux spec")
	}
	if namespaces.IsNew(spec, specs.NetworkNamespace) {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	// Without a mount namespace of its own, the container works in the
	// runtime's, as runc runs it (see rootfs/hostns.go).
	hostMountNS := !namespaces.Has(spec, specs.MountNamespace)
	rc := &rootfs.Config{
		BindSource:  l.bindSource,
		Spec:        spec,
		NoPivot:     l.cfg.NoPivot,
		HostMountNS: hostMountNS,
		CgroupPaths: l.cfg.CgroupPaths,
		InUserNS:    l.cfg.InUserNS,
		MountLabel:  selinux.MountLabel(spec.Linux.MountLabel),
		BeforeCgroupMount: func(c *rootfs.Config) error {
			if err := l.waitCgroup(); err != nil {
				return err
			}
			c.CgroupPaths = l.cfg.CgroupPaths
			testfault.At("init:mounts")
			return nil
		},
	}
	if err := rootfs.Prepare(rc, l.beforePivot); err != nil {
		return err
	}
	logrus.Debug("init: rootfs prepared")
	if hostMountNS {
		// The bind of the rootfs is in the host's mount table: it
		// goes if the container does not start (after the start,
		// delete takes it away).
		defer func() {
			if err != nil {
				_ = rootfs.DetachOwnRoot()
			}
		}()
	}
	if l.cfg.Process.Terminal {
		if err := setupConsole(l.cfg.ConsoleFd, true, l.cfg.Process.ConsoleSize); err != nil {
			return err
		}
	}
	if err := rootfs.Finish(rc); err != nil {
		return err
	}
	logrus.Debug("init: rootfs finished")
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("set hostname: %w", err)
		}
	}
	if spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
			return fmt.Errorf("set domainname: %w", err)
		}
	}
	if err := writeSysctls(spec.Linux.Sysctl); err != nil {
		return err
	}
	if err := l.joinKeyring(); err != nil {
		return err
	}
	if err := l.openOwnNamespaces(); err != nil {
		return err
	}
	return l.finish()
}

// joinKeyring gives the process the container's own session keyring
// (unless --no-new-keyring), labelled with the process's label as runc
// labels it.
func (l *linuxInit) joinKeyring() error {
	if l.cfg.NoNewKeyring {
		return nil
	}
	// Without a label there is nothing to set, nor to reset: the key
	// creation label is the default since runc init's execve. (Asking
	// whether SELinux is enabled costs a scan of mountinfo on a host
	// without it.)
	if l.cfg.Process.SelinuxLabel == "" {
		return joinSessionKeyring(l.cfg.ID)
	}
	if err := selinux.SetKeyLabel(l.cfg.Process.SelinuxLabel); err != nil {
		return err
	}
	err := joinSessionKeyring(l.cfg.ID)
	if lerr := selinux.SetKeyLabel(""); err == nil {
		err = lerr
	}
	return err
}

// beforePivot runs once the mounts and device nodes are in place and
// before pivot_root: the parent sets the cgroup limits and runs prestart
// and createRuntime hooks, as runc does there, then we run the
// createContainer hooks (in the container's namespaces, host paths still
// visible). We wait for the parent when it runs hooks, or when a console
// is to be set up (under the device rules, as in runc); otherwise we get
// on with pivot_root while it sets the limits, and SyncReady waits.
func (l *linuxInit) beforePivot() error {
	if err := l.waitCgroup(); err != nil {
		return err
	}
	wait := l.cfg.ParentHooks || l.cfg.Process.Terminal
	if err := l.sock.Write(protocol.SyncHooks, protocol.HooksPayload(wait)); err != nil {
		return err
	}
	if wait {
		if _, err := l.expect(protocol.SyncHooksDone); err != nil {
			return err
		}
	}
	if h := l.cfg.Spec.Hooks; h != nil {
		// In the container's namespaces, with the rootfs as cwd (see
		// rootfs.Prepare) and, without env, an empty environment, as in
		// runc.
		return hooks.RunEnv(h.CreateContainer, "createContainer", l.cfg.HookState, []string{})
	}
	return nil
}

// loopbackUp brings up "lo" in a new network namespace, as runc does.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("set up loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set up loopback: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set up loopback: %w", err)
	}
	return nil
}

// writeSysctls writes linux.sysctl through a private procfs handle, never
// through the container's /proc (docs/security.md rule 4): one full
// procfs for them all (the shared handle is subset=pid, without sys/, and
// pathrs-lite would mount a temporary full one for each sysctl).
func writeSysctls(sysctls map[string]string) error {
	if len(sysctls) == 0 {
		return nil
	}
	proc, err := procfs.OpenUnsafeProcRoot()
	if err != nil {
		return fmt.Errorf("open procfs: %w", err)
	}
	defer proc.Close()
	for key, value := range sysctls {
		name := "sys/" + strings.ReplaceAll(key, ".", "/")
		if err := writeProcFile(proc, name, value); err != nil {
			return fmt.Errorf("linux.sysctl %q: %w", key, err)
		}
	}
	return nil
}

func writeProcFile(proc *procfs.Handle, name, value string) error {
	h, err := proc.OpenRoot(name)
	if err != nil {
		return err
	}
	defer h.Close()
	f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(value)
	return err
}

// joinSessionKeyring gives the container its own session keyring, so it
// does not share the caller's keys.
func joinSessionKeyring(id string) error {
	_, err := unix.KeyctlJoinSessionKeyring("_ses." + id)
	if err != nil && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EACCES) {
		return fmt.Errorf("join session keyring: %w", err)
	}
	return nil
}
