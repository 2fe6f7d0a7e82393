#!/usr/bin/env bash
# scripts/test-vm-security.sh -- the security tests that need what this host
# lacks, in the VM lane (../shared/vmlane: Debian's kernel 6.1 under qemu,
# with AppArmor enabled and cgroup v2):
#   * libcontainer/apparmor's unit tests against the real kernel interface
#     (an unknown profile refused as not loaded, "unconfined" queued);
#   * the AppArmor integration tests: a loaded profile confines a container
#     (a denied write fails, the label shows in /proc/self/attr/current),
#     `runc exec --apparmor`, a profile that is not loaded;
#   * the seccomp and CVE regression tests once more on that kernel.
#
# Env: RUNC_BINARY (./runc), BUSYBOX_ROOTFS (tests/rootfs/busybox),
#      VMTESTS (the integration -test.run regexp), TESTFLAGS (more flags for
#      the test binary), VMREQUIRE (the RUNC_TEST_REQUIRE of the run, the
#      host features the lane must have: a test needing one fails rather
#      than skips; default apparmor,apparmor_parser), VMLANE
#      (../shared/vmlane) and run-in-vm.sh's VMLANE_* variables.
# Exit status: the tests' (124/125: the VM timed out / failed).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/vmlane.sh
RUN=${VMTESTS:-'^(TestAppArmor|TestSeccomp|TestCVE_)'}

vm_prepare test-vm-security
CGO_ENABLED=1 $GO test -c -o "$DIR/apparmor.test" ./libcontainer/apparmor/
# The guest has no Go: the tests that build helpers get them prebuilt.
CGO_ENABLED=1 $GO build -o "$DIR/seccompagent" ./tests/cmd/seccompagent/
CGO_ENABLED=1 $GO build -trimpath -tags urfave_cli_no_docs -o "$DIR/runc-noseccomp" .
cat >"$DIR/run.sh" <<SCRIPT
$GUEST_PRELUDE
echo "test-vm-security: \$(uname -r), AppArmor \$(cat /sys/module/apparmor/parameters/enabled), \$(stat -fc %T /sys/fs/cgroup)"
rc=0
./apparmor.test -test.v -test.count=1 || rc=1
SECCOMPAGENT_BINARY=/tmp/t/seccompagent RUNC_NOSECCOMP_BINARY=/tmp/t/runc-noseccomp \\
	RUNC_TEST_REQUIRE='${VMREQUIRE-apparmor,apparmor_parser}' \\
	./integration.test -test.v -test.count=1 -test.timeout 20m -test.run '$RUN' ${TESTFLAGS:-} || rc=1
exit \$rc
SCRIPT
echo "test-vm-security: running the AppArmor unit tests and $RUN in the guest" >&2
vm_run 1800
