# `gt-worker --json path` (one JSON array of flat objects) into one line per path:
#   bind state ok rtt_ms tx_packets rx_packets tx_bytes rx_bytes tx_loss rx_loss peer
# ok is 1 or 0. The worker's JSON is flat and its strings hold addresses and words only, so
# a field is found by its key.

function get(obj, key,    s) {
	if (!match(obj, "\"" key "\": *(\"[^\"]*\"|[^,}]*)"))
		return "-"
	s = substr(obj, RSTART, RLENGTH)
	sub(/^"[^"]*": */, "", s)
	gsub(/"/, "", s)
	return s == "" ? "-" : s
}

{
	buf = buf $0
}

END {
	n = split(buf, objs, /\}/)
	for (i = 1; i <= n; i++) {
		o = objs[i]
		if (o !~ /"state"/)
			continue
		printf "%s %s %d %s %s %s %s %s %s %s %s\n", get(o, "bind"), get(o, "state"),
		       get(o, "ok") == "true", get(o, "rtt_ms"), get(o, "tx_packets"),
		       get(o, "rx_packets"), get(o, "tx_bytes"), get(o, "rx_bytes"),
		       get(o, "tx_loss"), get(o, "rx_loss"), get(o, "peer")
	}
}
