#!/bin/bash
# Benchmark 4: one TCP stream over 1, 2 and 3 unshaped paths, gt-worker against stock glorytun
# 0.3.4: what adding paths costs (or brings) when no path is the limit, and whether the paths'
# rates add up when they are.
#
#   pc ──── site ══ wan1 ══ rtr ──── conc ──── srv
#  (iperf3) (client) ══ wan2 ══ (fwd) (server)  (iperf3)
#                    ══ wan3 ══
#
# Each path is its own veth pair between the site and a plain router namespace (no emulator,
# no shaping); the site sends each path's datagrams out of its own device by policy routing on
# the source address (path 1 by the main table). The server end has one address and sees the
# paths as three source addresses. Cases (each with a fresh tunnel, RUNS times, the
# implementations interleaved):
#   1path, 2paths, 3paths  N paths, each `up rate fixed tx PATH_RATE rx PATH_RATE` (10gbit: no
#                          configured rate limits them)
#   2x1gbit                2 paths, each `rate fixed` LIMIT_RATE (1gbit): the paths are the limit,
#                          the goodput should approach their sum
# Traffic: iperf3, one TCP stream pc -> srv for DUR seconds, congestion control CC.
# Figures: goodput_mbps (received), rtt_ms (iperf3's mean_rtt of the sender), retransmits,
# share_pK (path K's share of the client's transmitted packets, %, from the `path` listing's
# tx total column before and after).
#
# Environment: GLORYTUN, RUNS (5), DUR (6), CASES ("1path 2paths 3paths 2x1gbit"), PATH_RATE
# (10gbit), LIMIT_RATE (1gbit), CC (cubic), CIPHER (aegis256).
set -u
RUNS=${RUNS:-5} # (before lib.sh, whose default is 3)
. "$(dirname "$0")/lib.sh"

DUR=${DUR:-6}
CASES=${CASES:-1path 2paths 3paths 2x1gbit}
PATH_RATE=${PATH_RATE:-10gbit}
LIMIT_RATE=${LIMIT_RATE:-1gbit}
CC=${CC:-cubic}
CIPHER=${CIPHER:-aegis256}
NPATHS=3
B=paths

# Addresses: pc 198.19.1.2 (gateway site 198.19.1.1); path K: site 198.18.K.2, rtr 198.18.K.1;
# rtr-conc 198.18.10.1 / .2 (the server's address); conc-srv 198.19.2.1 / srv 198.19.2.2.
topology() {
	local n k
	P=gtbench$$
	for n in pc site rtr conc srv; do
		ip netns add "$P-$n" || die "netns $P-$n"
		B_NETNS="$B_NETNS $P-$n"
		ip -n "$P-$n" link set lo up
		ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=1 >/dev/null ||
			die "sysctl in $P-$n"
	done
	veth pc lan 198.19.1.2 site pc 198.19.1.1
	for k in $(seq 1 $NPATHS); do
		veth site "wan$k" "198.18.$k.2" rtr "s$k" "198.18.$k.1"
		# a wire carries packets of its MTU: UDP GSO is segmented where the tunnel sends
		ip -n "$P-site" link set "wan$k" gso_max_segs 1
		if [ "$k" -gt 1 ]; then
			# path K's datagrams (source 198.18.K.2) leave by wanK
			ip -n "$P-site" rule add from "198.18.$k.2" table $((100 + k)) ||
				die "policy rule for path $k"
			ip -n "$P-site" route add 198.18.10.0/24 via "198.18.$k.1" dev "wan$k" \
				table $((100 + k)) || die "route of path $k"
		fi
	done
	veth rtr c 198.18.10.1 conc wan 198.18.10.2
	ip -n "$P-conc" link set wan gso_max_segs 1
	veth conc srv 198.19.2.1 srv lan 198.19.2.2
	ip -n "$P-pc" route add default via 198.19.1.1 &&
		ip -n "$P-srv" route add default via 198.19.2.1 &&
		ip -n "$P-site" route add 198.18.10.0/24 via 198.18.1.1 &&
		ip -n "$P-conc" route add 198.18.0.0/20 via 198.18.10.1 || die "routes"
}

# veth NODE1 IF1 ADDR1 NODE2 IF2 ADDR2 (/24 each)
veth() {
	ip link add "$2" netns "$P-$1" type veth peer name "$5" netns "$P-$4" || die "veth $2"
	ip -n "$P-$1" addr add "$3/24" dev "$2" && ip -n "$P-$4" addr add "$6/24" dev "$5" &&
		ip -n "$P-$1" link set "$2" up && ip -n "$P-$4" link set "$5" up || die "veth $2 setup"
}

# case_paths CASE: "N RATE"
case_paths() {
	case $1 in
	1path) echo "1 $PATH_RATE" ;;
	2paths) echo "2 $PATH_RATE" ;;
	3paths) echo "3 $PATH_RATE" ;;
	2x1gbit) echo "2 $LIMIT_RATE" ;;
	*) die "unknown case $1 (1path 2paths 3paths 2x1gbit)" ;;
	esac
}

# tx_totals FILE: "LOCAL_ADDR TX_TOTAL" per path of the client (the listing's 4th and 18th
# columns, the same in both implementations).
tx_totals() {
	ip netns exec "$T_CNS" "$T_BIN" path dev "$T_DEVC" |
		awk '$1 == "path" && NF >= 21 { print $4, $18 }' >"$1"
}

