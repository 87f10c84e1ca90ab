#!/bin/bash
# Benchmark 1: single-tunnel goodput and CPU cost, gt-worker against stock glorytun 0.3.4.
#
#   pc ──── site ════════ rtr ════════ conc ──── srv
#  (iperf3) (client end)  (router)     (server end) (iperf3)
#
# One path through a plain router namespace (no emulator, no shaping: the link is not the
# bottleneck, and the tunnel ends see no local backpressure). Per implementation and cipher,
# RUNS times, each with a fresh tunnel, each test for DUR seconds:
#   cubic-up, cubic-down  iperf3, one TCP stream (congestion control cubic), pc -> srv and
#                         srv -> pc (-R)
#   bbr-up, bbr-down      the same with BBR (this machine's default; Linux's is cubic)
#   udp-up, udp-down      iperf3 -u -b UDP_RATE, 1400-byte datagrams: what arrives is the figure
#                         (iperf3 3.12 sends one datagram per call: it offers 1-2 Gbit/s at most)
#   flood-up, flood-down  gt-udpflood (tests/tools): 1400-byte datagrams offered at FLOOD_RATE
#                         Mbit/s in GSO batches, cut into plain datagrams before the tunnel end
# For each: goodput, the CPU seconds of the tunnel processes of both ends (parents and
# data-plane children, utime+stime from /proc/PID/stat) per Gbit delivered, the whole machine's
# busy CPU seconds per Gbit (/proc/stat), and each end's CPU load in cores.
#
# Environment: GLORYTUN, RUNS (3), DUR (10), UDP_RATE (10G), FLOOD_RATE (4000), PATH_RATE (the
# path's configured rate, 10gbit), TESTS (all eight above), CIPHERS ("aegis256
# chacha20poly1305"), BENCH_WIRE_GSO=1 to let UDP GSO super-packets cross the links whole
# (default: segmented at the tunnel ends' link devices, as on a real wire).
set -u
. "$(dirname "$0")/lib.sh"

DUR=${DUR:-10}
UDP_RATE=${UDP_RATE:-10G}
PATH_RATE=${PATH_RATE:-10gbit}
TESTS=${TESTS:-cubic-up cubic-down bbr-up bbr-down udp-up udp-down flood-up flood-down}
FLOOD_RATE=${FLOOD_RATE:-4000}
FLOOD=$BENCH_TOP/build/tools/gt-udpflood
CIPHERS=${CIPHERS:-aegis256 chacha20poly1305}
B=goodput

# Addresses: pc 198.19.1.2 (gateway site 198.19.1.1); site-rtr 198.18.1.2 / .1;
# rtr-conc 198.18.2.1 / .2 (the server's address); conc-srv 198.19.2.1 / srv 198.19.2.2.
topology() {
	local n
	P=gtbench$$
	for n in pc site rtr conc srv; do
		ip netns add "$P-$n" || die "netns $P-$n"
		B_NETNS="$B_NETNS $P-$n"
		ip -n "$P-$n" link set lo up
		ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=1
	done
	veth pc lan 198.19.1.2 site pc 198.19.1.1
	veth site wan 198.18.1.2 rtr s 198.18.1.1
	veth rtr c 198.18.2.1 conc wan 198.18.2.2
	veth conc srv 198.19.2.1 srv lan 198.19.2.2
	ip -n "$P-pc" route add default via 198.19.1.1
	ip -n "$P-srv" route add default via 198.19.2.1
	ip -n "$P-site" route add 198.18.2.0/24 via 198.18.1.1
	ip -n "$P-conc" route add 198.18.1.0/24 via 198.18.2.1
	if [ "${BENCH_WIRE_GSO:-0}" != 1 ]; then
		# a wire carries packets of its MTU: UDP GSO is segmented where the tunnel sends
		ip -n "$P-site" link set wan gso_max_segs 1
		ip -n "$P-conc" link set wan gso_max_segs 1
	fi
}

# veth NODE1 IF1 ADDR1 NODE2 IF2 ADDR2 (/24 each)
veth() {
	ip link add "$2" netns "$P-$1" type veth peer name "$5" netns "$P-$4" || die "veth $2"
	ip -n "$P-$1" addr add "$3/24" dev "$2"
	ip -n "$P-$4" addr add "$6/24" dev "$5"
	ip -n "$P-$1" link set "$2" up
	ip -n "$P-$4" link set "$5" up
}

now() {
	date +%s.%N
}

