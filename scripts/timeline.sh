#!/usr/bin/env bash
# make timeline: where the time of a `runc run` of /bin/true goes, from the
# kernel's side. Runs ./runc (RUNS times, default 15) on the busybox bundle
# under perf's scheduler and syscall tracepoints and prints, for each
# milestone, the median time in ms since runc's execve:
#   runc's first thread (its Go runtime up), runc init exec'd, the init's
#   C stage unsharing and forking the container's process, the init's Go
#   runtime up, pivot_root, the execve of /bin/true, its exit, runc's exit.
# Needs perf (apt-get install linux-perf, scripts/deps.sh bench installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TIMELINE_PRIVATE:-}" ]; then
	exec env TIMELINE_PRIVATE=1 unshare -m --propagation private "$0" "$@"
fi
runs=${RUNS:-15}
ours=$PWD/runc
command -v perf >/dev/null || { echo "timeline: needs perf (scripts/deps.sh bench)" >&2; exit 1; }
work=$(mktemp -d /tmp/runc-timeline.XXXXXX)
cleanup() {
	"$ours" --root "$work/state" delete -f t >/dev/null 2>&1 || true
	umount "$work/state" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bundle" "$work/state"
mount -t tmpfs tmpfs "$work/state"
cp -a tests/rootfs/busybox "$work/bundle/rootfs"
(cd "$work/bundle" && "$ours" spec)
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"$/"true"/' \
	-e "s|\"linux\": {|\"linux\": {\n\t\t\"cgroupsPath\": \"/runc-timeline-$$\",|" "$work/bundle/config.json"
run="$ours --root $work/state run -b $work/bundle t"
for _ in 1 2 3; do $run; done # warm: the cached init, the page cache
for i in $(seq "$runs"); do
	perf record -q -o "$work/p$i.data" \
		-e sched:sched_process_exec -e sched:sched_process_fork -e sched:sched_process_exit \
		-e syscalls:sys_enter_unshare -e syscalls:sys_enter_pivot_root \
		-- $run >/dev/null 2>&1
	perf script -i "$work/p$i.data" -F comm,tid,time,event,trace 2>/dev/null >"$work/p$i.txt"
done
python3 - "$work" "$runs" <<'PY'
import re, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
marks = {}
order = [
    ("runc: Go runtime up (first thread)", "go"),
    ("runc init exec'd", "init"),
    ("init C stage: unshare", "unshare"),
    ("init C stage: container process forked", "child"),
    ("init: Go runtime up (first thread)", "initgo"),
    ("init: pivot_root", "pivot"),
    ("execve /bin/true", "true"),
    ("/bin/true exited", "trueexit"),
    ("runc exited", "exit"),
]
for i in range(1, runs + 1):
    t0, runc, got = None, None, {}
    for line in open(f"{work}/p{i}.txt"):
        m = re.match(r"\s*(\S.*?)\s+(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)", line)
        if not m:
            continue
        comm, tid, t, ev, tr = m.group(1), int(m.group(2)), float(m.group(3)), m.group(4), m.group(5)
        def mark(k):
            if k not in got:
                got[k] = (t - t0) * 1000
        if ev == "sched:sched_process_exec" and t0 is None and "filename=" in tr and tr.split("filename=")[1].split()[0].endswith("/runc"):
            t0, runc = t, tid
            continue
        if t0 is None:
            continue
        if ev == "sched:sched_process_fork" and tid == runc:
            mark("go")
        elif ev == "sched:sched_process_exec" and "/proc/self/fd/" in tr:
            mark("init")
        elif ev == "syscalls:sys_enter_unshare":
            mark("unshare")
        elif ev == "sched:sched_process_fork" and comm.startswith("runc:[0:PARENT]"):
            mark("child")
        elif ev == "sched:sched_process_fork" and comm.startswith("runc:[2:INIT]"):
            mark("initgo")
        elif ev == "syscalls:sys_enter_pivot_root":
            mark("pivot")
        elif ev == "sched:sched_process_exec" and "/bin/true" in tr:
            mark("true")
        elif ev == "sched:sched_process_exit" and "true" in got and comm == "true":
            mark("trueexit")
        elif ev == "sched:sched_process_exit" and tid == runc:
            mark("exit")
    for k, v in got.items():
        marks.setdefault(k, []).append(v)
print(f"`runc run` of /bin/true, {runs} runs, median ms since runc's execve (perf tracepoints):")
for label, k in order:
    if k in marks:
        print(f"  {statistics.median(marks[k]):6.1f}  {label}")
PY
