#!/bin/bash
# Benchmark 2: one TCP stream over three links of 50, 30 and 20 Mbit/s (10, 20, 30 ms one way),
# gt-worker against stock glorytun 0.3.4, on the netns lab (netns-lab/scenarios/bench3.scn):
#
#   pc1 ── site1 ══ a 50 Mbit/s 10 ms ══ [emu] ══ conc ── srv
#   (iperf3)      ══ b 30 Mbit/s 20 ms ══ [emu] ══         (iperf3)
#                 ══ c 20 Mbit/s 30 ms ══ [emu] ══
#
# The links are shaped by gt-linkemu in the lab's emulator namespace, between the site and the
# concentrator, so the tunnel ends see no local backpressure. One path per link, each path's
# rate set to its link's rate (tx and rx). Per implementation, RUNS times, each in a fresh lab
# and tunnel: one TCP stream pc1 -> srv (CC-up) and srv -> pc1 (CC-down, iperf3 -R) for DUR
# seconds, the first OMIT seconds left out (slow start), with the congestion control CC named
# (cubic: Linux's default and most hosts'; bbr: this machine's default). Figures: goodput,
# goodput as % of the links' sum, the same over the last STEADY (10) seconds (the receiver's
# per-second rates), retransmits, drops at the sending end's TUN and in the links' queues,
# and each link's carried rate (IP bytes, from the emulators' counters).
#
# Environment: GLORYTUN, RUNS (3), DUR (20), OMIT (2), STEADY (10), CIPHER (aegis256), SCN (the scenario:
# links from site1 only; default netns-lab/scenarios/bench3.scn), TESTS ("cubic-up cubic-down
# bbr-up bbr-down").
set -u
. "$(dirname "$0")/lib.sh"

DUR=${DUR:-20}
OMIT=${OMIT:-2}
STEADY=${STEADY:-10}
CIPHER=${CIPHER:-aegis256}
SCN=${SCN:-$BENCH_TOP/netns-lab/scenarios/bench3.scn}
TESTS=${TESTS:-cubic-up cubic-down bbr-up bbr-down}
B=multilink

# rate_mbit 50mbit -> 50
rate_mbit() {
	awk -v r="$1" 'BEGIN {
		v = r + 0; u = substr(r, length(v "") + 1)
		if (u == "gbit") v *= 1000; else if (u == "kbit") v /= 1000; else if (u == "bit") v /= 1e6
		print v }'
}

# link_bytes ID DIR: "LINK:BYTES ..." carried (tx_bytes) per link in direction DIR
link_bytes() {
	local l out=""
	for l in $GTLAB_LINKS; do
		out="$out $l:$(link_counter "$1" "$l" "$2" tx_bytes)"
	done
	echo "$out"
}

# tun_txdrop NS DEV: packets the kernel dropped because the tunnel did not read its TUN in time
tun_txdrop() {
	ip -n "$1" -s link show dev "$2" | awk '/TX:/ { getline; print $4; exit }'
}

# qdrops ID DIR: tail drops in the emulated links' queues in direction DIR, all links
qdrops() {
	local l n=0
	for l in $GTLAB_LINKS; do
		n=$((n + $(link_counter "$1" "$l" "$2" qdrop)))
	done
	echo $n
}

