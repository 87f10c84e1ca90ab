/* The emulator's counters as CSV, one line per direction and interval. The counters are totals
 * since the emulator started; the time is seconds since the timeline started. gtlab stats turns
 * them into rates (netns-lab/lib/series.awk). */
#include <inttypes.h>
#include <stdio.h>

#include "emu.h"

void
stats_header(FILE *f)
{
	fputs("time_s,link,dir,rx_pkts,rx_bytes,tx_pkts,tx_bytes,lost,qdrop,cut,oversize,dup,"
	    "reordered,other,sockdrop,backlog_bytes,delay_us,rate_bps,state\n", f);
}

void
stats_line(struct emu *e, FILE *f, uint64_t now)
{
	static const char *const dirname[] = { "up", "down" };
	double t = e->started ? (double)(int64_t)(now - e->t0) / 1e9 : 0.0;

	for (int d = 0; d < 2; d++) {
		io_sockdrops(e, d);
		const struct model *m = &e->dir[d].m;
		const struct model_stats *s = &m->st;
		fprintf(f, "%.3f,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		    ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%"
		    PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s\n", t, e->label, dirname[d],
		    s->rx_pkts, s->rx_bytes, s->tx_pkts, s->tx_bytes, s->lost, s->qdrop, s->cut,
		    s->oversize, s->dup, s->reordered, s->other, s->sockdrop, model_backlog(m, now),
		    model_delay(m, now) / 1000, m->p.rate, m->cut ? "cut" : "up");
	}
}
