# Helpers of the benchmarks (bench/*.sh), sourced by bash from the repository root.
#
# Every benchmark records one line per figure in $BENCH_OUT/results.tsv:
#   BENCH <TAB> IMPL <TAB> CIPHER <TAB> TEST <TAB> METRIC <TAB> RUN <TAB> VALUE
# and bench_summary prints the median, minimum and maximum over the runs of each figure.
#
# Environment (all optional):
#   GLORYTUN    stock glorytun 0.3.4 to compare with; unset: ours alone, said loudly
#   BENCH_OUT   where the results go (default build/bench/results/DATE-NAME)
#   RUNS        repetitions of every measurement (default 3)
#   BENCH_TXQUEUELEN  the TUN devices' queue length (default: the implementation's, 500)

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
W=${BENCH_WORKER:-$BENCH_TOP/bin/gt-worker}
PROBE=$BENCH_TOP/build/tools/gt-gapprobe
GTLAB=$BENCH_TOP/netns-lab/gtlab
RUNS=${RUNS:-3}
BENCH_PORT=5000

# What the cleanup removes: processes we started (by pid), namespaces we made, labs we built.
B_PIDS=""
B_NETNS=""
B_LABS=""
B_TMP=""

say() {
	printf '%s\n' "$*" >&2
}

die() {
	say "bench: $*"
	exit 1
}

bench_cleanup() {
	local p n l
	set +e
	for p in $B_PIDS; do kill "$p" 2>/dev/null; done
	for p in $B_PIDS; do
		n=40
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.05
			n=$((n - 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	B_PIDS=""
	for n in $B_NETNS; do ip netns del "$n" 2>/dev/null; done
	B_NETNS=""
	for l in $B_LABS; do "$GTLAB" -i "$l" down >/dev/null 2>&1; done
	B_LABS=""
	[ -z "$B_TMP" ] || rm -rf "$B_TMP"
	B_TMP=""
}

# bench_init NAME: root, tools, output folder, cleanup on any exit.
bench_init() {
	[ "$(id -u)" -eq 0 ] || die "the benchmarks need root (network namespaces)"
	[ -x "$W" ] || die "$W missing: run 'make' first"
	[ -x "$PROBE" ] || die "$PROBE missing: run 'make tools' first"
	local t
	for t in iperf3 ip awk; do
		command -v "$t" >/dev/null || die "$t missing (make deps)"
	done
	if ! command -v jq >/dev/null; then
		say "bench: installing jq (reads iperf3's JSON)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq \
			>/dev/null || die "jq missing and could not be installed"
	fi
	if [ -z "${GLORYTUN:-}" ]; then
		say "bench: GLORYTUN is not set: benchmarking gt-worker ALONE, without stock glorytun"
		say "bench: (GLORYTUN=/path/to/glorytun-0.3.4 to compare)"
		IMPLS="ours"
	else
		[ -x "$GLORYTUN" ] || die "GLORYTUN=$GLORYTUN is not an executable"
		IMPLS="ours glorytun"
	fi
	[ -z "${BENCH_IMPLS:-}" ] || IMPLS=$BENCH_IMPLS
	if [ -z "${BENCH_OUT:-}" ]; then
		BENCH_OUT=$BENCH_TOP/build/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-$1
	fi
	mkdir -p "$BENCH_OUT"
	export BENCH_OUT
	BENCH_NAME=$1
	B_TMP=$(mktemp -d)
	# the binary under test, copied: others may rebuild bin/ while we measure (run-all.sh
	# makes one copy for all three benchmarks and gives it in BENCH_WORKER)
	if [ -n "${BENCH_WORKER:-}" ]; then
		W=$BENCH_WORKER
	else
		cp "$W" "$B_TMP/gt-worker" || die "cannot copy $W"
		W=$B_TMP/gt-worker
	fi
	say "bench: gt-worker sha256 $(sha256sum "$W" | cut -c1-16)"
	"$W" keygen >"$B_TMP/key" || die "keygen failed"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	say "bench $1: results in $BENCH_OUT/results.tsv, runs=$RUNS, impls: $IMPLS"
}

impl_bin() {
	case $1 in
	ours) echo "$W" ;;
	glorytun) echo "$GLORYTUN" ;;
	*) die "unknown implementation $1" ;;
	esac
}

