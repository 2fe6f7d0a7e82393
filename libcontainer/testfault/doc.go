// Package testfault is fault injection for the tests (tests/stress,
// tests/integration), DEBUG ONLY: not part of any interface, and compiled
// in only with the runc_testfault build tag (`make runc-faults` builds
// ./runc.faults so). Without the tag, At and Env do nothing and the
// binary does not read the variable at all: release builds (`make`,
// `make static`, `make release`) do not contain its name.
//
// With _RUNC_TEST_FAULT=<stage> in its environment, a runtime built with
// the tag (and the `runc init` it starts, which is passed the variable)
// prints "_RUNC_TEST_FAULT <stage> <pid>" on stderr and stops itself with
// SIGSTOP (or, as the init of a pid namespace, blocks for good) on
// reaching <stage>, so that a test can SIGKILL it at a known point.
// Stages:
//
//	create:statedir  the state directory exists, nothing else (runtime)
//	spawn:started    runc init started, namespaces being made (runtime)
//	create:cgroup    the init is in its cgroup (runtime)
//	init:mounts      among the container's mounts (init)
//	create:ready     all set up and saved, the init not yet released (runtime)
//	init:setns       an exec'd process in the container's namespaces (init)
//
// (spawn:started also applies to runc exec.)
package testfault
