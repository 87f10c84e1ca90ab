/* Resequencing buffer: a binary heap of held packets ordered by sender timestamp, one fixed pool
 * of packet slots, and per-path arrival estimates that say how long a gap is worth waiting for. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/reseq.h"

#define T48_MASK  ((UINT64_C(1) << 48) - 1)
#define T48_HALF  (UINT64_C(1) << 47)
#define EXT_BASE  (UINT64_C(1) << 52) /* unwrapped timestamps start here, so they never go below 0 */
#define SLOT_MAX  65536
#define CLOCK_BACK_US 1000000 /* a step back of the caller's clock beyond this is a jump */

/* A held packet in the heap: the unwrapped timestamp, then the push order for equal ones. */
struct entry {
	uint64_t ext;
	uint32_t seq;
	uint32_t slot;
};

struct meta {
	uint64_t ts;
	uint64_t arrival;
	uint32_t len;
	uint8_t path;
};

struct path {
	uint64_t last;    /* arrival time of its newest packet, 0: none yet */
	uint64_t max_ext; /* newest timestamp it delivered */
	int64_t off;      /* smoothed arrival - timestamp */
	int64_t dev;      /* smoothed absolute deviation of that */
	int64_t coff;     /* smoothed arrival - timestamp of its control messages alone */
	int have_coff;
};

struct reseq {
	struct reseq_config c;
	uint32_t limit; /* most packets held before overflow */
	uint8_t *pool;
	struct meta *meta;
	struct entry *heap;
	uint32_t *free; /* stack of free slots */
	uint32_t *out;  /* slots popped, waiting for reseq_recycle() */
	uint32_t nheap, nfree, nout, seq;
	uint32_t seen;  /* bit p: paths[p] holds estimates */
	uint32_t expect; /* bit p: the caller expects data on p (reseq_path_expect()) */
	struct path paths[RESEQ_MAX_PATHS];
	int started;      /* ext_top is set */
	int any_released; /* released is set */
	int flushing;
	int have_now;
	uint64_t last_now;  /* latest now seen */
	uint64_t ext_top;   /* newest unwrapped timestamp pushed */
	uint64_t released;  /* newest timestamp handed out */
	uint64_t flush_ext; /* while flushing, release everything up to this */
	struct reseq_stats st;
};

void
reseq_config_default(struct reseq_config *c)
{
	c->capacity = 4096;
	c->slot_size = 1500;
	c->hold_max_us = 200000;
	c->jitter_us = 2000;
	c->idle_us = 100000;
}

static void
clear_state(struct reseq *r)
{
	r->nheap = r->nout = 0;
	r->nfree = r->c.capacity;
	for (uint32_t i = 0; i < r->c.capacity; i++)
		r->free[i] = r->c.capacity - 1 - i; /* slot 0 first */
	r->seen = r->expect = 0;
	memset(r->paths, 0, sizeof(r->paths));
	r->started = r->any_released = r->flushing = r->have_now = 0;
	r->st.held = 0;
}

