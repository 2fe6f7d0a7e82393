#!/usr/bin/env bash
# Builds a minimal busybox root filesystem from Debian's busybox-static.
#   tests/rootfs/busybox.sh DEST [TARBALL]
# DEST gets bin/busybox with one symlink per applet, /etc/passwd and
# /etc/group with root, nobody and a uid-1000 user, and the usual empty
# directories. With TARBALL, the tree is also packed as a .tar.gz whose top
# directory is mode 0755 (what runtime-tools' validation suite expects).
set -euo pipefail
dest=${1:?usage: busybox.sh DEST [TARBALL]}
tarball=${2:-}
bb=/bin/busybox
# a dynamic busybox (Debian's "busybox" package) would not run in the rootfs
if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
	else
		echo "busybox.sh: busybox-static is not installed (apt-get install busybox-static)" >&2
		exit 1
	fi
fi

tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home/user var/run run
chmod 1777 tmp
chmod 0700 root
cp "$bb" bin/busybox
chmod 0755 bin/busybox
for applet in $(bin/busybox --list); do
	[ "$applet" = busybox ] && continue
	[ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
done
cat > etc/passwd <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > etc/group <<'GR'
root:x:0:
daemon:x:1:
tty:x:5:
users:x:100:user
user:x:1000:
audio:x:29:user
nogroup:x:65534:
GR
chown 1000:1000 home/user
echo "nameserver 127.0.0.1" > etc/resolv.conf
echo "127.0.0.1 localhost" > etc/hosts
echo busybox > etc/hostname
chmod 0755 .
cd - >/dev/null
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
if [ -n "$tarball" ]; then
	tar -C "$dest" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi
echo "busybox rootfs in $dest"
