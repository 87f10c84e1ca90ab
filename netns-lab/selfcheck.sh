#!/bin/sh
# selfcheck.sh: measures the link emulator from outside, with ping and iperf3, on a lab of its
# own (one site, one link), and prints one Markdown table row per check.
#
#   selfcheck.sh [-i ID] [--quick] [--ceiling]
#
#   s (site) ──l (emulated)── c (concentrator)        delay, jitter, rate, loss, dup, cut
#            ──j (emulated, MTU 9000)──                ceiling with jumbo frames (--ceiling)
#            ──direct veth, no emulator──              ceiling baseline (--ceiling)
#
# Checks: one-way delay within 0.5 ms (median RTT minus the RTT at zero delay, delay set on the
# up direction only); jitter's mean and spread; rate within 3% (UDP at 1.5x the rate, iperf3's
# receiver figure against rate x 1400/1428, the UDP payload's share of each IP packet); loss,
# duplication and Gilbert-Elliott bursts within 4.5 standard deviations of their
# distribution; a cut link carries nothing and a restored one everything. --quick runs fewer
# settings (make test), --ceiling adds the emulator's ceiling (informative, not a check).
# Exit 0 if every check passed. Needs root, iproute2, iputils ping, iperf3, awk.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ID=sc
QUICK=0
CEILING=0
while [ $# -gt 0 ]; do
	case $1 in
	-i) ID=$2; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--ceiling) CEILING=1; shift ;;
	*) echo "usage: selfcheck.sh [-i ID] [--quick] [--ceiling]" >&2; exit 2 ;;
	esac
done

lab() {
	"$HERE/gtlab" -i "$ID" "$@"
}

TMP=$(mktemp -d)
FAILS=0
cleanup() {
	lab down >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$TMP/sc.scn" <<EOF
# selfcheck.sh's lab
seed 1
node c concentrator
node s site
link s l
link s j mtu 9000
EOF
lab up "$TMP/sc.scn" >/dev/null
C4=198.18.1.1
J4=198.18.2.1

# row CHECK SETTING MEASURED EXPECTED TOLERANCE UNIT: a table row, PASS if within tolerance.
row() {
	if awk -v m="$3" -v e="$4" -v t="$5" 'BEGIN { d = m - e; exit !(d <= t && -d <= t) }'
	then
		r=PASS
	else
		r=FAIL
		FAILS=$((FAILS + 1))
	fi
	printf '| %s | %s | %s %s | %s %s | +-%s %s | %s |\n' "$1" "$2" "$3" "$6" "$4" "$6" \
		"$5" "$6" "$r"
}

info() {
	printf '| %s | %s | %s | - | - | info |\n' "$1" "$2" "$3"
}

# pings N INTERVAL [DEST]: one line per reply, "SEQ RTT_MS [DUP]", from s to the link.
pings() {
	lab exec s ping -n -c "$1" -i "$2" -W 1 "${3:-$C4}" 2>/dev/null | awk '
		/icmp_seq=/ {
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^icmp_seq=/) { sub(/icmp_seq=/, "", $i); s = $i }
				if ($i ~ /^time=/) { sub(/time=/, "", $i); t = $i }
			}
			print s, t, (/DUP!/ ? "DUP" : "")
		}' || true
}

