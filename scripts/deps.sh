#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, if missing.
#   scripts/deps.sh build   libseccomp-dev, pkg-config (for BUILDTAGS=seccomp)
#   scripts/deps.sh test    + busybox-static, iproute2, util-linux, procps,
#                           strace, uidmap (newuidmap/newgidmap, rootless tests),
#                           go-md2man (the man page test)
#   scripts/deps.sh bench   + runc, crun (the peers), hyperfine
#   scripts/deps.sh man     go-md2man alone (make man)
#   scripts/deps.sh clients + containerd, docker.io, podman, conmon, uidmap
#                           and runc (the reference), for make test-clients
#   scripts/deps.sh reference  runc 1.5.3 built from the Go module proxy into
#                           .cache/runc-1.5.3/runc (once; the integration
#                           tests' RUNC_REFERENCE), prints its path
set -euo pipefail
cd "$(dirname "$0")/.."
REFERENCE_VERSION=1.5.3
if [ "${1:-}" = reference ]; then
	"$0" build
	dir=$PWD/.cache/runc-$REFERENCE_VERSION
	# Not "runc --version | grep -q": under pipefail, grep -q leaving at
	# the first line makes runc's next write fail (SIGPIPE) and the
	# check with it, now and then, which rebuilt the reference.
	have=$("$dir/runc" --version 2>/dev/null || true)
	if ! grep -q "^runc version $REFERENCE_VERSION\$" <<<"$have"; then
		echo "building runc $REFERENCE_VERSION (the reference) into $dir" >&2
		mkdir -p "$dir"
		# Outside the module: go install pkg@version ignores go.mod.
		(cd /tmp && CGO_ENABLED=1 GOBIN="$dir" GOFLAGS=-trimpath \
			go install -tags seccomp "github.com/opencontainers/runc@v$REFERENCE_VERSION")
	fi
	echo "$dir/runc"
	exit 0
fi
want=(libseccomp-dev pkg-config)
case "${1:-build}" in
build) ;;
test) want+=(busybox-static iproute2 util-linux procps strace uidmap go-md2man) ;;
bench) want+=(busybox-static runc crun) ;;
man) want=(go-md2man) ;;
clients) want+=(busybox-static containerd docker.io podman conmon uidmap runc) ;;
*) echo "usage: $0 build|test|bench|man|clients|reference" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
	apt-get update -qq >/dev/null
	apt-get install -y -qq "${missing[@]}" >/dev/null
fi
