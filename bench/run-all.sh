#!/bin/bash
# All six benchmarks in one run, into one folder, with one report:
#   bench/goodput.sh    single-tunnel TCP and UDP goodput, CPU per Gbit (both ciphers)
#   bench/multilink.sh  one TCP stream over 50+30+20 Mbit/s links
#   bench/failover.sh   the gap after a cut of the active link (backup, all active)
#   bench/paths.sh      one TCP stream over 1, 2 and 3 unshaped paths (and 2 x 1 Gbit/s)
#   bench/idle.sh       a cut of the active link after the tunnel idled: time to the first reply
#   bench/hostile.sh    a spoofed flood of replays and garbage: TCP kept, paths made, delivered
#
#   sudo GLORYTUN=/path/to/glorytun-0.3.4 bench/run-all.sh      (or: make bench GLORYTUN=...)
#
# Without GLORYTUN it benchmarks gt-worker alone and says so. The results go to BENCH_OUT
# (default build/bench/results/DATE): results.tsv (every figure of every run), report.md (the
# tables: median, minimum and maximum over the runs), logs/ (iperf3 JSON, probe logs, the
# tunnels' logs and path lists). RUNS (default 3) repeats every measurement; BENCHES
# ("goodput multilink failover paths idle") chooses. Needs root; about 35 minutes; wants a
# quiet machine.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BENCH_OUT=${BENCH_OUT:-$top/build/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}
BENCHES=${BENCHES:-goodput multilink failover paths idle hostile}
export BENCH_OUT
mkdir -p "$BENCH_OUT"
[ -x "$top/bin/gt-worker" ] || { echo "run-all: bin/gt-worker missing (make)" >&2; exit 1; }
# one copy of the binary under test for all the benchmarks: others may rebuild bin/ meanwhile
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
cp "$top/bin/gt-worker" "$snap/gt-worker"
export BENCH_WORKER=$snap/gt-worker

busy() {
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	awk -v l="$load" 'BEGIN { exit !(l > 0.5) }' && echo "load average $load"
	pgrep -f 'fuzz_' >/dev/null && echo "fuzzers running: $(pgrep -fa 'fuzz_' | head -3 | tr '\n' ';')"
	return 0
}

{
	echo "## Machine"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "- CPU: $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "- kernel: $(uname -r)"
	echo "- load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- gt-worker: $("$BENCH_WORKER" version 2>/dev/null | head -1) (bin/gt-worker of tree $(git -C "$top" describe --always --dirty 2>/dev/null), sha256 $(sha256sum "$BENCH_WORKER" | cut -c1-16))"
	if [ -n "${GLORYTUN:-}" ]; then
		echo "- glorytun: $GLORYTUN ($("$GLORYTUN" version 2>/dev/null | head -1))"
	else
		echo "- glorytun: NOT SET: gt-worker benchmarked alone"
	fi
	echo "- iperf3: $(iperf3 --version | head -1); TCP congestion control named per test (the hosts' default here: $(sysctl -n net.ipv4.tcp_congestion_control))"
	echo "- RUNS=${RUNS:-3}"
	echo
} >"$BENCH_OUT/machine.md"
cat "$BENCH_OUT/machine.md"
b=$(busy)
[ -z "$b" ] || echo "run-all: WARNING: the machine is not quiet ($b): the figures will be noisy" >&2
[ -n "${GLORYTUN:-}" ] ||
	echo "run-all: GLORYTUN is not set: no comparison with stock glorytun 0.3.4" >&2

failed=""
for bench in $BENCHES; do
	echo "== $bench" >&2
	bash "$top/bench/$bench.sh" || failed="$failed $bench"
done

{
	cat "$BENCH_OUT/machine.md"
	[ -z "$b" ] || { echo "**Not a quiet machine when it started: $b**"; echo; }
	echo "- load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	for bench in $BENCHES; do
		[ -f "$BENCH_OUT/$bench.md" ] && cat "$BENCH_OUT/$bench.md"
	done
	[ -z "$failed" ] || echo "**Failed:$failed**"
} >"$BENCH_OUT/report.md"
echo >&2
echo "run-all: report in $BENCH_OUT/report.md" >&2
[ -n "${GLORYTUN:-}" ] || echo "run-all: (gt-worker alone: GLORYTUN was not set)" >&2
[ -z "$failed" ] || { echo "run-all: failed:$failed" >&2; exit 1; }
