#!/bin/sh
# The netns lab's life cycle: two labs side by side, addresses and policy routing, run-time
# link control, the timeline, seeded runs, stats and plots; down leaves no namespace, link or
# process, also after crashes.
#
#   pc1 -- site1 ==fibre/dsl/lte (gt-linkemu in gtlab-ID-emu)== conc -- srv   (demo.scn)
set -eu
. netns-lab/lib/testlib.sh
lab_test_init

A=$(test_id a) B=$(test_id b) C=$(test_id c)
host_links=$(ip -o link show | awk -F': ' '{ print $2 }' | sort)

# --- two labs side by side, on the same addresses ---------------------------------------
lab "$A" up --hold netns-lab/scenarios/demo.scn
lab "$B" up netns-lab/scenarios/asym.scn
for n in conc site1 pc1 srv emu; do
	[ -e "/run/netns/gtlab-$A-$n" ] || fail "no namespace gtlab-$A-$n"
done
[ "$(ip -o link show | awk -F': ' '{ print $2 }' | sort)" = "$host_links" ] ||
	fail "up changed the host's interfaces"
[ "$(ip netns exec "gtlab-$A-emu" ip -o link | grep -c "fibre-[sc]$A")" -eq 2 ] ||
	fail "the emulators' namespace lacks fibre's veths"
lab "$A" exec site1 ping -n -c 2 -i 0.1 -W 1 198.18.1.1 >/dev/null || fail "lab $A fibre"
lab "$B" exec home ping -n -c 2 -i 0.1 -W 1 198.18.1.1 >/dev/null || fail "lab $B adsl"
ok "two labs up side by side"

eval "$(lab "$A" env)"
[ "$GTLAB_LINKS" = "fibre dsl lte" ] || fail "env: links '$GTLAB_LINKS'"
[ "$GTLAB_LINK_dsl_SITE4" = 198.18.2.2 ] && [ "$GTLAB_LINK_lte_CONC6" = fd00:0:1:3::1 ] &&
	[ "$GTLAB_PUB4" = 198.19.0.1 ] && [ "$GTLAB_HOST_pc1_ADDR4" = 198.19.1.2 ] &&
	[ "$GTLAB_LINK_lte_ROLE" = backup ] && [ "$GTLAB_NS_conc" = "gtlab-$A-conc" ] ||
	fail "env: unexpected addresses"

# Every link, both families; the concentrator's public address by each link's source
# address (policy routing takes that link); hosts through their gateway.
for k in 1 2 3; do
	lab "$A" exec site1 ping -n -c 1 -W 2 "198.18.$k.1" >/dev/null || fail "link $k, IPv4"
	lab "$A" exec site1 ping -n -c 1 -W 2 "fd00:0:1:$k::1" >/dev/null || fail "link $k, IPv6"
done
# Data packets only: the site's kernel sends MLD reports on every link for a few seconds after
# up, at random times, and the emulator counts them apart (control).
d0=$(data_pkts "$A" dsl up)
f0=$(data_pkts "$A" fibre up)
lab "$A" exec site1 ping -n -c 3 -i 0.05 -W 1 -I 198.18.2.2 198.19.0.1 >/dev/null ||
	fail "public address from dsl's address"
lab "$A" exec site1 ping -6 -n -c 1 -W 1 -I fd00:0:1:2::2 fd00:0:3::1 >/dev/null ||
	fail "public IPv6 address from dsl's address"
[ $(($(data_pkts "$A" dsl up) - d0)) -ge 4 ] || fail "dsl did not carry its source's pings"
[ "$(data_pkts "$A" fibre up)" -eq "$f0" ] || fail "fibre carried dsl's pings"
lab "$A" exec pc1 ping -n -c 1 -W 1 198.18.1.2 >/dev/null || fail "pc1 to its site"
lab "$A" exec srv ping -n -c 1 -W 2 198.18.1.2 >/dev/null || fail "srv to the site via fibre"
lab "$A" exec srv ping -6 -n -c 1 -W 2 fd00:0:1:1::2 >/dev/null || fail "srv to the site, IPv6"
ok "addresses, routes and policy routing"

# --- run-time control ---------------------------------------------------------------------
lab "$A" link site1 fibre cut
! lab "$A" exec site1 ping -n -c 2 -i 0.1 -W 1 198.18.1.1 >/dev/null 2>&1 ||
	fail "fibre carries traffic while cut"
lab "$A" link fibre restore
lab "$A" exec site1 ping -n -c 1 -W 1 198.18.1.1 >/dev/null || fail "fibre restored"
lab "$A" link conc fibre set up delay 30ms
rtt=$(lab "$A" exec site1 ping -n -c 3 -i 0.05 198.18.1.1 | sed -n 's|.*= \([0-9.]*\)/.*|\1|p')
awk -v r="$rtt" 'BEGIN { exit !(r >= 34.9 && r < 40) }' || fail "min RTT $rtt, expected 35 ms"
if lab "$A" link fibre set rate 10 2>"$TMP/err"; then fail "rate 10 accepted"; fi
grep -q "'rate 10': expected a rate" "$TMP/err" || fail "set error: $(cat "$TMP/err")"
if lab "$A" link site1 nosuch cut 2>/dev/null; then fail "unknown link accepted"; fi
if lab "$A" link srv fibre cut 2>/dev/null; then fail "fibre from srv accepted"; fi
lab "$A" link fibre show | grep -q '^up params rate 100mbit delay 30ms' ||
	fail "show after set: $(lab "$A" link fibre show | grep '^up params')"
