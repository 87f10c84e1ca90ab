# gtlab exec, link, status, env, stats, plot: using a lab that is up.

cmd_exec() {
	local node=${1-}
	[ $# -ge 2 ] || usage
	shift
	need_lab
	plan_get node | awk -v n="$node" '$1 == n { f = 1 } END { exit !f }' ||
		[ "$node" = emu ] || die "lab $ID has no node '$node'"
	exec ip netns exec "$(ns_of "$node")" "$@"
}

# gtlab link [NODE] LINK VERB ...: NODE, when given, must be the link's site or the
# concentrator.
cmd_link() {
	local node='' verb
	need_lab
	[ $# -ge 2 ] || usage
	if ! read_link "$1"; then
		plan_get node | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }' &&
			[ $# -ge 3 ] || die "lab $ID has no link '$1'"
		node=$1
		shift
		read_link "$1" || die "lab $ID has no link '$1'"
		[ "$node" = "$L_SITE" ] || [ "$node" = "$(conc_node)" ] ||
			die "link $1 joins $L_SITE and $(conc_node), not $node"
	fi
	shift
	verb=$1
	shift
	case $verb in
	set)
		[ $# -ge 1 ] || die "usage: gtlab link [NODE] LINK set PARAMS..."
		emu_ctl "$L_NAME" set "$@"
		;;
	cut | restore)
		[ $# -le 1 ] || die "usage: gtlab link [NODE] LINK $verb [up|down]"
		emu_ctl "$L_NAME" "$verb" "$@"
		;;
	show)
		[ $# -eq 0 ] || usage
		emu_ctl "$L_NAME" show
		;;
	*)
		die "link verb '$verb': expected set, cut, restore or show"
		;;
	esac
}

cmd_status() {
	local id l pid name role via out
	if [ "${1-}" = --all ]; then
		[ $# -eq 1 ] || usage
		. "$GTLAB_HOME/lib/down.sh"
		for id in $(lab_ids); do
			echo "lab $id: $(lab_namespaces "$id" | wc -l) namespaces," \
				"$(lab_emulators "$id" | wc -w) emulators"
		done
		return 0
	fi
	[ $# -eq 0 ] || usage
	need_lab
	echo "lab $ID ($STATE)"
	if [ -f "$STATE/t0" ]; then
		echo "timeline: started"
	else
		echo "timeline: held (gtlab -i $ID start)"
	fi
	while read -r name role via; do
		if ns_exists "$(ns_of "$name")"; then
			echo "node $name: $role${via:+ via $via}, namespace $(ns_of "$name")" |
				sed 's/ via -,/,/'
		else
			echo "node $name: $role, namespace $(ns_of "$name") MISSING"
		fi
	done <<EOF
$(plan_get node)
EOF
	for l in $(plan_get link | awk '{ print $1 }'); do
		read_link "$l"
		pid=$(cat "$STATE/$l.pid" 2>/dev/null || echo '?')
		echo "link $l: $L_SITE <-> $(conc_node), $L_ROLE, mtu $L_MTU," \
			"site $L_SITE4 $L_SITE6, concentrator $L_CONC4 $L_CONC6, emulator pid $pid"
		if out=$(emu_ctl "$l" show); then
			printf '%s\n' "$out" | sed -n 's/^timeline/  &/p; /^\(up\|down\) /s/^/  /p'
		else
			echo "  emulator not answering"
		fi
	done
}

# Shell assignments for scripts: eval "$(gtlab -i ID env)".
cmd_env() {
	local name role via host gw h gw4 gw6 h4 h6 node a4 a6 ls=''
	[ $# -eq 0 ] || usage
	need_lab
	echo "GTLAB_ID=$ID"
	echo "GTLAB_STATE=$STATE"
	echo "GTLAB_NS_emu=$(ns_of emu)"
	while read -r name role via; do
		echo "GTLAB_NS_$name=$(ns_of "$name")"
		[ "$role" != concentrator ] || echo "GTLAB_CONC=$name"
	done <<EOF
$(plan_get node)
EOF
	read -r node a4 a6 <<EOF
$(plan_get pub)
EOF
	echo "GTLAB_PUB4=${a4%/*}"
	echo "GTLAB_PUB6=${a6%/*}"
	for l in $(plan_get link | awk '{ print $1 }'); do
		read_link "$l"
		ls="$ls $l"
		echo "GTLAB_LINK_${l}_SITE=$L_SITE"
		echo "GTLAB_LINK_${l}_IF=$l-$ID"
		echo "GTLAB_LINK_${l}_ROLE=$L_ROLE"
		echo "GTLAB_LINK_${l}_MTU=$L_MTU"
		echo "GTLAB_LINK_${l}_TABLE=$L_TABLE"
		echo "GTLAB_LINK_${l}_SITE4=${L_SITE4%/*}"
		echo "GTLAB_LINK_${l}_SITE6=${L_SITE6%/*}"
		echo "GTLAB_LINK_${l}_CONC4=${L_CONC4%/*}"
		echo "GTLAB_LINK_${l}_CONC6=${L_CONC6%/*}"
		echo "GTLAB_LINK_${l}_CTL=$STATE/$l.ctl"
	done
	echo "GTLAB_LINKS='${ls# }'"
	while read -r host gw h gw4 gw6 h4 h6; do
		[ -n "$host" ] || continue
		echo "GTLAB_HOST_${host}_VIA=$gw"
		echo "GTLAB_HOST_${host}_ADDR4=${h4%/*}"
		echo "GTLAB_HOST_${host}_ADDR6=${h6%/*}"
		echo "GTLAB_HOST_${host}_NET4=${h4%.*}.0/24"
		echo "GTLAB_HOST_${host}_NET6=${h6%::*}::/64"
		echo "GTLAB_HOST_${host}_GW4=${gw4%/*}"
		echo "GTLAB_HOST_${host}_GW6=${gw6%/*}"
	done <<EOF
$(plan_get lan)
EOF
}

# The emulators' counters (raw), or the per-path series made from them.
cmd_stats() {
	local raw=0 f
	if [ "${1-}" = --raw ]; then
		raw=1
		shift
	fi
	[ $# -eq 0 ] || usage
	need_lab
	set -- "$STATE"/*.csv
	[ -f "$1" ] || die "lab $ID has no counters yet (the timeline has not started)"
	if [ $raw -eq 1 ]; then
		head -n 1 "$1"
		for f in "$@"; do
			tail -n +2 "$f"
		done
		return 0
	fi
	for f in "$@"; do
		tail -n +2 "$f"
	done | sort -t, -k1,1n -s | awk -f "$GTLAB_HOME/lib/series.awk"
}

cmd_plot() {
	local out=${1-} series
	[ $# -ge 1 ] && [ $# -le 2 ] || usage
	if [ $# -eq 2 ]; then
		series=$2
	else
		need_lab
		mkdir -p "$out"
		series=$out/series.csv
		cmd_stats >"$series"
	fi
	"$GTLAB_HOME/plot.sh" "$series" "$out"
}
