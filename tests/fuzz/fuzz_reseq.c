/* The resequencing buffer and the replay window on arbitrary sequences of (path, timestamp,
 * length, time advance). A shadow model checks what both promise: every packet held comes out
 * exactly once and intact, in timestamp order (only RESEQ_LATE ones out of order), a pop happens
 * exactly when the deadline says so, memory stays within the configured pool; the replay window
 * gives the same verdict to check and commit, and never accepts a timestamp twice.
 *
 * Input: 5 bytes of configuration, then records of 8 bytes:
 *	0: op (bits 5-7: 0-4 and 7 push, 5 flush, 6 path reset) and path (bits 0-4)
 *	1-3: timestamp (bits 6-7 of byte 1 choose: step forward, step back, big jump, raw value)
 *	4-5: time advance in us, 6: length, 7: flags (see below)
 * The clock may jump back (F_BACK): beyond 1 s the buffer lets everything held go. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/replay.h"
#include "proto/reseq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T48_MASK ((UINT64_C(1) << 48) - 1)
#define SLOT     64
#define MAXPKT   4096

#define F_RECYCLE 0x01 /* recycle after this record */
#define F_SLOT    0x02 /* write the packet into reseq_slot() first */
#define F_COMMIT  0x04 /* replay: commit without a check first */
#define F_SLEEP   0x08 /* sleep until the deadline instead of advancing */
#define F_BADLEN  0x10 /* one byte too long: must be refused */
#define F_SCALE   0x20 /* time advance x 64 */
#define F_BACK    0x40 /* the clock goes back by 1000 x the advance */

struct shadow {
	uint64_t ext, ts, arrival;
	uint32_t len;
	unsigned path;
	int state; /* 0 unused, 1 held, 2 popped, not recycled, 3 done */
};

static struct shadow pk[MAXPKT];

#define check(x) do { if (!(x)) abort(); } while (0)

static void
fill(uint8_t *buf, uint32_t id, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(id * 31 + i);
	memcpy(buf, &id, sizeof(id));
}

/* The smallest held packet: lowest ext, then lowest id (push order). */
static int
oldest(uint32_t n)
{
	int best = -1;

	for (uint32_t i = 0; i < n; i++)
		if (pk[i].state == 1 && (best < 0 || pk[i].ext < pk[best].ext))
			best = (int)i;
	return best;
}

struct model {
	uint64_t ext_top, released, last_now;
	int started, any_released, have_now;
	uint32_t held, out, cap, limit;
};

static uint64_t
unwrap(const struct model *m, uint64_t ts)
{
	if (!m->started)
		return (UINT64_C(1) << 52) + ts;
	uint64_t d = (ts - m->ext_top) & T48_MASK;
	if (d < (UINT64_C(1) << 47))
		return m->ext_top + d;
	return m->ext_top - ((UINT64_C(1) << 48) - d);
}

/* The buffer's view of the caller's clock: 1 when it has just jumped back by more than 1 s. */
static int
clock_jump(struct model *m, uint64_t now)
{
	int jump = 0;

	if (m->have_now && now + 1000000 < m->last_now) {
		m->last_now = now;
		jump = 1;
	} else if (!m->have_now || now > m->last_now) {
		m->last_now = now;
	}
	m->have_now = 1;
	return jump;
}

static void
pop_all(struct reseq *r, struct model *m, uint64_t now, uint32_t n)
{
	struct reseq_pkt p;

	for (;;) {
		uint64_t dl = reseq_deadline(r);
		/* The deadline was computed before the pop noticed a jump, if it does. */
		int jump = m->held > 0 && clock_jump(m, now);
		int got = reseq_pop(r, now, &p);
		check(jump ? got : got == (dl <= now));
		check((dl == UINT64_MAX) == (m->held == 0));
		if (!got)
			return;
		uint32_t id;
		check(p.len >= sizeof(id));
		memcpy(&id, p.data, sizeof(id));
		check(id < n);
		struct shadow *s = &pk[id];
		check(s->state == 1);
		check(oldest(n) == (int)id);
		check(!m->any_released || s->ext >= m->released);
		check(p.len == s->len && p.ts == s->ts && p.arrival == s->arrival && p.path == s->path);
		for (uint32_t i = sizeof(id); i < p.len; i++)
			check(p.data[i] == (uint8_t)(id * 31 + i));
		s->state = 2;
		m->held--;
		m->out++;
		m->released = s->ext;
		m->any_released = 1;
	}
}

static void
recycle(struct reseq *r, struct model *m, uint32_t n)
{
	reseq_recycle(r);
	for (uint32_t i = 0; i < n; i++)
		if (pk[i].state == 2)
			pk[i].state = 3;
	m->out = 0;
}

/* Replay: check and commit agree, a committed stamp is never fresh again, anything ahead of the
 * newest is fresh and anything a span behind it is too old. */