# record BENCH IMPL CIPHER TEST METRIC RUN VALUE
record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_OUT/results.tsv"
}

# A line of the machine's state for the record.
machine_state() {
	printf 'date %s; load %s; %s x %s; kernel %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		"$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" \
		"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(uname -r)"
}

# wait_for TENTHS CMD...: polls CMD every 0.1 s, at most TENTHS times.
wait_for() {
	local n=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# run_bg NS LOG CMD...: runs CMD in namespace NS in the background; its pid in BG_PID (ip netns
# exec execs the command: the pid is the command's).
run_bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	BG_PID=$!
	B_PIDS="$B_PIDS $BG_PID"
}

# stop_pid PID: TERM, then KILL after 3 s; forgets it.
stop_pid() {
	local n=60
	kill "$1" 2>/dev/null
	while kill -0 "$1" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	B_PIDS=$(echo "$B_PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ' || true)
	return 0
}

# ---- CPU accounting ----------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks PID...: user+system clock ticks of the processes (all their threads) so far.
cpu_ticks() {
	local p t sum=0
	for p in "$@"; do
		t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

# machine_ticks: "BUSY TOTAL" ticks of all CPUs (busy: user nice system irq softirq steal).
machine_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' \
		/proc/stat
}

# ---- tunnels -----------------------------------------------------------------------------
# Tunnel addresses: 198.18.254.1 (server end), 198.18.254.2 (client end).
TUN_S4=198.18.254.1
TUN_C4=198.18.254.2

# tunnel_start IMPL CIPHER SRV_NS CLI_NS SERVER_ADDR: a server in SRV_NS, its client in CLI_NS,
# TUN devices up with addresses. Sets T_IMPL T_BIN T_DEVS T_DEVC T_SRV T_CLI (the bind
# processes' pids) and T_CNS T_SNS.
T_SEQ=0
tunnel_start() {
	local impl=$1 cipher=$2 sns=$3 cns=$4 addr=$5 ch=""
	T_IMPL=$impl
	T_BIN=$(impl_bin "$impl")
	T_SNS=$sns
	T_CNS=$cns
	T_SEQ=$((T_SEQ + 1))
	# distinct names per tunnel: the control sockets live in one folder for all namespaces
	T_DEVS="gb$$s$T_SEQ"
	T_DEVC="gb$$c$T_SEQ"
	[ "$cipher" = chacha20poly1305 ] && ch=chacha
	T_LOG=$BENCH_OUT/logs
	mkdir -p "$T_LOG"
	run_bg "$sns" "$T_LOG/$BENCH_NAME-$impl-$T_SEQ-server.log" "$T_BIN" bind 0.0.0.0 $BENCH_PORT \
		keyfile "$B_TMP/key" dev "$T_DEVS" $ch
	T_SRV=$BG_PID
	run_bg "$cns" "$T_LOG/$BENCH_NAME-$impl-$T_SEQ-client.log" "$T_BIN" bind 0.0.0.0 $((BENCH_PORT + 1)) \
		to "$addr" $BENCH_PORT keyfile "$B_TMP/key" dev "$T_DEVC" $ch
	T_CLI=$BG_PID
	wait_for 50 ip -n "$sns" link show "$T_DEVS" || die "$impl server did not start"
	wait_for 50 ip -n "$cns" link show "$T_DEVC" || die "$impl client did not start"
	ip -n "$sns" addr add $TUN_S4 peer $TUN_C4 dev "$T_DEVS"
	ip -n "$cns" addr add $TUN_C4 peer $TUN_S4 dev "$T_DEVC"
	if [ -n "${BENCH_TXQUEUELEN:-}" ]; then
		# the TUN queue, the tunnel's ingress buffer (default: what the implementation set, 500)
		ip -n "$sns" link set "$T_DEVS" txqueuelen "$BENCH_TXQUEUELEN"
		ip -n "$cns" link set "$T_DEVC" txqueuelen "$BENCH_TXQUEUELEN"
	fi
	ip -n "$sns" link set "$T_DEVS" up
	ip -n "$cns" link set "$T_DEVC" up
	wait_for 50 ip netns exec "$cns" "$T_BIN" path dev "$T_DEVC" ||
		die "$impl client: no control socket"
	if [ -n "${BENCH_DELAY:-}" ] && [ "$impl" = ours ]; then
		# received data's delay (ours only: `set delay low|even|auto`), both ends
		ip netns exec "$sns" "$T_BIN" set dev "$T_DEVS" delay "$BENCH_DELAY" >/dev/null &&
			ip netns exec "$cns" "$T_BIN" set dev "$T_DEVC" delay "$BENCH_DELAY" >/dev/null ||
			die "ours: set delay $BENCH_DELAY refused"
	fi
}

# tunnel_path LOCAL_ADDR up|backup RATE: a path of the client.
tunnel_path() {
	ip netns exec "$T_CNS" "$T_BIN" path "$1" dev "$T_DEVC" "$2" rate tx "$3" rx "$3" ||
		die "$T_IMPL: path $1 refused"
}

tunnel_paths_ok() {
	[ "$(ip netns exec "$T_CNS" "$T_BIN" path dev "$T_DEVC" | grep -c "$2")" -ge "$1" ]
}

# tunnel_wait N [PATTERN]: N paths whose line has PATTERN (default ' OK ') on the client,
# within 10 s. (glorytun leaves a backup path DEGRADED while an up path works: it stops
# probing it; so the backup case waits for 'UP OK' only.)
tunnel_wait() {
	wait_for 100 tunnel_paths_ok "$1" "${2:- OK }" || {
		ip netns exec "$T_CNS" "$T_BIN" path dev "$T_DEVC" >&2
		die "$T_IMPL: $1 paths did not come up"
	}
}

tunnel_list() {
	say "-- $T_IMPL client paths:"
	ip netns exec "$T_CNS" "$T_BIN" path dev "$T_DEVC" >&2
	say "-- $T_IMPL server paths:"
	ip netns exec "$T_SNS" "$T_BIN" path dev "$T_DEVS" >&2
}

# The pids of the tunnel: both bind processes and their children (our data planes).
tunnel_pids() {
	echo "$T_SRV $T_CLI $(pgrep -P "$T_SRV" | tr '\n' ' ') $(pgrep -P "$T_CLI" | tr '\n' ' ')"
}

tunnel_pids_server() {
	echo "$T_SRV $(pgrep -P "$T_SRV" | tr '\n' ' ')"
}

tunnel_pids_client() {
	echo "$T_CLI $(pgrep -P "$T_CLI" | tr '\n' ' ')"
}

tunnel_stop() {
	local s=$T_SRV c=$T_CLI
	stop_pid "$c"
	stop_pid "$s"
	wait_for 50 sh -c "! ip -n $T_SNS link show $T_DEVS && ! ip -n $T_CNS link show $T_DEVC" ||
		say "bench: TUN devices left after the tunnel stopped"
}

# ---- iperf3 ------------------------------------------------------------------------------
# iperf NS_SERVER NS_CLIENT SERVER_ADDR JSON_OUT ARGS...: one iperf3 run, client JSON saved.
IPERF_PORT=5201
iperf() {
	local sns=$1 cns=$2 addr=$3 out=$4 sp
	shift 4
	run_bg "$sns" "$out.server" iperf3 -s -1 -J -p $IPERF_PORT
	sp=$BG_PID
	wait_for 50 sh -c "ip netns exec $sns ss -Hltn 'sport = :$IPERF_PORT' | grep -q LISTEN" ||
		die "iperf3 server did not start"
	ip netns exec "$cns" timeout 120 iperf3 -c "$addr" -p $IPERF_PORT -J "$@" >"$out" 2>"$out.err" ||
		say "bench: iperf3 $* failed (see $out)"
	stop_pid "$sp"
}

# jqv FILE FILTER: one value of a JSON file, "" when missing.
jqv() {
	jq -r "$2 // empty" "$1" 2>/dev/null
}

# ---- summaries ---------------------------------------------------------------------------
# bench_summary [FILE]: "BENCH IMPL CIPHER TEST METRIC median min max n" per figure.
bench_summary() {
	sort -t"$(printf '\t')" -k1,5 -k7,7g "${1:-$BENCH_OUT/results.tsv}" | awk -F'\t' '
	function flush() {
		if (key == "") return
		m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		printf "%s\t%s\t%s\t%s\n", key, m, v[1], v[n] "\t" n
	}
	{
		k = $1 "\t" $2 "\t" $3 "\t" $4 "\t" $5
		if (k != key) { flush(); key = k; n = 0 }
		v[++n] = $7
	}
	END { flush() }'
}

# fig BENCH IMPL CIPHER TEST METRIC [DIGITS]: "median (min-max)" of a figure, "-" if none.
fig() {
	local d=${6:-1}
	bench_summary | awk -F'\t' -v k="$1	$2	$3	$4	$5" -v d="$d" '
		$1 "\t" $2 "\t" $3 "\t" $4 "\t" $5 == k {
			if ($9 > 1) printf "%.*f (%.*f-%.*f)", d, $6, d, $7, d, $8
			else printf "%.*f", d, $6
			f = 1
		}
		END { if (!f) printf "-" }'
}

# med BENCH IMPL CIPHER TEST METRIC: the median alone ("" if none).
med() {
	bench_summary | awk -F'\t' -v k="$1	$2	$3	$4	$5" \
		'$1 "\t" $2 "\t" $3 "\t" $4 "\t" $5 == k { print $6 }'
}

# ratio A B [DIGITS]: A / B, "-" when either is missing or B is 0.
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" \
		'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.*f\n", d, a / b }'
}

