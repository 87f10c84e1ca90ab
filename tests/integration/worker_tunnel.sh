#!/bin/sh
# Our client and our server (gt-worker, hand-run) over two links, in network namespaces:
#
#   site ns (client)                              concentrator ns (server)
#   gtc 198.18.100.2 / fd00:100::2                gts 198.18.100.1 / fd00:100::1
#   link 1: 198.18.1.2/30  fd00:1::2 ---------- 198.18.1.1/30  fd00:1::1
#   link 2: 198.18.2.2/30  fd00:2::2 ---------- 198.18.2.1/30  fd00:2::1
#
# For each cipher and each underlay family: the paths come up, ping over IPv4 and IPv6 inside
# the tunnel, then a 64 MB TCP transfer whose bytes are checked; link 1 is cut (nftables drops
# everything on it) in the middle of the transfer, and the transfer must complete.
# Each hand-run parent holds no UDP socket and no /dev/net/tun once its child has them, and
# still sets the TUN MTU that the child finds.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
W=$top/bin/gt-worker
T=$top/build/tools/gt-tcpcheck
id=$$
S=gts$id C=gtc$id X=gtx$id
tmp=$(mktemp -d)
pids=""

cleanup() {
	set +e
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	ip netns del "$X" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	echo "--- server log"; cat "$tmp/srv.log" 2>/dev/null
	echo "--- client log"; cat "$tmp/cli.log" 2>/dev/null
	exit 1
}

# waits until the command succeeds, at most $1 tenths of a second
wait_for() {
	n=$1; shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

paths_ok() {
	[ "$(ip netns exec "$C" "$W" path dev tun-c | grep -c ' OK ')" -ge "$1" ]
}

setup_netns() {
	ip netns add "$S"
	ip netns add "$C"
	for l in 1 2; do
		ip link add "s$l" netns "$S" type veth peer name "c$l" netns "$C"
		ip -n "$S" addr add "198.18.$l.1/30" dev "s$l"
		ip -n "$C" addr add "198.18.$l.2/30" dev "c$l"
		ip -n "$S" addr add "fd00:$l::1/64" dev "s$l" nodad
		ip -n "$C" addr add "fd00:$l::2/64" dev "c$l" nodad
		ip -n "$S" link set "s$l" up
		ip -n "$C" link set "c$l" up
	done
	ip -n "$S" link set lo up
	ip -n "$C" link set lo up
	# the client reaches the server's link-1 address over link 2 too: routing by source (IPv6
	# through the neighbour on link 2, which answers neighbour discovery for its own addresses only)
	ip -n "$C" route add 198.18.1.1/32 dev c2 src 198.18.2.2 table 102
	ip -n "$C" rule add from 198.18.2.2 table 102
	ip -n "$C" -6 route add fd00:1::1/128 via fd00:2::1 dev c2 src fd00:2::2 table 102
	ip -n "$C" -6 rule add from fd00:2::2 table 102
	ip -n "$S" route add 198.18.2.2/32 dev s2 table 102
	ip -n "$S" rule add to 198.18.2.2 table 102
	ip -n "$S" -6 route add fd00:2::2/128 dev s2 table 102
	ip -n "$S" -6 rule add to fd00:2::2 table 102
}

# run CIPHER FAMILY: one tunnel, its checks, then it is stopped
run() {
	cipher=$1 fam=$2
	echo "== cipher $cipher, underlay IPv$fam"
	if [ "$fam" = 4 ]; then
		srv_addr=198.18.1.1 l1=198.18.1.2 l2=198.18.2.2 bind=0.0.0.0
	else
		srv_addr=fd00:1::1 l1=fd00:1::2 l2=fd00:2::2 bind=::
	fi
	extra=""
	[ "$cipher" = chacha20poly1305 ] && extra=chacha
	ip netns exec "$S" "$W" bind :: 5000 keyfile "$tmp/key" dev tun-s $extra \
		>"$tmp/srv.log" 2>&1 &
	pids="$pids $!"
	ip netns exec "$C" "$W" bind "$bind" 5001 to "$srv_addr" 5000 keyfile "$tmp/key" dev tun-c \
		$extra >"$tmp/cli.log" 2>&1 &
	pids="$pids $!"
	wait_for 50 ip -n "$S" link show tun-s || fail "server did not start"
	wait_for 50 ip -n "$C" link show tun-c || fail "client did not start"
	ip -n "$S" addr add 198.18.100.1 peer 198.18.100.2 dev tun-s
	ip -n "$C" addr add 198.18.100.2 peer 198.18.100.1 dev tun-c
	ip -n "$S" addr add fd00:100::1/64 dev tun-s nodad
	ip -n "$C" addr add fd00:100::2/64 dev tun-c nodad
	ip -n "$S" link set tun-s up
	ip -n "$C" link set tun-c up
	wait_for 50 ip netns exec "$C" "$W" show dev tun-c || fail "no control socket"
	ip netns exec "$C" "$W" path "$l1" dev tun-c up rate tx 200mbit rx 200mbit
	ip netns exec "$C" "$W" path "$l2" dev tun-c up rate tx 200mbit rx 200mbit
	wait_for 100 paths_ok 2 || fail "paths did not come up"
	ip netns exec "$C" "$W" path dev tun-c

	got=$(ip netns exec "$C" "$W" show dev tun-c)
	echo "$got"
	case "$got" in *" $cipher") ;; *) fail "cipher is not $cipher: $got" ;; esac
	# delay auto (the default), even, low (ours): set on a running tunnel, shown by --json show
	ip netns exec "$C" "$W" --json show dev tun-c | grep -q '"delay": "auto"' || fail "delay not auto"
	ip netns exec "$C" "$W" set dev tun-c delay even || fail "set delay even"
	ip netns exec "$C" "$W" --json show dev tun-c | grep -q '"delay": "even"' || fail "delay not even"
	if ip netns exec "$C" "$W" set dev tun-c delay fast 2>/dev/null; then fail "delay fast taken"; fi
	ip netns exec "$C" "$W" set dev tun-c delay low || fail "set delay low"
	ip netns exec "$C" "$W" --json show dev tun-c | grep -q '"delay": "low"' || fail "delay not low"
	ip netns exec "$C" "$W" set dev tun-c delay auto || fail "set delay auto"
	ip netns exec "$C" "$W" --json show dev tun-c | grep -q '"delay": "auto"' || fail "delay not back to auto"

	[ "$fam" = 4 ] && tmtu=1450 || tmtu=1430
	parent_fds_closed "$C" "$tmp/cli.log" tun-c "$tmtu"
	parent_fds_closed "$S" "$tmp/srv.log" tun-s "$tmtu"
	ip netns exec "$C" ping -c 3 -i 0.2 -W 2 198.18.100.1 >/dev/null || fail "ping IPv4"
	ip netns exec "$C" ping -6 -c 3 -i 0.2 -W 2 fd00:100::1 >/dev/null || fail "ping IPv6"
	if [ "$cipher$fam" = aegis2564 ]; then same_name_elsewhere; fi

	# 64 MB checked; link 1 cut once the transfer is under way
	ip netns exec "$S" "$T" serve 198.18.100.1 7000 67108864 $id >"$tmp/tcp.log" 2>&1 &
	rx=$!
	ip netns exec "$C" "$T" send 198.18.100.1 7000 67108864 $id &
	tx=$!
	pids="$pids $rx $tx"
	tcp_pids="$rx $tx"
	sleep 0.3
	ip netns exec "$C" nft -f - <<-NFT
	table inet gtcut {
		chain o {
			type filter hook output priority 0;
			oifname "c1" drop
		}
		chain i {
			type filter hook input priority 0;
			iifname "c1" drop
		}
	}
	NFT
	wait "$tx" || fail "sender failed"
	wait "$rx" || { cat "$tmp/tcp.log"; fail "transfer with a cut link"; }
	pids=$(echo "$pids" | sed "s/ $rx $tx//")
	cat "$tmp/tcp.log"
	ip netns exec "$C" nft delete table inet gtcut
	ip netns exec "$C" "$W" path dev tun-c

	# the server side answers show and lists what it learned
	ip netns exec "$S" "$W" path dev tun-s | grep -q ' UP ' || fail "server lists no path"
	for p in $pids; do kill "$p"; done
	for p in $pids; do wait "$p" || true; done
	pids=""
	wait_for 50 sh -c "! ip -n $S link show tun-s" || fail "server TUN left behind"
}