static void
replay_step(struct replay *rp, uint64_t *top, int *have, uint64_t ts, int commit_only)
{
	uint64_t slot = ts >> 1, span = replay_span_us(rp) / 2;
	enum replay_verdict v = replay_check(rp, ts);

	if (*have) {
		uint64_t ahead = (slot - *top) & (T48_MASK >> 1);
		if (ahead != 0 && ahead < (UINT64_C(1) << 46))
			check(v == REPLAY_FRESH);
		else if (((*top - slot) & (T48_MASK >> 1)) >= span)
			check(v == REPLAY_TOO_OLD);
	} else {
		check(v == REPLAY_FRESH);
	}
	if (!commit_only)
		check(replay_check(rp, ts) == v);
	check(replay_commit(rp, ts) == v);
	check(replay_check(rp, ts) != REPLAY_FRESH);
	check(replay_commit(rp, ts) != REPLAY_FRESH);
	if (v == REPLAY_FRESH) {
		if (!*have || ((slot - *top) & (T48_MASK >> 1)) < (UINT64_C(1) << 46))
			*top = slot;
		*have = 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reseq_config c;
	struct reseq *r;
	struct replay *rp;
	struct model m = { 0 };
	uint8_t buf[SLOT + 1];
	uint64_t now = 1000, ts = 0, rtop = 0;
	uint32_t n = 0;
	int rhave = 0;

	if (size < 5)
		return 0;
	reseq_config_default(&c);
	c.capacity = 2 + data[0] % 63;
	c.slot_size = SLOT;
	c.hold_max_us = (uint32_t)data[1] * 1000;
	c.jitter_us = (uint32_t)data[2] * 100;
	c.idle_us = (uint32_t)data[3] * 1000;
	r = reseq_new(&c);
	rp = replay_new(((uint64_t)data[4] + 1) * 1000);
	check(r != NULL && rp != NULL);
	m.cap = c.capacity;
	m.limit = c.capacity - (c.capacity / 16 > 0 ? c.capacity / 16 : 1);
	memset(pk, 0, sizeof(pk));
	data += 5;
	size -= 5;

	for (; size >= 8 && n < MAXPKT; data += 8, size -= 8) {
		unsigned op = data[0] >> 5, path = data[0] & 31;
		uint32_t v = (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
		uint64_t adv = (uint64_t)(data[4] | data[5] << 8) * (data[7] & F_SCALE ? 64 : 1);
		uint8_t fl = data[7];

		if (fl & F_BACK) {
			now -= now < adv * 1000 ? now : adv * 1000;
		} else if (fl & F_SLEEP) {
			uint64_t dl = reseq_deadline(r);
			if (dl != UINT64_MAX && dl > now)
				now = dl;
		} else {
			now += adv;
		}
		switch (v >> 22) {
		case 0: ts += 2 * (v & 0x3fffff); break;
		case 1: ts -= v & 0x3fffff; break;
		case 2: ts += (uint64_t)(v & 0x3fffff) << 24; break;
		default: ts = (uint64_t)(v & 0x3fffff) << 26 | (uint64_t)data[4] << 8 | data[6]; break;
		}
		ts &= T48_MASK;

		if (op == 5) {
			reseq_flush(r);
		} else if (op == 6) {
			reseq_path_reset(r, path);
		} else {
			uint32_t len = sizeof(uint32_t) + data[6] % (SLOT - 3);
			if (fl & F_BADLEN) {
				errno = 0;
				check(reseq_push(r, now, path, ts, buf, SLOT + 1) == -1 && errno == EINVAL);
				check(reseq_push(r, now, RESEQ_MAX_PATHS + path, ts, buf, 4) == -1);
			}
			replay_step(rp, &rtop, &rhave, ts, fl & F_COMMIT);
			uint8_t *dst = buf;
			if (fl & F_SLOT) {
				dst = reseq_slot(r);
				check((dst == NULL) == (m.held + m.out == m.cap));
				if (dst == NULL)
					dst = buf;
			}
			fill(dst, n, len);
			uint64_t ext = unwrap(&m, ts);
			int late = m.any_released && ext < m.released;
			int min = oldest(n);
			int rc = reseq_push(r, now, path, ts, dst, len);
			if (rc == -1) {
				/* Only when no slot is free and the packet would have to wait. */
				check(errno == ENOBUFS && m.held + m.out == m.cap && !late);
				check(min >= 0 && ext >= pk[min].ext);
				goto next;
			}
			clock_jump(&m, now);
			if (!m.started || ext > m.ext_top)
				m.ext_top = ext;
			m.started = 1;
			pk[n] = (struct shadow){ .ext = ext, .ts = ts, .arrival = now, .len = len,
			                         .path = path, .state = 3 };
			if (rc == RESEQ_LATE) {
				check(late);
			} else if (rc == RESEQ_DELIVER) {
				check(!late && (min < 0 || ext < pk[min].ext));
				m.released = ext;
				m.any_released = 1;
			} else {
				check(rc == RESEQ_HELD && !late);
				pk[n].state = 1;
				m.held++;
			}
			n++;
		}
	next:
		pop_all(r, &m, now, n);
		const struct reseq_stats *st = reseq_stats(r);
		check(st->held == m.held && m.held <= m.limit && m.held + m.out <= m.cap);
		check(st->held_max <= m.limit + 1);
		if (fl & F_RECYCLE)
			recycle(r, &m, n);
	}
	/* Flush: everything held comes out now, in order, then nothing is left. */
	recycle(r, &m, n);
	reseq_flush(r);
	pop_all(r, &m, now, n);
	check(m.held == 0);
	for (uint32_t i = 0; i < n; i++)
		check(pk[i].state != 1);
	reseq_free(r);
	replay_free(rp);
	return 0;
}
