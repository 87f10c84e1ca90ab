#!/bin/sh
# gt-worker under a replay flood from a third host, on the netns lab:
#
#   site: gt-worker client ══ a (100 Mbit/s, 5 ms) ══ conc: gt-worker server (198.19.0.1:5000)
#   198.18.1.2:5000                                     │ atk-ID 198.18.250.1
#                                                       │
#                                   attacker: x-ID 198.18.250.2 (namespace gtlab-ID-atk)
#
# The site's tunnel datagrams are captured on its link while it pings through the tunnel
# (gt-replay capture, both directions); then the attacker, on a link of its own into the concentrator (whose
# reverse-path filter is off, as on a router with asymmetric routes), floods the server with
# them for FLOOD_S seconds at FLOOD_PPS from the site's address and random source ports, mixed
# with random bytes, truncated and bit-flipped copies (gt-replay flood). Asserted:
#   - the server's path list gains no path (no peer address and port it did not have);
#   - the server's TUN received no replayed packet: its rx counter grows during the flood by no
#     more than what the client's TUN sent (nothing is sent on purpose meanwhile);
#   - pings through the tunnel right after the flood lose nothing.
# GT_WORKER (default bin/gt-worker) is the worker under test.
set -eu
. netns-lab/lib/testlib.sh
. netns-lab/lib/worker.sh
lab_test_init
REPLAY=build/tools/gt-replay
[ -x "$GT_WORKER" ] || fail "$GT_WORKER missing (make)"
[ -x "$REPLAY" ] || fail "$REPLAY missing (make tools)"
FLOOD_PPS=${FLOOD_PPS:-20000}
FLOOD_S=${FLOOD_S:-4}

L=$(test_id r)
CD=gtc-$L SD=gts-$L
X=gtlab-$L-atk # removed with the lab (gtlab down removes its namespaces gtlab-ID-*)
cat >"$TMP/replay.scn" <<'EOF'
seed 5
node conc concentrator
node site site
link site a rate 100mbit delay 5ms
EOF

die() {
	{
		echo "--- client path"; wk "$L" site path dev "$CD"
		echo "--- server path"; wk "$L" conc path dev "$SD"
		echo "--- client log"; tail -20 "$TMP/cli.log"
		echo "--- server log ($(wc -l <"$TMP/srv.log") lines)"; tail -20 "$TMP/srv.log"
	} >&2 2>/dev/null
	fail "$*"
}

lab "$L" up "$TMP/replay.scn" >/dev/null
eval "$(lab "$L" env)"
SNS=$GTLAB_NS_site CNS=$GTLAB_NS_conc
SITE=$GTLAB_LINK_a_SITE4
wk_pair "$L" site "$SD" "$CD" "$TMP" || die "the tunnel did not start"
wk_path "$L" site "$CD" "$SITE" up 100mbit 100mbit
wk_poll 10 wk_paths_ok "$L" site "$CD" 1 || die "the path did not come up"
SRV=$(wk_tun_ip 1 1)
ip netns exec "$SNS" ping -c 3 -i 0.2 -W 2 "$SRV" >/dev/null || die "no ping through the tunnel"
ok "tunnel up, ping through it"

# the attacker's namespace and link into the concentrator; spoofed sources pass there
ip netns add "$X"
ip link add "atk-$L" netns "$CNS" type veth peer name "x-$L" netns "$X"
ip -n "$CNS" addr add 198.18.250.1/30 dev "atk-$L"
ip -n "$X" addr add 198.18.250.2/30 dev "x-$L"
ip -n "$CNS" link set "atk-$L" up
ip -n "$X" link set "x-$L" up
ip -n "$X" link set lo up
ip -n "$X" route add "$GTLAB_PUB4" via 198.18.250.1
for k in all default "atk-$L"; do
	ip netns exec "$CNS" sysctl -qw "net.ipv4.conf.$k.rp_filter=0"
done

# the capture: the site's datagrams on its link while it pings through the tunnel
ip netns exec "$SNS" "$REPLAY" capture "$GTLAB_LINK_a_IF" 5000 300 "$TMP/cap" 15 \
	>"$TMP/capture.log" 2>&1 &
cap=$!
sleep 0.3
ip netns exec "$SNS" ping -q -c 200 -i 0.01 -W 1 "$SRV" >/dev/null || die "pings while capturing"
wait "$cap" || die "capture failed: $(cat "$TMP/capture.log")"
echo "$(cat "$TMP/capture.log"): $(awk -v s="$GTLAB_PUB4" '$3 == s' "$TMP/cap" | wc -l) to the server"

peers() {
	wk "$L" conc path dev "$SD" | awk '$1 == "path" { print $8 " " $9 }' | sort -u
}
tun_count() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}
peers >"$TMP/peers.before"
[ -s "$TMP/peers.before" ] || die "the server lists no path"
srx0=$(tun_count "$CNS" "$SD" rx_packets)
ctx0=$(tun_count "$SNS" "$CD" tx_packets)
lines0=$(wc -l <"$TMP/srv.log")

ip netns exec "$X" "$REPLAY" flood "$TMP/cap" "$SITE" "$GTLAB_PUB4" 5000 "$FLOOD_PPS" "$FLOOD_S" 7 \
	>"$TMP/flood.log" 2>&1 || die "flood failed: $(cat "$TMP/flood.log")"
echo "flood: $(cat "$TMP/flood.log")"

# pings right after the flood: none lost
ip netns exec "$SNS" ping -c 20 -i 0.05 -W 1 "$SRV" >"$TMP/ping.log" 2>&1 || true
sed -n 's/^\([0-9]* packets transmitted.*loss\).*/pings after the flood: \1/p' "$TMP/ping.log"

peers >"$TMP/peers.after"
srx1=$(tun_count "$CNS" "$SD" rx_packets)
ctx1=$(tun_count "$SNS" "$CD" tx_packets)
new=$(comm -13 "$TMP/peers.before" "$TMP/peers.after")
echo "server log: $(($(wc -l <"$TMP/srv.log") - lines0)) lines during the flood;" \
	"server paths: $(wc -l <"$TMP/peers.before") before, $(wc -l <"$TMP/peers.after") after"
[ -z "$new" ] || die "the flood created server paths: $(echo "$new" | head -5 | tr '\n' ',')" \
	"$(echo "$new" | wc -l) in all"
ok "no path created by the flood"
# the pings after the flood are 20 of the client's TUN packets and 20 of the server's
extra=$(((srx1 - srx0) - (ctx1 - ctx0)))
[ "$extra" -le 0 ] || die "the server's TUN received $extra packets the client did not send"
ok "no replayed packet reached the server's TUN ($((srx1 - srx0)) received, $((ctx1 - ctx0)) sent)"
grep -q ' 0% packet loss' "$TMP/ping.log" || die "pings lost after the flood: $(tail -2 "$TMP/ping.log")"
ok "no ping lost after the flood"
echo "worker_replay: ok"
