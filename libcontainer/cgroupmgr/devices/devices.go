// Package devices enforces a container's device rules (the library's
// cgroups.Resources.Devices, in the cgroup v1 "a|b|c major:minor rwm"
// form, applied in order): on cgroup v1 through devices.allow and
// devices.deny, on cgroup v2 with a BPF device program it assembles,
// loads and attaches itself (bpf(2) through golang.org/x/sys/unix), and
// with the systemd driver also as DevicePolicy= and DeviceAllow= unit
// properties.
//
// Register plugs it into github.com/opencontainers/cgroups, whose
// managers call these hooks. It replaces the library's own devices
// package, which would bring github.com/cilium/ebpf (and debug/elf,
// debug/dwarf and their package initialisation) into the binary.
package devices

import (
	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/systemd"
)

// Register sets the library's device hooks: cgroups.DevicesSetV1,
// cgroups.DevicesSetV2 and systemd.GenerateDeviceProps. Without them the
// library refuses device rules.
func Register() {
	cgroups.DevicesSetV1 = SetV1
	cgroups.DevicesSetV2 = SetV2
	systemd.GenerateDeviceProps = SystemdProperties
}