one_run() {
	local impl=$1 run=$2 id l r sum=0 t args out dir b0 b1 bytes secs tns tdev d0 d1 q0 q1 iv
	id=$(lab_id bm)
	lab_up "$id" "$SCN"
	lab_tunnel "$impl" "$CIPHER" "$id"
	for l in $GTLAB_LINKS; do
		r=$(link_param "$id" "$l" up rate)
		tunnel_path "$(eval echo "\$GTLAB_LINK_${l}_SITE4")" up "$r"
		sum=$(awk -v s="$sum" -v r="$(rate_mbit "$r")" 'BEGIN { print s + r }')
	done
	tunnel_wait "$(echo "$GTLAB_LINKS" | wc -w)"
	lab_ping
	[ "$run" = 1 ] && tunnel_list
	for t in $TESTS; do
		args=(-t "$DUR" -O "$OMIT" -C "${t%-*}" --get-server-output)
		dir=${t#*-}
		# the receiver's per-second intervals: the server's for up, ours (the client's) for down
		tns=$GTLAB_NS_site1 tdev=$T_DEVC iv=.server_output_json.intervals
		[ "$dir" = down ] && { args+=(-R); tns=$GTLAB_NS_conc tdev=$T_DEVS iv=.intervals; }
		out=$BENCH_OUT/logs/$B-$impl-$t-$run.json
		b0=$(link_bytes "$id" "$dir")
		d0=$(tun_txdrop "$tns" "$tdev")
		q0=$(qdrops "$id" "$dir")
		iperf "$GTLAB_NS_srv" "$GTLAB_NS_pc1" "$GTLAB_HOST_srv_ADDR4" "$out" "${args[@]}"
		b1=$(link_bytes "$id" "$dir")
		d1=$(tun_txdrop "$tns" "$tdev")
		q1=$(qdrops "$id" "$dir")
		bytes=$(jqv "$out" .end.sum_received.bytes)
		secs=$(jqv "$out" .end.sum_received.seconds)
		if [ -z "$bytes" ] || [ -z "$secs" ]; then
			say "bench: $impl $t run $run: no result (see $out)"
			continue
		fi
		r=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.2f", b * 8 / s / 1e6 }')
		record $B "$impl" "$CIPHER" "$t" goodput_mbps "$run" "$r"
		record $B "$impl" "$CIPHER" "$t" pct_of_sum "$run" \
			"$(awk -v r="$r" -v s="$sum" 'BEGIN { printf "%.1f", 100 * r / s }')"
		record $B "$impl" "$CIPHER" "$t" retransmits "$run" \
			"$(jqv "$out" .end.sum_sent.retransmits)"
		# steady state: the receiver's rate over the last STEADY seconds
		local st
		st=$(jq -r "[${iv}[].sum.bits_per_second] | .[-$STEADY:] | add / length / 1e6" "$out" \
			2>/dev/null)
		if [ -n "$st" ] && [ "$st" != null ]; then
			record $B "$impl" "$CIPHER" "$t" steady_pct "$run" \
				"$(awk -v r="$st" -v s="$sum" 'BEGIN { printf "%.1f", 100 * r / s }')"
		fi
		record $B "$impl" "$CIPHER" "$t" tun_drops "$run" $((d1 - d0))
		record $B "$impl" "$CIPHER" "$t" link_qdrops "$run" $((q1 - q0))
		# the links' carried rates over the whole run (omitted seconds included)
		for l in $GTLAB_LINKS; do
			record $B "$impl" "$CIPHER" "$t" "link_${l}_mbps" "$run" "$(awk \
				-v a="$(echo "$b0" | tr ' ' '\n' | sed -n "s/^$l://p")" \
				-v z="$(echo "$b1" | tr ' ' '\n' | sed -n "s/^$l://p")" \
				-v s="$(jqv "$out" .end.sum_sent.seconds)" -v o="$OMIT" \
				'BEGIN { printf "%.2f", (z - a) * 8 / (s + o) / 1e6 }')"
		done
		say "  $impl $t run $run: $r Mbit/s ($(awk -v r="$r" -v s="$sum" \
			'BEGIN { printf "%.1f", 100 * r / s }')% of $sum), $(
			jqv "$out" .end.sum_sent.retransmits) retransmits"
	done
	tunnel_stop
	lab_down "$id"
	SUM=$sum
}

report() {
	local t m i
	echo "### Benchmark 2: one TCP stream over 50+30+20 Mbit/s ($DUR s, first $OMIT s omitted, median (min-max) of $RUNS runs)"
	echo
	echo "| test | figure | $(echo "$IMPLS" | sed 's/ / | /g') |"
	echo "|---|---|$(for i in $IMPLS; do printf -- '---|'; done)"
	for t in $TESTS; do
		for m in pct_of_sum steady_pct goodput_mbps retransmits tun_drops link_qdrops $(for l in $GTLAB_LINKS; do
			echo "link_${l}_mbps"; done); do
			printf '| %s | %s |' "$t" "$m"
			for i in $IMPLS; do
				printf ' %s |' "$(fig $B "$i" "$CIPHER" "$t" "$m" \
					"$(case $m in retransmits | *drops) echo 0 ;; *) echo 1 ;; esac)")"
			done
			echo
		done
	done
	echo
	echo "pct_of_sum: goodput over the $((DUR - OMIT)) s measured; steady_pct: the receiver's rate over the"
	echo "last $STEADY s; tun_drops: packets the kernel dropped at the sending end's TUN (the tunnel"
	echo "did not take them in time); link_qdrops: tail drops in the emulated links' queues."
	echo
	echo "Goodput is iperf3's TCP payload; the links' sum is ${SUM:-?} Mbit/s of IP packets. Through"
	echo "the tunnel a 1500-byte packet on a link carries 1398 bytes of TCP payload (tunnel MTU 1450,"
	echo "TCP/IP headers with timestamps 52, mud 22, outer IP+UDP 28), so the ceiling is 93.2%."
	echo
}

bench_init multilink
[ -f "$SCN" ] || die "no scenario $SCN"
say "bench multilink: $(machine_state)"
GTLAB_LINKS=""
for run in $(seq 1 "$RUNS"); do
	for impl in $IMPLS; do
		one_run "$impl" "$run"
	done
done
report | tee "$BENCH_OUT/multilink.md"
