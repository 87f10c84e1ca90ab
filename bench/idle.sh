#!/bin/bash
# Benchmark 5: a cut of the active link while the tunnel is idle, gt-worker against stock
# glorytun 0.3.4, on the netns lab (the links of netns-lab/scenarios/bench3.scn):
#
#   pc1 ── site1 ══ a 50 Mbit/s 10 ms ══ [emu] ══ conc ── srv
#   (ping)        ══ b 30 Mbit/s 20 ms ══ [emu] ══
#
# Path a up, path b backup (each path's rate its link's). Once pc1 reaches srv through the
# tunnel, nothing crosses it for IDLE seconds (no traffic, no ping: only the tunnel's own
# keepalives); then link a is cut for good in both directions (what `gtlab link a cut` does,
# straight through the emulator's control socket, the time noted right before it) and at once
# pc1 pings srv every PING_MS ms (`ping -D`, PINGS of them, each waiting 1 s at most). The
# failover must start from the first packet: the tunnel may not have noticed anything while it
# idled. Figures:
#   first_reply_ms  ms from the cut to the first reply (ping -D's timestamp, the same realtime
#                   clock as the cut's); the target: under 300 ms every run
#   lost_before     echo requests sent before the one first answered (lost to the cut)
#   cut_cmd_ms      how long the cut command took (the cut's instant lies within it)
#   ping_interval_ms  ping's real interval (its total time over the requests sent): more than
#                   PING_MS on a loaded machine, which makes lost_before smaller
#   unrecovered     1 when no reply came at all (PINGS * PING_MS ms)
#
# Environment: GLORYTUN, RUNS (5), IDLE (10), PINGS (300), PING_MS (10), CIPHER (aegis256).
set -u
RUNS=${RUNS:-5} # (before lib.sh, whose default is 3)
. "$(dirname "$0")/lib.sh"

IDLE=${IDLE:-10}
PINGS=${PINGS:-300}
PING_MS=${PING_MS:-10}
CIPHER=${CIPHER:-aegis256}
B=idle
LINKEMU=${GTLAB_BIN:-$BENCH_TOP/build/lab}/gt-linkemu
TEST=backup-idle

one_run() {
	local impl=$1 run=$2 id lg t_cut t_cmd res fr lb
	id=$(lab_id bi)
	lab_up "$id" "$BENCH_TOP/netns-lab/scenarios/bench3.scn"
	lab_tunnel "$impl" "$CIPHER" "$id"
	tunnel_path "$GTLAB_LINK_a_SITE4" up "$(link_param "$id" a up rate)"
	tunnel_path "$GTLAB_LINK_b_SITE4" backup "$(link_param "$id" b up rate)"
	tunnel_wait 1 'UP OK'
	lab_ping
	lg=$BENCH_OUT/logs/$B-$impl-$run
	[ "$run" = 1 ] && tunnel_list
	tunnel_list 2>"$lg.paths-before"
	sleep "$IDLE"
	# the cut through the emulator's control socket, what `gtlab link a cut` does, without the
	# script around it (a few hundred ms on a busy machine: the cut's instant would be vague)
	t_cut=$(date +%s.%N)
	"$LINKEMU" ctl "${GTLAB_RUN:-/run/gtlab}/$id/a.ctl" cut >/dev/null || die "cut of link a failed"
	t_cmd=$(date +%s.%N)
	ip netns exec "$GTLAB_NS_pc1" ping -D -n -i "$(awk -v m="$PING_MS" 'BEGIN { print m / 1000 }')" \
		-c "$PINGS" -W 1 "$GTLAB_HOST_srv_ADDR4" >"$lg.ping" 2>&1
	tunnel_list 2>"$lg.paths-after"
	tunnel_stop
	lab_down "$id"
	# the first reply: "[SECONDS.MICRO] 64 bytes from ADDR: icmp_seq=N ttl=T time=X ms"
	res=$(awk -v t="$t_cut" '
		/ bytes from / && match($0, /icmp_seq=[0-9]+/) {
			seq = substr($0, RSTART + 9, RLENGTH - 9)
			ts = substr($1, 2, length($1) - 2)
			printf "%.1f %d\n", (ts - t) * 1000, seq - 1
			exit
		}' "$lg.ping")
	if [ -z "$res" ]; then
		say "  $impl run $run: NO reply within $PINGS pings (see $lg.ping)"
		record $B "$impl" "$CIPHER" $TEST unrecovered "$run" 1
		return
	fi
	read -r fr lb <<<"$res"
	record $B "$impl" "$CIPHER" $TEST first_reply_ms "$run" "$fr"
	record $B "$impl" "$CIPHER" $TEST lost_before "$run" "$lb"
	record $B "$impl" "$CIPHER" $TEST cut_cmd_ms "$run" \
		"$(awk -v a="$t_cut" -v b="$t_cmd" 'BEGIN { printf "%.1f", (b - a) * 1000 }')"
	record $B "$impl" "$CIPHER" $TEST ping_interval_ms "$run" "$(awk '
		/ packets transmitted, / && match($0, /time [0-9]+ms/) {
			printf "%.1f", substr($0, RSTART + 5, RLENGTH - 7) / ($1 > 1 ? $1 - 1 : 1) }' "$lg.ping")"
	say "  $impl run $run: first reply $fr ms after the cut, $lb pings lost before it"
}

report() {
	local m i
	echo "### Benchmark 5: cut of the active link after $IDLE s idle (ping every $PING_MS ms, median (min-max) of $RUNS runs)"
	echo
	echo "| figure | $(echo "$IMPLS" | sed 's/ / | /g') |"
	echo "|---|$(for i in $IMPLS; do printf -- '---|'; done)"
	for m in first_reply_ms lost_before cut_cmd_ms ping_interval_ms unrecovered; do
		[ "$m" = unrecovered ] && ! grep -qP "\t$TEST\tunrecovered\t" \
			"$BENCH_OUT/results.tsv" 2>/dev/null && continue
		printf '| %s |' "$m"
		for i in $IMPLS; do
			printf ' %s |' "$(fig $B "$i" "$CIPHER" $TEST "$m" \
				"$(case $m in *_cmd_ms | *interval_ms) echo 1 ;; *) echo 0 ;; esac)")"
		done
		echo
	done
	echo
	echo "Path a (50 Mbit/s, 10 ms) up, b (30 Mbit/s, 20 ms) backup; first_reply_ms from the cut command"
	echo "to the first echo reply (target: under 300 ms every run); lost_before in pings; cut_cmd_ms:"
	echo "how long the cut command took (the cut's instant lies within it); ping_interval_ms: ping's"
	echo "real interval between requests."
	echo
}

bench_init idle
command -v ping >/dev/null || die "ping missing (iputils-ping)"
[ -x "$LINKEMU" ] || die "$LINKEMU missing: run 'make lab-bins' first"
[ -f "$BENCH_TOP/netns-lab/scenarios/bench3.scn" ] || die "netns-lab/scenarios/bench3.scn missing"
say "bench idle: $(machine_state)"
for run in $(seq 1 "$RUNS"); do
	for impl in $IMPLS; do
		one_run "$impl" "$run"
	done
done
report | tee "$BENCH_OUT/idle.md"
