/* The engine's API: creation, the receive pipeline (PROTOCOL.md section 1.3), sending data,
 * the update loop, output queues and queries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/engine_int.h"

static void
default_random(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	randombytes_buf(buf, len);
}

void
engine_config_default(struct engine_config *c)
{
	memset(c, 0, sizeof(*c));
	c->role = ENGINE_CLIENT;
	c->dialect = MUD_V1;
	c->aes = true;
	c->kxtimeout = 60 * ENGINE_MIN;
	c->time_tolerance = MUD_TIME_TOLERANCE_DEFAULT;
	c->keepalive = 25 * ENGINE_SEC;
	c->tos = 192;
	c->standby_beat = ENGINE_SEC;
	c->replay_span = REPLAY_SPAN_DEFAULT_US;
	c->reseq = true;
	c->reseq_hold_max = 200 * ENGINE_MSEC;
	c->delay = ENGINE_DELAY_AUTO;
	c->delay_auto_spread = 30 * ENGINE_MSEC;
}

bool
engine_is_client(const struct engine *e)
{
	return e->cfg.role == ENGINE_CLIENT;
}

struct engine *
engine_new(const struct engine_config *c)
{
	if (!c || (c->role != ENGINE_CLIENT && c->role != ENGINE_SERVER) ||
	    !mud_dialect_name(c->dialect) || c->tos < 0 || c->tos > 255 ||
	    c->replay_span > REPLAY_SPAN_MAX_US || (unsigned)c->delay > ENGINE_DELAY_AUTO ||
	    (c->reseq_capacity && (c->reseq_capacity < 2 || c->reseq_capacity > (1u << 24)))) {
		errno = EINVAL;
		return NULL;
	}
	if (aead_init())
		return NULL;

	struct engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *c;
	if (!e->cfg.kxtimeout)
		e->cfg.kxtimeout = 60 * ENGINE_MIN;
	if (!e->cfg.time_tolerance)
		e->cfg.time_tolerance = MUD_TIME_TOLERANCE_DEFAULT;
	if (!e->cfg.keepalive)
		e->cfg.keepalive = 25 * ENGINE_SEC;
	if (!e->cfg.standby_beat)
		e->cfg.standby_beat = ENGINE_SEC;
	if (!e->cfg.random)
		e->cfg.random = default_random;
	e->aes = c->aes && aead_aegis256_available();
	e->dialect = c->dialect;
	e->dialect_known = c->role == ENGINE_CLIENT;
	e->level = ENGINE_LEVEL_NONE;

	e->dq = calloc(ENGINE_DGRAM_RING, sizeof(*e->dq));
	e->tq = calloc(ENGINE_TUN_RING, sizeof(*e->tq));
	e->ctl_rp = replay_new(e->cfg.replay_span);
	e->sched = sched_new(NULL);
	if (!e->dq || !e->tq || !e->ctl_rp || !e->sched || engine_keys_init(e))
		goto fail;
	if (c->reseq) {
		struct reseq_config rc;

		reseq_config_default(&rc);
		rc.capacity = c->reseq_capacity ? c->reseq_capacity : ENGINE_RESEQ_CAPACITY;
		rc.slot_size = MUD_PKT_MAX;
		if (c->reseq_hold_max)
			rc.hold_max_us = c->reseq_hold_max;
		e->reseq = reseq_new(&rc);
		if (!e->reseq)
			goto fail;
	}
	return e;
fail:
	engine_free(e);
	errno = ENOMEM;
	return NULL;
}

void
engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_keys_free(e);
	replay_free(e->ctl_rp);
	sched_free(e->sched);
	reseq_free(e->reseq);
	free(e->dq);
	free(e->tq);
	sodium_memzero(e, sizeof(*e));
	free(e);
}

void
engine_set_timers(struct engine *e, uint64_t kxtimeout, uint64_t time_tolerance,
                  uint64_t keepalive, int tos)
{
	if (kxtimeout)
		e->cfg.kxtimeout = kxtimeout;
	if (time_tolerance)
		e->cfg.time_tolerance = time_tolerance;
	if (keepalive)
		e->cfg.keepalive = keepalive;
	if (tos >= 0 && tos <= 255)
		e->cfg.tos = tos;
}

int
engine_set_delay(struct engine *e, enum engine_delay d)
{
	if ((unsigned)d > ENGINE_DELAY_AUTO) {
		errno = EINVAL;
		return -1;
	}
	e->cfg.delay = d;
	engine_delay_apply(e);
	return 0;
}

enum engine_delay
engine_delay(const struct engine *e)
{
	return e->cfg.delay;
}

/* ---- Clock ---- */

