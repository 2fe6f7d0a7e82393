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
//     and execs its process. It never imports this package.
//   - protocol is what the two say to each other on the init socket: the
//     frames, the init's config, the errors that cross, the sequence
//     (documented at the top of protocol/sync.go) and Drive.
//
// Both sides use a few small packages, each named for what it holds:
// namespaces (the spec's namespace types), hooks (running OCI hooks),
// fdpass (the console-socket fd passing), nssock (the namespace socket of
// a rootless container before start), procattr (personality, scheduler,
// I/O priority, memory policy, CPU affinity), mountfd (every mount made
// through file descriptors) and testfault (fault injection for the
// tests, compiled in only with the runc_testfault build tag). What sets
// up a container from the inside has packages of its own too (rootfs,
// seccomp, capabilities, apparmor, selinux), as have the runtime's
// cgroups, criu, intelrdt, exeseal, validate and kernel (the oldest
// Linux the runtime supports, checked by create, run, exec and restore).
package libcontainer
