#!/usr/bin/env bash
# make bench: start-up cost of ./runc against Debian's runc and crun, side
# by side in one run, on the same busybox bundle running /bin/true.
#   lifecycle: create + start + delete --force
#   run:       run (foreground, waits for the exit, deletes)
#   exec:      exec of /bin/true in a running container
# Prints hyperfine's medians and ratios. RUNS (default 100) per command.
set -euo pipefail
cd "$(dirname "$0")/.."
# Everyone runs in a private mount namespace (the host's mounts are
# untouched) where:
# - the state roots are on a tmpfs, as /run/runc is on a normal system;
# - crun, which refuses a hybrid cgroup host whose cgroup2 mount holds a
#   controller (this machine's unified/ has hugetlb), gets a v1-only view:
#   unified/ is unmounted for all three, so they do the same work.
if [ -z "${BENCH_PRIVATE:-}" ]; then
	exec env BENCH_PRIVATE=1 unshare -m --propagation private "$0" "$@"
fi
if mountpoint -q /sys/fs/cgroup/unified &&
	[ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
	umount /sys/fs/cgroup/unified
fi
runs=${RUNS:-100}
ours=$PWD/runc
work=$(mktemp -d /tmp/runc-bench.XXXXXX)
states=$(mktemp -d /tmp/runc-bench-state.XXXXXX)
mount -t tmpfs -o size=64m tmpfs "$states"
cleanup() {
	for rt in ours runc crun; do
		[ -d "$states/$rt" ] || continue
		for id in $(ls "$states/$rt" 2>/dev/null); do
			"$(bin $rt)" --root "$states/$rt" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	umount "$states" 2>/dev/null
	rm -rf "$work" "$states"
}
bin() { case $1 in ours) echo "$ours" ;; *) command -v "$1" ;; esac; }
trap cleanup EXIT

peers=(ours)
for p in runc crun; do
	command -v $p >/dev/null && peers+=($p) || echo "bench: $p not installed, skipped" >&2
done
if ! command -v hyperfine >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1 || { echo "bench: needs hyperfine" >&2; exit 1; }
fi

for rt in "${peers[@]}"; do
	b=$work/$rt/bundle
	mkdir -p "$b" "$states/$rt"
	cp -a tests/rootfs/busybox "$b/rootfs"
	# The same config for everyone: ours's `spec`, args true, no terminal,
	# a cgroup of its own under an absolute path.
	(cd "$b" && "$ours" spec)
	sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"$/"true"/' \
		-e "s|\"linux\": {|\"linux\": {\n\t\t\"cgroupsPath\": \"/runc-bench-$rt-$$\",|" "$b/config.json"
	# runc 1.1 and crun 1.8 predate spec 1.3.0's version string
	sed -i 's/"ociVersion": "[^"]*"/"ociVersion": "1.0.2"/' "$b/config.json"
done

# exec: /bin/true in a running container of each runtime (its own bundle
# and cgroup, on the same rootfs).
for rt in "${peers[@]}"; do
	e=$work/$rt/exec
	mkdir -p "$e"
	sed -e "s|\"path\": \"rootfs\"|\"path\": \"$work/$rt/bundle/rootfs\"|" \
		-e "s|/runc-bench-$rt-$$|/runc-bench-$rt-exec-$$|" \
		-e 's/"true"$/"sleep", "1000"/' "$work/$rt/bundle/config.json" >"$e/config.json"
	"$(bin $rt)" --root "$states/$rt" run -d -b "$e" e >/dev/null
done

cmds=()
for rt in "${peers[@]}"; do
	r="$(bin $rt) --root $states/$rt"
	cmds+=(-n "$rt lifecycle" "$r create -b $work/$rt/bundle c && $r start c && $r delete -f c")
done
for rt in "${peers[@]}"; do
	r="$(bin $rt) --root $states/$rt"
	cmds+=(-n "$rt run" "$r run -b $work/$rt/bundle r")
done
for rt in "${peers[@]}"; do
	cmds+=(-n "$rt exec" "$(bin $rt) --root $states/$rt exec e true")
done
echo "== ${peers[*]}: $runs runs each, /bin/true in busybox"
hyperfine --style basic --warmup 5 --runs "$runs" --export-json "$work/result.json" "${cmds[@]}" 2>&1 | grep -v '^ *$' || true
python3 - "$work/result.json" <<'PY' 2>/dev/null || true
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print("\nmedians (ms) and ratio to ours:")
for kind in ("lifecycle", "run", "exec"):
    base = r.get("ours " + kind)
    for rt in ("ours", "runc", "crun"):
        x = r.get(f"{rt} {kind}")
        if x and base:
            print(f"  {kind:9} {rt:5} {x['median']*1000:7.1f}   x{x['median']/base['median']:.2f}")
PY