struct reseq *
reseq_new(const struct reseq_config *c)
{
	struct reseq *r;
	struct reseq_config d;

	if (c == NULL) {
		reseq_config_default(&d);
		c = &d;
	}
	if (c->capacity < 2 || c->capacity > (1u << 24) || c->slot_size == 0 ||
	    c->slot_size > SLOT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->c = *c;
	r->limit = c->capacity - (c->capacity / 16 > 0 ? c->capacity / 16 : 1);
	r->pool = malloc((size_t)c->capacity * c->slot_size);
	r->meta = calloc(c->capacity, sizeof(*r->meta));
	r->heap = calloc(c->capacity, sizeof(*r->heap));
	r->free = calloc(c->capacity, sizeof(*r->free));
	r->out = calloc(c->capacity, sizeof(*r->out));
	if (r->pool == NULL || r->meta == NULL || r->heap == NULL || r->free == NULL ||
	    r->out == NULL) {
		reseq_free(r);
		errno = ENOMEM;
		return NULL;
	}
	clear_state(r);
	return r;
}

void
reseq_free(struct reseq *r)
{
	if (r == NULL)
		return;
	free(r->pool);
	free(r->meta);
	free(r->heap);
	free(r->free);
	free(r->out);
	free(r);
}

static int
before(const struct entry *a, const struct entry *b)
{
	if (a->ext != b->ext)
		return a->ext < b->ext;
	return (int32_t)(a->seq - b->seq) < 0;
}

static void
heap_push(struct reseq *r, struct entry e)
{
	uint32_t i = r->nheap++;

	while (i > 0) {
		uint32_t up = (i - 1) / 2;
		if (!before(&e, &r->heap[up]))
			break;
		r->heap[i] = r->heap[up];
		i = up;
	}
	r->heap[i] = e;
}

static struct entry
heap_pop(struct reseq *r)
{
	struct entry top = r->heap[0], e = r->heap[--r->nheap];
	uint32_t i = 0, n = r->nheap;

	for (;;) {
		uint32_t k = 2 * i + 1;
		if (k >= n)
			break;
		if (k + 1 < n && before(&r->heap[k + 1], &r->heap[k]))
			k++;
		if (!before(&r->heap[k], &e))
			break;
		r->heap[i] = r->heap[k];
		i = k;
	}
	if (n > 0)
		r->heap[i] = e;
	return top;
}

/* The timestamp on a line that does not wrap: the nearest one to the newest pushed so far. */
static uint64_t
unwrap(const struct reseq *r, uint64_t ts)
{
	uint64_t d;

	if (!r->started)
		return EXT_BASE + ts;
	d = (ts - r->ext_top) & T48_MASK;
	if (d < T48_HALF)
		return r->ext_top + d;
	return r->ext_top - ((UINT64_C(1) << 48) - d);
}

/* The first thing heard of path p (data or control) starts its estimates: 1, or 0 when the
 * path was known already. */
static int
path_first(struct reseq *r, unsigned p, uint64_t now, uint64_t ext)
{
	struct path *ps = &r->paths[p];

	if (r->seen & (UINT32_C(1) << p))
		return 0;
	r->seen |= UINT32_C(1) << p;
	ps->off = (int64_t)(now - ext);
	ps->dev = 0;
	ps->max_ext = ext;
	return 1;
}

/* One (arrival - timestamp) sample into the path's smoothed offset and deviation. */
static void
path_offset_sample(struct path *ps, uint64_t now, uint64_t ext)
{
	int64_t err = (int64_t)(now - ext) - ps->off;

	ps->off += err / 8;
	ps->dev += ((err < 0 ? -err : err) - ps->dev) / 4;
}

static void
path_arrival(struct reseq *r, unsigned p, uint64_t now, uint64_t ext)
{
	if (!path_first(r, p, now, ext)) {
		path_offset_sample(&r->paths[p], now, ext);
		if (ext > r->paths[p].max_ext)
			r->paths[p].max_ext = ext;
	}
	r->paths[p].last = now;
}

/* When a packet with timestamp ext that arrived at arrival may go, if it is the oldest held: 0
 * when no path lags behind it. *active tells whether a lagging path was still active at now
 * (releasing then gives up on a gap: a timeout). */
static uint64_t
due(const struct reseq *r, uint64_t ext, uint64_t arrival, unsigned hpath, uint64_t now,
    int *active)
{
	const struct path *hp = &r->paths[hpath];
	uint64_t wait = 0;
	int lag = 0;

	*active = 0;
	for (uint32_t m = r->seen; m != 0; m &= m - 1) {
		unsigned p = (unsigned)__builtin_ctz(m);
		const struct path *ps = &r->paths[p];
		if (ps->max_ext >= ext)
			continue;
		int64_t exp = (int64_t)ext + ps->off + r->c.jitter_us + 4 * ps->dev;
		uint64_t w = exp > 0 ? (uint64_t)exp : 0;
		uint64_t idle = ps->last + r->c.idle_us;
		if (r->expect & (UINT32_C(1) << p)) {
			/* Data may come on it however long it has been silent, but a path without
			 * data lately whose packets could not be waited for anyway (a spread over
			 * hold_max) is not worth any wait. */
			bool quiet = !ps->last || ps->last + r->c.idle_us <= r->last_now;
			if (quiet) {
				/* Nothing is in flight on a quiet path: the wait only keeps the delay
				 * steady for when data comes on it, so it lasts the delay the path
				 * adds over H's, without the margins for its packets' variation.
				 * A path as fast as H's costs nothing. Both delays are measured on
				 * control messages where both have some: data timestamps run ahead
				 * of the sender's clock under load, control timestamps do not, so
				 * an offset learnt from data is not comparable with one learnt from
				 * control. */
				if (ps->have_coff && hp->have_coff) {
					int64_t extra = ps->coff - hp->coff;
					w = arrival + (extra > 0 ? (uint64_t)extra : 0);
				} else {
					int64_t mean = (int64_t)ext + ps->off;
					w = mean > 0 ? (uint64_t)mean : 0;
				}
				if (w <= arrival || w > arrival + r->c.hold_max_us)
					continue;
			}
			idle = UINT64_MAX;
		}
		if (idle < w)
			w = idle;
		if (w > wait)
			wait = w;
		if (idle > now)
			*active = 1;
		lag = 1;
	}
	if (!lag)
		return 0;
	if (wait > arrival + r->c.hold_max_us)
		wait = arrival + r->c.hold_max_us;
	return wait;
}

/* The caller's clock jumped back (it wrapped, or was stepped): every time kept is meaningless.
 * Forget the path estimates and let everything held go. */
static void
clock_check(struct reseq *r, uint64_t now)
{
	if (r->have_now && now + CLOCK_BACK_US < r->last_now) {
		r->seen = 0;
		memset(r->paths, 0, sizeof(r->paths));
		if (r->nheap > 0) {
			r->flushing = 1;
			r->flush_ext = r->ext_top;
		}
		r->last_now = now;
	} else if (!r->have_now || now > r->last_now) {
		r->last_now = now;
	}
	r->have_now = 1;
}

int
reseq_push(struct reseq *r, uint64_t now, unsigned path, uint64_t ts, const void *data,
           size_t len)
{
	uint64_t ext, newest;
	int active, late, older;

	if (path >= RESEQ_MAX_PATHS || len > r->c.slot_size) {
		errno = EINVAL;
		return -1;
	}
	ts &= T48_MASK;
	ext = unwrap(r, ts);
	late = r->any_released && ext < r->released;
	older = r->nheap == 0 || ext < r->heap[0].ext;
	if (r->nfree == 0 && !late && !older) {
		errno = ENOBUFS; /* before any change: the caller pushes it again */
		return -1;
	}
	clock_check(r, now);
	newest = r->started ? r->ext_top : ext;
	if (!r->started || ext > r->ext_top)
		r->ext_top = ext;
	r->started = 1;
	path_arrival(r, path, now, ext);
	if (late) {
		r->st.late++;
		return RESEQ_LATE;
	}
	/* A newer packet arrived before: it cannot have been released (this one would be late),
	 * so it is held, and this one fills a gap in front of it. */
	if (r->nheap > 0 && ext < newest)
		r->st.reordered++;
	else
		r->st.in_order++;
	if (older) {
		/* Older than all held: deliver at once if nothing earlier can still come, or if it
		 * has nowhere to wait. */
		int wait = due(r, ext, now, path, now, &active) > now;
		if (!wait || r->nfree == 0) {
			if (wait)
				r->st.overflow++;
			r->released = ext;
			r->any_released = 1;
			return RESEQ_DELIVER;
		}
	}
	uint32_t slot = r->free[--r->nfree];
	uint8_t *buf = r->pool + (size_t)slot * r->c.slot_size;
	if (data != buf && len > 0)
		memcpy(buf, data, len);
	r->meta[slot] = (struct meta){ .ts = ts, .arrival = now, .len = (uint32_t)len,
	                               .path = (uint8_t)path };
	heap_push(r, (struct entry){ .ext = ext, .seq = r->seq++, .slot = slot });
	r->st.held = r->nheap;
	if (r->nheap > r->st.held_max)
		r->st.held_max = r->nheap;
	return RESEQ_HELD;
}

void
reseq_path_seen(struct reseq *r, uint64_t now, unsigned path, uint64_t ts)
{
	struct path *ps;
	uint64_t ext;

	if (path >= RESEQ_MAX_PATHS)
		return;
	clock_check(r, now);
	ext = unwrap(r, ts & T48_MASK & ~UINT64_C(1));
	if (!r->started) {
		/* The line starts here rather than at the first data packet. */
		r->ext_top = ext;
		r->started = 1;
	}
	ps = &r->paths[path];
	int64_t cs = (int64_t)(now - ext);
	if (!ps->have_coff) {
		ps->coff = cs;
		ps->have_coff = 1;
	} else {
		ps->coff += (cs - ps->coff) / 8;
	}
	if (path_first(r, path, now, ext)) {
		ps->last = 0;
		return;
	}
	if (ext > ps->max_ext)
		ps->max_ext = ext;
	if (ps->last && ps->last + r->c.idle_us > now)
		return; /* carrying data: its own packets measure it */
	path_offset_sample(ps, now, ext);
}

void
reseq_path_expect(struct reseq *r, unsigned path, int on)
{
	if (path >= RESEQ_MAX_PATHS)
		return;
	if (on)
		r->expect |= UINT32_C(1) << path;
	else
		r->expect &= ~(UINT32_C(1) << path);
}

uint8_t *
reseq_slot(struct reseq *r)
{
	if (r->nfree == 0)
		return NULL;
	return r->pool + (size_t)r->free[r->nfree - 1] * r->c.slot_size;
}

int
reseq_pop(struct reseq *r, uint64_t now, struct reseq_pkt *out)
{
	const struct entry *h;
	const struct meta *m;
	int active = 0;

	if (r->nheap == 0)
		return 0;
	clock_check(r, now);
	h = &r->heap[0];
	m = &r->meta[h->slot];
	if (r->nheap > r->limit) {
		r->st.overflow++;
	} else if (!(r->flushing && h->ext <= r->flush_ext)) {
		uint64_t when = due(r, h->ext, m->arrival, m->path, now, &active);
		if (when > now)
			return 0;
		if (active && when > m->arrival) /* it did wait, and gave up on a live path */
			r->st.timeouts++;
	}
	struct entry e = heap_pop(r);
	r->released = e.ext;
	r->any_released = 1;
	r->out[r->nout++] = e.slot;
	r->st.held = r->nheap;
	if (r->flushing && (r->nheap == 0 || r->heap[0].ext > r->flush_ext))
		r->flushing = 0;
	*out = (struct reseq_pkt){
		.data = r->pool + (size_t)e.slot * r->c.slot_size,
		.len = m->len,
		.path = m->path,
		.ts = m->ts,
		.arrival = m->arrival,
	};
	return 1;
}

void
reseq_recycle(struct reseq *r)
{
	while (r->nout > 0)
		r->free[r->nfree++] = r->out[--r->nout];
}

uint64_t
reseq_deadline(const struct reseq *r)
{
	int active;

	if (r->nheap == 0)
		return UINT64_MAX;
	if (r->nheap > r->limit || (r->flushing && r->heap[0].ext <= r->flush_ext))
		return 0;
	const struct meta *m = &r->meta[r->heap[0].slot];

	return due(r, r->heap[0].ext, m->arrival, m->path, 0, &active);
}

void
reseq_flush(struct reseq *r)
{
	if (r->nheap == 0)
		return;
	r->flushing = 1;
	r->flush_ext = r->ext_top;
}

void
reseq_path_reset(struct reseq *r, unsigned path)
{
	if (path >= RESEQ_MAX_PATHS)
		return;
	r->seen &= ~(UINT32_C(1) << path);
	r->expect &= ~(UINT32_C(1) << path);
	memset(&r->paths[path], 0, sizeof(r->paths[path]));
}

const struct reseq_stats *
reseq_stats(const struct reseq *r)
{
	return &r->st;
}
