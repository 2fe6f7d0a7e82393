# Sourced by the test-vm*.sh scripts. Sets VMLANE, the directory of the VM
# lane's scripts (build-image.sh, run-in-vm.sh), from $VMLANE, or
# ../shared/vmlane beside the checkout, or /work/shared/vmlane, and defines
# what every lane does:
#   vm_prepare LANE   checks RUNC_BINARY (./runc) and BUSYBOX_ROOTFS
#                     (tests/rootfs/busybox), takes RUNC_FAULT_BINARY
#                     (./runc.faults, if there) for the fault tests;
#                     builds the guest image once
#                     (cached in /var/tmp/vmlane, serialised with flock) and
#                     the integration test binary; puts them with runc and
#                     the rootfs (one tar: one file over 9p rather than a
#                     tree of small ones) in DIR=.cache/LANE. Sets RUNC,
#                     ROOTFS, DIR, GO and GUEST_PRELUDE, the start of the
#                     guest's script: everything copied to the guest's own
#                     disk (/tmp/t), the rootfs unpacked there, and
#                     RUNC_BINARY, RUNC_FAULT_BINARY and BUSYBOX_ROOTFS
#                     exported for the tests.
#   vm_run [SECONDS]  waits for any other qemu on this host (2 cores: one at
#                     a time; VMWAIT seconds at most, default 3600), then
#                     runs DIR/run.sh in the guest, for SECONDS at most
#                     (VMLANE_TIMEOUT overrides; run-in-vm.sh's default
#                     3600). The lane's tests have their own, shorter
#                     -test.timeout, so a test that hangs fails with its
#                     goroutines dumped; run-in-vm.sh's 124 (the guest's
#                     time ran out) or 125 (the VM failed) then means the
#                     guest itself stopped, not a test: the run is made once
#                     more, saying so, and its result is the lane's.
for d in "${VMLANE:-}" ../shared/vmlane /work/shared/vmlane; do
	if [ -n "$d" ] && [ -x "$d/run-in-vm.sh" ]; then
		VMLANE=$(realpath "$d")
		break
	fi
	d=
done
if [ -z "$d" ]; then
	echo "$(basename "$0"): the VM lane is not on this machine (set VMLANE to the directory of run-in-vm.sh)" >&2
	exit 2
fi

vm_prepare() {
	LANE=$1
	RUNC=$(realpath "${RUNC_BINARY:-runc}")
	ROOTFS=$(realpath "${BUSYBOX_ROOTFS:-tests/rootfs/busybox}")
	GO=${GO:-go}
	[ -x "$RUNC" ] || { echo "$LANE: no runc binary at $RUNC" >&2; exit 2; }
	[ -x "$ROOTFS/bin/busybox" ] || { echo "$LANE: no busybox rootfs at $ROOTFS" >&2; exit 2; }
	DIR=$PWD/.cache/$LANE
	rm -rf "$DIR"
	mkdir -p "$DIR"
	echo "$LANE: guest image" >&2
	flock /var/tmp/vmlane.lock "$VMLANE/build-image.sh"
	echo "$LANE: building the test binaries" >&2
	CGO_ENABLED=1 $GO test -c -o "$DIR/integration.test" ./tests/integration/
	cp "$RUNC" "$DIR/runc"
	# Without it, a fault test that the lane runs fails, saying so.
	local faults fault_env=
	faults=$(realpath "${RUNC_FAULT_BINARY:-runc.faults}" 2>/dev/null || true)
	if [ -n "$faults" ] && [ -x "$faults" ]; then
		cp "$faults" "$DIR/runc.faults"
		fault_env=" RUNC_FAULT_BINARY=/tmp/t/runc.faults"
	fi
	tar -C "$(dirname "$ROOTFS")" -cf "$DIR/rootfs.tar" "$(basename "$ROOTFS")"
	GUEST_PRELUDE="set -uo pipefail
mkdir -p /tmp/t
cp ./* /tmp/t/
cd /tmp/t
tar -xf rootfs.tar
export RUNC_BINARY=/tmp/t/runc$fault_env BUSYBOX_ROOTFS=/tmp/t/$(basename "$ROOTFS")"
}

vm_run() {
	local waited=0
	while pgrep -f qemu-system >/dev/null; do
		if [ "$waited" -ge "${VMWAIT:-3600}" ]; then
			echo "$LANE: another qemu is still running after ${waited}s" >&2
			exit 125
		fi
		[ "$waited" = 0 ] && echo "$LANE: waiting for the running qemu to finish" >&2
		sleep 10
		waited=$((waited + 10))
	done
	export VMLANE_TIMEOUT=${VMLANE_TIMEOUT:-${1:-3600}}
	local rc=0
	"$VMLANE/run-in-vm.sh" "$DIR" 'bash run.sh' || rc=$?
	if [ "$rc" = 124 ] || [ "$rc" = 125 ]; then
		echo "$LANE: the guest stopped (run-in-vm.sh exit $rc after at most ${VMLANE_TIMEOUT}s; the tests' own timeouts are shorter, so not a test); running the lane once more" >&2
		rc=0
		"$VMLANE/run-in-vm.sh" "$DIR" 'bash run.sh' || rc=$?
	fi
	exit "$rc"
}
