/* The path table, path states and the per-path update (docs/protocol.md sections 6 and B.4).
 *
 * Both dialects choose the paths that carry data with one rule. Each usable path has a level:
 * its master pref, plus ENGINE_LEVEL_BACKUP for a 0.3.4 BACKUP path. The engine runs at the
 * lowest level whose usable paths (at that level or below) have a non-zero rate sum; the paths
 * at or below it are "running", the others are on standby. For 0.3.4 this is backup mode (a
 * BACKUP path is used only while no UP path can carry data), for master the pref rule. Standby
 * paths keep their control exchanges (at standby_beat), so their state is known before they are
 * needed; the reference leaves them silent. */
#include <errno.h>
#include <string.h>

#include "proto/engine_ctl.h"
#include "proto/engine_mtu.h"
#include "proto/engine_path.h"

struct engine_path *
engine_path_find(struct engine *e, const struct mud_addr *local, const struct mud_addr *remote)
{
	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		struct engine_path *p = &e->path[i];

		if (p->used && mud_addr_equal(&p->remote, remote) && mud_addr_equal(&p->local, local))
			return p;
	}
	return NULL;
}

/* A new path in state UP with the reference's defaults (section 6.2). */
struct engine_path *
engine_path_create(struct engine *e, const struct mud_addr *local, const struct mud_addr *remote,
                   uint64_t now)
{
	if (!local->family || local->family != remote->family) {
		errno = EINVAL;
		return NULL;
	}
	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		struct engine_path *p = &e->path[i];

		if (p->used)
			continue;
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->state = ENGINE_STATE_UP;
		p->dialect = e->dialect;
		p->local = *local;
		p->remote = *remote;
		p->beat = ENGINE_BEAT_DEFAULT;
		p->fixed_rate = 1;
		p->loss_limit = 255;
		p->idle = now;
		/* Pace in link bytes: each datagram also costs its outer IP and UDP headers. */
		sched_set_overhead(e->sched, (unsigned)i, remote->family == AF_INET6 ? 48 : 28);
		engine_event(e, ENGINE_EV_PATH_NEW, i, 0);
		return p;
	}
	errno = ENOSPC;
	return NULL;
}

static void
path_free(struct engine *e, struct engine_path *p)
{
	int i = engine_path_index(e, p);

	if (p->reported_ok)
		engine_event(e, ENGINE_EV_PATH_DOWN, i, 0);
	engine_event(e, ENGINE_EV_PATH_GONE, i, 0);
	sched_clear_path(e->sched, (unsigned)i);
	if (e->reseq)
		reseq_path_reset(e->reseq, (unsigned)i);
	memset(p, 0, sizeof(*p));
	engine_mtu_tunnel(e);
}

static unsigned
path_level(const struct engine_path *p)
{
	return (p->state == ENGINE_STATE_BACKUP ? ENGINE_LEVEL_BACKUP : 0) + p->pref;
}

/* Delay without reception after which a path is deleted: 60 s in 0.3.4, 5 min in master. */
static uint64_t
cleanup_delay(const struct engine_path *p)
{
	return p->dialect == MUD_MASTER ? 5 * ENGINE_MIN : ENGINE_MIN;
}

/* Section 6.4 step 1: servers delete silent paths, clients only silent DOWN paths. */
static bool
cleanup(struct engine *e, struct engine_path *p, uint64_t now)
{
	if (p->active && p->state > ENGINE_STATE_DOWN)
		return false;
	if (p->rx_time && now - p->rx_time < cleanup_delay(p))
		return false;
	path_free(e, p);
	return true;
}

/* Fast failure detection on an active path (the reference waits for 5 unanswered messages):
 * two initiations unanswered, the last one for longer than a retransmission timeout; or three,
 * the first one for longer than that (the last is then at most one beat old, which an RTT longer
 * than two beats must not be taken for). */
static bool
suspect(const struct engine *e, const struct engine_path *p)
{
	if (p->msg_sent < 2 || p->mtu.probe || !p->rtt.setup)
		return false;
	uint64_t rto = p->rtt.val + 4 * p->rtt.var + 10 * ENGINE_MSEC;
	if (e->mono - p->msg_time >= rto)
		return true;
	return p->msg_sent >= 3 && e->mono - p->msg_first >= rto;
}