# traffic TEST OUT: one test's traffic; sets BYTES and SECS (what arrived, over how long) and
# SENT (bytes offered, UDP only).
traffic() {
	local test=$1 out=$2 args rp
	BYTES="" SECS="" SENT=""
	case $test in
	cubic-up | bbr-up | reno-up) args=(-t "$DUR" -C "${test%-*}") ;;
	cubic-down | bbr-down | reno-down) args=(-t "$DUR" -C "${test%-*}" -R) ;;
	udp-up) args=(-u -b "$UDP_RATE" -l 1400 -w 4M -t "$DUR") ;;
	udp-down) args=(-u -b "$UDP_RATE" -l 1400 -w 4M -t "$DUR" -R) ;;
	flood-up | flood-down)
		local sn=pc rn=srv dst=198.19.2.2
		[ "$test" = flood-down ] && { sn=srv rn=pc dst=198.19.1.2; }
		# the flood's GSO batches become plain datagrams before they reach the tunnel end
		ip -n "$P-$sn" link set lan gso_max_segs 1
		run_bg "$P-$rn" "$out.recv" "$FLOOD" recv "$dst" 7000 1000
		rp=$BG_PID
		sleep 0.2
		ip netns exec "$P-$sn" "$FLOOD" send "$dst" 7000 "$DUR" "$FLOOD_RATE" >"$out.send" 2>&1
		wait "$rp"
		B_PIDS=$(echo "$B_PIDS" | tr ' ' '\n' | grep -vx "$rp" | tr '\n' ' ' || true)
		ip -n "$P-$sn" link set lan gso_max_segs 65535
		BYTES=$(sed -n 's/.*recv_bytes=\([0-9]*\).*/\1/p' "$out.recv")
		SECS=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' "$out.recv")
		SENT=$(sed -n 's/.*sent_bytes=\([0-9]*\).*/\1/p' "$out.send")
		SENT_SECS=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' "$out.send")
		return
		;;
	*) die "unknown test $test" ;;
	esac
	out=$out.json
	iperf "$P-srv" "$P-pc" 198.19.2.2 "$out" "${args[@]}"
	BYTES=$(jqv "$out" .end.sum_received.bytes)
	SECS=$(jqv "$out" .end.sum_received.seconds)
	case $test in
	cubic-* | bbr-* | reno-*) RETR=$(jqv "$out" .end.sum_sent.retransmits) ;;
	udp-*)
		SENT=$(jqv "$out" .end.sum_sent.bytes)
		SENT_SECS=$(jqv "$out" .end.sum_sent.seconds)
		;;
	esac
}

# counters FILE: the tunnel ends' interface and protocol counters, for the analysis of drops
counters() {
	local n
	for n in site conc; do
		echo "== $n"
		ip -n "$P-$n" -s -s link show
		ip netns exec "$P-$n" nstat -asz 2>/dev/null | grep -E 'Udp|TcpExtTCP(OFO|SACKReorder|Loss)'
	done >"$1"
}

# measure IMPL CIPHER TEST RUN
measure() {
	local impl=$1 cipher=$2 test=$3 run=$4 out all srv cli
	local c0 c1 s0 s1 k0 k1 m0 m1 w0 w1
	out=$BENCH_OUT/logs/$B-$impl-$cipher-$test-$run
	all=$(tunnel_pids)
	srv=$(tunnel_pids_server)
	cli=$(tunnel_pids_client)
	# shellcheck disable=SC2086
	{ c0=$(cpu_ticks $all); s0=$(cpu_ticks $srv); k0=$(cpu_ticks $cli); }
	counters "$out.before"
	m0=$(machine_ticks)
	w0=$(now)
	traffic "$test" "$out"
	w1=$(now)
	m1=$(machine_ticks)
	# shellcheck disable=SC2086
	{ c1=$(cpu_ticks $all); s1=$(cpu_ticks $srv); k1=$(cpu_ticks $cli); }
	counters "$out.after"
	if [ -z "$BYTES" ] || [ -z "$SECS" ] || [ "$BYTES" = 0 ]; then
		say "bench: $impl $cipher $test run $run: no result (see $out*)"
		return
	fi
	awk -v b="$BYTES" -v s="$SECS" -v c="$((c1 - c0))" -v cs="$((s1 - s0))" -v ck="$((k1 - k0))" \
		-v m0="$m0" -v m1="$m1" -v w0="$w0" -v w1="$w1" -v hz="$CLK_TCK" 'BEGIN {
		split(m0, a, " "); split(m1, z, " ")
		gbit = b * 8 / 1e9; wall = w1 - w0
		printf "goodput_mbps %.1f\n", b * 8 / s / 1e6
		printf "cpu_s_per_gbit %.3f\n", c / hz / gbit
		printf "machine_cpu_s_per_gbit %.3f\n", (z[1] - a[1]) / hz / gbit
		printf "server_cores %.3f\n", cs / hz / wall
		printf "client_cores %.3f\n", ck / hz / wall
		printf "machine_cores %.3f\n", (z[1] - a[1]) / hz / wall
	}' | while read -r metric value; do
		record $B "$impl" "$cipher" "$test" "$metric" "$run" "$value"
	done
	case $test in
	cubic-* | bbr-* | reno-*) record $B "$impl" "$cipher" "$test" retransmits "$run" "$RETR" ;;
	*)
		record $B "$impl" "$cipher" "$test" offered_mbps "$run" \
			"$(awk -v b="$SENT" -v s="$SENT_SECS" 'BEGIN { printf "%.1f", b * 8 / s / 1e6 }')"
		record $B "$impl" "$cipher" "$test" delivered_pct "$run" \
			"$(awk -v b="$BYTES" -v s="$SENT" 'BEGIN { printf "%.1f", 100 * b / s }')"
		;;
	esac
	say "  $impl $cipher $test run $run: $(awk -v b="$BYTES" -v s="$SECS" \
		'BEGIN { printf "%.0f Mbit/s", b * 8 / s / 1e6 }'), tunnel CPU $(
		awk -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v b="$BYTES" \
			'BEGIN { printf "%.3f s/Gbit", c / hz / (b * 8 / 1e9) }')"
}

