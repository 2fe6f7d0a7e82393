#!/usr/bin/env bash
# make bench: start-up cost of ./runc against runc 1.5.3 (the reference,
# scripts/deps.sh reference), Debian's runc 1.1.5 and crun, side by side in
# one run, on the same busybox bundle running /bin/true.
#   lifecycle: create + start + delete --force
#   run:       run (foreground, waits for the exit, deletes)
#   seccomp:   run again, under containerd's default seccomp profile
#   exec:      exec of /bin/true in a running container
#   version:   --version (the binary's own start-up), beside a Go hello world
#              (and one that links C, statically, with glibc, and with musl
#              as runc init does)
# and the memory of a created container's waiting init (RSS, private).
# Prints medians and ratios as a table. RUNS (default 100) per command, in
# ROUNDS (default 5) rounds of hyperfine over all the commands: each
# command's runs are spread over the whole bench, so that a slow spell of
# a shared host weighs on every runtime alike. BENCH_MOUNTS=N adds N tmpfs
# mounts to the mount table everyone runs with (a Kubernetes node has
# hundreds to thousands).
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
# The extra mounts are on a tmpfs of the private namespace: they go with it.
if [ "${BENCH_MOUNTS:-0}" -gt 0 ]; then
	mkdir "$work/mounts"
	mount -t tmpfs -o size=1m tmpfs "$work/mounts"
	for i in $(seq "$BENCH_MOUNTS"); do
		mkdir "$work/mounts/$i"
		mount -t tmpfs -o size=4k tmpfs "$work/mounts/$i"
	done
