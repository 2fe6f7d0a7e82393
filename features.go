package main

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer"
	"github.com/seed4bdd2c93/runc/libcontainer/capabilities"
	"github.com/seed4bdd2c93/runc/libcontainer/rootfs"
	"github.com/seed4bdd2c93/runc/libcontainer/seccomp"
)

var featuresCommand = cli.Command{
	Name:      "features",
	Usage:     "show the enabled features",
	ArgsUsage: "",
	Description: `Show the enabled features.
   The result is parsable as a JSON.
   See https://pkg.go.dev/github.com/opencontainers/runtime-spec/specs-go/features for the type definition.`,
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 0, exactArgs); err != nil {
			return err
		}
		data, err := json.MarshalIndent(hostFeatures(), "", "    ")
		if err != nil {
			return err
		}
		_, err = ctx.App.Writer.Write(append(data, '\n'))
		return err
	},
}

// hostFeatures describes what this build of the runtime implements, as
// `runc features` reports it (runtime-spec's features document). Values
// are about this binary, not about what the host's kernel enables.
func hostFeatures() *features.Features {
	t := true
	f := &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         libcontainer.KnownHooks(),
		MountOptions:  rootfs.KnownMountOptions(),
		Linux: &features.Linux{
			Namespaces:   libcontainer.KnownNamespaces(),
			Capabilities: capabilities.Known(),
			Cgroup: &features.Cgroup{
				V1:          &t,
				V2:          &t,
				Systemd:     &t,
				SystemdUser: &t,
				Rdma:        &t,
			},
			Seccomp:  seccompFeatures(),
			Apparmor: &features.Apparmor{Enabled: &t},
			Selinux:  &features.Selinux{Enabled: &t},
			IntelRdt: &features.IntelRdt{Enabled: &t, Schemata: &t, Monitoring: &t},
			MemoryPolicy: &features.MemoryPolicy{
				Modes: libcontainer.KnownMemoryPolicyModes(),
				Flags: libcontainer.KnownMemoryPolicyFlags(),
			},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &t}},
			NetDevices:      &features.NetDevices{Enabled: &t},
		},
		Annotations: map[string]string{
			"org.opencontainers.runc.checkpoint.enabled": "true",
		},
		PotentiallyUnsafeConfigAnnotations: []string{
			"org.systemd.property.", // a prefix: systemd unit properties
			"org.criu.config",
		},
	}
	if v := seccomp.Version(); v != "" {
		f.Annotations["io.github.seccomp.libseccomp.version"] = v
	}
	if version != "" {
		f.Annotations["org.opencontainers.runc.version"] = version
	}
	if gitCommit != "" {
		f.Annotations["org.opencontainers.runc.commit"] = gitCommit
	}
	return f
}

// seccompFeatures reports seccomp support: none in a build without the
// seccomp tag, else what the linked libseccomp and the kernel offer.
func seccompFeatures() *features.Seccomp {
	enabled := seccomp.Version() != ""
	s := &features.Seccomp{Enabled: &enabled}
	if enabled {
		s.Actions = seccomp.KnownActions()
		s.Operators = seccomp.KnownOperators()
		s.Archs = seccomp.KnownArchs()
		s.KnownFlags = seccomp.KnownFlags()
		s.SupportedFlags = seccomp.SupportedFlags()
	}
	return s
}