# ---- the netns lab (benchmarks 2 and 3) ---------------------------------------------------
# lab_id PREFIX: a lab id free on this machine (PREFIX and two digits).
lab_id() {
	local i n
	for i in $(seq 0 99); do
		n=$1$(printf '%02d' $(( ($$ + i) % 100 )))
		[ -e "/run/gtlab/$n" ] || [ -n "$(ip netns list | grep "^gtlab-$n-")" ] || {
			echo "$n"
			return
		}
	done
	die "no free lab id for $1"
}

# lab_up ID SCENARIO [--hold]: builds the lab and loads its names (GTLAB_*).
lab_up() {
	local id=$1 scn=$2
	shift 2
	B_LABS="$B_LABS $id"
	"$GTLAB" -i "$id" up "$@" "$scn" >&2 || die "gtlab up $scn failed"
	eval "$("$GTLAB" -i "$id" env)"
}

lab_down() {
	"$GTLAB" -i "$1" down >/dev/null 2>&1
	B_LABS=$(echo "$B_LABS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ' || true)
}

# link_param ID LINK DIR NAME: a parameter of a link's direction (up|down), e.g. rate.
link_param() {
	"$GTLAB" -i "$1" link "$2" show | awk -v d="$3" -v k="$4" '
		$1 == d && $2 == "params" { for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# link_counter ID LINK DIR NAME: a counter of a link's direction, e.g. tx_bytes.
link_counter() {
	"$GTLAB" -i "$1" link "$2" show | awk -v d="$3" -v k="$4=" '
		$1 == d && $2 == "counters" {
			for (i = 3; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }'
}

# lab_tunnel IMPL CIPHER ID: our tunnel between the lab's site1 and conc, the hosts' networks
# routed through it (no path yet).
lab_tunnel() {
	tunnel_start "$1" "$2" "$GTLAB_NS_conc" "$GTLAB_NS_site1" "$GTLAB_PUB4"
	ip -n "$GTLAB_NS_site1" route add "$GTLAB_HOST_srv_NET4" dev "$T_DEVC"
	ip -n "$GTLAB_NS_conc" route add "$GTLAB_HOST_pc1_NET4" dev "$T_DEVS"
}

# lab_ping: pc1 reaches srv through the tunnel (10 s at most).
lab_ping() {
	wait_for 100 ip netns exec "$GTLAB_NS_pc1" ping -c 1 -W 1 "$GTLAB_HOST_srv_ADDR4" ||
		die "$T_IMPL: no ping from pc1 to srv through the tunnel"
}
