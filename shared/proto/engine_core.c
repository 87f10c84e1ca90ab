/* The engine's core (engine_core.h): the clock, send stamps, events and bad-datagram counters,
 * the output queues, and the accounting every other engine file shares. */
#include <string.h>

#include "proto/engine_core.h"

bool
engine_is_client(const struct engine *e)
{
	return e->cfg.role == ENGINE_CLIENT;
}

int
engine_path_index(const struct engine *e, const struct engine_path *p)
{
	return (int)(p - e->path);
}

/* ---- Clock ---- */

#define RAW48_MASK ((UINT64_C(1) << 48) - 1)

/* Takes the caller's T48 time at the start of every call: e->now for the wire, e->mono for
 * everything else. mono moves by the T48 difference since the previous call; a time that went
 * back (a difference of 2^47 or more) leaves it where it is. Returns e->mono. */
uint64_t
engine_clock_take(struct engine *e, uint64_t now)
{
	uint64_t raw = now & RAW48_MASK;

	e->now = mud_t48(now);
	if (!e->clock_set) {
		e->clock_set = true;
		e->raw = raw;
		e->mono = (UINT64_C(1) << 48) + raw;
	} else {
		uint64_t d = (raw - e->raw) & RAW48_MASK;
		if (d < (UINT64_C(1) << 47)) {
			e->raw = raw;
			e->mono += d;
		}
	}
	return e->mono;
}

/* The T48 time of a mono deadline at or after e->mono, rounded up to the 2-us grid. */
uint64_t
engine_clock_t48(const struct engine *e, uint64_t t)
{
	return mud_t48(e->raw + (t - e->mono) + 1);
}

/* ---- Stamps ---- */

/* The next time field of a sequence: MASK(now), or 2 us after the previous one if that is not
 * older, so no two of our datagrams under one key share a nonce (section 11 item 3). Under a key
 * both directions share (the PSK: control messages, and data before the first key exchange), a
 * value the peer has used recently is skipped as well (item 4); `window` holds the peer's. */
static uint64_t
stamp_next(uint64_t now, uint64_t *last, bool *any, const struct replay *window, uint64_t flag)
{
	uint64_t ts = now;

	if (*any && !mud_t48_newer(ts, *last))
		ts = mud_t48(*last + 2);
	for (int i = 0; window && i < 64 && replay_check(window, ts | flag) == REPLAY_DUPLICATE; i++)
		ts = mud_t48(ts + 2);
	*last = ts;
	*any = true;
	return ts;
}

/* Data and control messages have a sequence each: their time fields differ in the flag bit,
 * which is part of the nonce, so they never share one, and control messages do not inherit the
 * lead data timestamps take under a burst (engine.h "Wire ceiling"). A control time field stays
 * on the clock, so the peer's RTT, rate and resequencing estimates built on it stay true. */
uint64_t
engine_stamp(struct engine *e, const struct replay *window)
{
	return stamp_next(e->now, &e->last_ts, &e->sent_any, window, 0);
}

uint64_t
engine_ctl_stamp(struct engine *e)
{
	return stamp_next(e->now, &e->ctl_last_ts, &e->ctl_sent_any, e->ctl_rp, 1);
}

/* How far the next data timestamp would be ahead of now. */
uint64_t
engine_stamp_ahead(const struct engine *e)
{
	if (!e->sent_any || mud_t48_newer(e->now, e->last_ts))
		return 0;
	return mud_t48_diff(e->last_ts + 2, e->now);
}

/* How far data timestamps may run ahead: the peer drops what is beyond its time tolerance, so
 * at most half of ours (the usual configuration has the same on both sides). */
uint64_t
engine_ahead_max(const struct engine *e)
{
	uint64_t half = e->cfg.time_tolerance / 2;

	return half < ENGINE_AHEAD_MAX_US ? half : ENGINE_AHEAD_MAX_US;
}

