# How long traffic stopped around events, from a ping flood's output (`ping -D -i INTERVAL`):
# a reply's send time is its receive time (-D) minus its RTT; around each event, the longest gap
# between the send times of two consecutive answered pings (by sequence number), less one
# interval, is how long what was sent got lost. Variables (-v):
#   t0       the timeline's start, wall-clock seconds (as `date +%s.%N`)
#   events   "T|TEXT;..." event times in seconds since t0 and their text
#   interval the ping interval in seconds (default 0.01); the gap taken as normal is the mean
#            gap between consecutive answered pings (ping may send slower than asked)
#   window   how long after an event to look, in seconds (default 3)
# Prints per event: "T STOP_MS LOST TEXT" (STOP_MS -1: nothing answered after the event), then
# "total SENT ANSWERED".

function rel(ts,    a) {
	# seconds since t0, computed apart from the large integer part (precision)
	split(ts, a, ".")
	return (a[1] - t0s) + ("0." a[2]) - t0f
}

BEGIN {
	if (interval == "")
		interval = 0.01
	if (window == "")
		window = 3
	split(t0, a, ".")
	t0s = a[1]
	t0f = ("0." a[2]) + 0
	nev = split(events, ev, ";")
}

/bytes from .*icmp_seq=/ {
	if (!match($0, /^\[[0-9]+\.[0-9]+\]/))
		next
	ts = substr($0, 2, RLENGTH - 2)
	match($0, /icmp_seq=[0-9]+/)
	seq = substr($0, RSTART + 9, RLENGTH - 9) + 0
	match($0, /time=[0-9.]+/)
	rtt = substr($0, RSTART + 5, RLENGTH - 5) / 1000
	if (seq in sent)
		next	# a duplicate
	sent[seq] = rel(ts) - rtt
	if (seq > maxseq)
		maxseq = seq
	n++
}

/packets transmitted/ {
	tx = $1
}

END {
	# the normal gap: the mean of the gaps under 10 intervals
	prev = -1; gs = 0; gn = 0
	for (s = 1; s <= maxseq; s++) {
		if (!(s in sent))
			continue
		if (prev >= 0 && s == prev + 1 && sent[s] - sent[prev] < 10 * interval) {
			gs += sent[s] - sent[prev]
			gn++
		}
		prev = s
	}
	if (gn > 0 && gs / gn > interval)
		interval = gs / gn
	for (i = 1; i <= nev; i++) {
		split(ev[i], kv, "|")
		T = kv[1] + 0
		best = -1; lost = 0; prev = -1
		for (s = 1; s <= maxseq; s++) {
			if (!(s in sent))
				continue
			if (prev >= 0 && sent[s] >= T && sent[prev] <= T + window) {
				g = sent[s] - sent[prev]
				if (g > best) {
					best = g
					lost = s - prev - 1
				}
			}
			prev = s
		}
		if (prev < 0 || sent[prev] < T)
			printf "%.1f -1 - %s\n", T, kv[2]
		else
			printf "%.1f %.0f %d %s\n", T, (best > interval ? best - interval : 0) * 1000,
			       lost, kv[2]
	}
	printf "total %d %d\n", tx, n
}
