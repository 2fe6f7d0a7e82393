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
#      the test binary), VMLANE (../shared/vmlane) and run-in-vm.sh's
#      VMLANE_* variables.
# Exit status: the tests' (124/125: the VM timed out / failed).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/vmlane.sh
RUNC=$(realpath "${RUNC_BINARY:-runc}")
ROOTFS=$(realpath "${BUSYBOX_ROOTFS:-tests/rootfs/busybox}")
RUN=${VMTESTS:-'^(TestAppArmor|TestSeccomp|TestCVE_)'}
GO=${GO:-go}

[ -x "$RUNC" ] || { echo "test-vm-security: no runc binary at $RUNC" >&2; exit 2; }
[ -x "$ROOTFS/bin/busybox" ] || { echo "test-vm-security: no busybox rootfs at $ROOTFS" >&2; exit 2; }

dir=$PWD/.cache/test-vm-security
rm -rf "$dir"
mkdir -p "$dir"
echo "test-vm-security: guest image" >&2
flock /var/tmp/vmlane.lock "$VMLANE/build-image.sh"
echo "test-vm-security: building the test binaries" >&2
CGO_ENABLED=1 $GO test -c -o "$dir/integration.test" ./tests/integration/
CGO_ENABLED=1 $GO test -c -o "$dir/apparmor.test" ./libcontainer/apparmor/
# The guest has no Go: the tests that build helpers get them prebuilt.
CGO_ENABLED=1 $GO build -o "$dir/seccompagent" ./tests/cmd/seccompagent/
CGO_ENABLED=1 $GO build -trimpath -tags urfave_cli_no_docs -o "$dir/runc-noseccomp" .
cp "$RUNC" "$dir/runc"
# One file over 9p rather than a tree of small ones.
tar -C "$(dirname "$ROOTFS")" -cf "$dir/rootfs.tar" "$(basename "$ROOTFS")"
cat >"$dir/run.sh" <<SCRIPT
set -uo pipefail
mkdir -p /tmp/t
cp runc runc-noseccomp integration.test apparmor.test seccompagent /tmp/t/
tar -C /tmp/t -xf rootfs.tar
cd /tmp/t
echo "test-vm-security: \$(uname -r), AppArmor \$(cat /sys/module/apparmor/parameters/enabled), \$(stat -fc %T /sys/fs/cgroup)"
rc=0
./apparmor.test -test.v -test.count=1 || rc=1
RUNC_BINARY=/tmp/t/runc BUSYBOX_ROOTFS=/tmp/t/$(basename "$ROOTFS") \\
SECCOMPAGENT_BINARY=/tmp/t/seccompagent RUNC_NOSECCOMP_BINARY=/tmp/t/runc-noseccomp \\
	./integration.test -test.v -test.count=1 -test.timeout 55m -test.run '$RUN' ${TESTFLAGS:-} || rc=1
exit \$rc
SCRIPT
echo "test-vm-security: running the AppArmor unit tests and $RUN in the guest" >&2
exec "$VMLANE/run-in-vm.sh" "$dir" 'bash run.sh'