void
engine_event(struct engine *e, enum engine_event_type type, int path, uint64_t value)
{
	if (e->eq_count == ENGINE_EVENT_RING) {
		e->events_lost++;
		return;
	}
	struct engine_event *ev = &e->eq[(e->eq_head + e->eq_count++) % ENGINE_EVENT_RING];

	*ev = (struct engine_event){.type = type, .path = path, .value = value};
	if (path >= 0 && path < ENGINE_PATH_MAX) {
		ev->local = e->path[path].local;
		ev->remote = e->path[path].remote;
	}
}

void
engine_bad(struct engine *e, enum engine_bad_reason r, const struct mud_addr *local,
           const struct mud_addr *from)
{
	struct engine_bad_stat *b = &e->bad[r];

	b->count++;
	b->time = e->now;
	b->addr = *from;
	if (e->eq_count == ENGINE_EVENT_RING) {
		e->events_lost++;
		return;
	}
	struct engine_event *ev = &e->eq[(e->eq_head + e->eq_count++) % ENGINE_EVENT_RING];

	*ev = (struct engine_event){.type = ENGINE_EV_BAD, .path = -1, .reason = r, .remote = *from};
	if (local)
		ev->local = *local;
}

void
engine_stale(struct engine *e, const struct mud_addr *from)
{
	struct engine_bad_stat *b = &e->bad[ENGINE_BAD_REPLAY];

	b->count++;
	b->time = e->now;
	b->addr = *from;
}

struct engine_ring_dgram *
engine_dq_push(struct engine *e)
{
	if (e->dq_count == ENGINE_DGRAM_RING) {
		e->datagrams_lost++;
		return NULL;
	}
	return &e->dq[(e->dq_head + e->dq_count++) % ENGINE_DGRAM_RING];
}

void
engine_dq_cancel(struct engine *e)
{
	e->dq_count--;
}

void
engine_tun_push(struct engine *e, const uint8_t *pkt, size_t len)
{
	if (e->tq_count == ENGINE_TUN_RING || len > MUD_PKT_MAX) {
		e->tun_lost++;
		return;
	}
	struct engine_ring_tun *t = &e->tq[(e->tq_head + e->tq_count++) % ENGINE_TUN_RING];

	memcpy(t->buf, pkt, len);
	t->len = len;
}

/* Every datagram sent on a path, data or control, counts here (section 3.1). */
void
engine_path_tx(struct engine *e, struct engine_path *p, uint64_t now, size_t size)
{
	p->tx_bytes += size;
	p->tx_total++;
	p->tx_time = now;
	sched_account(e->sched, now, (unsigned)engine_path_index(e, p), size);
}

/* Data sent or received on any path: the tunnel is busy. */
void
engine_data(struct engine *e, uint64_t now)
{
	if (!e->data_time || now - e->data_time >= ENGINE_SEC)
		e->data_start = now;
	e->data_time = now;
}

/* Resequenced packets that are due go to the TUN queue while it has room. */
void
engine_reseq_drain(struct engine *e)
{
	struct reseq_pkt pkt;

	if (!e->reseq)
		return;
	while (e->tq_count < ENGINE_TUN_RING && reseq_pop(e->reseq, e->mono, &pkt))
		engine_tun_push(e, pkt.data, pkt.len);
	reseq_recycle(e->reseq);
}

/* ---- Output ---- */

bool
engine_next_datagram(struct engine *e, struct engine_dgram *out)
{
	if (!e->dq_count)
		return false;
	*out = e->dq[e->dq_head].meta;
	e->dq_head = (e->dq_head + 1) % ENGINE_DGRAM_RING;
	e->dq_count--;
	return true;
}

bool
engine_next_tun(struct engine *e, const uint8_t **pkt, size_t *len)
{
	if (!e->tq_count)
		engine_reseq_drain(e);
	if (!e->tq_count)
		return false;
	*pkt = e->tq[e->tq_head].buf;
	*len = e->tq[e->tq_head].len;
	e->tq_head = (e->tq_head + 1) % ENGINE_TUN_RING;
	e->tq_count--;
	return true;
}

bool
engine_next_event(struct engine *e, struct engine_event *out)
{
	if (!e->eq_count)
		return false;
	*out = e->eq[e->eq_head];
	e->eq_head = (e->eq_head + 1) % ENGINE_EVENT_RING;
	e->eq_count--;
	return true;
}
