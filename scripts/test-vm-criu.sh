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
#      binary), VMLANE (../shared/vmlane), VMWAIT (seconds to wait for
#      another qemu, default 3600) and run-in-vm.sh's VMLANE_* variables.
# Exit status: the tests' (124/125: the VM timed out / failed).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/vmlane.sh
RUNC=$(realpath "${RUNC_BINARY:-runc}")
ROOTFS=$(realpath "${BUSYBOX_ROOTFS:-tests/rootfs/busybox}")
RUN=${VMTESTS:-'^(TestCheckpoint|TestCriu)'}
GO=${GO:-go}

[ -x "$RUNC" ] || { echo "test-vm-criu: no runc binary at $RUNC" >&2; exit 2; }
[ -x "$ROOTFS/bin/busybox" ] || { echo "test-vm-criu: no busybox rootfs at $ROOTFS" >&2; exit 2; }

dir=$PWD/.cache/test-vm-criu
rm -rf "$dir"
mkdir -p "$dir"
echo "test-vm-criu: guest image" >&2
flock /var/tmp/vmlane.lock "$VMLANE/build-image.sh"
echo "test-vm-criu: building the test binaries" >&2
CGO_ENABLED=1 $GO test -c -o "$dir/integration.test" ./tests/integration/
CGO_ENABLED=0 $GO build -o "$dir/criuhold" ./tests/cmd/criuhold/
CGO_ENABLED=0 $GO build -o "$dir/fakecriu" ./tests/cmd/fakecriu/
cp "$RUNC" "$dir/runc"
# One file over 9p rather than a tree of small ones.
tar -C "$(dirname "$ROOTFS")" -cf "$dir/rootfs.tar" "$(basename "$ROOTFS")"
cat >"$dir/run.sh" <<SCRIPT
set -uo pipefail
mkdir -p /tmp/t
cp runc integration.test criuhold fakecriu /tmp/t/
tar -C /tmp/t -xf rootfs.tar
cd /tmp/t
echo "test-vm-criu: \$(uname -r), \$(stat -fc %T /sys/fs/cgroup), \$(criu --version | head -1), criu check: \$(criu check 2>&1 | tail -1)"
RUNC_BINARY=/tmp/t/runc BUSYBOX_ROOTFS=/tmp/t/$(basename "$ROOTFS") \\
CRIUHOLD_BINARY=/tmp/t/criuhold FAKECRIU_BINARY=/tmp/t/fakecriu \\
	./integration.test -test.v -test.count=1 -test.timeout 55m -test.run '$RUN' ${TESTFLAGS:-}
SCRIPT

# One qemu at a time on this host (2 cores): wait for another lane's.
waited=0
while pgrep -f qemu-system >/dev/null; do
	if [ "$waited" -ge "${VMWAIT:-3600}" ]; then
		echo "test-vm-criu: another qemu is still running after ${waited}s" >&2
		exit 125
	fi
	[ "$waited" = 0 ] && echo "test-vm-criu: waiting for the running qemu to finish" >&2
	sleep 10
	waited=$((waited + 10))
done
echo "test-vm-criu: running $RUN in the guest" >&2
exec "$VMLANE/run-in-vm.sh" "$dir" 'bash run.sh'