#define RAW48_MASK ((UINT64_C(1) << 48) - 1)

/* Takes the caller's T48 time at the start of every call: e->now for the wire, e->mono for
 * everything else. mono moves by the T48 difference since the previous call; a time that went
 * back (a difference of 2^47 or more) leaves it where it is. Returns e->mono. */
static uint64_t
clock_take(struct engine *e, uint64_t now)
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
static uint64_t
clock_t48(const struct engine *e, uint64_t t)
{
	return mud_t48(e->raw + (t - e->mono) + 1);
}

/* ---- Small services for the other engine files ---- */

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
static uint64_t
stamp_ahead(const struct engine *e)
{
	if (!e->sent_any || mud_t48_newer(e->now, e->last_ts))
		return 0;
	return mud_t48_diff(e->last_ts + 2, e->now);
}

/* How far data timestamps may run ahead: the peer drops what is beyond its time tolerance, so
 * at most half of ours (the usual configuration has the same on both sides). */
static uint64_t
ahead_max(const struct engine *e)
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
static void
reseq_drain(struct engine *e)
{
	struct reseq_pkt pkt;

	if (!e->reseq)
		return;
	while (e->tq_count < ENGINE_TUN_RING && reseq_pop(e->reseq, e->mono, &pkt))
		engine_tun_push(e, pkt.data, pkt.len);
	reseq_recycle(e->reseq);
}

/* ---- Receive (section 1.3) ---- */

/* last_recv feeds the server's relative rule (section 6.4 step 4): a path is stale when the
 * peer is heard elsewhere but not on it. The slow probes our client sends on standby paths must
 * not make an idle primary path look stale, so they do not count; data always does. */
static void
path_rx(struct engine *e, struct engine_path *p, uint64_t now, size_t len, bool data)
{
	p->rx_total++;
	p->rx_bytes += len;
	p->rx_time = now;
	if (data || !p->ok || p->running)
		e->last_recv = now;
}

/* The replay check of an authenticated control message. One older than the window is taken
 * as the first word of a restarted peer whose clock now lags (within the time tolerance) when it
 * carries a public key never derived from: a replay would carry an old key. The windows of the
 * PSK start again from it. */
static bool
ctl_fresh(struct engine *e, uint64_t t, const struct mud_ctl *m)
{
	enum replay_verdict v = replay_commit(e->ctl_rp, t);

	if (v == REPLAY_FRESH)
		return true;
	if (v != REPLAY_TOO_OLD || engine_keys_seen(e, m->pkey))
		return false;
	replay_reset(e->ctl_rp);
	replay_reset(e->kx.psk.rp);
	return replay_commit(e->ctl_rp, t) == REPLAY_FRESH;
}

/* A control message is classified (B.3) and checked against replays before it may touch a
 * path; only a fresh initiation creates one, and only on a server (section 11 item 2). */
