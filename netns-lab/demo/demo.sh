#!/bin/bash
# make demo: a concentrator and a site over three emulated WAN links (netns lab, demo.scn), the
# tunnel carrying a TCP transfer while links are cut and restored; a live view of the paths, a
# summary and plots. Needs root; leaves nothing behind, also on Ctrl-C.
#
#   pc1 -- site1 ==fibre 100 Mbit/s 5 ms (up)==================== conc -- srv
#          gt-worker ==dsl 20 Mbit/s 15 ms 0.1% loss (up)======== gt-worker server(s)
#          client    ==lte 30 Mbit/s 40+-10 ms 1% bursts (backup)=
#
# Environment: DEMO_SCENARIO (default netns-lab/scenarios/demo.scn), DEMO_SECONDS (traffic, 30),
# DEMO_OUT (results, build/demo), DEMO_CONC (the concentrator: netns-lab/demo/conc-NAME.sh,
# default worker), DEMO_LAB (lab id, default the first free one of dm00..dm99 from the pid's).
set -eu -o pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
GTLAB=$ROOT/netns-lab/gtlab
GT_WORKER=$ROOT/bin/gt-worker
WK_LIB=$ROOT/netns-lab/lib
DEMO_HOME=$ROOT/netns-lab/demo
SCN=${DEMO_SCENARIO:-netns-lab/scenarios/demo.scn}
DURATION=${DEMO_SECONDS:-30}
OUT=${DEMO_OUT:-build/demo}
CONC=${DEMO_CONC:-worker}
LAB=${DEMO_LAB-}
PING_INTERVAL=0.01

. "$WK_LIB/worker.sh"
. "$DEMO_HOME/conc-$CONC.sh"

say() {
	printf '%s\n' "$*"
}

die() {
	echo "demo: $*" >&2
	exit 1
}

# --- set-up and teardown --------------------------------------------------------------------
DEMO_DIR=""
LAB_UP=0
fine_pid=""

cleanup() {
	local rc=$?
	trap '' INT TERM HUP
	set +e
	[ -z "$fine_pid" ] || kill "$fine_pid" 2>/dev/null
	if [ $LAB_UP -eq 1 ] && { [ -d "/run/gtlab/$LAB" ] ||
		ip netns list | grep -q "^gtlab-$LAB-"; }; then
		conc_stop >/dev/null 2>&1
		if "$GTLAB" -i "$LAB" down >/dev/null 2>&1; then
			say "demo: lab $LAB down, nothing left behind"
		else
			echo "demo: 'gtlab -i $LAB down' failed; try: netns-lab/gtlab down --all" >&2
		fi
	fi
	[ -z "$DEMO_DIR" ] || rm -rf "$DEMO_DIR"
	exit $rc
}

preflight() {
	local c
	[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces): sudo make demo"
	for c in bin/gt-worker build/lab/gt-linkemu build/lab/gt-labscn; do
		[ -x "$c" ] || die "$c missing (make all lab-bins)"
	done
	for c in ip iperf3 ping gnuplot awk setsid; do
		command -v "$c" >/dev/null || die "$c missing (make deps)"
	done
	[ -f "$SCN" ] || die "no scenario $SCN"
	case $DURATION in '' | *[!0-9]*) die "DEMO_SECONDS: a whole number of seconds" ;; esac
}

# The scenario's timeline as "T|TEXT;..." (T in seconds, sorted; those within the run), for the
# view and the summary.
scenario_events() {
	awk '
	function secs(s,    v, u) {
		v = s + 0; u = s; sub(/^[0-9.]+/, "", u)
		return u == "ms" ? v / 1000 : u == "us" ? v / 1e6 : u == "ns" ? v / 1e9 : v
	}
	{ sub(/#.*/, "") }
	$1 == "at" && $3 == "link" {
		# at T link [SITE] NAME VERB ...: NAME is the word before the verb
		for (i = 4; i <= NF; i++)
			if ($i == "cut" || $i == "restore" || $i == "set")
				break
		text = $(i - 1)
		for (j = i; j <= NF; j++)
			text = text " " $j
		printf "%09.3f|%s\n", secs($2), text
	}' "$SCN" | sort | awk -F'|' -v end="$DURATION" '$1 + 0 < end {
		printf "%s%s|%s", (n++ ? ";" : ""), $1 + 0, $2 }'
}

# Names from gtlab env: the sites (with links), hosts and where they sit.
lab_sites() {
	local l s out=""
	for l in $GTLAB_LINKS; do
		eval "s=\$GTLAB_LINK_${l}_SITE"
		case " $out " in *" $s "*) ;; *) out="$out $s" ;; esac
	done
	echo $out
}

