# gtlab up and start: build a lab from its plan (gt-labscn plan), start its emulators and its
# timeline. Any failure tears down what was built (EXIT trap).

# sysctls for a namespace, written from inside it (/proc/sys/net is per namespace).
ns_sysctl() {
	local ns=$1
	shift
	ip netns exec "$ns" sh -c '
		for kv in "$@"; do
			echo "${kv#*=}" > "/proc/sys/net/${kv%%=*}"
		done' sh "$@"
}

up_namespaces() {
	local name role via ns
	while read -r name role via; do
		ns=$(ns_of "$name")
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		case $role in
		host)
			ns_sysctl "$ns" ipv6/conf/all/accept_dad=0 ipv6/conf/default/accept_dad=0
			;;
		*)
			# Sites and the concentrator route; a site has several uplinks, so no
			# reverse-path filter; no DAD or router solicitations to wait for.
			ns_sysctl "$ns" ipv4/ip_forward=1 ipv6/conf/all/forwarding=1 \
				ipv4/conf/all/rp_filter=0 ipv4/conf/default/rp_filter=0 \
				ipv6/conf/all/accept_dad=0 ipv6/conf/default/accept_dad=0
			;;
		esac
		if [ "$role" = site ]; then
			# Routes more specific than a default (its hosts, its links) come from
			# the main table whatever the source; defaults by source (up_link).
			ip -4 -n "$ns" rule add pref 500 lookup main suppress_prefixlength 0
			ip -6 -n "$ns" rule add pref 500 lookup main suppress_prefixlength 0
		fi
	done <<EOF
$(plan_get node)
EOF
	# The emulators' namespace: a bridge by AF_PACKET only, no addresses, no IPv6.
	ns=$(ns_of emu)
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ns_sysctl "$ns" ipv6/conf/all/disable_ipv6=1 ipv6/conf/default/disable_ipv6=1 \
		ipv4/ip_forward=0
}

