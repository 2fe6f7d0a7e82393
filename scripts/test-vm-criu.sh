#!/usr/bin/env bash
# scripts/test-vm-criu.sh -- the checkpoint/restore integration tests in the
# VM lane (../shared/vmlane: Debian's kernel 6.1 under qemu, cgroup v2,
# systemd, criu 3.17, where `criu check` passes; it fails on this host's
# kernel, where `make test` checks the error paths instead).
#
# Builds the guest image once (cached in /var/tmp/vmlane; serialised with
# flock), builds the integration test binary and the helpers the tests put
# in the container (tests/cmd/criuhold) on the host (the guest has no Go),
# and runs the TestCheckpoint*/TestCriu* tests in the guest, with the
# bundles on the guest's own disk. Only one qemu runs at a time on this
# host: if one is running (another lane's tests), this waits for it.
#
# The same tests on cgroup v1 (the external binds of each hierarchy):
#   VMLANE_APPEND=systemd.unified_cgroup_hierarchy=0 make test-vm-criu
#
# Env: RUNC_BINARY (./runc), BUSYBOX_ROOTFS (tests/rootfs/busybox),
#      VMTESTS (the -test.run regexp), TESTFLAGS (more flags for the test
#      binary), VMREQUIRE (the RUNC_TEST_REQUIRE of the run, the host
#      features the lane must have: a test needing one fails rather than
#      skips; default criu), VMLANE (../shared/vmlane), VMWAIT (seconds to
#      wait for another qemu, default 3600) and run-in-vm.sh's VMLANE_*
#      variables.
# Exit status: the tests' (124/125: the VM timed out / failed).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/vmlane.sh
RUN=${VMTESTS:-'^(TestCheckpoint|TestCriu)'}

vm_prepare test-vm-criu
CGO_ENABLED=0 $GO build -o "$DIR/criuhold" ./tests/cmd/criuhold/
CGO_ENABLED=0 $GO build -o "$DIR/fakecriu" ./tests/cmd/fakecriu/
cat >"$DIR/run.sh" <<SCRIPT
$GUEST_PRELUDE
echo "test-vm-criu: \$(uname -r), \$(stat -fc %T /sys/fs/cgroup), \$(criu --version | head -1), criu check: \$(criu check 2>&1 | tail -1)"
CRIUHOLD_BINARY=/tmp/t/criuhold FAKECRIU_BINARY=/tmp/t/fakecriu \\
	RUNC_TEST_REQUIRE='${VMREQUIRE-criu}' \\
	./integration.test -test.v -test.count=1 -test.timeout 15m -test.run '$RUN' ${TESTFLAGS:-}
SCRIPT
echo "test-vm-criu: running $RUN in the guest" >&2
vm_run 1500
