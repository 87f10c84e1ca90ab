# Helpers for the lab's integration tests (tests/integration/lab_*.sh), sourced by POSIX sh
# from the repository root. Every lab a test makes is listed in LABS and removed on exit.

GTLAB=netns-lab/gtlab
LABS=""
TMP=""

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	echo "ok: $*"
}

# A lab id unique to this test run: PREFIX and the shell's pid (4 characters at most).
test_id() {
	echo "$1$(($$ % 1000))"
}

lab() {
	_id=$1
	shift
	case " $LABS " in *" $_id "*) ;; *) LABS="$LABS $_id" ;; esac
	"$GTLAB" -i "$_id" "$@"
}

cleanup() {
	for _id in $LABS; do
		"$GTLAB" -i "$_id" down >/dev/null 2>&1 || true
	done
	[ -z "$TMP" ] || rm -rf "$TMP"
}

# Every test: root, the lab's programs built, a cleanup that runs on any exit.
lab_test_init() {
	[ "$(id -u)" -eq 0 ] || fail "the lab's tests need root"
	for _b in build/lab/gt-linkemu build/lab/gt-labscn; do
		[ -x "$_b" ] || fail "$_b missing (make lab-bins)"
	done
	TMP=$(mktemp -d)
	trap cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds; fails after SECONDS.
wait_for() {
	_n=$(($1 * 20))
	shift
	until "$@" >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.05
	done
}

# Pids of gt-linkemu processes of lab $1 (of any lab if $1 is empty).
emulators_of() {
	for _p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$_p/cmdline" |
			grep -q "gt-linkemu run --lab ${1:-[a-z0-9]*} " && echo "${_p#/proc/}"
	done
	return 0
}

# No namespace, process or state of lab $1 is left.
no_leftovers() {
	[ -z "$(ip netns list | awk -v p="gtlab-$1-" 'index($1, p) == 1')" ] ||
		fail "lab $1 left namespaces: $(ip netns list | grep "gtlab-$1-" | tr '\n' ' ')"
	[ -z "$(emulators_of "$1")" ] || fail "lab $1 left emulators: $(emulators_of "$1")"
	[ ! -e "/run/gtlab/$1" ] || fail "lab $1 left /run/gtlab/$1"
}

# Packets of the link's traffic that arrived in direction DIR: data_pkts ID LINK DIR. The
# kernel's own link-local control frames (MLD reports, sent at random times for a few seconds
# after addresses appear) are left out, so that "this link carried nothing" can be checked.
data_pkts() {
	"$GTLAB" -i "$1" link "$2" show |
		sed -n "s/^$3 counters rx_pkts=\([0-9]*\) control=\([0-9]*\) .*/\1 \2/p" |
		{ read -r _rx _ctl && echo $((_rx - _ctl)); }
}
