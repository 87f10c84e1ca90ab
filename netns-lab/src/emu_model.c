/* One direction of an emulated link (see emu_model.h). */
#include <stdio.h>
#include <string.h>

#include "emu_model.h"

#define NS 1000000000ull

void
model_reseed(struct model *m, uint64_t seed, const char *label)
{
	static const char *const what[] = { "loss", "ge", "jitter", "dup", "reorder" };
	struct rng *r[] = { &m->r_loss, &m->r_ge, &m->r_jitter, &m->r_dup, &m->r_reorder };
	char buf[64];

	for (int i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", label, what[i]);
		rng_seed(r[i], seed, buf);
	}
	m->ge_bad = false;
}

void
model_init(struct model *m, const struct lab_dir *p, uint64_t seed, const char *label)
{
	memset(m, 0, sizeof(*m));
	m->p = *p;
	model_reseed(m, seed, label);
}

uint64_t
model_tx_time(uint64_t bytes, uint64_t rate)
{
	if (rate == 0)
		return 0;
	return (uint64_t)(((unsigned __int128)bytes * 8 * NS + rate - 1) / rate);
}

uint64_t
model_backlog(const struct model *m, uint64_t now)
{
	if (m->p.rate == 0 || m->link_free <= now)
		return 0;
	return (uint64_t)((unsigned __int128)(m->link_free - now) * m->p.rate / (8 * NS));
}

uint64_t
model_delay(const struct model *m, uint64_t now)
{
	return m->p.delay + (m->link_free > now ? m->link_free - now : 0);
}

static bool
lost(struct model *m)
{
	bool bad;

	switch (m->p.loss_kind) {
	case LAB_LOSS_RANDOM:
		return rng_chance(&m->r_loss, m->p.loss);
	case LAB_LOSS_GE:
		/* The state decides this packet's fate, then moves on. */
		bad = m->ge_bad;
		if (bad)
			m->ge_bad = !rng_chance(&m->r_ge, m->p.ge_r);
		else
			m->ge_bad = rng_chance(&m->r_ge, m->p.ge_p);
		return rng_chance(&m->r_loss, bad ? m->p.ge_bad : m->p.ge_good);
	default:
		return false;
	}
}

/* The bottleneck: false if the queue is full, else *sent is when the packet has been sent. */
static bool
bottleneck(struct model *m, uint64_t now, uint32_t iplen, uint64_t *sent)
{
	const struct lab_dir *p = &m->p;
	uint64_t tx, backlog, limit, start, credit;

	if (p->rate == 0) {
		*sent = now;
		return true;
	}
	tx = model_tx_time(iplen, p->rate);
	backlog = m->link_free > now ? m->link_free - now : 0;
	limit = p->queue_kind == LAB_QUEUE_TIME ? p->queue : model_tx_time(p->queue, p->rate);
	/* Tail drop; an empty queue takes any packet. */
	if (backlog > 0 && backlog + tx > limit)
		return false;
	/* Token bucket: an idle link has saved up to `bucket` bytes of credit. */
	credit = model_tx_time(p->burst, p->rate);
	start = now > credit ? now - credit : 0;
	if (m->link_free > start)
		start = m->link_free;
	m->link_free = start + tx;
	*sent = m->link_free > now ? m->link_free : now;
	return true;
}

static uint64_t
propagate(struct model *m, uint64_t sent)
{
	const struct lab_dir *p = &m->p;
	int64_t d = (int64_t)p->delay;
	uint64_t when;

	if (p->jitter)
		d += p->jitter_dist == LAB_JITTER_NORMAL ? rng_normal(&m->r_jitter, p->jitter) :
		    rng_uniform(&m->r_jitter, p->jitter);
	when = sent + (d > 0 ? (uint64_t)d : 0);
	if (p->reorder && rng_chance(&m->r_reorder, p->reorder)) {
		m->st.reordered++;
		return when + p->reorder_gap;
	}
	if (when < m->last_inorder)
		when = m->last_inorder;
	m->last_inorder = when;
	return when;
}

int
model_admit_control(struct model *m, uint64_t now, uint32_t iplen, uint64_t when[2])
{
	m->st.rx_pkts++;
	m->st.control++;
	m->st.rx_bytes += iplen;
	if (m->cut) {
		m->st.cut++;
		return 0;
	}
	if (iplen > m->p.mtu) {
		m->st.oversize++;
		return 0;
	}
	when[0] = now + m->p.delay;
	return 1;
}

int
model_admit(struct model *m, uint64_t now, uint32_t iplen, uint64_t when[2])
{
	int copies, n = 0;

	m->st.rx_pkts++;
	m->st.rx_bytes += iplen;
	if (m->cut) {
		m->st.cut++;
		return 0;
	}
	if (iplen > m->p.mtu) {
		m->st.oversize++;
		return 0;
	}
	if (lost(m)) {
		m->st.lost++;
		return 0;
	}
	copies = 1 + (m->p.dup && rng_chance(&m->r_dup, m->p.dup));
	for (int c = 0; c < copies; c++) {
		uint64_t sent;
		if (!bottleneck(m, now, iplen, &sent)) {
			m->st.qdrop++;
			continue;
		}
		if (c == 1)
			m->st.dup++;
		when[n++] = propagate(m, sent);
	}
	return n;
}