hosts_via() {
	"$GTLAB" -i "$LAB" env | sed -n "s/^GTLAB_HOST_\([a-z0-9]*\)_VIA=$1\$/\1/p"
}

links_of() {
	local l s
	for l in $GTLAB_LINKS; do
		eval "s=\$GTLAB_LINK_${l}_SITE"
		[ "$s" != "$1" ] || echo "$l"
	done
}

# The site's client: gt-worker bind in its namespace, one path per link (primary links up,
# backup links backup, fixed rates from the link's emulator), its hosts' traffic to the
# concentrator's hosts through the tunnel.
site_up() {
	local site=$1 n=$2 dev l addr role state tx rx h net4 net6
	dev=gtc-$LAB-$n
	wk_start "$LAB" "$site" "$dev" "$DEMO_DIR/$site.log" \
		0.0.0.0 5000 to "$SITE_SERVER" "$SITE_PORT" keyfile "$SITE_KEYFILE" $SITE_BIND_OPTS ||
		{ cat "$DEMO_DIR/$site.log" >&2; die "the client of $site did not start"; }
	wk_tun_addr "$LAB" "$site" "$dev" "$SITE_TUN_N" 2
	for h in $(hosts_via "$GTLAB_CONC"); do
		eval "net4=\$GTLAB_HOST_${h}_NET4 net6=\$GTLAB_HOST_${h}_NET6"
		wk_route "$LAB" "$site" "$dev" "$net4" "$net6"
	done
	for h in $(hosts_via "$site"); do
		eval "net4=\$GTLAB_HOST_${h}_NET4 net6=\$GTLAB_HOST_${h}_NET6"
		conc_site_route "$site" "$net4" "$net6"
	done
	for l in $(links_of "$site"); do
		eval "addr=\$GTLAB_LINK_${l}_SITE4 role=\$GTLAB_LINK_${l}_ROLE"
		state=up
		[ "$role" != backup ] || state=backup
		tx=$(wk_link_rate "$LAB" "$l" up)
		rx=$(wk_link_rate "$LAB" "$l" down)
		wk_path "$LAB" "$site" "$dev" "$addr" "$state" "$tx" "$rx" ||
			die "path $addr of $site"
		printf '  path %-6s %-12s %-6s tx %-8s rx %s\n' "$l" "$addr" "$state" \
			"$(wk_rate "$tx")" "$(wk_rate "$rx")"
	done
}

# --- traffic and sampling --------------------------------------------------------------------
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

# The traffic sink's received bytes (its interface towards the concentrator, or the
# concentrator's tunnel device when the sink is the concentrator).
sink_bytes() {
	ip netns exec "gtlab-$LAB-$SINK_NODE" cat "/sys/class/net/$SINK_IF/statistics/rx_bytes"
}

# One sample a second at t0 + k s, k = 0..DURATION, for view.awk.
sample_loop() {
	local k=0 target now d
	while [ $k -le "$DURATION" ]; do
		target=$((T0_US + k * 1000000))
		now=$(now_us)
		d=$((target - now))
		if [ $d -gt 0 ]; then
			sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"
		fi
		now=$(now_us)
		d=$((now - T0_US))
		echo "S $((d / 1000000)).$(printf '%06d' $((d % 1000000))) $(sink_bytes)"
		wk_paths "$LAB" "$CLIENT_SITE" "$CLIENT_DEV" | sed 's/^/P /'
		echo E
		k=$((k + 1))
	done
}

# The sink's received bytes every ~20 ms, "T_US BYTES" lines, for how long the TCP flow stalled
# at each cut: read from /proc/PID/net/dev of a process in the sink's namespace, and paced by a
# read that times out on an idle FIFO, so that the loop forks nothing.
fine_sampler() {
	local line t f=/proc/$1/net/dev
	mkfifo "$DEMO_DIR/tick"
	exec 7<>"$DEMO_DIR/tick"
	while [ -r "$f" ]; do
		while read -r line; do
			case $line in
			"$SINK_IF:"*)
				set -- ${line#*:}
				t=$EPOCHREALTIME
				echo "${t/./} $1"
				break
				;;
			esac
		done <"$f" || break
		read -r -t 0.02 -u 7 line || :
	done
}

