// Package libcontainer is the runtime's side of a container: its state
// directory and state machine (Load, Create, Start, Exec, Signal, Pause,
// Resume, Update, Destroy, Checkpoint, Restore), its cgroup, and the
// parent's part in starting `runc init`. The CLI (package main) is a thin
// layer over it.
//
// A container is made by two processes, and the code is split the same
// way, by package:
//
//   - libcontainer (this package) runs in the runtime. Create and Exec
//     start `runc init` (spawn, process_linux.go) and drive it through
//     protocol.Drive with a handler of the steps: createHandler and
//     execHandler (createhandler_linux.go, exechandler_linux.go).
//     Restore does not start runc init: CRIU restores the processes, and
//     a restoreHandler answers its notifications.
//   - initproc runs inside `runc init`, after the C stage of nsenter has
//     put it into the container's namespaces: it sets the container up
//     and execs its process. It never imports this package, nor the
//     runtime's cgroup, CRIU, D-Bus, eBPF or netlink code (a test of
//     initproc checks its dependencies).
//   - protocol is what the two say to each other on the init socket: the
//     frames, the init's config, the errors that cross, the sequence
//     (documented at the top of protocol/sync.go) and Drive.
//
// The other packages, one concern each (the security rules they follow
// are in docs/security.md):
//
//   - nsenter: the C stage of `runc init`, and the bootstrap message that
//     tells it which namespaces to join or create.
//   - rootfs: the container's root filesystem (mounts, /dev, pivot_root,
//     masked and read-only paths), from inside runc init.
//   - mountfd: every mount, made through file descriptors.
//   - seccomp: linux.seccomp, loaded by the init just before the exec.
//   - capabilities: the process's capability sets.
//   - apparmor, selinux: the process's LSM labels.
//   - procattr: personality, scheduler, I/O priority, memory policy and
//     CPU affinity of the process.
//   - namespaces: the spec's namespace types, as both sides know them.
//   - hooks: running OCI hooks.
//   - fdpass: one fd over a unix socket (the console and pidfd sockets).
//   - nssock: the namespace socket of a rootless container before start.
//   - initbin: runc init as a program of its own (cmd/runc-init),
//     embedded in runc by `make`.
//   - exeseal: the sealed program run as runc init: the embedded one,
//     cached once per boot, or else the runtime's own binary.
//   - cgroupmgr: the runtime's interface over opencontainers/cgroups;
//     every cgroup operation, joins included.
//   - intelrdt: linux.intelRdt through resctrl.
//   - criu: checkpoint and restore through CRIU's RPC; criu/rpc holds its
//     messages and their wire codec (no protobuf runtime at start-up).
//   - validate: the spec checked once, before anything is created.
//   - kernel: the oldest Linux the runtime supports, and its check.
//   - testfault: fault injection for the tests, compiled in only with the
//     runc_testfault build tag.
package libcontainer
