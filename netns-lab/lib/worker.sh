# gt-worker on a lab: the two ends of a tunnel, their paths and counters. Sourced (POSIX sh) from
# the repository root by the worker's integration tests (tests/integration/lab_worker_*.sh) and
# the demo (netns-lab/demo/demo.sh), after the lab is up.
#
# Processes started here run detached in a lab's namespaces (their own session: a Ctrl-C reaches
# the caller only); `gtlab down` ends them with everything else in the lab's namespaces.
#
# Tunnel addresses (outside the lab's own plan, docs/lab.md): tunnel n (1..54), concentrator end
# 198.18.(200+n).1 and fd00:0:200:n::1, site end .2 and ::2.

GT_WORKER=${GT_WORKER:-bin/gt-worker}
WK_LIB=${WK_LIB:-netns-lab/lib}

# wk_poll SECONDS CMD...: polls CMD every 50 ms until it succeeds; fails after SECONDS.
wk_poll() {
	_wn=$(($1 * 20))
	shift
	until "$@" >/dev/null 2>&1; do
		_wn=$((_wn - 1))
		[ $_wn -gt 0 ] || return 1
		sleep 0.05
	done
}

# wk LAB NODE ARGS...: gt-worker ARGS... in NODE's namespace.
wk() {
	_wns=gtlab-$1-$2
	shift 2
	ip netns exec "$_wns" "$GT_WORKER" "$@"
}

# wk_start LAB NODE DEV LOG BIND-ARGS...: `gt-worker bind BIND-ARGS... dev DEV` in NODE's
# namespace, detached, its output in LOG; returns once its control socket answers (10 s at most).
wk_start() {
	_wns=gtlab-$1-$2 _wdev=$3 _wlog=$4
	shift 4
	(setsid ip netns exec "$_wns" "$GT_WORKER" bind "$@" dev "$_wdev" \
		</dev/null >"$_wlog" 2>&1 &)
	wk_poll 10 ip netns exec "$_wns" "$GT_WORKER" show dev "$_wdev"
}

# wk_tun_addr LAB NODE DEV N END: tunnel n's addresses on DEV (END: 1 concentrator, 2 site), and
# DEV up.
wk_tun_addr() {
	_wns=gtlab-$1-$2 _wn=$4 _we=$5
	ip -n "$_wns" addr add "198.18.$((200 + _wn)).$_we/32" \
		peer "198.18.$((200 + _wn)).$((3 - _we))/32" dev "$3"
	ip -n "$_wns" -6 addr add "fd00:0:200:$_wn::$_we/64" dev "$3" nodad
	ip -n "$_wns" link set "$3" up
}

# wk_pair LAB SITE SDEV CDEV DIR: tunnel 1 of the lab: a fresh key DIR/key, a server on port
# 5000 of the concentrator (device SDEV, log DIR/srv.log) and its client on node SITE (CDEV,
# DIR/cli.log, to the concentrator's public IPv4 address), both devices addressed and up. Says
# which end did not start and fails.
wk_pair() {
	"$GT_WORKER" keygen >"$5/key" || return 1
	wk_start "$1" conc "$3" "$5/srv.log" 0.0.0.0 5000 keyfile "$5/key" ||
		{ echo "wk_pair: the server did not start" >&2; return 1; }
	wk_start "$1" "$2" "$4" "$5/cli.log" 0.0.0.0 5000 to "$GTLAB_PUB4" 5000 keyfile "$5/key" ||
		{ echo "wk_pair: the client did not start" >&2; return 1; }
	wk_tun_addr "$1" conc "$3" 1 1 && wk_tun_addr "$1" "$2" "$4" 1 2
}

# wk_tun_ip N END [6]: tunnel n's address of END (1 concentrator, 2 site).
wk_tun_ip() {
	if [ "${3-4}" = 6 ]; then
		echo "fd00:0:200:$1::$2"
	else
		echo "198.18.$((200 + $1)).$2"
	fi
}

# wk_route LAB NODE DEV NET...: NETs through the tunnel DEV (IPv4 or IPv6).
wk_route() {
	_wns=gtlab-$1-$2 _wdev=$3
	shift 3
	for _wnet in "$@"; do
		ip -n "$_wns" route replace "$_wnet" dev "$_wdev"
	done
}

# wk_rate BITS: a lab rate ("100mbit", "512kbit", "0" unlimited) as gt-worker's (1gbit for 0).
wk_rate() {
	case $1 in
	0 | '') echo 1gbit ;;
	*) echo "$1" ;;
	esac
}

# wk_link_rate LAB LINK up|down: the rate of a link's direction, from its emulator.
wk_link_rate() {
	"${GTLAB:-netns-lab/gtlab}" -i "$1" link "$2" show |
		sed -n "s/^$3 params rate \([^ ]*\) .*/\1/p"
}

# wk_path LAB NODE DEV ADDR up|backup|down TX RX: sets the path from the local address ADDR, with
# fixed rates (glorytun's units: 100mbit, 2500000 bytes per second...).
wk_path() {
	wk "$1" "$2" path "$4" dev "$3" "$5" rate fixed tx "$(wk_rate "$6")" rx "$(wk_rate "$7")"
}

# wk_paths LAB NODE DEV: the paths of a tunnel, one line each (from `gt-worker --json path`):
#   bind state ok rtt_ms tx_packets rx_packets tx_bytes rx_bytes tx_loss rx_loss peer
# ok is 1 or 0; losses in percent.
wk_paths() {
	wk "$1" "$2" --json path dev "$3" | awk -f "$WK_LIB/wkpaths.awk"
}

# wk_counter LAB NODE DEV ADDR FIELD: one field of the path whose local address (a client's
# paths) or peer address (a server's) is ADDR (field names as in wk_paths); empty if there is no
# such path.
wk_counter() {
	wk_paths "$1" "$2" "$3" | awk -v b="$4" -v f="$5" '
		BEGIN { n = split("bind state ok rtt_ms tx_packets rx_packets tx_bytes rx_bytes " \
		                  "tx_loss rx_loss peer", k, " "); for (i = 1; i <= n; i++) c[k[i]] = i }
		$1 == b || $11 == b { print $(c[f]); exit }'
}

# wk_paths_ok LAB NODE DEV N: at least N paths of the tunnel are OK.
wk_paths_ok() {
	[ "$(wk_paths "$1" "$2" "$3" | awk '$3 == 1' | wc -l)" -ge "$4" ]
}

# wk_path_ok LAB NODE DEV ADDR [0|1]: the path of ADDR (as wk_counter) is OK (1, default) or
# not (0).
wk_path_ok() {
	[ "$(wk_counter "$1" "$2" "$3" "$4" ok)" = "${5-1}" ]
}