# --- summary ----------------------------------------------------------------------------------
link_drops() {
	"$GTLAB" -i "$LAB" link "$1" show | awk '
		/ counters / { for (i = 3; i <= NF; i++) { split($i, kv, "="); c[kv[1]] += kv[2] } }
		END { printf "%d by the loss model, %d queue drops, %d while cut", c["lost"], c["qdrop"], c["cut"] }'
}

# First time after T (s) that LINK carries at least 1 Mbit/s up, from the lab's series.
back_after() {
	awk -F, -v T="$1" -v l="$2" '$2 == l && $1 > T + 0.001 && $3 >= 1 { printf "%.2f", $1 - T; f = 1; exit }
		END { if (!f) printf "-" }' "$OUT/lab-series.csv"
}

# The longest time without a byte delivered to the sink around a cut at T s: between two
# increases of its counter, the first one at most 0.5 s before T, the second after T, within 3 s.
tcp_stall() {
	awk -v T="$1" -v t0="$T0_US" '
		{ t = ($1 - t0) / 1e6 }
		NR > 1 && $2 > b {
			if (lc >= T - 0.5 && lc <= T + 3 && t >= T && t - lc > best)
				best = t - lc
			lc = t
		}
		NR == 1 { lc = t }
		{ b = $2 }
		END { printf "%d", best * 1000 }' "$OUT/sink-fine.txt"
}

pings_lost() {
	case $1 in
	1) echo "1 ping lost" ;;
	*) echo "$1 pings lost" ;;
	esac
}

summary() {
	local t stop lost text after sent answered
	say ""
	say "== summary ($SOURCE_NAME -> $SINK_NAME through the tunnel, TCP for ${DURATION} s)"
	say "goodput by phase (what $SINK_NAME received, IP bytes) and what the client sent on each path, Mbit/s:"
	sed 's/^/  /' "$OUT/phases.txt"
	say ""
	say "failover (a ping every $(awk -v i="$PING_INTERVAL" 'BEGIN { print i * 1000 }') ms from $SOURCE_NAME to $SINK_NAME alongside: how long what was sent got lost):"
	cutlost=0
	[ -n "$EVENTS" ] || say "  (no link event in the scenario's timeline)"
	while read -r t stop lost text; do
		[ "$t" != total ] || { sent=$stop answered=$lost; continue; }
		case $text in
		*" cut"*)
			[ "$lost" = - ] || cutlost=$((cutlost + lost))
			stall=$(tcp_stall "$t")
			if [ "$stop" = -1 ]; then
				printf '  %5.1f s  %-14s traffic did not resume\n' "$t" "$text"
			else
				printf '  %5.1f s  %-14s pings stopped for %s ms (%s lost); TCP delivered nothing for %s ms\n' \
					"$t" "$text" "$stop" "$lost" "$stall"
			fi
			;;
		*" restore"*)
			after=$(back_after "$t" "${text%% *}")
			printf '  %5.1f s  %-14s %s; %s carries traffic again after %s s\n' \
				"$t" "$text" "$(pings_lost "$lost")" "${text%% *}" "$after"
			;;
		*)
			printf '  %5.1f s  %-14s %s\n' "$t" "$text" "$(pings_lost "$lost")"
			;;
		esac
	done <"$OUT/failover.txt"
	case $EVENTS in
	*" restore"*) say "  (\"carries traffic again\": from the lab's counters, 250 ms resolution)" ;;
	esac
	say ""
	say "loss:"
	if [ -n "${sent-}" ] && [ "${sent:-0}" -gt 0 ]; then
		awk -v s="$sent" -v a="$answered" -v c="$cutlost" 'BEGIN { printf "  pings: %d of %d answered (%.2f%% lost, %d of them at the cuts)\n", a, s, 100 * (s - a) / s, c }'
	fi
	awk '/ sender$/ { s = $7; u = $8; r = $9 } / receiver$/ { v = $7; w = $8 }
		END { if (s != "") printf "  iperf3: sent %s %s, received %s %s, %s TCP retransmissions\n", s, u, v, w, r }' \
		"$OUT/iperf3.log"
	for l in $GTLAB_LINKS; do
		printf '  link %-6s %s\n' "$l" "$(link_drops "$l")"
	done
}

