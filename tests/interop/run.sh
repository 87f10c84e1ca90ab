#!/bin/sh
# Interoperation with stock Glorytun peers, both ways, both ciphers, two paths, ping and iperf3:
#
#   GLORYTUN=/path/to/glorytun-0.3.4         stock 0.3.4 client -> our server, our client -> stock server
#   GLORYTUN_MASTER=/path/to/glorytun-master the same with a master-dialect build (glorytun 32267e8,
#                                            as OpenMPTCProuter ships it; its own command grammar)
#
# Without them it says that it did not run, and exits 0. Exit 1 if any run failed.
#
#   client ns                                     server ns
#   link 1: 198.18.1.2/30 ------------------------ 198.18.1.1/30
#   link 2: 198.18.2.2/30 ------------------------ 198.18.2.1/30
#   tunnel: 198.18.100.2 ------------------------- 198.18.100.1
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
W=$top/bin/gt-worker
id=$$
S=gtis$id C=gtic$id
tmp=$(mktemp -d)
failed=0 ran=0
results=""

cleanup() {
	pkill -f "keyfile $tmp/key" 2>/dev/null
	sleep 0.3
	pkill -9 -f "keyfile $tmp/key" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

wait_for() {
	n=$1; shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

setup() {
	ip netns add "$S" && ip netns add "$C" || return 1
	for l in 1 2; do
		ip link add "s$l" netns "$S" type veth peer name "c$l" netns "$C"
		ip -n "$S" addr add "198.18.$l.1/30" dev "s$l"
		ip -n "$C" addr add "198.18.$l.2/30" dev "c$l"
		ip -n "$S" link set "s$l" up
		ip -n "$C" link set "c$l" up
	done
	ip -n "$S" link set lo up
	ip -n "$C" link set lo up
	# both paths reach the server's link-1 address: link 2 by source routing
	ip -n "$C" route add 198.18.1.1/32 via 198.18.2.1 dev c2 src 198.18.2.2 table 102
	ip -n "$C" rule add from 198.18.2.2 table 102
	ip -n "$S" route add 198.18.2.2/32 dev s2 table 102
	ip -n "$S" rule add to 198.18.2.2 table 102
}

# server: ours | v1 | master; client likewise; cipher: aegis256 | chacha20poly1305
server_start() {
	ch=""; [ "$2" = chacha20poly1305 ] && ch=chacha
	case $1 in
	ours) ip netns exec "$S" "$W" bind 0.0.0.0 5000 keyfile "$tmp/key" dev gti-s $ch ;;
	v1) ip netns exec "$S" "$GLORYTUN" bind 0.0.0.0 5000 keyfile "$tmp/key" dev gti-s $ch ;;
	master) ip netns exec "$S" "$GLORYTUN_MASTER" bind from addr 0.0.0.0 port 5000 \
		keyfile "$tmp/key" dev gti-s $ch ;;
	esac
}

client_start() {
	ch=""; [ "$2" = chacha20poly1305 ] && ch=chacha
	case $1 in
	ours) ip netns exec "$C" "$W" bind 0.0.0.0 5001 to 198.18.1.1 5000 keyfile "$tmp/key" \
		dev gti-c $ch ;;
	ours-master) ip netns exec "$C" "$W" bind 0.0.0.0 5001 to 198.18.1.1 5000 \
		keyfile "$tmp/key" dev gti-c $ch master ;;
	v1) ip netns exec "$C" "$GLORYTUN" bind 0.0.0.0 5001 to 198.18.1.1 5000 keyfile "$tmp/key" \
		dev gti-c $ch ;;
	master) ip netns exec "$C" "$GLORYTUN_MASTER" bind from addr 0.0.0.0 port 5001 \
		to addr 198.18.1.1 port 5000 keyfile "$tmp/key" dev gti-c $ch ;;
	esac
}

client_paths() {
	for l in 1 2; do
		case $1 in
		ours | ours-master) ip netns exec "$C" "$W" path "198.18.$l.2" dev gti-c up \
			rate tx 100mbit rx 100mbit ;;
		v1) ip netns exec "$C" "$GLORYTUN" path "198.18.$l.2" dev gti-c up \
			rate tx 100mbit rx 100mbit ;;
		master) ip netns exec "$C" "$GLORYTUN_MASTER" path dev gti-c addr "198.18.$l.2" \
			set up rate fixed tx 100mbit rx 100mbit ;;
		esac
	done
}

