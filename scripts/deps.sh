#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, if missing.
#   scripts/deps.sh build   libseccomp-dev, pkg-config (for BUILDTAGS=seccomp),
#                           musl-tools (the init links musl, Makefile)
#   scripts/deps.sh musl    musl-tools alone (a build without seccomp)
#   scripts/deps.sh test    + busybox-static, iproute2, util-linux, procps,
#                           strace, uidmap (newuidmap/newgidmap, rootless tests),
#                           go-md2man (the man page test)
#   scripts/deps.sh bench   + runc, crun (the peers), hyperfine
#   scripts/deps.sh man     go-md2man alone (make man)
#   scripts/deps.sh clients + containerd, docker.io, podman, conmon, uidmap
#                           and runc (the reference), for make test-clients
#   scripts/deps.sh lint    + clang-format, and golangci-lint built from the Go
#                           module proxy into .cache/tools (once)
#   scripts/deps.sh reference  runc 1.5.3 built from the Go module proxy into
#                           .cache/runc-1.5.3/runc (once; the integration
#                           tests' RUNC_REFERENCE), prints its path
#   scripts/deps.sh cri     + busybox-static and containernetworking-plugins
#                           (loopback, static), and, built once from the Go
#                           module proxy into .cache/cri-<versions>/bin:
#                           containerd v2.4.2 with containerd-shim-runc-v2
#                           and ctr, crictl and critest v1.37.0 (make
#                           test-cri); prints that directory
set -euo pipefail
cd "$(dirname "$0")/.."
REFERENCE_VERSION=1.5.3
CONTAINERD_VERSION=2.4.2
CRITOOLS_VERSION=1.37.0
GOLANGCI_VERSION=v2.15.0
if [ "${1:-}" = lint ]; then
	# golangci-lint type-checks the cgo packages: it needs the build's
	# headers (libseccomp) as well
	"$0" build
	"$0" clang-format
	if ! .cache/tools/golangci-lint version 2>/dev/null | grep -q "version ${GOLANGCI_VERSION#v} "; then
		echo "building golangci-lint $GOLANGCI_VERSION into .cache/tools" >&2
		(cd /tmp && GOBIN="$OLDPWD/.cache/tools" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_VERSION")
	fi
	exit 0
fi
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
if [ "${1:-}" = cri ]; then
	"$0" cri-packages
	dir=$PWD/.cache/cri-containerd-$CONTAINERD_VERSION-critools-$CRITOOLS_VERSION/bin
	mkdir -p "$dir"
	# Built with the cores left to others on a shared machine (nice), once:
	# each binary is checked for its version and rebuilt only if that fails.
	# has BINARY FLAG VERSION: BINARY FLAG prints VERSION (read whole: a
	# grep -q closing the pipe early would fail it under pipefail)
	has() {
		local out
		out=$("$dir/$1" "$2" 2>/dev/null) || true
		[[ " $out " == *" $3"[[:space:]]* ]]
	}
	ctrd=()
	for b in containerd containerd-shim-runc-v2 ctr; do
		flag=--version
		[ "$b" = containerd-shim-runc-v2 ] && flag=-v
		has "$b" $flag "v$CONTAINERD_VERSION" || ctrd+=("$b")
	done
	if [ ${#ctrd[@]} -gt 0 ]; then
		echo "building containerd v$CONTAINERD_VERSION (${ctrd[*]}) into $dir" >&2
		pkgs=()
		for b in "${ctrd[@]}"; do pkgs+=("github.com/containerd/containerd/v2/cmd/$b@v$CONTAINERD_VERSION"); done
		# Outside any module: go install pkg@version reads only theirs.
		(cd /tmp && CGO_ENABLED=1 GOBIN="$dir" GOFLAGS=-trimpath nice go install \
			-tags no_btrfs -ldflags "-X github.com/containerd/containerd/v2/version.Version=v$CONTAINERD_VERSION" "${pkgs[@]}")
	fi
	if ! has crictl --version "v$CRITOOLS_VERSION"; then
		echo "building crictl v$CRITOOLS_VERSION into $dir" >&2
		(cd /tmp && CGO_ENABLED=0 GOBIN="$dir" GOFLAGS=-trimpath nice go install \
			-ldflags "-X sigs.k8s.io/cri-tools/pkg/version.Version=v$CRITOOLS_VERSION" \
			"sigs.k8s.io/cri-tools/cmd/crictl@v$CRITOOLS_VERSION")
	fi
	# critest is a test binary: built from a scratch module that requires
	# cri-tools at that version (with its tests' dependencies).
	if ! has critest -version "v$CRITOOLS_VERSION"; then
		echo "building critest v$CRITOOLS_VERSION into $dir" >&2
		mod=$(mktemp -d)
		trap 'rm -rf "$mod"' EXIT
		(cd "$mod" && go mod init critest-build >/dev/null 2>&1 &&
			GOFLAGS=-mod=mod go get -t "sigs.k8s.io/cri-tools/cmd/critest@v$CRITOOLS_VERSION" &&
			CGO_ENABLED=0 GOFLAGS="-trimpath -mod=mod" nice go test -c -o "$dir/critest" \
				-ldflags "-X sigs.k8s.io/cri-tools/pkg/version.Version=v$CRITOOLS_VERSION" \
				sigs.k8s.io/cri-tools/cmd/critest)
	fi
	echo "$dir"
	exit 0
fi
want=(libseccomp-dev pkg-config musl-tools)
case "${1:-build}" in
build) ;;
test) want+=(busybox-static iproute2 util-linux procps strace uidmap go-md2man) ;;
bench) want+=(busybox-static runc crun) ;;
timeline) want+=(busybox-static linux-perf) ;;
man) want=(go-md2man) ;;
musl) want=(musl-tools) ;;
clang-format) want=(clang-format) ;;
clients) want+=(busybox-static containerd docker.io podman conmon uidmap runc) ;;
cri-packages) want+=(busybox-static containernetworking-plugins) ;;
*) echo "usage: $0 build|musl|test|bench|timeline|man|clients|cri|lint|reference" >&2; exit 2 ;;
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
