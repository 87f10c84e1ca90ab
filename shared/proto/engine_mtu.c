/* Path MTU discovery (docs/protocol.md section 7) and the tunnel MTU.
 *
 * The client searches each path by bisection between the dialect's lower bound (1302, master
 * 598) and 1472 with padded initiations; the server answers at the same size, so both directions
 * are tested. Improvement (section 11 item 9): once a size is confirmed, the client checks it
 * again from time to time, and soon when the path starts losing packets, with one full-size
 * initiation among small ones. When full-size checks keep failing while small messages are
 * answered, the path's MTU has shrunk: the search starts again below the old size. */
#include "proto/engine_mtu.h"

#define VERIFY_PERIOD (10 * ENGINE_MIN)  /* a confirmed size is checked this often */
#define VERIFY_LOSS_PERIOD (10 * ENGINE_SEC) /* ... and this often while losing packets */
#define VERIFY_LOSS 25                   /* about 10 % transmit loss */
#define VERIFY_FAILS 3                   /* failed full-size checks that mean a smaller MTU */

void
engine_mtu_reset(struct engine_path *p)
{
	p->mtu = (struct engine_mtu){0};
}

/* One discovery step, exactly the reference's: size 0 records a failed probe. */
static void
mtu_step(struct engine_path *p, unsigned min, size_t size)
{
	struct engine_mtu *m = &p->mtu;

	if (!m->probe) {
		if (!m->last) {
			m->min = min;
			m->max = MUD_MTU_MAX;
			m->probe = MUD_MTU_MAX;
		}
		return;
	}
	if (size) {
		if (size < m->min || size > m->max)
			return;
		m->min = (unsigned)size + 1;
		m->last = (unsigned)size;
	} else {
		m->max = m->probe - 1;
	}
	m->probe = m->min > m->max ? 0 : (m->min + m->max) / 2;
}

/* Search again below a size that stopped getting through. Probing initiations carry mtu 0, so
 * the server stops using the path until the new size is confirmed. */
static void
restart_below(struct engine_path *p, unsigned bad)
{
	unsigned min = mud_mtu_min(p->dialect);

	engine_mtu_reset(p);
	if (bad <= min)
		return; /* the next reply starts a full search */
	p->mtu.min = min;
	p->mtu.max = bad - 1;
	p->mtu.probe = (p->mtu.min + p->mtu.max) / 2;
}

/* Client, on an accepted reply of size bytes carrying the peer's mtu field. */
void
engine_mtu_answered(struct engine *e, struct engine_path *p, size_t size, unsigned wire_mtu)
{
	struct engine_mtu *m = &p->mtu;

	mtu_step(p, mud_mtu_min(p->dialect), size);
	if (m->last && m->last == wire_mtu && m->ok != m->last) {
		m->ok = m->last;
		m->verify_time = e->mono;
		m->verify_sent = 0;
		m->small_answered = false;
	}
	if (!m->ok || m->probe)
		return;
	if (size >= m->ok) {
		m->verify_sent = 0;
		m->verify_time = e->mono;
		m->small_answered = false;
	} else if (m->verify_sent) {
		m->small_answered = true;
	}
}

/* Client: when probing has used up its unanswered messages (section 6.4 step 3). */
void
engine_mtu_unanswered(struct engine_path *p)
{
	mtu_step(p, mud_mtu_min(p->dialect), 0);
}

/* Client: the size of the next initiation on p (147 unless probing or checking). */
size_t
engine_mtu_init_size(struct engine *e, struct engine_path *p, uint64_t now)
{
	struct engine_mtu *m = &p->mtu;

	if (m->probe)
		return m->probe;
	if (!m->ok)
		return MUD_CTL_MIN;
	if (m->verify_sent >= VERIFY_FAILS && m->small_answered) {
		restart_below(p, m->ok);
		engine_mtu_tunnel(e);
		return m->probe ? m->probe : MUD_CTL_MIN;
	}
	if (m->verify_sent) {
		/* Alternate full-size checks with small messages, which tell a shrunk MTU from a
		 * dead path. */
		m->verify_next = !m->verify_next;
	} else {
		uint64_t since = now - m->verify_time;
		m->verify_next = since >= VERIFY_PERIOD ||
		    (p->tx_loss > VERIFY_LOSS && since >= VERIFY_LOSS_PERIOD);
	}
	if (!m->verify_next)
		return MUD_CTL_MIN;
	m->verify_sent++;
	m->verify_time = now;
	return m->ok;
}

/* Local use of a server path's mtu field: below the dialect's minimum is not confirmed, above
 * 1472 is clamped (section 7, server-side bounds). */
unsigned
engine_mtu_usable(unsigned wire, enum mud_dialect d)
{
	if (wire < mud_mtu_min(d))
		return 0;
	return wire > MUD_MTU_MAX ? MUD_MTU_MAX : wire;
}

/* Tunnel MTU: the smallest confirmed size over the paths that are not DOWN. */
void
engine_mtu_tunnel(struct engine *e)
{
	unsigned mtu = 0;

	for (int i = 0; i < ENGINE_PATH_MAX; i++) {
		const struct engine_path *p = &e->path[i];

		if (!p->used || p->state <= ENGINE_STATE_DOWN || !p->mtu.ok)
			continue;
		if (!mtu || p->mtu.ok < mtu)
			mtu = p->mtu.ok;
	}
	if (mtu != e->mtu) {
		e->mtu = mtu;
		engine_event(e, ENGINE_EV_MTU, -1, mtu ? mtu - MUD_OVERHEAD : 0);
	}
}
