#!/bin/sh
# gt-worker on the netns lab: a backup path takes over and hands back. One `up` path (main) and
# one `backup` path (bkp); a ping every 10 ms through the tunnel uses main only; main is cut: the
# traffic moves to bkp; main is restored: it moves back. Asserted on both ends' `gt-worker path`
# tx_packets counters (the client's requests, the server's replies).
#
#   site: gt-worker client ==main 30 Mbit/s 10 ms (up)========== conc: gt-worker server
#         198.18.201.2     ==bkp  10 Mbit/s 30 ms (backup)====== 198.18.201.1
set -eu
. netns-lab/lib/testlib.sh
. netns-lab/lib/worker.sh
lab_test_init
[ -x "$GT_WORKER" ] || fail "$GT_WORKER missing (make)"

L=$(test_id v)
CD=gtc-$L SD=gts-$L
cat >"$TMP/backup.scn" <<'EOF'
seed 3
stats 100ms
node conc concentrator
node site site
link site main rate 30mbit delay 10ms
link site bkp rate 10mbit delay 30ms backup
EOF

logs() {
	echo "--- client path"; wk "$L" site path dev "$CD" 2>&1
	echo "--- server path"; wk "$L" conc path dev "$SD" 2>&1
	echo "--- client log"; cat "$TMP/cli.log"
	echo "--- server log"; cat "$TMP/srv.log"
}
die() {
	logs >&2
	fail "$*"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

lab "$L" up "$TMP/backup.scn" >/dev/null
eval "$(lab "$L" env)"
M=$GTLAB_LINK_main_SITE4 B=$GTLAB_LINK_bkp_SITE4
wk_pair "$L" site "$SD" "$CD" "$TMP" || die "the tunnel did not start"
wk_path "$L" site "$CD" "$M" up 30mbit 30mbit
wk_path "$L" site "$CD" "$B" backup 10mbit 10mbit
wk_poll 10 wk_paths_ok "$L" site "$CD" 2 || die "the paths did not come up"
wk "$L" site path dev "$CD" | grep -q "^path BACKUP OK $B " || die "bkp is not an OK backup path"
ok "one up path and one backup path, both OK"

# A ping every 10 ms through the tunnel, for the whole test (gtlab down ends it).
(setsid ip netns exec "gtlab-$L-site" ping -D -n -i 0.01 -w 40 "$(wk_tun_ip 1 1)" \
	</dev/null >"$TMP/ping.log" 2>&1 &)
wk_poll 5 grep -q 'bytes from' "$TMP/ping.log" || die "no ping through the tunnel"

# snap: tx_packets of the client's main and bkp paths, then the server's (by peer address).
snap() {
	wk_paths "$L" site "$CD" | awk -v m="$M" -v b="$B" '$1 == m { x = $5 } $1 == b { y = $5 }
		END { printf "%d %d ", x, y }'
	wk_paths "$L" conc "$SD" | awk -v m="$M" -v b="$B" '$11 == m { x = $5 } $11 == b { y = $5 }
		END { printf "%d %d\n", x, y }'
}
# window SECONDS: the four counters' growth over SECONDS, as "cm cb sm sb".
window() {
	_a=$(snap)
	sleep "$1"
	_b=$(snap)
	echo "$_a $_b" | awk '{ print $5 - $1, $6 - $2, $7 - $3, $8 - $4 }'
}

# Thresholds: the pings make 60 to 100 packets a second each way (ping sends slower than asked on
# a busy machine), probes at most 10 (a path's beat), standby probes one a second.
# 1. Before the cut: the traffic takes main, bkp carries its standby probes only.
set -- $(window 1)
echo "before the cut, over 1 s: client main +$1 bkp +$2, server main +$3 bkp +$4 packets"
[ "$1" -ge 30 ] && [ "$3" -ge 30 ] || die "main does not carry the traffic"
[ "$2" -le 10 ] && [ "$4" -le 10 ] || die "bkp carries traffic while main is up"
ok "the up path carries the traffic, the backup path stands by"

# 2. main cut: the client finds it DEGRADED, the traffic moves to bkp, both ways.
t_cut=$(now_ms)
cut_wall=$(date +%s.%N)
lab "$L" link main cut
wk_poll 5 wk_path_ok "$L" site "$CD" "$M" 0 || die "main is still OK 5 s after its cut"
echo "main DEGRADED at the client $(($(now_ms) - t_cut)) ms after the cut"
set -- $(window 1)
echo "main cut, over 1 s: client main +$1 bkp +$2, server main +$3 bkp +$4 packets"
[ "$2" -ge 30 ] && [ "$4" -ge 30 ] || die "bkp did not take over"
[ "$1" -le 20 ] && [ "$3" -le 20 ] || die "traffic still sent on the cut path"
ok "the backup path took over"

# 3. main restored: it comes back OK and the traffic returns to it.
t_res=$(now_ms)
lab "$L" link main restore
res_lab=$(build/lab/gt-linkemu now)
wk_poll 5 wk_path_ok "$L" site "$CD" "$M" 1 || die "main not OK 5 s after its restore"
echo "main OK again $(($(now_ms) - t_res)) ms after the restore"
n=0
until set -- $(window 0.5) && [ "$1" -ge 15 ] && [ "$3" -ge 15 ] && [ "$2" -le 5 ] &&
	[ "$4" -le 5 ]; do
	n=$((n + 1))
	[ $n -lt 10 ] || die "the traffic did not return to main: +$1 +$2 +$3 +$4"
done
echo "traffic back on main within $(($(now_ms) - t_res)) ms of the restore" \
	"(last 0.5 s: client main +$1 bkp +$2, server main +$3 bkp +$4)"
ok "the traffic returned to the up path"

# When main carried the ping stream again, from the lab's counters (every 100 ms): the first
# interval after the restore with more than its probes (100 pings/s: over 0.05 Mbit/s).
lab "$L" stats | awk -F, -v T="$(((res_lab - $(cat "$GTLAB_STATE/t0")) / 1000000))" '
	$2 == "main" && $1 * 1000 > T && $3 > 0.05 {
		lo = $1 * 1000 - T - 100
		printf "main carries the pings again %d to %d ms after the restore (lab counters)\n",
			lo < 0 ? 0 : lo, $1 * 1000 - T; exit }'
# How long the ping stream stopped at the cut (information).
awk -v t0="$cut_wall" -v events="0|main cut" -f netns-lab/lib/outage.awk "$TMP/ping.log" |
	awk '$1 != "total" { print "traffic stopped at the cut for " $2 " ms (" $3 " pings lost)" }'
lab "$L" down >/dev/null
no_leftovers "$L"
ok "lab down, nothing left"
