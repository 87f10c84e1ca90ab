#!/bin/sh
# plot.sh SERIES.csv OUTDIR: per-path throughput, RTT and loss over time as PNG (gnuplot).
#
# SERIES.csv has a header and one line per path and sample:
#   time_s,path,up_mbps,down_mbps,rtt_ms,loss_up_pct,loss_down_pct
# (`gtlab stats` writes it from the emulators' counters; anything else, such as a worker's
# own path stats, can write it too). Empty fields are gaps. "up" is site -> concentrator.
# Writes OUTDIR/throughput.png, rtt.png, loss.png and overview.png (the three stacked).
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

if gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; then
	term="pngcairo size 1100,420 font ',10'"
	tall="pngcairo size 1100,1100 font ',10'"
else
	term="png size 1100,420"
	tall="png size 1100,1100"
fi

gnuplot >"$out/.data/gnuplot.log" 2>&1 <<GNUPLOT || { cat "$out/.data/gnuplot.log" >&2; exit 1; }
set xrange $xrange
set grid
set key outside right
set xlabel "time (s)"
paths = "$paths"
d(p) = "$out/.data/" . p . ".dat"

# An invisible line at 0 keeps a plot valid when no path has a value for it.
none = 'plot 0 with lines lt nodraw notitle, '
each = 'for [p in paths] d(p) using 1:'
pts = ' with linespoints pt 7 ps 0.4'
thr = none . each . '2 with lines lw 2 title p." up", ' . \
	each . '3 with lines lw 2 dt 2 title p." down"'
rtt = none . each . '4 with lines lw 2 title p'
loss = none . each . '5' . pts . ' title p." up", ' . each . '6' . pts . ' dt 2 title p." down"'

set terminal $term
set yrange [0:*]
set autoscale ymax
set output "$out/throughput.png"
set title "throughput per path"
set ylabel "Mbit/s"
eval thr
set output "$out/rtt.png"
set title "RTT per path"
set ylabel "ms"
eval rtt
set output "$out/loss.png"
set title "loss per path"
set ylabel "%"
eval loss

set terminal $tall
set output "$out/overview.png"
set multiplot layout 3,1
set title "throughput per path"
set ylabel "Mbit/s"
eval thr
set title "RTT per path"
set ylabel "ms"
eval rtt
set title "loss per path"
set ylabel "%"
eval loss
unset multiplot
GNUPLOT
echo "plots: $out/throughput.png $out/rtt.png $out/loss.png $out/overview.png"
