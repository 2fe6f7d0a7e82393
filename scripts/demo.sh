#!/usr/bin/env bash
# Runs a real container with ./runc on the locally built busybox rootfs:
# the bundle's config.json comes from `runc spec`, set to run a command
# without a terminal and in a cgroup of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
runc=$PWD/runc
bundle=$PWD/.cache/demo
root=$PWD/.cache/demo-state
id=demo-$$
rm -rf "$bundle"
mkdir -p "$bundle" "$root"
cp -a tests/rootfs/busybox "$bundle/rootfs"
cd "$bundle"
"$runc" spec
sed -i -e 's/"terminal": true/"terminal": false/' \
	-e 's/"sh"$/"sh", "-c", "echo Hello from a container: $(hostname), pid $$, uid $(id -u); cat \/proc\/self\/cgroup | head -3"/' \
	-e "s|\"linux\": {|\"linux\": {\n\t\t\"cgroupsPath\": \"/runc-$id\",|" config.json
echo "+ runc run $id" >&2
status=0
"$runc" --root "$root" run "$id" || status=$?
echo "+ exit status $status" >&2
exit $status
