#!/bin/bash
# Benchmark 3: the gap a cut of the active link leaves in the traffic, gt-worker against stock
# glorytun 0.3.4, on the netns lab (the links of netns-lab/scenarios/bench3.scn):
#
#   pc1 ── site1 ══ a 50 Mbit/s 10 ms ══ [emu] ══ conc ── srv
#   (probe)       ══ b 30 Mbit/s 20 ms ══ [emu] ══         (probe)
#                 ══ c 20 Mbit/s 30 ms ══ [emu] ══
#
# Two cases, each path's rate set to its link's:
#   backup  path a up, path b backup (c unused)
#   active  paths a, b and c all up
# Two constant-rate UDP streams cross the tunnel at once, one each way (gt-gapprobe: a 64-byte
# datagram every INTERVAL_US, its sequence number and send time inside). The lab's timeline
# cuts link a in both directions CUT_AT seconds after it starts (the emulators apply it at
# t0 + CUT_AT on CLOCK_MONOTONIC, the probes' clock), and the link stays cut. Per direction:
#   recovery  ms from the cut to the send time of the first datagram after the last one lost:
#             from then on everything arrives (the headline: target 300 ms)
#   gap       the longest silence between two arrivals after the cut (the traffic's gap)
#   lost      datagrams lost to the cut; delay before / after: median one-way delay (ms)
#
# Environment: GLORYTUN, RUNS (3), CASES ("backup active"), INTERVAL_US (1000), CUT_AT (2),
# AFTER (seconds of probes after the cut, 5), CIPHER (aegis256).
set -u
. "$(dirname "$0")/lib.sh"

CASES=${CASES:-backup active}
INTERVAL_US=${INTERVAL_US:-1000}
CUT_AT=${CUT_AT:-2}
AFTER=${AFTER:-5}
CIPHER=${CIPHER:-aegis256}
B=failover

# the scenario: bench3's links, and the cut on the timeline
scenario() {
	grep -v '^at ' "$BENCH_TOP/netns-lab/scenarios/bench3.scn"
	echo "at ${CUT_AT}s link a cut"
}

one_run() {
	local impl=$1 case=$2 run=$3 id l r count rup rdn sup sdn t0 cut dir res
	id=$(lab_id bf)
	lab_up "$id" "$B_TMP/failover.scn" --hold
	lab_tunnel "$impl" "$CIPHER" "$id"
	case $case in
	backup)
		tunnel_path "$GTLAB_LINK_a_SITE4" up "$(link_param "$id" a up rate)"
		tunnel_path "$GTLAB_LINK_b_SITE4" backup "$(link_param "$id" b up rate)"
		tunnel_wait 1 'UP OK'
		sleep 1 # the backup path's probes
		;;
	active)
		for l in a b c; do
			r=$(link_param "$id" "$l" up rate)
			tunnel_path "$(eval echo "\$GTLAB_LINK_${l}_SITE4")" up "$r"
		done
		tunnel_wait 3
		;;
	*) die "unknown case $case" ;;
	esac
	lab_ping
	ip netns exec "$GTLAB_NS_pc1" ping -q -c 10 -i 0.05 "$GTLAB_HOST_srv_ADDR4" >/dev/null
	[ "$run" = 1 ] && tunnel_list

	# the probes: from 0.5 s before the timeline starts to AFTER s after the cut
	count=$(( (CUT_AT + AFTER) * 1000000 / INTERVAL_US + 500000 / INTERVAL_US ))
	local lg=$BENCH_OUT/logs/$B-$impl-$case-$run
	run_bg "$GTLAB_NS_srv" "$lg-up.recv" "$PROBE" recv "$GTLAB_HOST_srv_ADDR4" 7001 "$count" \
		"$lg-up.log"
	rup=$BG_PID
	run_bg "$GTLAB_NS_pc1" "$lg-down.recv" "$PROBE" recv "$GTLAB_HOST_pc1_ADDR4" 7002 "$count" \
		"$lg-down.log"
	rdn=$BG_PID
	sleep 0.2
	run_bg "$GTLAB_NS_pc1" "$lg-up.send" "$PROBE" send "$GTLAB_HOST_srv_ADDR4" 7001 \
		"$INTERVAL_US" "$count"
	sup=$BG_PID
	run_bg "$GTLAB_NS_srv" "$lg-down.send" "$PROBE" send "$GTLAB_HOST_pc1_ADDR4" 7002 \
		"$INTERVAL_US" "$count"
	sdn=$BG_PID
	sleep 0.5
	"$GTLAB" -i "$id" start || die "gtlab start failed"
	t0=$(cat "/run/gtlab/$id/t0")
	cut=$((t0 + CUT_AT * 1000000000))
	for p in $sup $sdn $rup $rdn; do wait "$p"; done
	B_PIDS=$(echo "$B_PIDS" | tr ' ' '\n' | grep -vxE "$sup|$sdn|$rup|$rdn" | tr '\n' ' ' || true)
	tunnel_list 2>"$lg.paths"
	for dir in up down; do
		res=$("$PROBE" gap "$lg-$dir.log" "$count" "$cut")
		echo "$res" >"$lg-$dir.gap"
		say "  $impl $case $dir run $run: $res"
		for k in recovery gap cut_lost delay_before delay_after; do
			v=$(echo "$res" | tr ' ' '\n' | sed -n "s/^$k=//p")
			case $v in '' | -*) continue ;; esac
			record $B "$impl" "$CIPHER" "$case-$dir" "$k" "$run" "$v"
		done
		case $res in *"recovered=no"*) record $B "$impl" "$CIPHER" "$case-$dir" \
			unrecovered "$run" 1 ;; esac
	done
	tunnel_stop
	lab_down "$id"
}

report() {
	local c d m i
	echo "### Benchmark 3: cut of the active link (probe every $INTERVAL_US us each way, median (min-max) of $RUNS runs)"
	echo
	echo "| case | direction | figure | $(echo "$IMPLS" | sed 's/ / | /g') |"
	echo "|---|---|---|$(for i in $IMPLS; do printf -- '---|'; done)"
	for c in $CASES; do
		for d in up down; do
			for m in recovery gap cut_lost delay_before delay_after unrecovered; do
				[ "$m" = unrecovered ] && [ -z "$(grep -P "\t$c-$d\tunrecovered\t" \
					"$BENCH_OUT/results.tsv")" ] && continue
				printf '| %s | %s | %s |' "$c" "$d" "$m"
				for i in $IMPLS; do
					printf ' %s |' "$(fig $B "$i" "$CIPHER" "$c-$d" "$m" \
						"$([ "$m" = cut_lost ] && echo 0 || echo 1)")"
				done
				echo
			done
		done
	done
	echo
	echo "recovery and gap in ms (target: 300 ms at most); up = site to concentrator, down = the"
	echo "reverse; cut_lost in datagrams; delays one way in ms, before the cut and 1.5 s after it."
	echo
}

bench_init failover
scenario >"$B_TMP/failover.scn"
say "bench failover: $(machine_state)"
for run in $(seq 1 "$RUNS"); do
	for c in $CASES; do
		for impl in $IMPLS; do
			one_run "$impl" "$c" "$run"
		done
	done
done
report | tee "$BENCH_OUT/failover.md"
