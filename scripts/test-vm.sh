#!/usr/bin/env bash
# scripts/test-vm.sh -- run the integration tests that need what this host
# lacks (cgroup v2, systemd as PID 1) in the VM lane (../shared/vmlane: a
# qemu guest with Debian's kernel 6.1, pure cgroup v2, systemd 252).
#
# Builds the guest image once (cached in /var/tmp/vmlane; build-image.sh is
# idempotent, serialised here with flock), builds the integration test
# binaries on the host (integration, and libcontainer/cgroupmgr's own tests),
# and runs them in the guest against RUNC_BINARY, with the bundles on the
# guest's own disk (/tmp), not on 9p.
#
# Env: RUNC_BINARY (./runc), BUSYBOX_ROOTFS (tests/rootfs/busybox),
#      VMTESTS (the -test.run regexp; default: the cgroup v2/systemd set),
#      VMUNIT (-test.run of the unit tests of libcontainer/cgroupmgr and
#      libcontainer/cgroupmgr/devices; default all, which skip what needs
#      v1),
#      TESTFLAGS (more flags for the test binary, e.g. -test.failfast),
#      VMREQUIRE (the RUNC_TEST_REQUIRE of the run, the host features the
#      lane must have: a test needing one fails rather than skips; default
#      cgroup2,systemd),
#      VMLANE (../shared/vmlane), and run-in-vm.sh's VMLANE_* variables.
# Exit status: the tests' (124/125: the VM timed out / failed).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/vmlane.sh
# The tests whose subject differs on cgroup v2 or needs systemd. The rest
# of the suite runs on the host (`make integration`): the guest is 10-15x
# slower.
RUN=${VMTESTS:-'^(TestCgroupV2|TestSystemd|TestCgroupNamespaceView|TestDefaultDevicesWithoutResources|TestPauseResume|TestKillAll$|TestDeleteKillsLingering|TestPidsLimitForkBomb|TestEventsStats|TestEventsOOM)'}
# The cgroup package's unit tests to run there ("" for none).
UNIT=${VMUNIT-.}

vm_prepare test-vm
# The cgroup packages' own tests: their v2 and systemd paths (the v1 ones
# skip), and the device program on the guest's kernel.
CGO_ENABLED=1 $GO test -c -o "$DIR/cgroups.test" ./libcontainer/cgroupmgr/
CGO_ENABLED=1 $GO test -c -o "$DIR/devices.test" ./libcontainer/cgroupmgr/devices/
unitcmd=:
if [ -n "$UNIT" ]; then
	unitcmd="./cgroups.test -test.v -test.count=1 -test.timeout 10m -test.run '$UNIT' || rc=\$?"
	unitcmd+="; ./devices.test -test.v -test.count=1 -test.timeout 10m -test.run '$UNIT'"
fi
cat >"$DIR/run.sh" <<SCRIPT
$GUEST_PRELUDE
echo "test-vm: \$(uname -r), \$(stat -fc %T /sys/fs/cgroup), systemd \$(systemctl --version | head -1 | cut -d' ' -f2)"
rc=0
$unitcmd || rc=\$?
RUNC_TEST_REQUIRE='${VMREQUIRE-cgroup2,systemd}' \\
	./integration.test -test.v -test.count=1 -test.timeout 15m -test.run '$RUN' ${TESTFLAGS:-} || rc=\$?
exit \$rc
SCRIPT
echo "test-vm: running $RUN in the guest" >&2
vm_run 1500
