#!/usr/bin/env bash
# make test-oci: runs the OCI runtime-tools validation suite against our runc
# and Debian's runc, side by side. See tests/oci/README.md.
#
#   tests/oci/run.sh [oci-validate flags...]     e.g. -run 'hooks|prestart' -v
#
# Environment: RUNC_BINARY (default ./runc), PEER_RUNTIME (default
# /usr/bin/runc; empty for none), OCI_CACHE (default .cache/oci), GO.
#
# The validation programs and runtimetest are built with `go install
# ...@VERSION`, outside our go.mod, into $OCI_CACHE/<version>/bin.
set -euo pipefail

RUNTIME_TOOLS_VERSION=v0.9.1-0.20251205004911-5e639034dcdc

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${OCI_CACHE:-$root/.cache/oci}
go=${GO:-go}
ours=${RUNC_BINARY:-$root/runc}
peer=${PEER_RUNTIME-/usr/bin/runc}

if [ "$(id -u)" != 0 ]; then
	echo "test-oci: the validation suite must run as root" >&2
	exit 2
fi
[ -x "$ours" ] || { echo "test-oci: $ours: not built (make runc)" >&2; exit 2; }
if [ -n "$peer" ] && [ ! -x "$peer" ]; then
	echo "test-oci: peer runtime $peer not found; PEER_RUNTIME= to run without it" >&2
	exit 2
fi
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
suite=$cache/$RUNTIME_TOOLS_VERSION/bin

if [ ! -x "$suite/runtimetest" ] || [ ! -x "$suite/default" ]; then
	echo "test-oci: building runtime-tools $RUNTIME_TOOLS_VERSION" >&2
	# from a neutral directory, so our go.mod is neither read nor touched
	(
		cd "$cache"
		export GOFLAGS=-buildvcs=false GOBIN="$suite.tmp"
		rm -rf "$suite.tmp"
		"$go" install "github.com/opencontainers/runtime-tools/validation/...@$RUNTIME_TOOLS_VERSION"
		CGO_ENABLED=0 "$go" install "github.com/opencontainers/runtime-tools/cmd/runtimetest@$RUNTIME_TOOLS_VERSION"
		rm -rf "$suite"
		mv "$suite.tmp" "$suite"
	)
fi

# the programs untar rootfs-amd64.tar.gz into each bundle
tarball=$cache/rootfs-amd64.tar.gz
if [ ! -s "$tarball" ]; then
	"$root/tests/rootfs/busybox.sh" "$cache/rootfs" "$tarball" >&2
	rm -rf "$cache/rootfs"
fi

(cd "$root" && "$go" build -buildvcs=false -o "$cache/oci-validate" ./tests/oci)

logs=$cache/logs
rm -rf "$logs"
exec "$cache/oci-validate" -suite "$suite" -tarball "$tarball" -ours "$ours" \
	-peer "$peer" -known "$root/tests/oci/known-failures.txt" -logs "$logs" "$@"
