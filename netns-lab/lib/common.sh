# gtlab's helpers: messages, names, the plan, waiting. Sourced by gtlab (bash).

die() {
	echo "gtlab: $*" >&2
	exit 1
}

warn() {
	echo "gtlab: $*" >&2
}

check_id() {
	case $1 in
	'' | *[!a-z0-9]*) die "lab id '$1': expected 1 to 4 characters of [a-z0-9]" ;;
	esac
	[ ${#1} -le 4 ] || die "lab id '$1': expected 1 to 4 characters of [a-z0-9]"
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "$1 needs root (network namespaces)"
}

need_bins() {
	local b
	for b in gt-linkemu gt-labscn; do
		[ -x "$BIN/$b" ] || die "$BIN/$b missing: run 'make lab-bins' first"
	done
}

# The namespace of node $1 in this lab.
ns_of() {
	echo "gtlab-$ID-$1"
}

ns_exists() {
	[ -e "/var/run/netns/$1" ] || [ -e "/run/netns/$1" ]
}

# Every namespace of lab $1.
lab_namespaces() {
	ip netns list 2>/dev/null | awk -v p="gtlab-$1-" 'index($1, p) == 1 { print $1 }'
}

lab_is_up() {
	[ -d "$STATE" ] || [ -n "$(lab_namespaces "$ID")" ]
}

need_lab() {
	[ -f "$STATE/plan" ] || die "lab $ID is not up (gtlab -i $ID up SCENARIO)"
}

# Plan records of a kind: plan_get link prints the link lines without the kind word.
plan_get() {
	awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print }' "$STATE/plan"
}

# Polls "$@" every 20 ms until it succeeds or $WAIT_S seconds pass (default 5).
wait_until() {
	local n=$(( ${WAIT_S:-5} * 50 ))
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.02
	done
}

# Sends a command to link $1's emulator.
emu_ctl() {
	local l=$1
	shift
	"$BIN/gt-linkemu" ctl "$STATE/$l.ctl" "$@"
}

# A link's record fields into L_* variables.
read_link() {
	local rec
	rec=$(plan_get link | awk -v n="$1" '$1 == n')
	[ -n "$rec" ] || return 1
	# shellcheck disable=SC2034
	read -r L_NAME L_SITE L_K L_MTU L_ROLE L_TABLE L_METRIC L_SITE4 L_SITE6 L_SITEMAC \
		L_CONC4 L_CONC6 L_CONCMAC <<EOF
$rec
EOF
}

# The concentrator's node name.
conc_node() {
	plan_get node | awk '$2 == "concentrator" { print $1 }'
}