# --- main -------------------------------------------------------------------------------------
preflight
trap cleanup EXIT
trap 'echo; echo "demo: interrupted; cleaning up" >&2; exit 130' INT TERM HUP
mkdir -p "$OUT"
rm -f "$OUT"/*.png "$OUT"/*.csv "$OUT"/*.txt "$OUT"/*.log
DEMO_DIR=$(mktemp -d /tmp/gtdemo.XXXXXX)
EVENTS=$(scenario_events)

# A lab id of our own: dm00..dm99, the first one free from the pid's.
if [ -z "$LAB" ]; then
	for i in $(seq 0 99); do
		LAB=dm$(printf '%02d' $((($$ + i) % 100)))
		[ -e "/run/gtlab/$LAB" ] || ip netns list | grep -q "^gtlab-$LAB-" || break
	done
fi
say "== lab $LAB: $SCN"
"$GTLAB" -i "$LAB" up --hold "$SCN" | sed 's/^/  /'
LAB_UP=1
eval "$("$GTLAB" -i "$LAB" env)"

say "== tunnel: concentrator ($CONC), one client per site"
conc_start
n=0
for site in $(lab_sites); do
	n=$((n + 1))
	conc_site_add "$site" "$n"
	say "  site $site: client gt-worker in $site -> $SITE_SERVER port $SITE_PORT," \
		"tunnel $(wk_tun_ip "$SITE_TUN_N" 2) <-> $(wk_tun_ip "$SITE_TUN_N" 1)"
	site_up "$site" "$n"
	if [ $n -eq 1 ]; then
		CLIENT_SITE=$site CLIENT_DEV=gtc-$LAB-$n CLIENT_N=$SITE_TUN_N
	fi
done
nlinks=$(links_of "$CLIENT_SITE" | wc -l)
wk_poll 15 wk_paths_ok "$LAB" "$CLIENT_SITE" "$CLIENT_DEV" "$nlinks" ||
	{ wk "$LAB" "$CLIENT_SITE" path dev "$CLIENT_DEV" >&2; die "the paths did not come up"; }
say "  $CLIENT_SITE's paths (gt-worker path in $CLIENT_SITE):"
wk "$LAB" "$CLIENT_SITE" path dev "$CLIENT_DEV" | sed 's/^/    /'
say "  the concentrator's view of them:"
conc_site_show "$CLIENT_SITE" | sed 's/^/    /'

# The traffic: from the first host behind the site (else the site itself, from its tunnel
# address) to the first host behind the concentrator (else the concentrator's tunnel end).
src=$(hosts_via "$CLIENT_SITE" | head -n 1)
dst=$(hosts_via "$GTLAB_CONC" | head -n 1)
if [ -n "$src" ]; then
	SOURCE_NAME=$src SOURCE_NODE=$src SOURCE_BIND=""
else
	SOURCE_NAME=$CLIENT_SITE SOURCE_NODE=$CLIENT_SITE
	SOURCE_BIND=$(wk_tun_ip "$CLIENT_N" 2)
fi
if [ -n "$dst" ]; then
	eval "SINK_ADDR=\$GTLAB_HOST_${dst}_ADDR4"
	SINK_NAME=$dst SINK_NODE=$dst SINK_IF=$GTLAB_CONC-$LAB
else
	SINK_ADDR=$(wk_tun_ip "$CLIENT_N" 1)
	SINK_NAME=$GTLAB_CONC SINK_NODE=$GTLAB_CONC
	SINK_IF=$(ip -n "gtlab-$LAB-$GTLAB_CONC" -o route get "$(wk_tun_ip "$CLIENT_N" 2)" |
		sed -n 's/.* dev \([^ ]*\).*/\1/p')
fi
SRC_NS=gtlab-$LAB-$SOURCE_NODE
SINK_NS=gtlab-$LAB-$SINK_NODE
ip netns exec "$SRC_NS" ping -n -c 1 -W 3 ${SOURCE_BIND:+-I "$SOURCE_BIND"} "$SINK_ADDR" \
	>/dev/null || die "$SOURCE_NAME cannot reach $SINK_NAME ($SINK_ADDR) through the tunnel"
