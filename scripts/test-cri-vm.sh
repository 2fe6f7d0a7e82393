#!/usr/bin/env bash
# scripts/test-cri-vm.sh -- tests/cri on the node Kubernetes runs today: in
# the VM lane (../shared/vmlane: Debian's kernel 6.1 under qemu, pure
# cgroup v2, systemd 252), containerd 2.4 with SystemdCgroup = true for
# both handlers (ours and runc 1.5.3), critest against each, then the
# crictl scenarios (what a kubelet does), pods in kubepods slices.
#
# Builds on the host what the guest lacks (it has no Go and no network):
# the cri test binary, the images' stand-in programs (tests/cmd/pause,
# nginx, nnp), containerd, crictl and critest (scripts/deps.sh cri, built
# once), runc 1.5.3 (scripts/deps.sh reference); takes Debian's CNI
# loopback and static plugins from the host (the same bookworm glibc).
#
# The guest is 10-15x slower than this host: the whole of critest for two
# handlers takes hours there. CRI_VM_SUBSET=ci (what .ci/run runs) limits
# critest to the specs below, those whose subject is the runtime's work
# on a cgroup v2 + systemd node; `make test-cri-vm` runs all of it.
#
# Env: RUNC_BINARY (./runc), BUSYBOX_ROOTFS (tests/rootfs/busybox),
#      CRI_VM_SUBSET ("ci": the subset; default all), CRI_FOCUS (a critest
#      focus of your own), VMTESTS (the -test.run regexp: TestCritest,
#      TestCrictl), TESTFLAGS (more flags for the test binary), VMLANE
#      (../shared/vmlane), VMWAIT and run-in-vm.sh's VMLANE_* variables
#      (VMLANE_TIMEOUT is raised to fit the run).
# Exit status: the tests' (124/125: the VM timed out / failed).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/vmlane.sh
RUN=${VMTESTS:-'^(TestCritest|TestCrictl)$'}
# The CI subset: pods and containers through their life (create, start,
# stop, remove, exec, attach, logs, stats), namespaces, the security
# context's cgroup-touching and process settings. Not critest's "Container
# OOM" spec: under qemu TCG its 60 s for the OOMKilled reason runs out for
# either runtime on some runs (runc 1.5.3 failed it in one CI run, both in
# another, ours in a third); the host's make test-cri runs it, and
# TestCrictl's oom scenario runs here.
CI_FOCUS='PodSandbox runtime should support basic operations|Container runtime should support basic operations|Streaming runtime should support streaming interfaces runtime should support (exec|attach)|Security Context NamespaceOption|Container runtime should support log'
FOCUS=${CRI_FOCUS:-}
TIMEOUT=${VMLANE_TIMEOUT:-14400}
CRITIMEOUT=180m
TESTTIMEOUT=230m
if [ "${CRI_VM_SUBSET:-}" = ci ] && [ -z "$FOCUS" ]; then
	FOCUS=$CI_FOCUS
	TIMEOUT=${VMLANE_TIMEOUT:-3600}
	CRITIMEOUT=25m
	TESTTIMEOUT=50m
fi
export VMLANE_TIMEOUT=$TIMEOUT

scripts/deps.sh cri-packages
cri_bin=$(scripts/deps.sh cri)
reference=$(scripts/deps.sh reference)
vm_prepare test-cri-vm
rm -f "$DIR/integration.test"
echo "test-cri-vm: building the test binary and the images' programs" >&2
CGO_ENABLED=0 $GO test -c -o "$DIR/cri.test" ./tests/cri/
for p in pause nginx nnp; do
	CGO_ENABLED=0 $GO build -trimpath -ldflags "-s -w" -o "$DIR/$p" "./tests/cmd/$p"
done
cp "$cri_bin"/containerd "$cri_bin"/containerd-shim-runc-v2 "$cri_bin"/ctr "$cri_bin"/crictl "$cri_bin"/critest "$DIR/"
cp "$reference" "$DIR/runc-1.5.3"
cp /usr/lib/cni/loopback /usr/lib/cni/static "$DIR/"
# critest loads its AppArmor profiles with "sudo apparmor_parser"; the
# guest has no sudo, and the test runs as root
printf '#!/bin/sh\nexec "$@"\n' >"$DIR/sudo"
chmod 0755 "$DIR/sudo"
cat >"$DIR/run.sh" <<SCRIPT
$GUEST_PRELUDE
echo "test-cri-vm: \$(uname -r), \$(stat -fc %T /sys/fs/cgroup), systemd \$(systemctl --version | head -1 | cut -d' ' -f2)"
CRI_BIN=/tmp/t CRI_CNI_BIN=/tmp/t CRI_SYSTEMD=1 RUNC_REFERENCE=/tmp/t/runc-1.5.3 \\
	PAUSE_BINARY=/tmp/t/pause NGINX_BINARY=/tmp/t/nginx NNP_BINARY=/tmp/t/nnp \\
	CRI_FOCUS='$FOCUS' CRI_TIMEOUT=$CRITIMEOUT \\
	./cri.test -test.v -test.count=1 -test.timeout $TESTTIMEOUT -test.run '$RUN' ${TESTFLAGS:-}
SCRIPT
echo "test-cri-vm: running $RUN in the guest${FOCUS:+ (critest focus: $FOCUS)}" >&2
vm_run