# one_tunnel IMPL CIPHER RUN: a fresh tunnel, every test once.
one_tunnel() {
	local impl=$1 cipher=$2 run=$3 t
	tunnel_start "$impl" "$cipher" "$P-conc" "$P-site" 198.18.2.2
	tunnel_path 198.18.1.2 up "$PATH_RATE"
	tunnel_wait 1
	ip -n "$P-site" route add 198.19.2.0/24 dev "$T_DEVC"
	ip -n "$P-conc" route add 198.19.1.0/24 dev "$T_DEVS"
	wait_for 100 ip netns exec "$P-pc" ping -c 1 -W 1 198.19.2.2 ||
		die "$impl $cipher: no ping through the tunnel"
	# warm up (TCP metrics, MTU discovery settled)
	ip netns exec "$P-pc" ping -q -c 5 -i 0.05 198.19.2.2 >/dev/null
	[ "$run" = 1 ] && tunnel_list
	for t in $TESTS; do
		measure "$impl" "$cipher" "$t" "$run"
	done
	tunnel_stop
}

digits() {
	case $1 in
	*_mbps | retransmits) echo 0 ;;
	*_pct) echo 1 ;;
	*) echo 3 ;;
	esac
}

report() {
	local c t m i hdr sep
	echo "### Benchmark 1: single-tunnel goodput and CPU ($DUR s per test, median (min-max) of $RUNS runs)"
	echo
	hdr="| test | figure |"
	sep="|---|---|"
	for i in $IMPLS; do
		for c in $CIPHERS; do
			hdr="$hdr $i $c |"
			sep="$sep---|"
		done
	done
	[ "$IMPLS" = "ours glorytun" ] && { hdr="$hdr ours / glorytun (same cipher) |"; sep="$sep---|"; }
	echo "$hdr"
	echo "$sep"
	for t in $TESTS; do
		for m in goodput_mbps offered_mbps delivered_pct cpu_s_per_gbit machine_cpu_s_per_gbit \
			server_cores client_cores retransmits; do
			case $t:$m in
			udp-*:retransmits | flood-*:retransmits) continue ;;
			udp-*:* | flood-*:*) ;;
			*:offered_mbps | *:delivered_pct) continue ;;
			esac
			local row="| $t | $m |" r=""
			for i in $IMPLS; do
				for c in $CIPHERS; do
					row="$row $(fig $B "$i" "$c" "$t" "$m" "$(digits "$m")") |"
				done
			done
			if [ "$IMPLS" = "ours glorytun" ]; then
				for c in $CIPHERS; do
					r="$r $c $(ratio "$(med $B ours "$c" "$t" "$m")" \
						"$(med $B glorytun "$c" "$t" "$m")")x"
				done
				row="$row$r |"
			fi
			echo "$row"
		done
	done
	echo
}

bench_init goodput
topology
say "bench goodput: $(machine_state)"
for run in $(seq 1 "$RUNS"); do
	for impl in $IMPLS; do
		for cipher in $CIPHERS; do
			one_tunnel "$impl" "$cipher" "$run"
		done
	done
done
report | tee "$BENCH_OUT/goodput.md"