(setsid ip netns exec "$SINK_NS" iperf3 -s -1 </dev/null >"$OUT/iperf3-server.log" 2>&1 &)
wk_poll 5 sh -c "ip netns exec $SINK_NS ss -Hltn 'sport = :5201' | grep -q ." ||
	die "iperf3 server did not start"
SINK_PID=$(ip netns pids "$SINK_NS" | head -n 1)

say "== traffic: TCP (iperf3) from $SOURCE_NAME to $SINK_NAME ($SINK_ADDR) for ${DURATION} s," \
	"with a ping every $(awk -v i="$PING_INTERVAL" 'BEGIN { print i * 1000 }') ms; timeline of $SCN:"
echo "$EVENTS" | tr ';' '\n' | awk -F'|' 'NF == 2 { printf "  at %4.1f s: %s\n", $1, $2 }'
say "   (per path: ok = OK or DEGR(aded); rtt; what the client sent/received; ls% = the engine's"
say "    loss estimate, the larger of tx and rx; goodput = what $SINK_NAME received)"
"$GTLAB" -i "$LAB" start
# The timeline's t0 (CLOCK_MONOTONIC) as wall-clock time, for ping's timestamps.
mono=$("$ROOT/build/lab/gt-linkemu" now)
T0_US=$(($(now_us) - (mono - $(cat "/run/gtlab/$LAB/t0")) / 1000))
T0_WALL=$((T0_US / 1000000)).$(printf '%06d' $((T0_US % 1000000)))

fine_sampler "$SINK_PID" >"$OUT/sink-fine.txt" &
fine_pid=$!
setsid ip netns exec "$SRC_NS" iperf3 -c "$SINK_ADDR" ${SOURCE_BIND:+-B "$SOURCE_BIND"} \
	-t "$DURATION" -i 1 -f m --connect-timeout 3000 </dev/null >"$OUT/iperf3.log" 2>&1 &
iperf_pid=$!
setsid ip netns exec "$SRC_NS" ping -D -n -i "$PING_INTERVAL" -w "$DURATION" \
	${SOURCE_BIND:+-I "$SOURCE_BIND"} "$SINK_ADDR" </dev/null >"$OUT/ping.log" 2>&1 &
ping_pid=$!

names=""
for l in $(links_of "$CLIENT_SITE"); do
	eval "names=\"\$names \$GTLAB_LINK_${l}_SITE4=$l\""
done
sample_loop | awk -v names="$names" -v events="$EVENTS" -v csv="$OUT/series.csv" \
	-v phases="$OUT/phases.txt" -f "$DEMO_HOME/view.awk" | tee "$OUT/status.txt"

wait "$iperf_pid" || say "demo: iperf3 failed (see $OUT/iperf3.log)"
wait "$ping_pid" || true
kill "$fine_pid" 2>/dev/null || true
wait "$fine_pid" 2>/dev/null || true
"$GTLAB" -i "$LAB" stats >"$OUT/lab-series.csv"
awk -v t0="$T0_WALL" -v events="$EVENTS" -v interval="$PING_INTERVAL" \
	-f "$WK_LIB/outage.awk" "$OUT/ping.log" >"$OUT/failover.txt"
summary | tee "$OUT/summary.txt"

echo "$EVENTS" | tr ';' '\n' | tr '|' ' ' >"$DEMO_DIR/events"
PLOT_EVENTS=$DEMO_DIR/events PLOT_EMPHASIS=goodput PLOT_TITLE="demo ($CLIENT_SITE, gt-worker path)" \
	"$ROOT/netns-lab/plot.sh" "$OUT/series.csv" "$OUT" >/dev/null
PLOT_EVENTS=$DEMO_DIR/events PLOT_TITLE="demo (the lab's links)" \
	"$ROOT/netns-lab/plot.sh" "$OUT/lab-series.csv" "$OUT/lab" >/dev/null
say ""
say "plots: $OUT/overview.png (throughput, RTT and loss per path, from gt-worker path),"
say "       $OUT/lab/overview.png (the same from the link emulators' counters)"
say "data:  $OUT/series.csv, $OUT/lab-series.csv, $OUT/status.txt, $OUT/iperf3.log, $OUT/ping.log"