# The privileged parent of a hand-run tunnel keeps no data-plane descriptor once its sandboxed
# child has them: no UDP socket and no /dev/net/tun in /proc/PID/fd (PID from its log line
# "running on device DEV as pid PID"); the MTU it sets by name must still change.
parent_fds_closed() {
	ns=$1 log=$2 dev=$3 mtu=$4
	pid=$(sed -n "s/^running on device $dev as pid \([0-9]*\)$/\1/p" "$log")
	[ -n "$pid" ] && [ -d "/proc/$pid/fd" ] || fail "no parent pid for $dev"
	# inodes of this namespace's UDP sockets (column 10 of /proc/net/udp and udp6)
	udp=$(awk 'NR > 1 { print $10 }' "/proc/$pid/net/udp" "/proc/$pid/net/udp6")
	[ -n "$udp" ] || fail "no UDP socket at all in the namespace of $dev"
	nfd=0
	for fd in /proc/"$pid"/fd/*; do
		l=$(readlink "$fd") || continue
		nfd=$((nfd + 1))
		[ "$l" != /dev/net/tun ] || fail "the parent of $dev holds /dev/net/tun as $fd"
		case "$l" in socket:\[*\])
			ino=${l#socket:[}; ino=${ino%]}
			for u in $udp; do
				[ "$u" != "$ino" ] || fail "the parent of $dev holds a UDP socket as $fd"
			done ;;
		esac
	done
	[ "$nfd" -gt 3 ] || fail "the parent of $dev lists only $nfd descriptors"
	wait_for 100 sh -c "ip -n $ns link show $dev | grep -q ' mtu $mtu '" ||
		fail "the MTU of $dev is not $mtu: $(ip -n "$ns" link show "$dev")"
	echo "parent $pid of $dev: $nfd descriptors, no UDP socket, no /dev/net/tun; mtu $mtu"
}

# A second tunnel named like the running client, in another network namespace (which shares the
# control sockets' folder): it must refuse to start, and leave the first one's socket alone.
same_name_elsewhere() {
	ip netns add "$X"
	ip -n "$X" link set lo up
	if timeout 5 ip netns exec "$X" "$W" bind 127.0.0.1 5009 to 127.0.0.1 5000 keyfile "$tmp/key" \
		dev tun-c >"$tmp/dup.log" 2>&1; then
		fail "a second tunnel named tun-c started"
	fi
	cat "$tmp/dup.log"
	grep -q "a tunnel on a device named tun-c is running" "$tmp/dup.log" ||
		fail "no clear error for a second tun-c"
	ip netns exec "$C" "$W" show dev tun-c >/dev/null || fail "first tun-c lost its control socket"
	ip netns del "$X"
}

[ -x "$W" ] && [ -x "$T" ] || { echo "build bin/gt-worker and build/tools first"; exit 1; }
setup_netns
"$W" keygen >"$tmp/key"
run aegis256 4
run chacha20poly1305 4
run aegis256 6
echo "worker_tunnel: ok"