/* Section 6.4 step 4 (and B.4 item 3 for master). */
static bool
usable(const struct engine *e, const struct engine_path *p)
{
	if (!p->mtu.ok)
		return false;
	if (p->tx_loss > p->loss_limit)
		return false;
	if (p->dialect == MUD_MASTER && p->rx_loss > p->loss_limit)
		return false;
	if (p->active)
		return !suspect(e, p);
	/* A passive path carries nothing before an echo has answered one of our replies on it: an
	 * initiation proves that its sender holds the PSK or replays a capture, not that the peer
	 * receives at its source address. A stock client echoes every reply (section 3.5), so this
	 * costs one round trip when a path appears, and a replay that got through (a restarted
	 * engine's empty windows) makes a path that never carries data. */
	if (!p->echoed)
		return false;
	/* A passive path must have heard from the peer lately, relative to the other paths: within
	 * 5 beats (the reference), or 2.5 beats while it carries data, when the client sends an
	 * initiation every beat and data in between, so two missed beats mean a dead path. */
	if (!p->rx_time)
		return false;
	/* While the tunnel carries no data, a client initiates on a path only every keepalive:
	 * when data resumes on another path, the silence counts from then, the time the client
	 * needs to probe this one at beat again (engine_ctl.c interval()). */
	/* Data resumed after a pause and the peer is heard on other paths since, not on this one
	 * within its one-way delay and a margin: it is not used, so that the first packets after
	 * an outage that began while the tunnel idled go where they can arrive. */
	if (e->data_start && p->rx_time < e->data_start &&
	    e->last_recv > e->data_start + p->rtt.val / 2 + 4 * p->rtt.var + 10 * ENGINE_MSEC)
		return false;
	uint64_t heard = p->rx_time > e->data_start ? p->rx_time : e->data_start;
	uint64_t silent = 0;
	if (e->last_recv > heard)
		silent = e->last_recv - heard;
	uint64_t limit = ENGINE_SENT_MAX * p->beat;
	if (p->rx_data_time && e->mono - p->rx_data_time < ENGINE_SEC)
		limit = 5 * p->beat / 2;
	return silent < limit;
}

static void
evaluate(struct engine *e, struct engine_path *p)
{
	p->was_ok = p->ok;
	p->ok = false;
	if (p->msg_sent >= ENGINE_SENT_MAX) {
		if (p->active && p->mtu.probe) {
			engine_mtu_unanswered(p);
			p->msg_sent = 0;
		} else {
			p->msg_sent = ENGINE_SENT_MAX;
		}
		return;
	}
	p->ok = usable(e, p);
}

/* The lowest level whose usable paths, with those below it, have a non-zero rate sum. */
static unsigned
select_level(const struct engine *e)
{
	unsigned best = ENGINE_LEVEL_NONE;

	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		const struct engine_path *p = &e->path[i];

		if (!p->used || !p->ok || !p->tx_rate)
			continue;
		unsigned l = path_level(p);
		if (l < best)
			best = l;
	}
	return best;
}

/* Which paths the resequencer waits for even when they carried no data lately (engine_delay). */
void
engine_delay_apply(struct engine *e)
{
	uint64_t fastest = UINT64_MAX;

	if (!e->reseq)
		return;
	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		const struct engine_path *p = &e->path[i];
		if (p->used && p->running && p->rtt.setup && p->rtt.val / 2 < fastest)
			fastest = p->rtt.val / 2;
	}
	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		const struct engine_path *p = &e->path[i];
		bool on = p->used && p->running;
		if (e->cfg.delay == ENGINE_DELAY_LOW)
			on = false;
		else if (e->cfg.delay == ENGINE_DELAY_AUTO)
			on = on && p->rtt.setup && p->rtt.val / 2 <= fastest + e->cfg.delay_auto_spread;
		reseq_path_expect(e->reseq, (unsigned)i, on);
	}
}

