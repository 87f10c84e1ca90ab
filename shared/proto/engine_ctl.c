/* Control messages: building initiations and answers, processing received ones (docs/protocol.md
 * sections 3.5, 3.6, 4.3 and B.4 "Roles"), and the client's message timer (section 6.4 step 5).
 *
 * Roles are per path, as in master: an active path (configured on a client) initiates, echoes
 * replies and processes keys on them; a passive path (learned by a server) answers initiations
 * only. An active path ignores initiations and a passive path sends no answer to replies or
 * echoes, in both dialects (section 3.6, "messages of the unexpected kind"). */
#include <string.h>

#include "proto/engine_ctl.h"
#include "proto/engine_keys.h"
#include "proto/engine_mtu.h"
#include "proto/engine_rate.h"

int
engine_ctl_send(struct engine *e, struct engine_path *p, uint64_t now, uint64_t sent_time,
                uint64_t fw_bytes, uint64_t fw_total, size_t size, enum mud_dialect d)
{
	struct mud_ctl m = {
		.sent_time = sent_time,
		.state = p->state,
		.aes = e->aes,
		.pref = p->pref,
		.loss = p->tx_loss > 255 ? 255 : (uint8_t)p->tx_loss,
		.fixed_rate = p->fixed_rate,
		.loss_limit = p->loss_limit,
		.tx_bytes = p->tx_bytes,
		.tx_total = p->tx_total,
		.rx_bytes = p->rx_bytes,
		.rx_total = p->rx_total,
		.fw_bytes = fw_bytes,
		.fw_total = fw_total,
		.max_rate = p->rx_max_rate,
		.beat = p->beat,
		.addr = p->remote,
	};

	if (p->active)
		m.mtu = (uint16_t)(p->mtu.probe ? 0 : p->mtu.last);
	else
		m.mtu = (uint16_t)p->mtu.wire;
	if (e->kx.have_pair)
		memcpy(m.pkey, e->kx.pair.public, MUD_PKEY_SIZE);
	if (size < MUD_CTL_MIN)
		size = MUD_CTL_MIN;

	struct engine_ring_dgram *slot = engine_dq_push(e);
	if (!slot)
		return -1;
	uint64_t ts = engine_ctl_stamp(e);
	int n = mud_ctl_build(slot->buf, sizeof(slot->buf), &m, d, size, ts, e->cfg.psk);
	if (n < 0) {
		engine_dq_cancel(e);
		return -1;
	}
	/* What the peer answers: our initiations (client) and replies (server); echoes are not
	 * answered. */
	if (!sent_time || !p->active) {
		p->sent[p->sent_next] = (struct engine_sent){.ts = mud_t48(ts), .at = now};
		p->sent_next = (p->sent_next + 1) % ENGINE_SENT_TRACK;
	}
	slot->meta = (struct engine_dgram){
		.data = slot->buf,
		.len = (size_t)n,
		.local = p->local,
		.remote = p->remote,
		.flags = ENGINE_TX_DONTFRAG | (sent_time ? ENGINE_TX_CONFIRM : 0),
		.tos = e->cfg.tos,
		.path = engine_path_index(e, p),
	};
	engine_path_tx(e, p, now, (size_t)n);
	return 0;
}

/* When the message our sent_time field names really left, on the mono clock: remembered for
 * the last answerable messages of the path (*tracked is then true: it answers a message we sent
 * on this path), else taken from the stamp, which is then at most a few us ahead of the clock
 * (engine_ctl_stamp()). Returns false for a time field from the future: we never sent it, or not
 * from this clock. */
static bool
sent_at(const struct engine *e, const struct engine_path *p, uint64_t sent_time, uint64_t *at,
        bool *tracked)
{
	uint64_t ts = mud_t48(sent_time);

	*tracked = false;
	for (int i = 0; i < ENGINE_SENT_TRACK; i++) {
		if (p->sent[i].at && p->sent[i].ts == ts) {
			*at = p->sent[i].at;
			*tracked = true;
			return true;
		}
	}
	if (ts != e->now && !mud_t48_newer(e->now, ts))
		return false;
	*at = e->mono - mud_t48_diff(e->now, ts);
	return true;
}