median() {
	awk '{ print $2 }' "$1" | sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		printf "%.3f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# set PARAMS...: the link's parameters from a clean state.
set_link() {
	lab link l set both rate 0 delay 0 jitter 0 uniform loss 0 duplicate 0 reorder 0 \
		queue 100ms "$@" >/dev/null
}

counter() {
	lab link l show | sed -n "s/^$1 counters.* $2=\([0-9]*\).*/\1/p"
}

# --- delay -------------------------------------------------------------------------------
set_link
pings 200 0.005 >"$TMP/p"
BASE=$(median "$TMP/p")
info "RTT at zero delay" "median of 200 pings" "$BASE ms"
if [ $QUICK -eq 1 ]; then DELAYS="5 40"; else DELAYS="1 5 20 40 100"; fi
for d in $DELAYS; do
	set_link up delay "${d}ms"
	pings 200 0.005 >"$TMP/p"
	m=$(median "$TMP/p")
	row "one-way delay" "up delay ${d}ms" "$(awk -v m="$m" -v b="$BASE" \
		'BEGIN { printf "%.3f", m - b }')" "$d" 0.5 ms
done

# --- jitter: uniform +-J has sd J/sqrt(3); 10 ms between pings keeps them from queueing ----
set_link up delay 40ms jitter 5ms
pings 400 0.01 >"$TMP/p"
awk -v b="$BASE" '{ x = $2 - b; s += x; q += x * x; n++ }
	END { m = s / n; printf "%.3f %.3f %d\n", m, sqrt(q / n - m * m), n }' "$TMP/p" \
	>"$TMP/j"
read -r jm jsd jn <"$TMP/j"
row "jitter: mean delay" "up delay 40ms jitter 5ms" "$jm" 40 \
	"$(awk -v n="$jn" 'BEGIN { printf "%.2f", 0.5 + 4.5 * 2.887 / sqrt(n) }')" ms
row "jitter: spread (sd)" "uniform +-5ms: 5/sqrt(3)" "$jsd" 2.887 0.433 ms

# --- rate ----------------------------------------------------------------------------------
iperf_udp() {	# RATE_MBIT: iperf3's receiver and sender figures in kbit/s
	lab exec c iperf3 -s -1 -B "$C4" >/dev/null 2>&1 &
	WAIT=0
	until lab exec c ss -ltn 2>/dev/null | grep -q ":5201 "; do
		WAIT=$((WAIT + 1))
		[ $WAIT -lt 250 ] || { echo "iperf3 server did not start" >&2; return 1; }
		sleep 0.02
	done
	# -w 4M: a receive buffer that a busy machine does not overflow (that would be loss
	# after the emulator, not in it).
	lab exec s iperf3 -c "$C4" -u -b "$(($1 * 3 / 2))m" -l 1400 -w 4M -t 3 -f k 2>&1 |
		awk '/receiver|sender/ {
			for (i = 1; i < NF; i++) if ($(i + 1) == "Kbits/sec") v[$NF] = $i }
			END { print v["receiver"] + 0, v["sender"] + 0 }'
	wait
}
if [ $QUICK -eq 1 ]; then RATES="10 50"; else RATES="1 10 50 100 200"; fi
for r in $RATES; do
	set_link up rate "${r}mbit"
	iperf_udp "$r" >"$TMP/u"
	read -r k sent <"$TMP/u"
	# What the link carries, or what the sender offered if it could not offer more.
	exp=$(awk -v r="$r" -v s="$sent" 'BEGIN { e = r * 1000 * 1400 / 1428;
		printf "%.1f", (s > 0 && s < e) ? s : e }')
	row "rate (UDP goodput)" "up rate ${r}mbit" "$k" "$exp" \
		"$(awk -v e="$exp" 'BEGIN { printf "%.1f", e * 0.03 }')" kbit/s
done

# --- random loss -------------------------------------------------------------------------
loss_check() {	# N PROB_PCT WORDS...
	n=$1 p=$2
	shift 2
	set_link up "$@"
	l0=$(counter up lost)
	pings "$n" 0.001 >"$TMP/p"
	l1=$(counter up lost)
	got=$(awk '$3 != "DUP" { s[$1] = 1 } END { print length(s) }' "$TMP/p")
	lost=$((n - got))
	info "loss: ping vs emulator count" "$*" "$lost lost by ping, $((l1 - l0)) by the emulator"
}
N=3000
loss_check $N 5 loss 5%
row "random loss" "up loss 5%, $N pings" \
	"$(awk -v l="$lost" -v n=$N 'BEGIN { printf "%.3f", 100 * l / n }')" 5 \
	"$(awk -v n=$N 'BEGIN { printf "%.2f", 4.5 * 100 * sqrt(0.05 * 0.95 / n) }')" "%"

# Gilbert-Elliott: 5% in bursts of 4 (r = 0.25, p = 0.05 r / 0.95). The chain's correlation
# rho = 1 - p - r widens the loss interval by sqrt((1 + rho) / (1 - rho)); the mean burst has
# sd sqrt(1 - r) / r / sqrt(bursts).
N=6000
loss_check $N 5 loss 5% burst 4
awk -v n=$N '{ s[$1] = 1 } END {
	for (i = 1; i <= n; i++) {
		if (!(i in s)) { run++; lost++ }
		else if (run) { runs++; run = 0 }
	}
	if (run) runs++
	printf "%d %d\n", lost, runs }' "$TMP/p" >"$TMP/g"