fi
cleanup() {
	for rt in ours runc15 runc crun; do
		[ -d "$states/$rt" ] || continue
		for id in $(ls "$states/$rt" 2>/dev/null); do
			"$(bin $rt)" --root "$states/$rt" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	# a cgroup a runtime left behind (its bug) is reported and removed
	for d in /sys/fs/cgroup/*/runc-bench-*-$$; do
		[ -d "$d" ] || continue
		echo "bench: $d was left behind" >&2
		rmdir "$d" 2>/dev/null || true
	done
	umount "$states" 2>/dev/null
	[ -d "$work/mounts" ] && umount -R "$work/mounts" 2>/dev/null
	rm -rf "$work" "$states"
}
ref=$(scripts/deps.sh reference)
bin() { case $1 in ours) echo "$ours" ;; runc15) echo "$ref" ;; *) command -v "$1" ;; esac; }
trap cleanup EXIT

peers=(ours runc15)
for p in runc crun; do
	command -v $p >/dev/null && peers+=($p) || echo "bench: $p not installed, skipped" >&2
done
hello=$work/hello
go build -o "$hello" ./tests/cmd/hello
CGO_ENABLED=1 go build -ldflags "-extldflags -static" -o "$hello-cgo" ./tests/cmd/hellocgo
CC=musl-gcc CGO_ENABLED=1 go build -ldflags "-extldflags -static" -o "$hello-musl" ./tests/cmd/hellocgo
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

# seccomp: the same run under the seccomp profile containerd gives every
# container (testdata/seccomp, containerd 2.4's default for amd64): Docker,
# Podman and Kubernetes always set one.
seccomp_profile=testdata/seccomp/containerd-default-$(uname -m | sed 's/x86_64/amd64/').json
if [ -f "$seccomp_profile" ]; then
	for rt in "${peers[@]}"; do
		mkdir -p "$work/$rt/seccomp"
		python3 - "$work/$rt" "$seccomp_profile" "/runc-bench-$rt-seccomp-$$" <<'PY'
import json, sys
d, profile, cgroup = sys.argv[1:]
c = json.load(open(f"{d}/bundle/config.json"))
c["root"]["path"] = f"{d}/bundle/rootfs"
c["linux"]["cgroupsPath"] = cgroup
c["linux"]["seccomp"] = json.load(open(profile))
json.dump(c, open(f"{d}/seccomp/config.json", "w"), indent=1)
PY
	done
fi

cmds=()
for rt in "${peers[@]}"; do
	r="$(bin $rt) --root $states/$rt"
	cmds+=(-n "$rt lifecycle" "$r create -b $work/$rt/bundle c && $r start c && $r delete -f c")
done
for rt in "${peers[@]}"; do
	r="$(bin $rt) --root $states/$rt"
	cmds+=(-n "$rt run" "$r run -b $work/$rt/bundle r")
done
if [ -f "$seccomp_profile" ]; then
	for rt in "${peers[@]}"; do
		cmds+=(-n "$rt seccomp" "$(bin $rt) --root $states/$rt run -b $work/$rt/seccomp s")
	done
fi
for rt in "${peers[@]}"; do
	cmds+=(-n "$rt exec" "$(bin $rt) --root $states/$rt exec e true")
done
for rt in "${peers[@]}"; do
	cmds+=(-n "$rt version" "$(bin $rt) --version")
done
cmds+=(-n "hello version" "$hello" -n "hello-cgo version" "$hello-cgo" -n "hello-musl version" "$hello-musl")

# The memory of a created container's init, waiting for start: RSS, and
# its private memory (anonymous pages: heap, stacks, data; the binary's
# pages are the page cache's) from smaps_rollup, in kB.
for rt in "${peers[@]}"; do
	r="$(bin $rt) --root $states/$rt"
	$r create -b "$work/$rt/bundle" m >/dev/null
	pid=$($r state m | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
	awk -v rt="$rt" '/^Rss:/{r=$2} /^Anonymous:/{p=$2} END{print rt, r, p}' "/proc/$pid/smaps_rollup" >>"$work/mem"
	$r delete -f m >/dev/null
done
rounds=${ROUNDS:-5}
echo "== ${peers[*]}: $runs runs each in $rounds rounds, /bin/true in busybox, $(wc -l </proc/self/mountinfo) mounts"
for i in $(seq "$rounds"); do
	hyperfine --style basic --warmup 3 --runs $(((runs + rounds - 1) / rounds)) --export-json "$work/result-$i.json" "${cmds[@]}" 2>&1 | grep -v '^ *$' || true
done
python3 - "$work/mem" "$work"/result-*.json <<'PY'
import json, statistics, sys
times = {}
for f in sys.argv[2:]:
    for x in json.load(open(f))["results"]:
        times.setdefault(x["command"], []).extend(x["times"])
r = {c: statistics.median(t) * 1000 for c, t in times.items()}
mem = {}
for line in open(sys.argv[1]):
    rt, rss, priv = line.split()
    mem[rt] = (int(rss) / 1024, int(priv) / 1024)
names = {"ours": "ours", "runc15": "runc 1.5.3", "runc": "runc 1.1.5", "crun": "crun"}
rts = [rt for rt in names if f"{rt} run" in r]
print("\nmedians of all rounds; (xN) is the peer's time or size over ours")
print("| | " + " | ".join(names[rt] for rt in rts) + " |")
print("|---" * (len(rts) + 1) + "|")
rows = [("create+start+delete", "lifecycle"), ("run /bin/true", "run"),
        ("run, containerd's seccomp profile", "seccomp"), ("exec /bin/true", "exec"), ("--version", "version")]
for label, kind in rows:
    if f"ours {kind}" not in r:
        continue
    base = r[f"ours {kind}"]
    cells = [f"{r[f'{rt} {kind}']:.1f} ms" + ("" if rt == "ours" else f" (x{r[f'{rt} {kind}'] / base:.2f})") for rt in rts]
    print(f"| {label} | " + " | ".join(cells) + " |")
for label, i in (("created init RSS", 0), ("created init private (anon)", 1)):
    base = mem["ours"][i]
    cells = [f"{mem[rt][i]:.1f} MB" + ("" if rt == "ours" else f" (x{mem[rt][i] / base:.2f})") for rt in rts]
    print(f"| {label} | " + " | ".join(cells) + " |")
print(f"\nA Go hello world starts in {r['hello version']:.1f} ms here (one that links C, statically: {r['hello-cgo version']:.1f} ms with glibc, {r['hello-musl version']:.1f} ms with musl): ours's --version is x{r['ours version'] / r['hello version']:.2f} of it.")
PY
# How busy the host was (a shared VM's neighbours): the share of the last
# 5 minutes in which some task here waited for a CPU.
echo "host CPU pressure: $(awk '/^some/ {sub("avg300=", "", $4); print $4}' /proc/pressure/cpu)% (some, avg300)"