# Link $1: two veth pairs through the emulators' namespace, addresses, routes, neighbours.
up_link() {
	local conc emu site cns dev a4 a6 c4 c6
	read_link "$1"
	conc=$(conc_node)
	emu=$(ns_of emu)
	site=$(ns_of "$L_SITE")
	cns=$(ns_of "$conc")
	dev=$L_NAME-$ID
	# GSO off on every end (gso_max_segs 1): the emulator sees one packet per frame.
	ip link add "$L_NAME-s$ID" netns "$emu" mtu "$L_MTU" gso_max_segs 1 type veth \
		peer name "$dev" netns "$site" mtu "$L_MTU" address "$L_SITEMAC" gso_max_segs 1
	ip link add "$L_NAME-c$ID" netns "$emu" mtu "$L_MTU" gso_max_segs 1 type veth \
		peer name "$dev" netns "$cns" mtu "$L_MTU" address "$L_CONCMAC" gso_max_segs 1
	a4=${L_SITE4%/*} a6=${L_SITE6%/*} c4=${L_CONC4%/*} c6=${L_CONC6%/*}
	# The site: what leaves from this link's address takes this link (table 100+k); the
	# main table's default goes by the primary links first. Neighbours are static, so
	# that loss on the link never hits ARP or ND.
	ip -4 -n "$site" -batch - <<EOF
link set $dev up
addr add $L_SITE4 dev $dev
neigh replace $c4 lladdr $L_CONCMAC dev $dev nud permanent
route add 0.0.0.0/0 via $c4 dev $dev table $L_TABLE
rule add from $a4 table $L_TABLE pref $((1000 + L_K))
route add 0.0.0.0/0 via $c4 dev $dev metric $L_METRIC
EOF
	ip -6 -n "$site" -batch - <<EOF
addr add $L_SITE6 dev $dev nodad
neigh replace $c6 lladdr $L_CONCMAC dev $dev nud permanent
route add ::/0 via $c6 dev $dev table $L_TABLE
rule add from $a6 table $L_TABLE pref $((1000 + L_K))
route add ::/0 via $c6 dev $dev metric $L_METRIC
EOF
	ip -4 -n "$cns" -batch - <<EOF
link set $dev up
addr add $L_CONC4 dev $dev
neigh replace $a4 lladdr $L_SITEMAC dev $dev nud permanent
EOF
	ip -6 -n "$cns" -batch - <<EOF
addr add $L_CONC6 dev $dev nodad
neigh replace $a6 lladdr $L_SITEMAC dev $dev nud permanent
EOF
	ip -n "$emu" link set "$L_NAME-s$ID" up
	ip -n "$emu" link set "$L_NAME-c$ID" up
}

# Host segments: one veth per host to its gateway, the host's default route through it.
up_lans() {
	local host gw h gw4 gw6 h4 h6 hns gns
	while read -r host gw h gw4 gw6 h4 h6; do
		[ -n "$host" ] || continue
		hns=$(ns_of "$host")
		gns=$(ns_of "$gw")
		ip link add "$gw-$ID" netns "$hns" type veth peer name "$host-$ID" netns "$gns"
		ip -n "$gns" link set "$host-$ID" up
		ip -n "$gns" addr add "$gw4" dev "$host-$ID"
		ip -n "$gns" addr add "$gw6" dev "$host-$ID" nodad
		ip -n "$hns" link set "$gw-$ID" up
		ip -n "$hns" addr add "$h4" dev "$gw-$ID"
		ip -n "$hns" addr add "$h6" dev "$gw-$ID" nodad
		ip -n "$hns" route add 0.0.0.0/0 via "${gw4%/*}"
		ip -n "$hns" -6 route add ::/0 via "${gw6%/*}"
	done <<EOF
$(plan_get lan)
EOF
}

up_public() {
	local node a4 a6
	read -r node a4 a6 <<EOF
$(plan_get pub)
EOF
	ip -n "$(ns_of "$node")" addr add "$a4" dev lo
	ip -n "$(ns_of "$node")" addr add "$a6" dev lo nodad
}

emu_ready() {
	[ -s "$STATE/$1.pid" ] && emu_ctl "$1" ping >/dev/null
}

emu_start() {
	local l=$1
	setsid ip netns exec "$(ns_of emu)" "$BIN/gt-linkemu" run --lab "$ID" \
		--scenario "$STATE/scenario.scn" --link "$l" \
		--site-if "$l-s$ID" --conc-if "$l-c$ID" --ctl "$STATE/$l.ctl" \
		--stats "$STATE/$l.csv" --pidfile "$STATE/$l.pid" --rt "$RT" \
		</dev/null >>"$STATE/$l.log" 2>&1 &
}

links() {
	plan_get link | awk '{ print $1 }'
}

past() {
	[ "$("$BIN/gt-linkemu" now)" -ge "$1" ]
}

# Starts every emulator's timeline at the same instant, 50 ms from now, and returns once it
# has started: what is sent from then on meets the seeded random choices from their start.
timeline_start() {
	local t0 l
	t0=$(( $("$BIN/gt-linkemu" now) + 50000000 ))
	for l in $(links); do
		emu_ctl "$l" start "$t0" >/dev/null
	done
	echo "$t0" >"$STATE/t0"
	wait_until past "$t0"
}

up_failed() {
	local rc=$?
	trap - EXIT
	[ $rc -ne 0 ] || return 0
	warn "up failed; removing what was built"
	teardown "$ID" || true
	exit $rc
}

cmd_up() {
	local hold=0 scn plan l
	if [ "${1-}" = --hold ]; then
		hold=1
		shift
	fi
	[ $# -eq 1 ] || usage
	scn=$1
	need_root "up"
	need_bins
	lab_is_up && die "lab $ID is up already (gtlab -i $ID down)"
	plan=$("$BIN/gt-labscn" plan "$scn") || exit 2
	mkdir -p "$RUN"
	mkdir "$STATE"
	trap up_failed EXIT
	trap 'exit 130' INT TERM HUP
	cp "$scn" "$STATE/scenario.scn"
	printf '%s\n' "$plan" >"$STATE/plan.tmp"
	mv "$STATE/plan.tmp" "$STATE/plan"
	up_namespaces
	for l in $(links); do
		up_link "$l"
	done
	up_lans
	up_public
	for l in $(links); do
		emu_start "$l"
	done
	for l in $(links); do
		if ! WAIT_S=10 wait_until emu_ready "$l"; then
			cat "$STATE/$l.log" >&2 || true
			die "emulator of link $l did not start"
		fi
	done
	if [ $hold -eq 0 ]; then
		timeline_start
	fi
	trap - EXIT INT TERM HUP
	echo "lab $ID up: $(plan_get node | wc -l) nodes, $(links | wc -l) links$(
		[ $hold -eq 1 ] && echo ', timeline held (gtlab -i '"$ID"' start)')"
}

cmd_start() {
	[ $# -eq 0 ] || usage
	need_lab
	[ ! -f "$STATE/t0" ] || die "lab $ID: the timeline has started already"
	timeline_start
}