read -r glost gruns <"$TMP/g"
row "bursty loss: mean" "up loss 5% burst 4, $N pings" \
	"$(awk -v l="$glost" -v n=$N 'BEGIN { printf "%.3f", 100 * l / n }')" 5 \
	"$(awk -v n=$N 'BEGIN { r = 0.25; p = 0.05 * r / 0.95; rho = 1 - p - r;
		printf "%.2f", 4.5 * 100 * sqrt(0.05 * 0.95 / n * (1 + rho) / (1 - rho)) }')" "%"
row "bursty loss: burst length" "mean of $gruns bursts" \
	"$(awk -v l="$glost" -v b="$gruns" 'BEGIN { printf "%.2f", b ? l / b : 0 }')" 4 \
	"$(awk -v b="$gruns" 'BEGIN { printf "%.2f", b ? 4.5 * sqrt(0.75) / 0.25 / sqrt(b) : 4 }')" \
	packets

# --- duplication ---------------------------------------------------------------------------
N=2000
set_link up duplicate 5%
pings $N 0.001 >"$TMP/p"
dups=$(grep -c DUP "$TMP/p" || true)
row "duplication" "up duplicate 5%, $N pings" \
	"$(awk -v d="$dups" -v n=$N 'BEGIN { printf "%.3f", 100 * d / n }')" 5 \
	"$(awk -v n=$N 'BEGIN { printf "%.2f", 4.5 * 100 * sqrt(0.05 * 0.95 / n) }')" "%"

# --- cut and restore -----------------------------------------------------------------------
set_link delay 1ms
lab link l cut >/dev/null
pings 50 0.01 >"$TMP/p"
row "cut" "link l cut, 50 pings" "$(wc -l <"$TMP/p" | tr -d ' ')" 0 0 replies
lab link l restore >/dev/null
pings 50 0.01 >"$TMP/p"
row "restore" "link l restore, 50 pings" "$(wc -l <"$TMP/p" | tr -d ' ')" 50 0 replies

# --- ceiling (informative) -----------------------------------------------------------------
iperf_tcp() {	# DEST [OPTIONS]: receiver Mbit/s
	dst=$1
	shift
	lab exec c iperf3 -s -1 >/dev/null 2>&1 &
	WAIT=0
	until lab exec c ss -ltn 2>/dev/null | grep -q ":5201 "; do
		WAIT=$((WAIT + 1))
		[ $WAIT -lt 250 ] || { echo "iperf3 server did not start" >&2; return 1; }
		sleep 0.02
	done
	lab exec s iperf3 -c "$dst" -t 5 -f m "$@" 2>&1 |
		awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") print $i }'
	wait
}
if [ $CEILING -eq 1 ]; then
	set_link
	# A direct veth between the same namespaces, without emulator, GSO off as on the
	# emulated links (one packet per frame): the machine's own limit for that traffic.
	ip link add "d-$ID" netns "gtlab-$ID-s" gso_max_segs 1 type veth \
		peer name "d-$ID" netns "gtlab-$ID-c" gso_max_segs 1
	ip -n "gtlab-$ID-s" addr add 198.18.250.2/24 dev "d-$ID"
	ip -n "gtlab-$ID-c" addr add 198.18.250.1/24 dev "d-$ID"
	ip -n "gtlab-$ID-s" link set "d-$ID" up
	ip -n "gtlab-$ID-c" link set "d-$ID" up
	info "ceiling: TCP, direct veth (no emulator, GSO off)" "MTU 1500, 5 s" \
		"$(iperf_tcp 198.18.250.1) Mbit/s"
	info "ceiling: TCP through the emulator" "MTU 1500, 5 s" "$(iperf_tcp "$C4") Mbit/s"
	info "ceiling: TCP through the emulator, 4 flows" "MTU 1500, 5 s" \
		"$(iperf_tcp "$C4" -P 4 | tail -n 1) Mbit/s"
	info "ceiling: TCP through the emulator" "MTU 9000, 5 s" "$(iperf_tcp "$J4") Mbit/s"
	info "ceiling: UDP 64-byte datagrams" "MTU 1500, 5 s" "$(lab exec c iperf3 -s -1 \
		>/dev/null 2>&1 & sleep 0.3; lab exec s iperf3 -c "$C4" -u -b 0 -l 64 -t 5 2>&1 |
		awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) {
			split($i, a, "/"); printf "%.0f kpps received", (a[2] - a[1]) / 5000 } }')"
	wait
	info "emulator socket drops" "during the ceiling runs" "$(counter up sockdrop) up"
fi

echo
echo "selfcheck: $FAILS failed"
[ $FAILS -eq 0 ]