# one_run IMPL CASE RUN: a fresh tunnel with the case's paths, one iperf3 stream.
one_run() {
	local impl=$1 case=$2 run=$3 n rate k out bytes secs rtt retr
	read -r n rate <<<"$(case_paths "$case")"
	tunnel_start "$impl" "$CIPHER" "$P-conc" "$P-site" 198.18.10.2
	for k in $(seq 1 "$n"); do
		ip netns exec "$P-site" "$T_BIN" path "198.18.$k.2" dev "$T_DEVC" up \
			rate fixed tx "$rate" rx "$rate" >/dev/null || die "$impl: path 198.18.$k.2 refused"
	done
	tunnel_wait "$n"
	ip -n "$P-site" route add 198.19.2.0/24 dev "$T_DEVC"
	ip -n "$P-conc" route add 198.19.1.0/24 dev "$T_DEVS"
	wait_for 100 ip netns exec "$P-pc" ping -c 1 -W 1 198.19.2.2 ||
		die "$impl $case: no ping through the tunnel"
	ip netns exec "$P-pc" ping -q -c 5 -i 0.05 198.19.2.2 >/dev/null
	[ "$run" = 1 ] && tunnel_list
	out=$BENCH_OUT/logs/$B-$impl-$case-$run
	tx_totals "$out.tx0"
	iperf "$P-srv" "$P-pc" 198.19.2.2 "$out.json" -t "$DUR" -C "$CC"
	tx_totals "$out.tx1"
	tunnel_list 2>"$out.paths"
	tunnel_stop
	bytes=$(jqv "$out.json" .end.sum_received.bytes)
	secs=$(jqv "$out.json" .end.sum_received.seconds)
	rtt=$(jqv "$out.json" '.end.streams[0].sender.mean_rtt')
	retr=$(jqv "$out.json" .end.sum_sent.retransmits)
	if [ -z "$bytes" ] || [ -z "$secs" ] || [ "$bytes" = 0 ]; then
		say "bench: $impl $case run $run: no result (see $out.json*)"
		return
	fi
	record $B "$impl" "$CIPHER" "$case" goodput_mbps "$run" \
		"$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b * 8 / s / 1e6 }')"
	[ -z "$rtt" ] || record $B "$impl" "$CIPHER" "$case" rtt_ms "$run" \
		"$(awk -v r="$rtt" 'BEGIN { printf "%.3f", r / 1000 }')"
	[ -z "$retr" ] || record $B "$impl" "$CIPHER" "$case" retransmits "$run" "$retr"
	# each path's share of the packets the client sent meanwhile
	local shares
	shares=$(awk -v n="$n" 'NR == FNR { t0[$1] = $2; next }
		{ d[$1] = $2 - t0[$1]; sum += d[$1] }
		END {
			for (k = 1; k <= n; k++) {
				a = "198.18." k ".2"
				printf "share_p%d %.1f\n", k, (sum > 0 ? 100 * d[a] / sum : 0)
			}
		}' "$out.tx0" "$out.tx1")
	[ -n "$shares" ] || die "$impl $case: no path counters (see $out.tx0, $out.tx1)"
	while read -r k v; do
		record $B "$impl" "$CIPHER" "$case" "$k" "$run" "$v"
	done <<<"$shares"
	say "  $impl $case run $run: $(awk -v b="$bytes" -v s="$secs" \
		'BEGIN { printf "%.0f Mbit/s", b * 8 / s / 1e6 }'), rtt $(awk -v r="${rtt:-0}" \
		'BEGIN { printf "%.2f ms", r / 1000 }'), retr ${retr:-?}, shares $(echo "$shares" | tr '\n' ' ')"
}

report() {
	local c m i n rate
	echo "### Benchmark 4: one TCP stream ($CC) over 1 to 3 unshaped paths ($DUR s, median (min-max) of $RUNS runs)"
	echo
	echo "| case | figure | $(echo "$IMPLS" | sed 's/ / | /g') |"
	echo "|---|---|$(for i in $IMPLS; do printf -- '---|'; done)"
	for c in $CASES; do
		read -r n rate <<<"$(case_paths "$c")"
		for m in goodput_mbps rtt_ms retransmits $(seq -f 'share_p%g' 1 "$n"); do
			printf '| %s | %s |' "$c" "$m"
			for i in $IMPLS; do
				printf ' %s |' "$(fig $B "$i" "$CIPHER" "$c" "$m" \
					"$(case $m in rtt_ms) echo 2 ;; share_*) echo 1 ;; *) echo 0 ;; esac)")"
			done
			echo
		done
	done
	echo
	echo "Paths at $PATH_RATE each (2x1gbit: $LIMIT_RATE each, \`rate fixed\`); rtt_ms is iperf3's mean"
	echo "smoothed RTT of the sender; share_pK is path K's share of the client's transmitted packets (%)."
	echo
}

bench_init paths
for c in $CASES; do case_paths "$c" >/dev/null; done
topology
say "bench paths: $(machine_state)"
for run in $(seq 1 "$RUNS"); do
	for c in $CASES; do
		for impl in $IMPLS; do
			one_run "$impl" "$c" "$run"
		done
	done
done
report | tee "$BENCH_OUT/paths.md"
