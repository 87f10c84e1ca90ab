#!/bin/bash
# Benchmark 4: a replay flood from a third host, gt-worker against stock glorytun 0.3.4, on the
# netns lab (one link, 100 Mbit/s 10 ms, shaped by the lab's emulator):
#
#   site: client end ══ a ══ [gt-linkemu] ══ conc: server end (198.19.0.1:5000)
#   tunnel 198.18.254.2                      tunnel 198.18.254.1
#                                              │ 198.18.250.1
#                           attacker (gtlab-ID-atk) 198.18.250.2
#
# Per run and implementation, on a fresh lab and tunnel: the site's tunnel datagrams are
# captured on its link while it pings through the tunnel (gt-replay capture, tests/tools); one
# TCP stream (iperf3, server to site: the direction whose packets the server's paths carry) for
# DUR seconds alone, then again with the flood during it: the attacker sends the captured
# datagrams to the server from the site's address and random source ports, mixed with random
# bytes, truncated and bit-flipped copies (gt-replay flood, FLOOD_PPS for FLOOD_S seconds), over
# a link of its own into the concentrator (reverse-path filter off). Figures:
#   tcp_kept_pct   goodput with the flood as % of goodput without
#   pings_lost     of PINGS pings through the tunnel (one every 50 ms) right after the flood
#   paths_created  peers (address and port) in the server's path list after the flood that
#                  were not there before
#   replays_delivered  ICMP echo requests that reached the server's TUN during the flood (the
#                  captured traffic is pings; none is sent meanwhile): replays the tunnel let in
#   base_mbps, flood_mbps  the two goodputs
#
# Environment: GLORYTUN, RUNS (5), DUR (7), FLOOD_PPS (20000), FLOOD_S (7), PINGS (20),
# CIPHER (aegis256), RATE (the link's and the path's rate, 100mbit).
set -u
RUNS=${RUNS:-5}
. "$(dirname "$0")/lib.sh"

DUR=${DUR:-7}
FLOOD_PPS=${FLOOD_PPS:-20000}
FLOOD_S=${FLOOD_S:-7}
PINGS=${PINGS:-20}
CIPHER=${CIPHER:-aegis256}
RATE=${RATE:-100mbit}
REPLAY=$BENCH_TOP/build/tools/gt-replay
B=hostile
[ -x "$REPLAY" ] || die "$REPLAY missing: run 'make tools' first"
command -v nft >/dev/null || die "nft missing (make deps)"

scenario() {
	printf 'seed 11\nnode conc concentrator\nnode site site\n'
	printf 'link site a rate %s delay 10ms\n' "$RATE"
}

# The server's peers, "address port" per line.
server_peers() {
	ip netns exec "$T_SNS" "$T_BIN" path dev "$T_DEVS" | awk '$1 == "path" { print $8 " " $9 }' |
		sort -u
}

# goodput JSON: received Mbit/s of an iperf3 client run.
goodput() {
	awk -v b="$(jqv "$1" .end.sum_received.bytes)" -v s="$(jqv "$1" .end.sum_received.seconds)" \
		'BEGIN { if (b == "" || s + 0 == 0) print ""; else printf "%.2f\n", b * 8 / s / 1e6 }'
}

