#!/bin/sh
# plot.sh SERIES.csv OUTDIR: per-path throughput, RTT and loss over time as PNG (gnuplot).
#
# SERIES.csv has a header and one line per path and sample:
#   time_s,path,up_mbps,down_mbps,rtt_ms,loss_up_pct,loss_down_pct
# (`gtlab stats` writes it from the emulators' counters; anything else, such as a worker's
# own path stats, can write it too). Empty fields are gaps. "up" is site -> concentrator.
# Writes OUTDIR/throughput.png, rtt.png, loss.png and overview.png (the three stacked).
# Optional environment: PLOT_TITLE, a prefix for every title; PLOT_EVENTS, a file of lines
# "TIME_S TEXT" drawn as labelled vertical lines (link cuts and restores); PLOT_EMPHASIS, a
# path drawn thick and black (a total such as the traffic's goodput).
set -eu

[ $# -eq 2 ] || { echo "usage: plot.sh SERIES.csv OUTDIR" >&2; exit 2; }
series=$1 out=$2
command -v gnuplot >/dev/null ||
	{ echo "plot.sh: gnuplot missing (apt-get install gnuplot-nox)" >&2; exit 1; }
head -n 1 "$series" |
	grep -q '^time_s,path,up_mbps,down_mbps,rtt_ms,loss_up_pct,loss_down_pct' ||
	{ echo "plot.sh: $series: not a series (header time_s,path,up_mbps,...)" >&2; exit 1; }
mkdir -p "$out/.data"
rm -f "$out"/.data/*.dat

# One data file per path, blank-separated, NaN for no data (gnuplot breaks lines there).
tail -n +2 "$series" | awk -F, -v dir="$out/.data" '
	$2 !~ /^[A-Za-z0-9_.-]+$/ { next }
	{
		line = $1
		for (i = 3; i <= 7; i++)
			line = line " " ($i == "" ? "NaN" : $i)
		print line > (dir "/" $2 ".dat")
	}'
paths=$(cd "$out/.data" && ls -- *.dat 2>/dev/null | sed 's/\.dat$//' | tr '\n' ' ')
[ -n "$paths" ] || { echo "plot.sh: $series has no samples" >&2; exit 1; }
# The time axis from the data, so that a metric without a single value still plots (empty).
xrange=$(tail -n +2 "$series" | awk -F, '
	NR == 1 || $1 < lo { lo = $1 }
	NR == 1 || $1 > hi { hi = $1 }
	END { if (hi <= lo) hi = lo + 1; printf "[%s:%s]", lo, hi }')

# Events: a dashed vertical line and its text at the top of every plot (in room left free above
# the data), every other text one line lower so that close events stay apart.
events=""
if [ -n "${PLOT_EVENTS-}" ] && [ -s "$PLOT_EVENTS" ]; then
	events=$(awk '$1 ~ /^[0-9.]+$/ {
		t = $1; $1 = ""; sub(/^ /, ""); gsub(/"/, "", $0); n++
		printf "set arrow from %s, graph 0 to %s, graph 1 nohead dt 2 lw 1.5 lc rgb \"#777777\" front\n", t, t
		printf "set label \"%s\" at %s, graph %s left offset 0.4,0 font \",9\" tc rgb \"#333333\" front\n", $0, t, n % 2 ? "0.95" : "0.88"
	} END { if (n) print "set offsets 0, 0, graph 0.2, 0" }' "$PLOT_EVENTS")
fi
title=$(printf '%s' "${PLOT_TITLE-}" | tr -d '"\\')
[ -z "$title" ] || title="$title: "

if gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; then
	term="pngcairo size 1100,420 font ',10'"
	tall="pngcairo size 1100,1100 font ',10'"
else
	term="png size 1100,420"
	tall="png size 1100,1100"
fi

# Per metric, the paths with at least one value for it: the others stay out of that plot.
has() {
	for p in $paths; do
		awk -v c="$1" '$c != "NaN" { f = 1; exit } END { exit !f }' "$out/.data/$p.dat" &&
			printf '%s ' "$p"
	done
	return 0
}
p_up=$(has 2) p_down=$(has 3) p_rtt=$(has 4) p_lu=$(has 5) p_ld=$(has 6)
emph=$(printf '%s' "${PLOT_EMPHASIS-}" | tr -d '"\\')

gnuplot >"$out/.data/gnuplot.log" 2>&1 <<GNUPLOT || { cat "$out/.data/gnuplot.log" >&2; exit 1; }
set xrange $xrange
set grid
set key outside right
set xlabel "time (s)"
$events
paths = "$paths"
d(p) = "$out/.data/" . p . ".dat"
# A path's colour is the same in every plot (its rank among all paths); PLOT_EMPHASIS's in black.
colors = "#0072B2 #009E73 #E69F00 #CC79A7 #56B4E9 #D55E00 #999933 #882255"
idx(p, i) = i > words(paths) ? 1 : word(paths, i) eq p ? i : idx(p, i + 1)
emph = "$emph"
col(p) = p eq emph ? "black" : word(colors, (idx(p, 1) - 1) % words(colors) + 1)
wid(p) = p eq emph ? 3 : 2

# An invisible line at 0 keeps a plot valid when no path has a value for it.
none = 'plot 0 with lines lt nodraw notitle, '
pts = ' with linespoints pt 7 ps 0.4'
thr = none . 'for [p in "$p_up"] d(p) using 1:2 with lines lw wid(p) lc rgb col(p) title p." up", ' . \
	'for [p in "$p_down"] d(p) using 1:3 with lines lw wid(p) dt 2 lc rgb col(p) title p." down"'
rtt = none . 'for [p in "$p_rtt"] d(p) using 1:4 with lines lw wid(p) lc rgb col(p) title p'
loss = none . 'for [p in "$p_lu"] d(p) using 1:5' . pts . ' lc rgb col(p) title p." up", ' . \
	'for [p in "$p_ld"] d(p) using 1:6' . pts . ' dt 2 lc rgb col(p) title p." down"'

set terminal $term
set termoption noenhanced
set yrange [0:*]
set autoscale ymax
set output "$out/throughput.png"
set title "${title}throughput per path"
set ylabel "Mbit/s"
eval thr
set output "$out/rtt.png"
set title "${title}RTT per path"
set ylabel "ms"
eval rtt
set output "$out/loss.png"
set title "${title}loss per path"
set ylabel "%"
eval loss

set terminal $tall
set termoption noenhanced
set output "$out/overview.png"
set multiplot layout 3,1
set title "${title}throughput per path"
set ylabel "Mbit/s"
eval thr
set title "${title}RTT per path"
set ylabel "ms"
eval rtt
set title "${title}loss per path"
set ylabel "%"
eval loss
unset multiplot
GNUPLOT
echo "plots: $out/throughput.png $out/rtt.png $out/loss.png $out/overview.png"
