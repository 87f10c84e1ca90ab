/* Path choice by earliest arrival over per-path virtual queues, chosen once per burst. */
#include <errno.h>
#include <stdlib.h>

#include "proto/sched.h"

/* Queues are kept in bytes x 10^6 so that draining rate x dt (bytes/s x us) is exact. With
 * rates capped at 2^37 bytes/s (1.1 Tbit/s) and the limit at 1 s, nothing comes near 2^64. */
#define RATE_MAX     (UINT64_C(1) << 37)
#define OWD_MAX      (UINT64_C(1) << 40)
#define QUEUE_US_MAX 1000000
#define Q_MAX        (UINT64_C(1) << 62)
#define SCALE        1000000

struct spath {
	int usable;
	uint64_t rate; /* bytes/s */
	uint64_t owd;  /* us */
	uint32_t hdr;  /* bytes per packet beyond the payload */
	uint64_t q;    /* queued bytes x SCALE at time t */
	uint64_t t;
};

struct sched {
	struct sched_config c;
	struct spath p[SCHED_MAX_PATHS];
	int burst; /* path of the open burst, or -1 */
	int last;  /* path of the last burst, or -1: kept on near ties */
	uint32_t burst_pkts;
	uint64_t burst_bytes;
	uint64_t burst_start;
};

void
sched_config_default(struct sched_config *c)
{
	c->burst_pkts = 16;
	c->burst_bytes = 65536;
	c->queue_us = 5000;
	c->tie_us = 1000;
}

struct sched *
sched_new(const struct sched_config *c)
{
	struct sched_config d;
	struct sched *s;

	if (c == NULL) {
		sched_config_default(&d);
		c = &d;
	}
	if (c->burst_pkts == 0 || c->burst_bytes == 0 || c->queue_us == 0 ||
	    c->queue_us > QUEUE_US_MAX || c->tie_us > QUEUE_US_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->c = *c;
	s->burst = -1;
	s->last = -1;
	return s;
}

void
sched_free(struct sched *s)
{
	free(s);
}

static void
drain(struct spath *p, uint64_t now)
{
	if (now <= p->t) {
		/* A clock that goes back drains nothing; one that jumped back (the caller's clock
		 * wrapped) starts draining again from its new time. */
		if (p->t - now > QUEUE_US_MAX)
			p->t = now;
		return;
	}
	uint64_t dt = now - p->t;
	if (p->rate == 0)
		;
	else if (dt > p->q / p->rate)
		p->q = 0;
	else
		p->q -= p->rate * dt; /* at most q: no overflow */
	p->t = now;
}

static void
add(struct spath *p, size_t size)
{
	if (size > Q_MAX / SCALE - p->hdr) {
		p->q = Q_MAX;
		return;
	}
	size += p->hdr;
	uint64_t b = (uint64_t)size * SCALE;

	if (p->q > Q_MAX - b)
		p->q = Q_MAX;
	else
		p->q += b;
}

/* Has the path room for a new burst: its queue below queue_us worth of its rate? */
static int
has_room(const struct sched *s, const struct spath *p)
{
	return p->usable && p->rate > 0 && p->q < (uint64_t)s->c.queue_us * p->rate;
}

int
sched_set_path(struct sched *s, unsigned path, int usable, uint64_t rate, uint64_t owd_us)
{
	if (path >= SCHED_MAX_PATHS) {
		errno = EINVAL;
		return -1;
	}
	struct spath *p = &s->p[path];
	p->usable = usable != 0;
	p->rate = rate < RATE_MAX ? rate : RATE_MAX;
	p->owd = owd_us < OWD_MAX ? owd_us : OWD_MAX;
	return 0;
}

int
sched_set_overhead(struct sched *s, unsigned path, unsigned bytes)
{
	if (path >= SCHED_MAX_PATHS || bytes > 65535) {
		errno = EINVAL;
		return -1;
	}
	s->p[path].hdr = bytes;
	return 0;
}

void
sched_clear_path(struct sched *s, unsigned path)
{
	if (path >= SCHED_MAX_PATHS)
		return;
	s->p[path] = (struct spath){ 0 };
	if (s->burst == (int)path)
		s->burst = -1;
	if (s->last == (int)path)
		s->last = -1;
}

void
sched_burst_end(struct sched *s)
{
	s->burst = -1;
}

int
sched_pick(struct sched *s, uint64_t now, size_t size)
{
	uint64_t best_at = UINT64_MAX, least_owd = UINT64_MAX;
	int best = -1, any = 0, last_ok = 0;

	if (s->burst >= 0) {
		struct spath *p = &s->p[s->burst];
		/* A burst is what goes out within one pacing interval: older is a new choice. */
		if (p->usable && p->rate > 0 && s->burst_pkts < s->c.burst_pkts &&
		    s->burst_bytes + size <= s->c.burst_bytes &&
		    now - s->burst_start <= s->c.queue_us) {
			drain(p, now);
			add(p, size);
			s->burst_pkts++;
			s->burst_bytes += size;
			return s->burst;
		}
		s->burst = -1;
	}
	for (int i = 0; i < SCHED_MAX_PATHS; i++) {
		struct spath *p = &s->p[i];
		if (!p->usable || p->rate == 0)
			continue;
		any = 1;
		drain(p, now);
		if (!has_room(s, p))
			continue;
		/* now + owd + (queue + size) / rate, rounded up; now is common to all. */
		uint64_t q = p->q + ((uint64_t)size + p->hdr) * SCALE;
		uint64_t at = p->owd + q / p->rate + (q % p->rate != 0);
		if (at < best_at) {
			best_at = at;
			best = i;
		}
		if (p->owd < least_owd)
			least_owd = p->owd;
		if (i == s->last)
			last_ok = 1;
	}
	if (best < 0) {
		errno = any ? EAGAIN : ENETUNREACH;
		return -1;
	}
	/* Paths within tie_us of the least delay are equals: their delay estimates differ by
	 * noise, and choosing among them by arrival time would move one stream from path to path
	 * burst by burst (each burst lengthens its path's queue), for the receiver to reorder.
	 * Among equals the last burst's path keeps the stream while it has room; a stream spreads
	 * where it must: its path at the pacing limit, or a path of really lower delay. */
	if (last_ok && s->p[best].owd <= least_owd + s->c.tie_us &&
	    s->p[s->last].owd <= least_owd + s->c.tie_us)
		best = s->last;
	add(&s->p[best], size);
	s->burst = best;
	s->last = best;
	s->burst_pkts = 1;
	s->burst_bytes = size;
	s->burst_start = now;
	return best;
}

void
sched_account(struct sched *s, uint64_t now, unsigned path, size_t size)
{
	if (path >= SCHED_MAX_PATHS)
		return;
	drain(&s->p[path], now);
	add(&s->p[path], size);
}

uint64_t
sched_next(struct sched *s, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < SCHED_MAX_PATHS; i++) {
		struct spath *p = &s->p[i];
		if (!p->usable || p->rate == 0)
			continue;
		drain(p, now);
		if (has_room(s, p))
			return now;
		/* The first whole us after which the queue is below the limit. */
		uint64_t over = p->q - (uint64_t)s->c.queue_us * p->rate;
		uint64_t at = now + over / p->rate + 1;
		if (at < next)
			next = at;
	}
	return next;
}

uint64_t
sched_queued(struct sched *s, uint64_t now, unsigned path)
{
	if (path >= SCHED_MAX_PATHS)
		return 0;
	drain(&s->p[path], now);
	return (s->p[path].q + SCALE - 1) / SCALE;
}
