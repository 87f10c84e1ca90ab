/* The engine's API: configuration defaults, creation, the receive pipeline (docs/protocol.md
 * section 1.3), sending data, the update loop and the tunnel's info. The layers below are listed in
 * engine_core.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/engine_ctl.h"
#include "proto/engine_keys.h"
#include "proto/engine_path.h"

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
	c->random = default_random;
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
	struct engine_config d;

	engine_config_default(&d);
	e->cfg = *c;
	if (!e->cfg.kxtimeout)
		e->cfg.kxtimeout = d.kxtimeout;
	if (!e->cfg.time_tolerance)
		e->cfg.time_tolerance = d.time_tolerance;
	if (!e->cfg.keepalive)
		e->cfg.keepalive = d.keepalive;
	if (!e->cfg.standby_beat)
		e->cfg.standby_beat = d.standby_beat;
	if (!e->cfg.random)
		e->cfg.random = d.random;
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

/* Freshness of control messages (docs/protocol.md, "Replayed datagrams move no path"). It is
 * one sliding window per tunnel over the peer's control time fields (replay.h): fresh is newer
 * than any accepted, or within the window's span (about 1 s) below it and not seen yet. A bare
 * "newer than the last accepted" would not do: the peer stamps its control messages from one
 * clock but sends them over several paths of different delays, so an initiation sent later on a
 * fast path often arrives before one sent earlier on a slow path, and dropping the slow one
 * would starve that path of its answers (and its RTT, rate and MTU samples) whenever the paths
 * differ by more than a beat. The window keeps that reordering and still takes each time field
 * once.
 *
 * The authenticated message decides one case: older than the window is taken as the first word
 * of a restarted peer whose clock now lags (within the time tolerance) when it is the kind of
 * message that carries the peer's key to this side (an initiation to a server, a reply to a
 * client) and that key was never derived from: a replay carries an old key. The windows of the
 * PSK start again from it. A duplicate is dropped before any decryption. */
static bool
ctl_fresh(struct engine *e, uint64_t t, const struct mud_ctl *m)
{
	enum replay_verdict v = replay_commit(e->ctl_rp, t);
	bool keyed = engine_is_client(e) ? m->sent_time != 0 : m->sent_time == 0;

	if (v == REPLAY_FRESH)
		return true;
	if (v != REPLAY_TOO_OLD || !keyed || engine_keys_seen(e, m->pkey))
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

	if (replay_check(e->ctl_rp, t) == REPLAY_DUPLICATE) {
		engine_stale(e, remote);
		return ENGINE_RX_DROP;
	}
	e->aead_opens++;
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
		engine_stale(e, remote);
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
	if (n == -2) {
		engine_stale(e, remote);
		return ENGINE_RX_DROP;
	}
	if (n < 0) {
		engine_bad(e, ENGINE_BAD_DECRYPT, local, remote);
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
	 * path (a NAT rebinding is learned from the next initiation, which carries the settings a
	 * path needs; a path made from data could carry nothing until then). */
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
		engine_reseq_drain(e);
		rc = reseq_push(e->reseq, now, i, ts, out, (size_t)n);
	}
	if (rc < 0 || rc == RESEQ_DELIVER || rc == RESEQ_LATE)
		engine_tun_push(e, out, (size_t)n);
	engine_reseq_drain(e);
	return ENGINE_RX_DATA;
}

enum engine_rx
engine_recv(struct engine *e, uint64_t now, const struct mud_addr *local,
            const struct mud_addr *remote, const uint8_t *dgram, size_t len)
{
	now = engine_clock_take(e, now);

	/* The reference's order (section 1.3): size, time, then authentication. What its size
	 * already condemns is dropped before any AEAD work and counted (the reference drops it
	 * silently, or counts a short control datagram as decrypt): a control message under 147
	 * bytes, data under 42 (a peer only sends IP packets of 20 bytes or more, section 10). */
	if (len <= MUD_OVERHEAD || len > MUD_PKT_MAX ||
	    len < (dgram[0] & 1 ? MUD_CTL_MIN : MUD_OVERHEAD + MUD_IP_MIN)) {
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
	now = engine_clock_take(e, now);
	if (len > MUD_DATA_MAX || cap < len + MUD_OVERHEAD) {
		errno = EMSGSIZE;
		return -1;
	}
	if (!mud_ip_valid(ip, len)) {
		errno = EINVAL;
		return -1;
	}
	if (engine_stamp_ahead(e) > engine_ahead_max(e)) {
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
	engine_path_copy_data(e, p, now, dgram, (size_t)n);
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
	now = engine_clock_take(e, now);

	engine_keys_timer(e, now);
	engine_paths_update(e, now);
	engine_reseq_drain(e);

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
		uint64_t ahead = engine_stamp_ahead(e), max = engine_ahead_max(e);
		if (ahead > max && now + (ahead - max) > t)
			t = now + (ahead - max);
		if (t < next)
			next = t;
	}
	if (next < now)
		next = now;
	return engine_clock_t48(e, next);
}

/* ---- Queries ---- */

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
		.aead_opens = e->aead_opens,
		.copies = e->copies,
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