client_list() {
	case $1 in
	ours | ours-master) ip netns exec "$C" "$W" path dev gti-c ;;
	v1) ip netns exec "$C" "$GLORYTUN" path dev gti-c ;;
	master) ip netns exec "$C" "$GLORYTUN_MASTER" path dev gti-c ;;
	esac
}

# one run: SERVER CLIENT CIPHER
run() {
	name="$2 client -> $1 server, $3"
	echo "== $name"
	ran=$((ran + 1))
	ok=1
	server_start "$1" "$3" >"$tmp/srv.log" 2>&1 &
	wait_for 50 ip -n "$S" link show gti-s || ok=0
	client_start "$2" "$3" >"$tmp/cli.log" 2>&1 &
	wait_for 50 ip -n "$C" link show gti-c || ok=0
	if [ $ok = 1 ]; then
		ip -n "$S" addr add 198.18.100.1 peer 198.18.100.2 dev gti-s
		ip -n "$C" addr add 198.18.100.2 peer 198.18.100.1 dev gti-c
		ip -n "$S" link set gti-s up
		ip -n "$C" link set gti-c up
		sleep 0.5
		client_paths "$2" || ok=0
		# both paths carry traffic once the MTU is confirmed
		wait_for 100 ip netns exec "$C" ping -c 1 -W 1 198.18.100.1 || ok=0
		sleep 2
		client_list "$2"
		loss=$(ip netns exec "$C" ping -c 20 -i 0.05 -W 2 198.18.100.1 |
		       sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
		echo "ping: ${loss:-100}% lost"
		[ "${loss:-100}" = 0 ] || ok=0
		for dir in "" -R; do
			ip netns exec "$S" iperf3 -s -1 -D -p 5201 >/dev/null 2>&1
			sleep 0.3
			r=$(ip netns exec "$C" timeout 15 iperf3 -c 198.18.100.1 -p 5201 -t 3 $dir -f m |
			    awk '/receiver/ { print $7 }')
			echo "iperf3 ${dir:-(client to server)}: ${r:-none} Mbit/s"
			[ -n "$r" ] || ok=0
		done
	fi
	if [ $ok = 1 ]; then
		results="$results\nPASS $name"
	else
		failed=$((failed + 1))
		results="$results\nFAIL $name"
		echo "--- server log"; cat "$tmp/srv.log"
		echo "--- client log"; cat "$tmp/cli.log"
	fi
	pkill -f "keyfile $tmp/key"
	wait_for 50 sh -c "! pgrep -f 'keyfile $tmp/key'" || pkill -9 -f "keyfile $tmp/key"
	wait_for 50 sh -c "! ip -n $S link show gti-s && ! ip -n $C link show gti-c"
}

if [ -z "${GLORYTUN:-}" ] && [ -z "${GLORYTUN_MASTER:-}" ]; then
	echo "test-interop: DID NOT RUN: set GLORYTUN=/path/to/glorytun-0.3.4 and/or"
	echo "GLORYTUN_MASTER=/path/to/glorytun-master (commit 32267e8) to run it"
	exit 0
fi
[ -x "$W" ] || { echo "build bin/gt-worker first"; exit 1; }
setup || exit 1
"$W" keygen >"$tmp/key"
for cipher in aegis256 chacha20poly1305; do
	if [ -n "${GLORYTUN:-}" ]; then
		run ours v1 "$cipher"
		run v1 ours "$cipher"
	fi
	if [ -n "${GLORYTUN_MASTER:-}" ]; then
		run ours master "$cipher"
		run master ours-master "$cipher"
	fi
done
[ -z "${GLORYTUN:-}" ] && echo "test-interop: the 0.3.4 runs DID NOT RUN (GLORYTUN unset)"
[ -z "${GLORYTUN_MASTER:-}" ] && echo "test-interop: the master runs DID NOT RUN (GLORYTUN_MASTER unset)"
printf "%b\n" "$results"
echo "$((ran - failed)) passed, $failed failed"
[ $failed = 0 ]
