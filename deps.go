//go:build tools

// This file keeps the libraries the runtime is built on listed in go.mod
// while the packages that use them are being written; it is never built.
package main

import (
	_ "github.com/checkpoint-restore/go-criu/v7"
	_ "github.com/cilium/ebpf"
	_ "github.com/containerd/console"
	_ "github.com/coreos/go-systemd/v22/dbus"
	_ "github.com/cyphar/filepath-securejoin/pathrs-lite"
	_ "github.com/docker/go-units"
	_ "github.com/godbus/dbus/v5"
	_ "github.com/moby/sys/capability"
	_ "github.com/moby/sys/mountinfo"
	_ "github.com/moby/sys/user"
	_ "github.com/opencontainers/cgroups"
	_ "github.com/opencontainers/cgroups/devices"
	_ "github.com/opencontainers/cgroups/manager"
	_ "github.com/opencontainers/runtime-spec/specs-go"
	_ "github.com/opencontainers/selinux/go-selinux"
	_ "github.com/seccomp/libseccomp-golang"
	_ "github.com/sirupsen/logrus"
	_ "github.com/urfave/cli"
	_ "github.com/vishvananda/netlink"
	_ "golang.org/x/sys/unix"
)