void
engine_paths_update(struct engine *e, uint64_t now)
{
	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		struct engine_path *p = &e->path[i];

		if (!p->used || cleanup(e, p, now))
			continue;
		if (p->state <= ENGINE_STATE_DOWN) {
			p->ok = p->was_ok = false;
			continue;
		}
		evaluate(e, p);
		if (p->ok && !p->was_ok)
			p->idle = now;
	}

	e->level = select_level(e);
	e->rate = 0;
	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		struct engine_path *p = &e->path[i];

		if (!p->used)
			continue;
		p->running = p->ok && path_level(p) <= e->level;
		if (p->running)
			e->rate += p->tx_rate;
		/* The choice weighs propagation delays: queueing is the scheduler's own model (its
		 * virtual queues), and a smoothed RTT that carries the queue our stream builds on a
		 * path would move the stream to another path and back, spreading it thin. */
		sched_set_path(e->sched, (unsigned)i, p->running, p->tx_rate, p->rtt.min / 2);
		if (p->ok != p->reported_ok) {
			p->reported_ok = p->ok;
			engine_event(e, p->ok ? ENGINE_EV_PATH_UP : ENGINE_EV_PATH_DOWN, i, 0);
		}
	}
	engine_delay_apply(e);

	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		struct engine_path *p = &e->path[i];

		if (p->used && p->active && p->state > ENGINE_STATE_DOWN)
			engine_ctl_timer(e, p, now);
	}
	engine_mtu_tunnel(e);
}

/* The earliest time a path needs engine_update(): its next initiation or its cleanup. */
uint64_t
engine_paths_deadline(const struct engine *e, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		const struct engine_path *p = &e->path[i];
		uint64_t t;

		if (!p->used)
			continue;
		if (!p->active || p->state <= ENGINE_STATE_DOWN) {
			uint64_t age = p->rx_time ? now - p->rx_time : 0;
			uint64_t d = cleanup_delay(p);
			t = now + (age < d ? d - age : 0);
			if (t < next)
				next = t;
		}
		if (p->active && p->state > ENGINE_STATE_DOWN) {
			t = engine_ctl_deadline(e, p, now);
			if (t < next)
				next = t;
			if (p->ok && p->msg_sent >= 2 && p->rtt.setup && !p->mtu.probe) {
				/* When suspect() may turn true. */
				uint64_t rto = p->rtt.val + 4 * p->rtt.var + 10 * ENGINE_MSEC;
				uint64_t age = now - p->msg_time;
				if (p->msg_sent >= 3 && now - p->msg_first > age)
					age = now - p->msg_first;
				t = now + (age < rto ? rto - age : 0);
				if (t < next)
					next = t;
			}
		}
	}
	return next;
}

/* ---- Path commands (engine.h) ---- */

int
engine_path_set(struct engine *e, uint64_t now, const struct engine_path_conf *c)
{
	now = engine_clock_take(e, now);
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

/* ---- Query (show) ---- */

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

/* The lowest-level path other than p, initiated by us, OK and answered lately (standby paths
 * are probed every standby_beat), whose MTU takes len bytes; NULL if none. */
static struct engine_path *
standin(struct engine *e, const struct engine_path *p, uint64_t now, size_t len)
{
	struct engine_path *best = NULL;

	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		struct engine_path *q = &e->path[i];
		uint64_t fresh = 2 * (q->beat > e->cfg.standby_beat ? q->beat : e->cfg.standby_beat);

		if (q == p || !q->used || !q->active || !q->ok || now - q->rx_time > fresh ||
		    len > q->mtu.ok)
			continue;
		if (!best || path_level(q) < path_level(best))
			best = q;
	}
	return best;
}

/* A path we initiate on has not answered for two beats: the tunnel idled (initiations every
 * keepalive only) or the path is failing. */
static bool
unconfirmed(const struct engine_path *p, uint64_t now)
{
	return now - p->rx_time > 2 * p->beat + p->rtt.val;
}

/* Data sent on an unconfirmed path also goes, the same datagram, on the lowest-level other
 * path that answered lately (standby paths are probed every standby_beat), until the path
 * answers again: the first packets after an outage that began while the tunnel idled arrive
 * without waiting for the failure to be detected. The copy that comes second is a replay to
 * the peer (dropped by its window; a stock peer delivers both, as it delivers any
 * duplicate). */
void
engine_path_copy_data(struct engine *e, const struct engine_path *p, uint64_t now,
                      const uint8_t *dgram, size_t len)
{
	if (!p->active || !unconfirmed(p, now))
		return;
	struct engine_path *best = standin(e, p, now, len);

	if (!best)
		return;
	struct engine_ring_dgram *slot = engine_dq_push(e);
	if (!slot)
		return;
	memcpy(slot->buf, dgram, len);
	slot->meta = (struct engine_dgram){
		.data = slot->buf,
		.len = len,
		.local = best->local,
		.remote = best->remote,
		.flags = ENGINE_TX_DONTFRAG,
		.tos = e->cfg.tos,
		.path = engine_path_index(e, best),
	};
	engine_path_tx(e, best, now, len);
	e->copies++;
}
