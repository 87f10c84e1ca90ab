# gtlab down: remove a lab, or every lab and leftover (--all), also after a crash: what a lab
# leaves is found from the system (namespaces named gtlab-ID-*, gt-linkemu processes with
# --lab ID, state folders), not only from its state folder.

# Pids of gt-linkemu processes of lab $1 (of any lab if $1 is empty), from /proc.
lab_emulators() {
	local p args lab
	for p in /proc/[0-9]*; do
		args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		case " $args" in
		*"/gt-linkemu run "* | " gt-linkemu run "*) ;;
		*) continue ;;
		esac
		lab=$(echo "$args" | sed -n 's/.* --lab \([a-z0-9]*\) .*/\1/p')
		[ -n "$lab" ] || continue
		[ -z "$1" ] || [ "$lab" = "$1" ] || continue
		echo "${p#/proc/}"
	done
}

# Lab ids that left something behind.
lab_ids() {
	{
		ip netns list 2>/dev/null | awk '{ print $1 }' |
			sed -n 's/^gtlab-\([a-z0-9]\{1,4\}\)-[a-z0-9]*$/\1/p'
		[ -d "$RUN" ] && ls "$RUN"
		local p
		for p in $(lab_emulators ''); do
			tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
				sed -n 's/.* --lab \([a-z0-9]*\) .*/\1/p'
		done
	} | sort -u | grep -E '^[a-z0-9]{1,4}$' || true
}

# True if one of the processes "$@" still runs (a zombie does not).
alive() {
	local p st
	for p in "$@"; do
		st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$p/stat" 2>/dev/null) ||
			continue
		case $st in
		'' | Z | X) ;;
		*) return 0 ;;
		esac
	done
	return 1
}

none_alive() {
	! alive "$@"
}

# Ends the processes "$@": TERM, then KILL after 3 s.
end_pids() {
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	WAIT_S=3 wait_until none_alive "$@" && return 0
	kill -KILL "$@" 2>/dev/null || true
	WAIT_S=3 wait_until none_alive "$@" || warn "processes $* do not end"
}

teardown() {
	local id=$1 ns pids
	# Every process in the lab's namespaces (emulators, iperf3 servers, workers...), and
	# emulators whose namespace is already gone.
	pids=$(
		for ns in $(lab_namespaces "$id"); do
			ip netns pids "$ns" 2>/dev/null || true
		done
		lab_emulators "$id"
	)
	# shellcheck disable=SC2086
	end_pids $(echo "$pids" | sort -un)
	for ns in $(lab_namespaces "$id"); do
		ip netns del "$ns" 2>/dev/null || warn "cannot delete namespace $ns"
	done
	rm -rf "${RUN:?}/$id"
	[ -z "$(lab_namespaces "$id")" ]
}

cmd_down() {
	local id rc=0
	need_root "down"
	case ${1-} in
	--all)
		# an optional id prefix limits the sweep to those labs (tests use it so as to
		# leave other labs on the machine alone)
		[ $# -le 2 ] || usage
		for id in $(lab_ids); do
			case $id in "${2-}"*) ;; *) continue ;; esac
			teardown "$id" || rc=1
			echo "lab $id down"
		done
		rmdir "$RUN" 2>/dev/null || true
		return $rc
		;;
	'') ;;
	*) usage ;;
	esac
	lab_is_up || [ -n "$(lab_emulators "$ID")" ] || die "lab $ID is not up"
	teardown "$ID"
	rmdir "$RUN" 2>/dev/null || true
	echo "lab $ID down"
}