one_run() {
	local impl=$1 run=$2 id x lg fp base fl n0 n1 lost new
	id=$(lab_id bh)
	lab_up "$id" "$B_TMP/hostile.scn"
	tunnel_start "$impl" "$CIPHER" "$GTLAB_NS_conc" "$GTLAB_NS_site" "$GTLAB_PUB4"
	tunnel_path "$GTLAB_LINK_a_SITE4" up "$RATE"
	tunnel_wait 1
	wait_for 100 ip netns exec "$GTLAB_NS_site" ping -c 1 -W 1 $TUN_S4 ||
		die "$impl: no ping through the tunnel"
	lg=$BENCH_OUT/logs/$B-$impl-$run
	# the attacker, removed with the lab (gtlab down removes its namespaces gtlab-ID-*)
	x=gtlab-$id-atk
	ip netns add "$x"
	ip link add "atk-$id" netns "$GTLAB_NS_conc" type veth peer name "x-$id" netns "$x"
	ip -n "$GTLAB_NS_conc" addr add 198.18.250.1/30 dev "atk-$id"
	ip -n "$x" addr add 198.18.250.2/30 dev "x-$id"
	ip -n "$GTLAB_NS_conc" link set "atk-$id" up
	ip -n "$x" link set "x-$id" up
	ip -n "$x" route add "$GTLAB_PUB4" via 198.18.250.1
	for k in all default "atk-$id"; do
		ip netns exec "$GTLAB_NS_conc" sysctl -qw "net.ipv4.conf.$k.rp_filter=0"
	done
	# replays delivered: echo requests out of the server's TUN
	ip netns exec "$GTLAB_NS_conc" nft -f - <<-NFT
	table inet gtreplay {
		chain i {
			type filter hook input priority 0;
			iifname "$T_DEVS" icmp type echo-request counter
		}
	}
	NFT

	run_bg "$GTLAB_NS_site" "$lg.capture" "$REPLAY" capture "$GTLAB_LINK_a_IF" $BENCH_PORT 300 \
		"$lg.cap" 15
	local cap=$BG_PID
	sleep 0.3
	ip netns exec "$GTLAB_NS_site" ping -q -c 200 -i 0.01 -W 1 $TUN_S4 >/dev/null
	wait "$cap" || die "$impl: capture failed: $(cat "$lg.capture")"
	B_PIDS=$(echo "$B_PIDS" | tr ' ' '\n' | grep -vx "$cap" | tr '\n' ' ' || true)

	iperf "$GTLAB_NS_conc" "$GTLAB_NS_site" $TUN_S4 "$lg-base.json" -t "$DUR" -R
	base=$(goodput "$lg-base.json")

	server_peers >"$lg.peers-before"
	n0=$(echo_requests)
	run_bg "$x" "$lg.flood" "$REPLAY" flood "$lg.cap" "$GTLAB_LINK_a_SITE4" "$GTLAB_PUB4" \
		$BENCH_PORT "$FLOOD_PPS" "$FLOOD_S" "$run"
	fp=$BG_PID
	iperf "$GTLAB_NS_conc" "$GTLAB_NS_site" $TUN_S4 "$lg-flood.json" -t "$DUR" -R
	wait "$fp" || say "bench: $impl: the flood failed: $(cat "$lg.flood")"
	B_PIDS=$(echo "$B_PIDS" | tr ' ' '\n' | grep -vx "$fp" | tr '\n' ' ' || true)
	fl=$(goodput "$lg-flood.json")
	n1=$(echo_requests)
	ip netns exec "$GTLAB_NS_site" ping -c "$PINGS" -i 0.05 -W 1 $TUN_S4 >"$lg.ping" 2>&1
	lost=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$lg.ping" |
		awk '{ print $1 - $2 }')
	server_peers >"$lg.peers-after"
	new=$(comm -13 "$lg.peers-before" "$lg.peers-after" | wc -l)
	tunnel_list 2>"$lg.paths"

	say "  $impl run $run: base ${base:--} Mbit/s, flood ${fl:--} Mbit/s; $(cat "$lg.flood");" \
		"pings lost ${lost:--}/$PINGS, paths created $new, replays delivered $((n1 - n0))"
	[ -n "$base" ] && record $B "$impl" "$CIPHER" flood base_mbps "$run" "$base"
	[ -n "$fl" ] && record $B "$impl" "$CIPHER" flood flood_mbps "$run" "$fl"
	[ -n "$base" ] && [ -n "$fl" ] &&
		record $B "$impl" "$CIPHER" flood tcp_kept_pct "$run" "$(ratio "$fl" "$base" 4 |
			awk '{ printf "%.1f\n", $1 * 100 }')"
	[ -n "$lost" ] && record $B "$impl" "$CIPHER" flood pings_lost "$run" "$lost"
	record $B "$impl" "$CIPHER" flood paths_created "$run" "$new"
	record $B "$impl" "$CIPHER" flood replays_delivered "$run" "$((n1 - n0))"
	tunnel_stop
	lab_down "$id"
}

# Echo requests counted so far at the server's TUN.
echo_requests() {
	ip netns exec "$GTLAB_NS_conc" nft list table inet gtreplay |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

report() {
	local m i d
	echo "### Benchmark 6: replay flood ($FLOOD_PPS datagrams/s for $FLOOD_S s from a third host, median (min-max) of $RUNS runs)"
	echo
	echo "| figure | $(echo "$IMPLS" | sed 's/ / | /g') |"
	echo "|---|$(for i in $IMPLS; do printf -- '---|'; done)"
	for m in tcp_kept_pct pings_lost paths_created replays_delivered base_mbps flood_mbps; do
		d=1
		case $m in pings_lost | paths_created | replays_delivered) d=0 ;; esac
		printf '| %s |' "$m"
		for i in $IMPLS; do
			printf ' %s |' "$(fig $B "$i" "$CIPHER" flood "$m" "$d")"
		done
		echo
	done
	echo
	echo "One TCP stream server to site for $DUR s over a $RATE link, alone then with the flood;"
	echo "pings_lost of $PINGS right after the flood; paths_created: new peers in the server's"
	echo "path list; replays_delivered: captured pings that reached the server's TUN."
	echo
}

bench_init hostile
mkdir -p "$BENCH_OUT/logs"
scenario >"$B_TMP/hostile.scn"
say "bench hostile: $(machine_state)"
for run in $(seq 1 "$RUNS"); do
	for impl in $IMPLS; do
		one_run "$impl" "$run"
	done
done
report | tee "$BENCH_OUT/hostile.md"