static enum engine_rx
recv_ctl(struct engine *e, uint64_t now, const struct mud_addr *local,
         const struct mud_addr *remote, const uint8_t *dgram, size_t len)
{
	uint64_t t = mud_pkt_time(dgram);
	struct mud_ctl m;
	int n, d;

	n = mud_ctl_open(e->scratch, sizeof(e->scratch), dgram, len, e->cfg.psk);
	if (n < 0) {
		engine_bad(e, ENGINE_BAD_DECRYPT, local, remote);
		return ENGINE_RX_DROP;
	}
	d = mud_ctl_classify(e->scratch, (size_t)n);
	if (d < 0) {
		engine_bad(e, ENGINE_BAD_DIALECT, local, remote);
		return ENGINE_RX_DROP;
	}
	/* A client reads replies in its own layout: a 0.3.4 server echoes a master client's byte 6
	 * back as its state (B.3). */
	if (engine_is_client(e))
		d = (int)e->cfg.dialect;
	if (mud_ctl_decode(&m, e->scratch, (size_t)n, (enum mud_dialect)d))
		return ENGINE_RX_DROP;
	if (!ctl_fresh(e, t, &m)) {
		engine_bad(e, ENGINE_BAD_REPLAY, local, remote);
		return ENGINE_RX_DROP;
	}
	if (!local->family)
		return ENGINE_RX_DROP;

	struct engine_path *p = engine_path_find(e, local, remote);
	if (!p) {
		if (engine_is_client(e) || m.sent_time)
			return ENGINE_RX_DROP;
		if (!(p = engine_path_create(e, local, remote, now)))
			return ENGINE_RX_DROP;
		p->dialect = (enum mud_dialect)d;
	}
	if (p->state <= ENGINE_STATE_DOWN)
		return ENGINE_RX_DROP;
	if (!engine_is_client(e) && (!e->dialect_known || e->dialect != (enum mud_dialect)d)) {
		e->dialect = (enum mud_dialect)d;
		e->dialect_known = true;
		engine_event(e, ENGINE_EV_DIALECT, engine_path_index(e, p), (uint64_t)d);
	}
	engine_ctl_recv(e, p, now, t, &m, (enum mud_dialect)d, len);
	path_rx(e, p, now, len, false);
	/* The resequencer knows a path from its control messages, not only from its first data
	 * packet, which would then come late (unless the delay is low, engine_delay_apply() tells it
	 * to wait for the paths selected for data). */
	if (e->reseq && e->cfg.delay != ENGINE_DELAY_LOW && p->used)
		reseq_path_seen(e->reseq, now, (unsigned)engine_path_index(e, p), t);
	return ENGINE_RX_CONTROL;
}

static enum engine_rx
recv_data(struct engine *e, uint64_t now, const struct mud_addr *local,
          const struct mud_addr *remote, const uint8_t *dgram, size_t len)
{
	uint8_t *out = e->reseq ? reseq_slot(e->reseq) : NULL;
	int n;

	if (!out)
		out = e->scratch;
	n = engine_keys_open(e, out, MUD_PKT_MAX, dgram, len);
	if (n < 0) {
		engine_bad(e, n == -2 ? ENGINE_BAD_REPLAY : ENGINE_BAD_DECRYPT, local, remote);
		return ENGINE_RX_DROP;
	}
	if (!local->family)
		return ENGINE_RX_DROP;

	struct engine_path *p = engine_path_find(e, local, remote);
	if (p && p->state <= ENGINE_STATE_DOWN)
		return ENGINE_RX_DROP;
	if (p) {
		p->idle = now;
		p->rx_data_time = now;
		engine_data(e, now);
		path_rx(e, p, now, len, true);
	}
	/* The section 10 filter, after the counters as in the reference. */
	if (!mud_ip_valid(out, (size_t)n)) {
		engine_bad(e, ENGINE_BAD_FILTER, local, remote);
		return ENGINE_RX_DROP;
	}
	/* Data from an unknown address is authenticated and fresh: deliver it, but it creates no
	 * path (a NAT rebinding is learned from the next initiation). */
	if (!p || !e->reseq) {
		engine_tun_push(e, out, (size_t)n);
		return ENGINE_RX_DATA;
	}
	unsigned i = (unsigned)engine_path_index(e, p);
	uint64_t ts = mud_pkt_time(dgram);
	int rc = reseq_push(e->reseq, now, i, ts, out, (size_t)n);
	if (rc < 0) {
		/* No free slot (out is then e->scratch, not a slot): what is due and what the
		 * buffer holds beyond its limit go to the TUN queue, their slots are recycled, and
		 * the push, which changed nothing, is tried again. Only with the TUN queue full as
		 * well is the packet passed on as is (and lost there, counted in tun_lost). */
		reseq_drain(e);
		rc = reseq_push(e->reseq, now, i, ts, out, (size_t)n);
	}
	if (rc < 0 || rc == RESEQ_DELIVER || rc == RESEQ_LATE)
		engine_tun_push(e, out, (size_t)n);
	reseq_drain(e);
	return ENGINE_RX_DATA;
}

