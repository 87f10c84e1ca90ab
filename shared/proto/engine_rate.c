/* RTT, the measurement snapshot and the per-path rate and loss update (docs/protocol.md
 * sections 3.6 and 8.1), with the reference's exact integer arithmetic. Pacing and path choice
 * live in sched.c. */
#include "proto/engine_rate.h"

void
engine_rtt_sample(struct engine_rtt *s, uint64_t sample, uint64_t now)
{
	if (!s->setup || sample <= s->min || now - s->min_at > ENGINE_RTT_MIN_WINDOW) {
		s->min = sample;
		s->min_at = now;
	}
	if (!s->setup) {
		s->setup = true;
		s->val = sample;
		s->var = sample >> 1;
		return;
	}
	uint64_t d = s->val > sample ? s->val - sample : sample - s->val;
	s->var = ((s->var << 1) + s->var + d) >> 2;
	s->val = ((s->val << 3) - s->val + sample) >> 3;
}

/* 7 * bytes * 10^6 / (8 * dt) without the reference's 64-bit overflow, saturated. */
static uint64_t
rate_from(uint64_t bytes, uint64_t dt)
{
	unsigned __int128 r = (unsigned __int128)bytes * 7 * ENGINE_SEC / ((unsigned __int128)dt * 8);

	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

/* Section 8.1 with the differences between two snapshots. */
static void
update(struct engine_path *p, uint64_t tx_dt, uint64_t tx_pkt, uint64_t rx_dt,
       uint64_t rx_bytes, uint64_t rx_pkt)
{
	if (rx_dt && rx_dt > tx_dt + (tx_dt >> 3)) {
		if (!p->fixed_rate)
			p->tx_rate = rate_from(rx_bytes, rx_dt);
	} else {
		uint64_t t = p->snap.tx_acc + tx_pkt;
		uint64_t r = p->snap.rx_acc + rx_pkt;

		if (t > 1000) {
			if (t >= r)
				p->tx_loss = (uint64_t)((unsigned __int128)(t - r) * 255 / t);
			p->snap.tx_acc = t - (t >> 4);
			p->snap.rx_acc = r - (r >> 4);
		} else {
			p->snap.tx_acc = t;
			p->snap.rx_acc = r;
		}
		if (!p->fixed_rate)
			p->tx_rate += p->tx_rate / 10;
	}
	if (p->tx_rate > p->tx_max_rate)
		p->tx_rate = p->tx_max_rate;
}

static void
store(struct engine_path *p, uint64_t tx_time, uint64_t rx_time, uint64_t tx_at,
      const struct mud_ctl *m)
{
	p->snap.tx_time = tx_time;
	p->snap.tx_at = tx_at;
	p->snap.rx_time = rx_time;
	p->snap.tx_bytes = m->fw_bytes;
	p->snap.rx_bytes = m->rx_bytes;
	p->snap.tx_total = m->fw_total;
	p->snap.rx_total = m->rx_total;
	p->snap.set = true;
}

/* A reply or echo: my own send time and counters as I reported them (sent_time, fw_*), and the
 * peer's send time and receive counters (its time field, rx_*). The times are compared in T48
 * serial order rather than as plain integers, so a clock wrap does not freeze the estimates
 * (section 3.6, recommended). When the peer's receive counters went backwards at a newer time,
 * the peer restarted: start again from this snapshot with clean accumulators. tx_dt is taken
 * between the real send times (sent_at, mono) rather than between the stamps, which may run a
 * little ahead of the clock. */
void
engine_rate_snapshot(struct engine_path *p, uint64_t time_field, const struct mud_ctl *m,
                     uint64_t sent_at)
{
	struct engine_snap *s = &p->snap;
	const uint64_t tx_time = m->sent_time;
	const uint64_t rx_time = time_field;
	bool tx_newer = !s->set || mud_t48_newer(tx_time, s->tx_time);
	bool rx_newer = !s->set || mud_t48_newer(rx_time, s->rx_time);

	if (!tx_newer || !rx_newer)
		return; /* older or duplicate: ignored, as in the reference */
	if (m->fw_bytes > s->tx_bytes && m->rx_bytes > s->rx_bytes) {
		if (s->set && p->mtu.ok) {
			uint64_t tx_dt = sent_at > s->tx_at ? sent_at - s->tx_at
			                                    : mud_t48_diff(tx_time, s->tx_time);
			update(p, tx_dt, m->fw_total - s->tx_total,
			       mud_t48_diff(rx_time, s->rx_time), m->rx_bytes - s->rx_bytes,
			       m->rx_total - s->rx_total);
		}
		store(p, tx_time, rx_time, sent_at, m);
	} else if (m->fw_bytes > s->tx_bytes && m->rx_bytes <= s->rx_bytes) {
		store(p, tx_time, rx_time, sent_at, m);
		s->tx_acc = 0;
		s->rx_acc = 0;
	}
}