lab "$A" status | grep -q "timeline: held" || fail "status: timeline not held"
ok "run-time cut, restore, set and errors"

# --- the timeline, on time ----------------------------------------------------------------
cat >"$TMP/tl.scn" <<'EOF'
seed 5
stats 100ms
node c concentrator
node s site
link s x delay 2ms
at 1s link x cut
at 1500ms link x set up delay 20ms
at 2s link x restore
EOF
lab "$C" up --hold "$TMP/tl.scn" >/dev/null
lab "$C" start
start_s=$(date +%s%N)
wait_for 3 sh -c "$GTLAB -i $C link x show | grep -q '^up state=cut'" || fail "x never cut"
wait_for 3 sh -c "$GTLAB -i $C link x show | grep -q '^up state=up'" || fail "x never restored"
lab "$C" link x show | grep -q "^up params rate 0 delay 20ms" || fail "x's delay not set"
sleep 0.3
# The counters file says when: cut from 1 s, restored from 2 s (samples every 100 ms, the
# first one after each event within 250 ms of it).
awk -F, '$3 != "up" { next } $NF == "cut" && c == "" { c = $1 } $NF == "up" && c != "" && r == "" { r = $1 }
	END { if (c < 1.0 || c > 1.25 || r < 2.0 || r > 2.25) { print c, r; exit 1 } }' \
	"/run/gtlab/$C/x.csv" >"$TMP/when" || fail "cut and restored at $(cat "$TMP/when") s"
[ $((($(date +%s%N) - start_s) / 1000000)) -lt 6000 ] || fail "timeline too slow"
ok "timeline events on time"

# --- stats and plots ------------------------------------------------------------------------
lab "$A" exec site1 ping -n -c 20 -i 0.02 198.18.2.1 >/dev/null
lab "$A" start
sleep 0.6
lab "$A" stats >"$TMP/series.csv"
head -n 1 "$TMP/series.csv" | grep -qx "time_s,path,up_mbps,down_mbps,rtt_ms,loss_up_pct,loss_down_pct" ||
	fail "series header"
[ "$(grep -c ',dsl,' "$TMP/series.csv")" -ge 1 ] || fail "no dsl samples"
grep ',lte,' "$TMP/series.csv" | tail -n 1 | awk -F, '$5 >= 80 && $5 < 81' | grep -q . ||
	fail "lte's model RTT: $(grep ',lte,' "$TMP/series.csv" | tail -n 1)"
lab "$A" plot "$TMP/plots" >/dev/null
for f in throughput rtt loss overview; do
	[ "$(head -c 4 "$TMP/plots/$f.png" | od -An -c | tr -d ' ')" = "211PNG" ] ||
		fail "$f.png is not a PNG"
done
ok "stats and plots"

# --- down -------------------------------------------------------------------------------------
lab "$A" down >/dev/null
no_leftovers "$A"
lab "$B" exec home ping -n -c 1 -W 1 198.18.1.1 >/dev/null || fail "down $A broke $B"
lab "$B" down >/dev/null
lab "$C" down >/dev/null
no_leftovers "$B"
no_leftovers "$C"
ok "down leaves nothing"

# --- crashes ----------------------------------------------------------------------------------
# gtlab killed while it builds.
E=$(test_id e)
LABS="$LABS $E"
"$GTLAB" -i "$E" up netns-lab/scenarios/demo.scn >/dev/null 2>&1 &
gt=$!
wait_for 5 test -e "/run/netns/gtlab-$E-site1" || fail "lab $E never started"
kill -9 "$gt" 2>/dev/null || true
wait "$gt" 2>/dev/null || true
lab "$E" down >/dev/null
no_leftovers "$E"
# The state folder lost, a process left in a namespace.
F=$(test_id f)
lab "$F" up netns-lab/scenarios/bench3.scn >/dev/null
( "$GTLAB" -i "$F" exec conc sleep 600 & )
wait_for 5 sh -c "ip netns pids gtlab-$F-conc | grep -q ." || fail "no sleep in $F"
rm -rf "/run/gtlab/$F"
lab "$F" down >/dev/null
wait 2>/dev/null || true
no_leftovers "$F"
# The emulators' namespace deleted under running emulators.
G=$(test_id g)
lab "$G" up netns-lab/scenarios/bench3.scn >/dev/null
ip netns del "gtlab-$G-emu"
[ -n "$(emulators_of "$G")" ] || fail "the emulators of $G ended with their namespace's name"
lab "$G" down >/dev/null
no_leftovers "$G"
ok "down after crashes"

# down --all PREFIX: every lab whose id starts with PREFIX, and only those, even after a crash
# (their state folder removed). Other labs on the machine are left alone.
P=w$(($$ % 100))
H=${P}a I=${P}b J=$(test_id j)
lab "$H" up netns-lab/scenarios/demo.scn >/dev/null
lab "$I" up netns-lab/scenarios/bench3.scn >/dev/null
lab "$J" up netns-lab/scenarios/bench3.scn >/dev/null
rm -rf "/run/gtlab/$H"
"$GTLAB" down --all "$P" >/dev/null
no_leftovers "$H"
no_leftovers "$I"
[ -n "$(ip netns list | grep "^gtlab-$J-")" ] || fail "down --all $P removed lab $J"
lab "$J" down >/dev/null
no_leftovers "$J"
ok "down --all PREFIX"
[ "$(ip -o link show | awk -F': ' '{ print $2 }' | sort)" = "$host_links" ] ||
	fail "the host's interfaces changed"
ok "the host's interfaces are as they were"