enum engine_rx
engine_recv(struct engine *e, uint64_t now, const struct mud_addr *local,
            const struct mud_addr *remote, const uint8_t *dgram, size_t len)
{
	now = clock_take(e, now);

	/* The reference's order (section 1.3): size (silent there), time, then authentication, so
	 * a control datagram under 147 bytes counts as decrypt. */
	if (len <= MUD_OVERHEAD || len > MUD_PKT_MAX) {
		engine_bad(e, ENGINE_BAD_SIZE, local, remote);
		return ENGINE_RX_DROP;
	}
	if (!mud_time_ok(e->now, mud_pkt_time(dgram), e->cfg.time_tolerance)) {
		engine_bad(e, ENGINE_BAD_DIFFTIME, local, remote);
		return ENGINE_RX_DROP;
	}
	if (dgram[0] & 1)
		return recv_ctl(e, now, local, remote, dgram, len);
	return recv_data(e, now, local, remote, dgram, len);
}

/* ---- Send ---- */

int
engine_send(struct engine *e, uint64_t now, uint8_t *dgram, size_t cap, const uint8_t *ip,
            size_t len, struct engine_tx *tx)
{
	now = clock_take(e, now);
	if (len > MUD_DATA_MAX || cap < len + MUD_OVERHEAD) {
		errno = EMSGSIZE;
		return -1;
	}
	if (!mud_ip_valid(ip, len)) {
		errno = EINVAL;
		return -1;
	}
	if (stamp_ahead(e) > ahead_max(e)) {
		e->send_blocked = true;
		errno = EAGAIN;
		return -1;
	}
	int i = sched_pick(e->sched, now, len + MUD_OVERHEAD);
	if (i < 0) {
		if (errno == EAGAIN)
			e->send_blocked = true;
		return -1;
	}
	struct engine_path *p = &e->path[i];
	if (!p->used) {
		errno = ENETUNREACH;
		return -1;
	}
	const struct engine_slot *k = engine_keys_send_slot(e);
	uint64_t ts = engine_stamp(e, k->is_psk ? e->kx.psk.rp : NULL);
	int n = mud_data_seal(dgram, cap, ip, len, ts, k->cipher, k->enc);
	if (n < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	p->idle = now;
	engine_data(e, now);
	p->tx_bytes += (size_t)n;
	p->tx_total++;
	p->tx_time = now;
	if (tx)
		*tx = (struct engine_tx){
			.local = p->local,
			.remote = p->remote,
			.flags = ENGINE_TX_DONTFRAG,
			.tos = e->cfg.tos,
			.path = i,
		};
	return n;
}

void
engine_send_flush(struct engine *e)
{
	sched_burst_end(e->sched);
}

/* ---- Update ---- */

uint64_t
engine_update(struct engine *e, uint64_t now)
{
	now = clock_take(e, now);

	engine_keys_timer(e, now);
	engine_paths_update(e, now);
	reseq_drain(e);

	uint64_t next = now + ENGINE_UPDATE_MAX;
	uint64_t t = engine_paths_deadline(e, now);
	if (t < next)
		next = t;
	t = engine_keys_deadline(e, now);
	if (t < next)
		next = t;
	if (e->reseq) {
		t = reseq_deadline(e->reseq);
		if (t < next)
			next = t;
	}
	if (e->send_blocked) {
		/* A send was refused: wake up when the pacer or the timestamps allow one. */
		e->send_blocked = false;
		t = sched_next(e->sched, now);
		uint64_t ahead = stamp_ahead(e), max = ahead_max(e);
		if (ahead > max && now + (ahead - max) > t)
			t = now + (ahead - max);
		if (t < next)
			next = t;
	}
	if (next < now)
		next = now;
	return clock_t48(e, next);
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
		reseq_drain(e);
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

/* ---- Path commands ---- */

int
engine_path_set(struct engine *e, uint64_t now, const struct engine_path_conf *c)
{
	now = clock_take(e, now);
	if (!engine_is_client(e) || c->state > ENGINE_STATE_UP || !c->local.family ||
	    c->local.family != c->remote.family) {
		errno = EINVAL;
		return -1;
	}
	struct engine_path *p = engine_path_find(e, &c->local, &c->remote);
	if (!p) {
		if (c->state != ENGINE_STATE_UP && c->state != ENGINE_STATE_BACKUP) {
			errno = ENOENT;
			return -1;
		}
		if (!(p = engine_path_create(e, &c->local, &c->remote, now)))
			return -1;
		p->active = true;
		p->dialect = e->cfg.dialect;
	}
	if (c->tx_max_rate)
		p->tx_max_rate = p->tx_rate = c->tx_max_rate;
	if (c->rx_max_rate)
		p->rx_max_rate = c->rx_max_rate;
	if (c->beat)
		p->beat = c->beat;
	if (c->rate_mode)
		p->fixed_rate = c->rate_mode == ENGINE_RATE_FIXED;
	if (c->loss_limit)
		p->loss_limit = c->loss_limit;
	if (c->set_pref)
		p->pref = c->pref;
	if (c->state && c->state != p->state) {
		p->state = (uint8_t)c->state;
		engine_mtu_reset(p);
		engine_mtu_tunnel(e);
	}
	return 0;
}

int
engine_path_del(struct engine *e, const struct mud_addr *local, const struct mud_addr *remote)
{
	struct engine_path *p = engine_path_find(e, local, remote);

	if (!p) {
		errno = ENOENT;
		return -1;
	}
	engine_path_free(e, p);
	return 0;
}

/* ---- Queries ---- */

int
engine_paths(const struct engine *e, struct engine_path_info *out, int max)
{
	int n = 0;

	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		const struct engine_path *p = &e->path[i];

		if (!p->used)
			continue;
		if (n < max && out) {
			out[n] = (struct engine_path_info){
				.index = i,
				.state = (enum engine_state)p->state,
				.ok = p->ok,
				.running = p->running,
				.active = p->active,
				.dialect = p->dialect,
				.local = p->local,
				.remote = p->remote,
				.pub = p->pub,
				.mtu = p->mtu.ok,
				.probe = p->mtu.probe,
				.rtt = p->rtt.val,
				.rttvar = p->rtt.var,
				.fixed_rate = p->fixed_rate,
				.loss_limit = p->loss_limit,
				.pref = p->pref,
				.beat = p->beat,
				.tx_rate = p->tx_rate,
				.tx_max_rate = p->tx_max_rate,
				.tx_loss = p->tx_loss,
				.tx_packets = p->tx_total,
				.tx_bytes = p->tx_bytes,
				.rx_rate = p->rx_max_rate,
				.rx_loss = p->rx_loss,
				.rx_packets = p->rx_total,
				.rx_bytes = p->rx_bytes,
				.unanswered = p->msg_sent,
			};
		}
		n++;
	}
	return n;
}

void
engine_info(const struct engine *e, struct engine_info *out)
{
	const struct engine_slot *k = engine_keys_send_slot(e);

	*out = (struct engine_info){
		.role = e->cfg.role,
		.dialect = e->dialect,
		.dialect_known = e->dialect_known,
		.mtu = e->mtu ? e->mtu - MUD_OVERHEAD : 0,
		.aes = e->aes,
		.cipher = k->cipher,
		.keyed = !k->is_psk,
		.rotations = e->kx.rotations,
		.rate = e->rate,
		.npaths = engine_paths(e, NULL, 0),
		.events_lost = e->events_lost,
		.datagrams_lost = e->datagrams_lost,
		.tun_lost = e->tun_lost,
	};
	memcpy(out->bad, e->bad, sizeof(out->bad));
}

const char *
engine_bad_name(enum engine_bad_reason r)
{
	static const char *const names[ENGINE_BAD_NR] = {
		[ENGINE_BAD_DECRYPT] = "decrypt",
		[ENGINE_BAD_DIFFTIME] = "difftime",
		[ENGINE_BAD_KEYX] = "keyx",
		[ENGINE_BAD_REPLAY] = "replay",
		[ENGINE_BAD_DIALECT] = "dialect",
		[ENGINE_BAD_SIZE] = "size",
		[ENGINE_BAD_FILTER] = "filter",
	};

	return (unsigned)r < ENGINE_BAD_NR ? names[r] : NULL;
}

void
engine_set_delay_spread(struct engine *e, uint32_t spread)
{
	e->cfg.delay_auto_spread = spread;
}

uint32_t
engine_delay_spread(const struct engine *e)
{
	return e->cfg.delay_auto_spread;
}

void
engine_set_aes(struct engine *e, bool aes)
{
	e->aes = aes && aead_aegis256_available();
}

bool
engine_aes(const struct engine *e)
{
	return e->aes;
}
