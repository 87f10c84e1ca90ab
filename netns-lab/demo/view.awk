# The demo's live view: reads one sample a second from demo.sh's sampler and prints one status
# line per sample; writes the per-path series (plot.sh's CSV) and, at the end, the per-phase
# table. Variables (-v):
#   names    "BIND=NAME ..." the client's paths by local address, in column order
#   events   "T|TEXT;..." the scenario's timeline, T in seconds, sorted (TEXT: "fibre cut")
#   csv      the series file to write (time_s,path,up_mbps,down_mbps,rtt_ms,...)
#   phases   the per-phase table to write at the end
#   flow     what the traffic is ("pc1 -> srv"), for the header
# Input, per sample: "S T BYTES" (T seconds since the timeline's start, BYTES the traffic sink's
# received bytes), then one "P" line per path (wkpaths.awk's fields), then "E". The first sample
# (T near 0) sets the baselines and prints nothing.

function phase_of(t,    i, p) {
	p = 0
	for (i = 1; i <= nev; i++)
		if (evt[i] <= t + 1e-6)
			p = i
	return p
}

# The phase name after event p: the links cut at that point ("all up" if none).
function phase_name(p,    i, w, l, cut, s) {
	delete cut
	for (i = 1; i <= p; i++) {
		split(evx[i], w, " ")
		if (w[2] == "cut")
			cut[w[1]] = 1
		else if (w[2] == "restore")
			delete cut[w[1]]
	}
	s = ""
	for (i = 1; i <= np; i++) {
		l = pname[i]
		if (l in cut)
			s = s (s == "" ? "" : "+") l
	}
	return s == "" ? "all links up" : s " cut"
}

function header(    i, l) {
	printf "%5s %8s", "t", "goodput"
	for (i = 1; i <= np; i++) {
		l = pname[i] " " (pstate[i] == "" ? "" : pstate[i])
		printf " | %-27s", l
	}
	printf "\n%5s %8s", "s", "Mbit/s"
	for (i = 1; i <= np; i++)
		printf " | %-4s %6s %11s %3s", "ok", "rtt ms", "tx/rx Mbit/s", "ls%"
	printf "\n"
	hdr_state = states()
}

function states(    i, s) {
	s = ""
	for (i = 1; i <= np; i++)
		s = s pstate[i] " "
	return s
}

BEGIN {
	np = split(names, nm, " ")
	for (i = 1; i <= np; i++) {
		split(nm[i], kv, "=")
		pidx[kv[1]] = i
		pname[i] = kv[2]
	}
	nev = split(events, ev, ";")
	for (i = 1; i <= nev; i++) {
		split(ev[i], kv, "|")
		evt[i] = kv[1] + 0
		evx[i] = kv[2]
	}
	next_ev = 1
	nsamples = 0
	print "time_s,path,up_mbps,down_mbps,rtt_ms,loss_up_pct,loss_down_pct" > csv
}

$1 == "S" {
	t = $2 + 0
	sink = $3 + 0
	for (i = 1; i <= np; i++)
		seen[i] = 0
	next
}

$1 == "P" && ($2 in pidx) {
	i = pidx[$2]
	seen[i] = 1
	pstate[i] = $3; pok[i] = $4; prtt[i] = $5
	ptxb[i] = $8; prxb[i] = $9; ptxl[i] = $10; prxl[i] = $11
	next
}

$1 == "E" {
	if (nsamples++ == 0) {
		t0 = t; sink0 = sink
		for (i = 1; i <= np; i++) {
			otxb[i] = ptxb[i]; orxb[i] = prxb[i]
		}
		header()
		lt = t; lsink = sink
		fflush()
		next
	}
	# The events of this sample's second (it covers (lt, t]) come before its line.
	while (next_ev <= nev && evt[next_ev] < t - 0.05) {
		pn = phase_name(next_ev)
		printf "----- %4.1f s: %s%s\n", evt[next_ev], evx[next_ev],
		       pn == evx[next_ev] ? "" : " (now: " pn ")"
		next_ev++
	}
	if (states() != hdr_state)
		header()
	dt = t - lt
	if (dt <= 0)
		next
	gp = (sink - lsink) * 8 / dt / 1e6
	ph = phase_of(t - dt / 2)
	ph_bytes[ph] += sink - lsink
	ph_time[ph] += dt
	line = sprintf("%5.1f %8.1f", t, gp)
	for (i = 1; i <= np; i++) {
		if (!seen[i]) {
			line = line sprintf(" | %-27s", "(no path)")
			continue
		}
		tx = (ptxb[i] - otxb[i]) * 8 / dt / 1e6
		rx = (prxb[i] - orxb[i]) * 8 / dt / 1e6
		if (tx < 0) tx = 0
		if (rx < 0) rx = 0
		ph_tx[ph, i] += (ptxb[i] - otxb[i])
		rtt = pok[i] ? sprintf("%6.1f", prtt[i]) : sprintf("%6s", "-")
		line = line sprintf(" | %-4s %s %5.1f/%5.1f %3s", pok[i] ? "OK" : "DEGR", rtt, tx, rx,
		                    ptxl[i] > prxl[i] ? ptxl[i] : prxl[i])
		printf "%.3f,%s,%.3f,%.3f,%s,%s,%s\n", t, pname[i], tx, rx,
		       pok[i] ? prtt[i] : "", ptxl[i], prxl[i] > csv
		otxb[i] = ptxb[i]; orxb[i] = prxb[i]
	}
	printf "%.3f,goodput,%.3f,,,,\n", t, gp > csv
	print line
	fflush()
	lt = t; lsink = sink
	next
}

END {
	if (phases == "")
		exit
	printf "%-22s %9s %9s", "phase", "time s", "goodput" > phases
	for (i = 1; i <= np; i++)
		printf " %8s", pname[i] > phases
	printf "\n" > phases
	for (p = 0; p <= nev; p++) {
		if (!(p in ph_time) || ph_time[p] <= 0)
			continue
		printf "%-22s %4.0f-%-4.0f %9.1f", phase_name(p), p ? evt[p] : t0,
		       p < nev && evt[p + 1] < lt ? evt[p + 1] : lt,
		       ph_bytes[p] * 8 / ph_time[p] / 1e6 > phases
		for (i = 1; i <= np; i++)
			printf " %8.1f", ph_tx[p, i] * 8 / ph_time[p] / 1e6 > phases
		printf "\n" > phases
	}
	printf "%-22s %4.0f-%-4.0f %9.1f\n", "whole run", t0, lt,
	       ((lt > t0) ? (lsink - sink0) * 8 / (lt - t0) / 1e6 : 0) > phases
}