/* An initiation received on a passive path: take the client's settings (section 3.6). */
static void
take_settings(struct engine_path *p, const struct mud_ctl *m, enum mud_dialect d)
{
	p->dialect = d;
	if (d == MUD_V1)
		p->state = m->state;
	else
		p->pref = m->pref;
	p->mtu.wire = m->mtu;
	p->mtu.last = m->mtu;
	p->mtu.ok = engine_mtu_usable(m->mtu, d);
	p->beat = m->beat;
	if (p->tx_max_rate != m->max_rate || m->fixed_rate)
		p->tx_rate = m->max_rate;
	p->tx_max_rate = m->max_rate;
	p->fixed_rate = m->fixed_rate;
	p->loss_limit = m->loss_limit;
}

void
engine_ctl_recv(struct engine *e, struct engine_path *p, uint64_t now, uint64_t time_field,
                const struct mud_ctl *m, enum mud_dialect d, size_t size)
{
	if (!m->sent_time && p->active)
		return; /* a stock server never initiates: a replay or a misconfigured peer */
	p->pub = m->addr;

	if (m->sent_time) {
		/* A reply (client) or an echo (server). The RTT is the time since the message it
		 * answers really left; a sample from the future or beyond any plausible RTT is
		 * garbage and must not poison the estimator (section 3.6 takes MASK(now -
		 * sent_time), which wraps to 2^48 us when sent_time is ahead of now). */
		uint64_t at;
		bool tracked;
		if (sent_at(e, p, m->sent_time, &at, &tracked)) {
			if (now - at <= ENGINE_RTT_MAX)
				engine_rtt_sample(&p->rtt, now - at, now);
			engine_rate_snapshot(p, time_field, m, at);
		}
		p->rx_loss = m->loss;
		p->msg_sent = 0;
		if (!p->active) {
			/* An echo of one of our replies: the peer receives at this address. */
			if (tracked)
				p->echoed = true;
			return;
		}
		engine_mtu_answered(e, p, size, m->mtu);
		engine_mtu_tunnel(e);
	} else {
		take_settings(p, m, d);
		p->msg_sent++;
		p->msg_time = now;
		engine_mtu_tunnel(e);
	}

	if (engine_keys_process(e, p, m, now)) {
		engine_bad(e, ENGINE_BAD_KEYX, &p->local, &p->remote);
		return;
	}
	engine_ctl_send(e, p, now, time_field, m->tx_bytes, m->tx_total, size, d);
}

/* Interval before the next initiation on an active path (section 6.4 step 5, B.4 item 5). */
static uint64_t
interval(const struct engine *e, const struct engine_path *p)
{
	if (p->msg_sent >= ENGINE_SENT_MAX)
		return p->dialect == MUD_MASTER ? p->beat : 2 * ENGINE_SENT_MAX * p->beat;
	if (p->ok && !p->running) {
		/* Standby: slow probes keep its liveness known (the reference sends nothing). */
		return p->beat > e->cfg.standby_beat ? p->beat : e->cfg.standby_beat;
	}
	/* Keepalive on a path idle for a second (section 6.4 step 5), unless it is selected for
	 * data while the tunnel carries some: the reference sends data on every path at any load,
	 * our scheduler only on the fastest until the load needs more, and a path we initiated on
	 * only every keepalive would turn not OK on the server (the relative rule of step 4),
	 * which could then not spread a heavy download over it. */
	if (p->ok && e->mono - p->idle >= ENGINE_SEC &&
	    !(p->running && e->data_time && e->mono - e->data_time < ENGINE_SEC))
		return e->cfg.keepalive;
	return p->beat;
}

void
engine_ctl_timer(struct engine *e, struct engine_path *p, uint64_t now)
{
	if (p->msg_time && now - p->msg_time < interval(e, p))
		return;
	if (!p->msg_sent)
		p->msg_first = now;
	p->msg_time = now;
	p->msg_sent++;
	engine_ctl_send(e, p, now, 0, 0, 0, engine_mtu_init_size(e, p, now), p->dialect);
}

uint64_t
engine_ctl_deadline(const struct engine *e, const struct engine_path *p, uint64_t now)
{
	uint64_t iv = interval(e, p);
	uint64_t age;

	if (!p->msg_time)
		return now;
	age = now - p->msg_time;
	return now + (age < iv ? iv - age : 0);
}
