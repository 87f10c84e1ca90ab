# The emulators' counters (emu_stats.c CSV lines, no header, sorted by time) into the per-path
# series that plot.sh draws:
#   time_s,path,up_mbps,down_mbps,rtt_ms,loss_up_pct,loss_down_pct
# Rates and losses are over the interval since the link's previous line; loss counts every
# drop (loss model, full queue, cut, oversize); RTT is the model's: both directions' delay
# plus queueing, empty while a direction is cut. Empty fields mean "no data".
BEGIN {
	FS = ","
	print "time_s,path,up_mbps,down_mbps,rtt_ms,loss_up_pct,loss_down_pct"
}

function drops() {
	return $8 + $9 + $10 + $11 + $14 + $15
}

$3 == "up" {
	ut[$2] = $1; urx[$2] = $4; utx[$2] = $7; udr[$2] = drops(); udel[$2] = $17
	ucut[$2] = ($19 == "cut")
	next
}

$3 == "down" {
	l = $2
	if (!(l in ut) || ut[l] != $1) {
		next	# an up line is missing for this time: skip
	}
	if (l in pt) {
		dt = $1 - pt[l]
		if (dt > 0) {
			up = (utx[l] - putx[l]) * 8 / dt / 1e6
			dn = ($7 - pdtx[l]) * 8 / dt / 1e6
			drx = urx[l] - purx[l]
			lu = drx > 0 ? sprintf("%.3f", 100 * (udr[l] - pudr[l]) / drx) : ""
			drx = $4 - pdrx[l]
			ld = drx > 0 ? sprintf("%.3f", 100 * (drops() - pddr[l]) / drx) : ""
			rtt = (ucut[l] || $19 == "cut") ? "" : sprintf("%.3f", (udel[l] + $17) / 1000)
			printf "%s,%s,%.3f,%.3f,%s,%s,%s\n", $1, l, up, dn, rtt, lu, ld
		}
	}
	pt[l] = $1
	putx[l] = utx[l]; purx[l] = urx[l]; pudr[l] = udr[l]
	pdtx[l] = $7; pdrx[l] = $4; pddr[l] = drops()
}
