/* Resequencing buffer (shared/proto/reseq.c), driven by simulated paths: packets are sent at
 * known times, spread over paths of given delays, and pushed in arrival order; the caller sleeps
 * until reseq_deadline() between arrivals, as the worker will. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/reseq.h"
#include "support/suite.h"

#define T48 (UINT64_C(1) << 48)

struct spkt {
	uint64_t sent; /* sender clock, unwrapped */
	uint64_t arr;  /* receiver clock */
	unsigned path;
	uint32_t id;   /* order of sending */
	int lost;
};

struct got {
	uint32_t id;
	uint64_t ts, arr, at;
	int late;
};

struct sim {
	struct reseq *r;
	struct spkt *pk; /* the packets, by id */
	struct got *out;
	size_t nout;
	uint64_t now;
	uint64_t clock_off; /* sender clock - receiver clock */
};

static uint32_t
pkt_len(uint32_t id)
{
	return 8 + id % 700;
}

static void
fill(uint8_t *buf, uint32_t id)
{
	for (uint32_t i = 0; i < pkt_len(id); i++)
		buf[i] = (uint8_t)(id * 7 + i);
}

static void
check_payload(const uint8_t *buf, uint32_t len, uint32_t *id)
{
	memcpy(id, buf, sizeof(*id));
	if (len != pkt_len(*id))
		ck_abort_msg("packet %u: length %u", *id, len);
	for (uint32_t i = sizeof(*id); i < len; i++)
		if (buf[i] != (uint8_t)(*id * 7 + i))
			ck_abort_msg("packet %u: byte %u corrupted", *id, i);
}

static void
record(struct sim *s, const uint8_t *data, uint32_t len, uint64_t ts, uint64_t arr, int late)
{
	uint32_t id;

	check_payload(data, len, &id);
	s->out[s->nout++] = (struct got){ .id = id, .ts = ts, .arr = arr, .at = s->now,
	                                  .late = late };
}

static void
drain(struct sim *s)
{
	struct reseq_pkt p;

	while (reseq_pop(s->r, s->now, &p))
		record(s, p.data, p.len, p.ts, p.arrival, 0);
	reseq_recycle(s->r);
}

/* Sleep until `until`, waking at every deadline on the way. */
static void
advance(struct sim *s, uint64_t until)
{
	for (;;) {
		uint64_t dl = reseq_deadline(s->r);
		if (dl > until)
			break;
		if (dl > s->now)
			s->now = dl;
		size_t before = s->nout;
		drain(s);
		if (s->nout == before)
			ck_abort_msg("deadline %llu passed and nothing was released",
			             (unsigned long long)dl);
	}
	if (until > s->now)
		s->now = until;
}

static void
arrive(struct sim *s, const struct spkt *p)
{
	uint8_t buf[1024];
	uint64_t ts = (p->sent + s->clock_off) % T48;

	advance(s, p->arr);
	fill(buf, p->id);
	memcpy(buf, &p->id, sizeof(p->id));
	int rc = reseq_push(s->r, s->now, p->path, ts, buf, pkt_len(p->id));
	ck_assert_int_ge(rc, 0);
	if (rc != RESEQ_HELD)
		record(s, buf, pkt_len(p->id), ts, s->now, rc == RESEQ_LATE);
	drain(s);
}

static int
by_arrival(const void *a, const void *b)
{
	const struct spkt *x = a, *y = b;

	if (x->arr != y->arr)
		return x->arr < y->arr ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Push every packet that is not lost in arrival order, then wait until everything is out. */
static void
sim_run(struct sim *s, struct spkt *pk, size_t n)
{
	struct spkt *order = malloc(n * sizeof(*order));

	ck_assert_ptr_nonnull(order);
	memcpy(order, pk, n * sizeof(*order));
	qsort(order, n, sizeof(*order), by_arrival);
	s->pk = pk;
	s->out = calloc(n + 1, sizeof(*s->out));
	ck_assert_ptr_nonnull(s->out);
	for (size_t i = 0; i < n; i++)
		if (!order[i].lost)
			arrive(s, &order[i]);
	advance(s, UINT64_MAX - 1);
	ck_assert_uint_eq(reseq_stats(s->r)->held, 0);
	free(order);
}

static void
sim_free(struct sim *s)
{
	free(s->out);
	reseq_free(s->r);
}

static struct reseq *
make(uint32_t capacity, uint32_t hold_max_us, uint32_t idle_us)
{
	struct reseq_config c;

	reseq_config_default(&c);
	if (capacity)
		c.capacity = capacity;
	if (hold_max_us)
		c.hold_max_us = hold_max_us;
	if (idle_us)
		c.idle_us = idle_us;
	struct reseq *r = reseq_new(&c);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* n packets sent every gap us from t0, alternating over the paths with the given delays. */
static struct spkt *
alternate(size_t n, uint64_t t0, uint64_t gap, const uint64_t *delay, unsigned npaths)
{
	struct spkt *pk = calloc(n, sizeof(*pk));

	ck_assert_ptr_nonnull(pk);
	for (size_t i = 0; i < n; i++) {
		pk[i].id = (uint32_t)i;
		pk[i].sent = t0 + i * gap;
		pk[i].path = (unsigned)(i % npaths);
		pk[i].arr = pk[i].sent + delay[pk[i].path];
	}
	return pk;
}

/* Every delivered packet once, in sending order except those marked late, and late only while
 * a path had not been seen yet (arrival up to warm: nobody waits for an unknown path). */
static void
assert_in_order(const struct sim *s, size_t n, size_t nlost, uint64_t warm)
{
	uint32_t last = 0;
	int any = 0;

	ck_assert_uint_eq(s->nout, n - nlost);
	for (size_t i = 0; i < s->nout; i++) {
		if (s->out[i].late) {
			if (s->out[i].arr > warm)
				ck_abort_msg("packet %u late after the warm-up", s->out[i].id);
			continue;
		}
		if (any && s->out[i].id <= last)
			ck_abort_msg("output %zu: packet %u after %u", i, s->out[i].id, last);
		last = s->out[i].id;
		any = 1;
	}
}

static uint64_t
max_added(const struct sim *s)
{
	uint64_t m = 0;

	for (size_t i = 0; i < s->nout; i++)
		if (s->out[i].at - s->out[i].arr > m)
			m = s->out[i].at - s->out[i].arr;
	return m;
}

START_TEST(test_config)
{
	struct reseq_config c;

	reseq_config_default(&c);
	ck_assert_uint_eq(c.capacity, 4096);
	ck_assert_uint_eq(c.slot_size, 1500);
	ck_assert_uint_eq(c.hold_max_us, 200000);
	c.capacity = 1;
	errno = 0;
	ck_assert_ptr_null(reseq_new(&c));
	ck_assert_int_eq(errno, EINVAL);
	c.capacity = 16;
	c.slot_size = 0;
	ck_assert_ptr_null(reseq_new(&c));
	c.slot_size = 65537;
	ck_assert_ptr_null(reseq_new(&c));

	struct reseq *r = reseq_new(NULL);
	ck_assert_ptr_nonnull(r);
	uint8_t buf[1501] = { 0 };
	errno = 0;
	ck_assert_int_eq(reseq_push(r, 1, RESEQ_MAX_PATHS, 2, buf, 10), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(reseq_push(r, 1, 0, 2, buf, 1501), -1);
	ck_assert_int_eq(reseq_push(r, 1, 0, 2, buf, 1500), RESEQ_DELIVER);
	ck_assert_int_eq(reseq_push(r, 1, 0, 4, buf, 0), RESEQ_DELIVER);
	reseq_path_reset(r, 99); /* ignored */
	reseq_free(r);
	reseq_free(NULL);
}
END_TEST

START_TEST(test_single_path_immediate)
{
	struct sim s = { .r = make(0, 0, 0), .clock_off = 987654321 };
	uint64_t d[] = { 25000 };
	struct spkt *pk = alternate(5000, 1000000, 50, d, 1);

	for (size_t i = 0; i < 5000; i += 7)
		pk[i].lost = 1; /* losses on a single path never hold anything */
	sim_run(&s, pk, 5000);
	assert_in_order(&s, 5000, 715, 0);
	ck_assert_uint_eq(max_added(&s), 0);
	ck_assert_uint_eq(reseq_stats(s.r)->held_max, 0);
	ck_assert_uint_eq(reseq_stats(s.r)->in_order, 5000 - 715);
	ck_assert_uint_eq(reseq_deadline(s.r), UINT64_MAX);
	free(pk);
	sim_free(&s);
}
END_TEST

START_TEST(test_two_paths_alternating)
{
	struct sim s = { .r = make(0, 0, 0), .clock_off = T48 - 77777777 };
	uint64_t d[] = { 10000, 60000 };
	size_t n = 20000;
	struct spkt *pk = alternate(n, 5000000, 100, d, 2);

	sim_run(&s, pk, n);
	/* Until the slow path's first packet (60 ms) only the fast one is known; what it released
	 * meanwhile makes the slow packets sent in those 50 ms late. */
	assert_in_order(&s, n, 0, 5000000 + 60000 + 50100);
	const struct reseq_stats *st = reseq_stats(s.r);
	ck_assert_uint_le(st->late, 260);
	ck_assert_uint_eq(st->timeouts, 0);
	ck_assert_uint_eq(st->overflow, 0);
	ck_assert_uint_gt(st->reordered, n / 2 - 600);
	ck_assert_uint_eq(st->in_order + st->reordered + st->late, n);
	/* The wait is the spread (50 ms) plus one packet gap, never more. */
	uint64_t m = max_added(&s);
	ck_assert_uint_ge(m, 50000);
	ck_assert_uint_le(m, 50000 + 100);
	/* No packet leaves later than the slow path would have brought it. */
	for (size_t i = 0; i < s.nout; i++)
		ck_assert_uint_le(s.out[i].at - pk[s.out[i].id].sent, 60000 + 100);
	ck_assert_uint_ge(st->held_max, 240);
	free(pk);
	sim_free(&s);
}
END_TEST

START_TEST(test_lost_packet_timeout)
{
	struct reseq *r = make(0, 0, 0);
	uint8_t b[16] = { 0 };
	struct reseq_pkt p;
	uint64_t t = 3000000, rx = 100; /* the sender's clock is ahead by t - rx */

	/* Paths 0 (10 ms) and 1 (30 ms) carry every other packet for a while. */
	for (int i = 0; i < 100; i++) {
		uint64_t sent = t + (uint64_t)i * 1000;
		reseq_push(r, rx + (sent - t) + (i % 2 ? 30000 : 10000), (unsigned)(i % 2), sent, b,
		           sizeof(b));
	}
	uint64_t now = rx + 99000 + 30000;
	while (reseq_pop(r, now, &p))
		;
	reseq_recycle(r);
	ck_assert_uint_eq(reseq_stats(r)->held, 0);
	uint64_t timeouts = reseq_stats(r)->timeouts, late = reseq_stats(r)->late;
	/* The next packet on path 1 is lost, and path 1 then falls silent; path 0 goes on. */
	uint64_t sent = t + 100000; /* lost, on path 1 */
	uint64_t s2 = sent + 1000;   /* path 0 */
	uint64_t a2 = rx + (s2 - t) + 10000;
	ck_assert_int_eq(reseq_push(r, a2, 0, s2, b, sizeof(b)), RESEQ_HELD);
	/* It waits for what path 1 could still bring: the timestamp plus path 1's delay and the
	 * jitter margin (no deviation: the delays were constant). */
	uint64_t want = rx + (s2 - t) + 30000 + 2000;
	ck_assert_uint_eq(reseq_deadline(r), want);
	ck_assert_int_eq(reseq_pop(r, want - 1, &p), 0);
	ck_assert_int_eq(reseq_pop(r, want, &p), 1);
	ck_assert_uint_eq(p.ts, s2);
	ck_assert_uint_eq(p.arrival, a2);
	ck_assert_uint_eq(reseq_stats(r)->timeouts, timeouts + 1);
	reseq_recycle(r);
	/* The lost packet turns up after all: late, handed back at once. */
	ck_assert_int_eq(reseq_push(r, want + 5, 1, sent, b, sizeof(b)), RESEQ_LATE);
	ck_assert_uint_eq(reseq_stats(r)->late, late + 1);
	reseq_free(r);
}
END_TEST

START_TEST(test_path_goes_silent)
{
	struct sim s = { .r = make(0, 0, 0), .clock_off = 5 };
	uint64_t d[] = { 10000, 60000 };
	size_t n = 30000;
	uint64_t stop = 1000000 + 1000000; /* path 1 dies 1 s in */
	struct spkt *pk = alternate(n, 1000000, 100, d, 2);
	size_t lost = 0;

	for (size_t i = 0; i < n; i++) {
		if (pk[i].path == 1 && pk[i].sent >= stop) {
			pk[i].lost = 1;
			lost++;
		}
	}
	sim_run(&s, pk, n);
	assert_in_order(&s, n, lost, 1000000 + 60000 + 50100);
	/* No stall: while the dead path is still waited for, each packet waits the spread plus
	 * the jitter margin; once it is idle, nothing waits. */
	ck_assert_uint_le(max_added(&s), 50000 + 2000);
	for (size_t i = 0; i < s.nout; i++) {
		if (s.out[i].arr > stop + 60000 + 100000 + 200)
			ck_assert_uint_eq(s.out[i].at, s.out[i].arr);
	}
	ck_assert_uint_gt(reseq_stats(s.r)->timeouts, 100);
	ck_assert_uint_le(reseq_stats(s.r)->late, 260);
	free(pk);
	sim_free(&s);
}
END_TEST

START_TEST(test_hold_max)
{
	struct sim s = { .r = make(0, 50000, 0), .clock_off = 0 };
	uint64_t d[] = { 10000, 160000 }; /* spread 150 ms, hold at most 50 ms */
	size_t n = 10000;
	struct spkt *pk = alternate(n, 1000000, 100, d, 2);

	sim_run(&s, pk, n);
	ck_assert_uint_eq(s.nout, n);
	ck_assert_uint_le(max_added(&s), 50000);
	const struct reseq_stats *st = reseq_stats(s.r);
	ck_assert_uint_gt(st->late, n / 2 - 600);
	ck_assert_uint_gt(st->timeouts, 0);
	/* Apart from the late ones the order holds. */
	uint32_t last = 0;
	for (size_t i = 0; i < s.nout; i++) {
		if (s.out[i].late)
			continue;
		ck_assert_uint_ge(s.out[i].id, last);
		last = s.out[i].id;
	}
	free(pk);
	sim_free(&s);
}
END_TEST

START_TEST(test_wrap)
{
	/* Sender timestamps cross 2^48 half-way through. */
	struct sim s = { .r = make(0, 0, 0), .clock_off = T48 - 1000000 - 10000 * 50 };
	uint64_t d[] = { 5000, 20000, 35000 };
	size_t n = 20000;
	struct spkt *pk = alternate(n, 1000000, 50, d, 3);

	sim_run(&s, pk, n);
	assert_in_order(&s, n, 0, 1000000 + 70000);
	ck_assert_uint_gt(s.out[0].ts, T48 - 1000000);
	ck_assert_uint_lt(s.out[n - 1].ts, 1000000);
	ck_assert_uint_le(reseq_stats(s.r)->late, 700);
	/* The last two wait for the slowest path, which has nothing more: the end of the stream. */
	ck_assert_uint_le(reseq_stats(s.r)->timeouts, 2);
	ck_assert_uint_le(max_added(&s), 30000 + 2000);
	free(pk);
	sim_free(&s);
}
END_TEST

START_TEST(test_overflow)
{
	struct sim s = { .r = make(64, 0, 0), .clock_off = 0 };
	uint64_t d[] = { 1000, 100000 };
	size_t n = 4000;
	struct spkt *pk = alternate(n, 1000000, 100, d, 2);

	sim_run(&s, pk, n);
	ck_assert_uint_eq(s.nout, n);
	const struct reseq_stats *st = reseq_stats(s.r);
	/* 64 slots: at most 60 held, the oldest pushed out beyond that. */
	ck_assert_uint_le(st->held_max, 61);
	ck_assert_uint_gt(st->overflow, 1000);
	ck_assert_uint_gt(st->late, 1000);
	uint32_t last = 0;
	for (size_t i = 0; i < s.nout; i++) {
		if (s.out[i].late)
			continue;
		ck_assert_uint_ge(s.out[i].id, last);
		last = s.out[i].id;
	}
	free(pk);
	sim_free(&s);
}
END_TEST

START_TEST(test_enobufs_and_recycle)
{
	struct reseq *r = make(16, 0, 0); /* at most 15 held */
	uint8_t b[32] = { 0 };
	struct reseq_pkt p;
	uint64_t now = 1000;

	/* Path 1 lags, so everything on path 0 is held. */
	ck_assert_int_eq(reseq_push(r, now, 1, 10, b, 4), RESEQ_DELIVER);
	for (uint64_t i = 0; i < 15; i++)
		ck_assert_int_eq(reseq_push(r, now, 0, 100 + 2 * i, b, 4), RESEQ_HELD);
	ck_assert_int_eq(reseq_pop(r, now, &p), 0);
	ck_assert_int_eq(reseq_push(r, now, 0, 200, b, 4), RESEQ_HELD);
	/* 16 held: over the limit, the oldest goes. */
	ck_assert_uint_eq(reseq_deadline(r), 0);
	ck_assert_int_eq(reseq_pop(r, now, &p), 1);
	ck_assert_uint_eq(p.ts, 100);
	ck_assert_int_eq(reseq_pop(r, now, &p), 0);
	ck_assert_uint_eq(reseq_stats(r)->overflow, 1);
	/* Not recycled yet: no slot for a newer packet. */
	ck_assert_ptr_null(reseq_slot(r));
	errno = 0;
	ck_assert_int_eq(reseq_push(r, now, 0, 300, b, 4), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	/* An older one can still go straight through, as it has nowhere to wait. */
	ck_assert_int_eq(reseq_push(r, now, 0, 101, b, 4), RESEQ_DELIVER);
	ck_assert_uint_eq(reseq_stats(r)->overflow, 2);
	reseq_recycle(r);
	ck_assert_ptr_nonnull(reseq_slot(r));
	ck_assert_int_eq(reseq_push(r, now, 0, 300, b, 4), RESEQ_HELD);
	reseq_free(r);
}
END_TEST

START_TEST(test_zero_copy_slot)
{
	struct reseq *r = make(8, 0, 0);
	struct reseq_pkt p;
	uint8_t *buf;

	ck_assert_int_eq(reseq_push(r, 10, 1, 2, "a", 1), RESEQ_DELIVER);
	/* Decrypt straight into the slot, then push it. */
	buf = reseq_slot(r);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, "hello", 5);
	ck_assert_int_eq(reseq_push(r, 10, 0, 100, buf, 5), RESEQ_HELD);
	buf = reseq_slot(r);
	memcpy(buf, "world!", 6);
	ck_assert_int_eq(reseq_push(r, 10, 0, 102, buf, 6), RESEQ_HELD);
	reseq_flush(r);
	ck_assert_int_eq(reseq_pop(r, 10, &p), 1);
	ck_assert_uint_eq(p.len, 5);
	ck_assert_mem_eq(p.data, "hello", 5);
	/* Popped data stays put until recycled, even across pushes. */
	ck_assert_int_eq(reseq_push(r, 11, 0, 104, "xyzxyz", 6), RESEQ_HELD);
	ck_assert_mem_eq(p.data, "hello", 5);
	ck_assert_int_eq(reseq_pop(r, 11, &p), 1);
	ck_assert_mem_eq(p.data, "world!", 6);
	ck_assert_int_eq(reseq_pop(r, 11, &p), 0); /* 104 came after the flush: it waits */
	reseq_recycle(r);
	reseq_free(r);
}
END_TEST

START_TEST(test_equal_timestamps_keep_arrival_order)
{
	struct reseq *r = make(0, 0, 0);
	struct reseq_pkt p;
	uint16_t k;

	/* A stock peer can send several packets in one 2-us slot: they keep their arrival order,
	 * also among many equal keys in the heap. */
	ck_assert_int_eq(reseq_push(r, 5, 1, 8, "z", 1), RESEQ_DELIVER);
	for (k = 0; k < 600; k++) {
		uint64_t ts = 1000 + 2 * ((k * 7) % 5); /* five timestamps, interleaved */
		ck_assert_int_eq(reseq_push(r, 5, 0, ts, &k, sizeof(k)), RESEQ_HELD);
	}
	reseq_flush(r);
	for (uint64_t ts = 1000; ts < 1010; ts += 2) {
		int last = -1;
		for (int i = 0; i < 120; i++) {
			ck_assert_int_eq(reseq_pop(r, 5, &p), 1);
			ck_assert_uint_eq(p.ts, ts);
			memcpy(&k, p.data, sizeof(k));
			ck_assert_int_gt(k, last);
			last = k;
		}
	}
	ck_assert_int_eq(reseq_pop(r, 5, &p), 0);
	reseq_free(r);
}
END_TEST

START_TEST(test_path_reset)
{
	struct reseq *r = make(0, 0, 0);
	struct reseq_pkt p;

	ck_assert_int_eq(reseq_push(r, 100, 1, 10, "a", 1), RESEQ_DELIVER);
	ck_assert_int_eq(reseq_push(r, 100, 0, 20, "b", 1), RESEQ_HELD);
	ck_assert_uint_gt(reseq_deadline(r), 100);
	/* Path 1 is removed: nothing to wait for. */
	reseq_path_reset(r, 1);
	ck_assert_uint_le(reseq_deadline(r), 100);
	ck_assert_int_eq(reseq_pop(r, 100, &p), 1);
	ck_assert_int_eq(p.data[0], 'b');
	reseq_recycle(r);

	/* Path 0 alone is known again; then path 1 comes back and has to be waited for. */
	ck_assert_int_eq(reseq_push(r, 200, 0, 30, "c", 1), RESEQ_DELIVER);
	ck_assert_int_eq(reseq_push(r, 200, 1, 40, "d", 1), RESEQ_HELD);
	reseq_free(r);
}
END_TEST

START_TEST(test_clock_jumps_back)
{
	struct reseq *r = make(0, 0, 0);
	struct reseq_pkt p;
	uint64_t t0 = (UINT64_C(1) << 48) - 50000; /* a caller clock about to wrap at 2^48 */

	ck_assert_int_eq(reseq_push(r, t0, 1, 100, "a", 1), RESEQ_DELIVER);
	ck_assert_int_eq(reseq_push(r, t0, 0, 200, "b", 1), RESEQ_HELD);
	ck_assert_int_eq(reseq_push(r, t0 + 10, 0, 300, "c", 1), RESEQ_HELD);
	ck_assert_int_eq(reseq_pop(r, t0 + 1000, &p), 0);
	/* The clock wraps to 0: the held packets go at once, in order. */
	ck_assert_int_eq(reseq_pop(r, 1000, &p), 1);
	ck_assert_int_eq(p.data[0], 'b');
	ck_assert_int_eq(reseq_pop(r, 1000, &p), 1);
	ck_assert_int_eq(p.data[0], 'c');
	ck_assert_int_eq(reseq_pop(r, 1000, &p), 0);
	reseq_recycle(r);
	/* The estimates start again: one path known, nothing waits. */
	ck_assert_int_eq(reseq_push(r, 2000, 0, 400, "d", 1), RESEQ_DELIVER);
	ck_assert_int_eq(reseq_push(r, 2000, 1, 500, "e", 1), RESEQ_HELD);
	ck_assert_uint_eq(reseq_deadline(r), 2000 + 100 + 2000); /* path 0's offset + jitter */
	ck_assert_int_eq(reseq_push(r, 2010, 0, 600, "f", 1), RESEQ_HELD);
	ck_assert_int_eq(reseq_pop(r, 2010, &p), 1);
	ck_assert_int_eq(p.data[0], 'e');
	ck_assert_int_eq(reseq_pop(r, 2010, &p), 0);
	ck_assert_uint_gt(reseq_deadline(r), 2010);
	ck_assert_uint_lt(reseq_deadline(r), 2010 + 200000);
	/* Small steps back are not jumps. */
	ck_assert_int_eq(reseq_pop(r, 1500, &p), 0);
	reseq_free(r);
}
END_TEST

/* Paths known from control messages only (reseq_path_seen()) and expected to carry data
 * (reseq_path_expect()): the first data packet on the slow path is waited for, though both
 * paths were silent for a second. Receiver clock = sender clock + 10 s. */
static int
pop_all(struct reseq *r, uint64_t now, char *out)
{
	struct reseq_pkt p;
	int n = 0;

	while (reseq_pop(r, now, &p))
		out[n++] = (char)p.data[0];
	out[n] = 0;
	reseq_recycle(r);
	return n;
}

START_TEST(test_quiet_equal_path_costs_nothing)
{
	const uint64_t off = 10000000;
	struct reseq *r = make(0, 0, 0);

	/* Two paths of 10 ms, both expected; data comes on path 0 only (the sender keeps one
	 * stream on one of two equal paths). Path 1 has nothing in flight and is no slower:
	 * data is not held for it (the jitter margin would hold every packet 2 ms). */
	reseq_path_seen(r, off + 510000, 0, 500000 | 1);
	reseq_path_seen(r, off + 510000, 1, 500000 | 1);
	reseq_path_expect(r, 0, 1);
	reseq_path_expect(r, 1, 1);
	for (uint64_t t = 0; t < 50; t++)
		ck_assert_int_eq(reseq_push(r, off + 1510000 + t * 100, 0, 1500000 + t * 100, "x", 1),
		                 RESEQ_DELIVER);
	ck_assert_uint_eq(reseq_stats(r)->held_max, 0);
	/* Under load the sender's data timestamps run ahead of its clock (one per 2 us at
	 * most), here by 20 ms; its control timestamps do not. Still nothing is held. */
	for (uint64_t t = 0; t < 50; t++)
		ck_assert_int_eq(reseq_push(r, off + 1610000 + t * 100, 0, 1620000 + t * 100, "x", 1),
		                 RESEQ_DELIVER);
	ck_assert_uint_eq(reseq_stats(r)->held_max, 0);

	/* A quiet path 5 ms slower is still waited for, for those 5 ms. */
	struct reseq *q = make(0, 0, 0);
	reseq_path_seen(q, off + 510000, 0, 500000 | 1);
	reseq_path_seen(q, off + 515000, 1, 500000 | 1);
	reseq_path_expect(q, 0, 1);
	reseq_path_expect(q, 1, 1);
	ck_assert_int_eq(reseq_push(q, off + 1510000, 0, 1500000, "y", 1), RESEQ_HELD);
	ck_assert_uint_eq(reseq_deadline(q), off + 1500000 + 15000);
	reseq_free(q);
	reseq_free(r);
}
END_TEST

START_TEST(test_path_seen_and_expected)
{
	const uint64_t off = 10000000;
	char got[16];

	for (int expect = 0; expect < 2; expect++) {
		struct reseq *r = make(0, 0, 0);

		/* Control messages sent at 0.5 s over 10 ms and 60 ms. */
		reseq_path_seen(r, off + 510000, 0, 500000 | 1);
		reseq_path_seen(r, off + 560000, 1, 500000 | 1);
		reseq_path_expect(r, 0, expect);
		reseq_path_expect(r, 1, expect);
		ck_assert_uint_eq(reseq_deadline(r), UINT64_MAX);
		/* Data from 1.5 s on: a and c over 10 ms, b over 60 ms. */
		int rc = reseq_push(r, off + 1510000, 0, 1500000, "a", 1);
		if (!expect) {
			/* Not expected, the slow path is not waited for, and b comes late. */
			ck_assert_int_eq(rc, RESEQ_DELIVER);
			ck_assert_int_eq(reseq_push(r, off + 1511000, 0, 1501000, "c", 1),
			                 RESEQ_DELIVER);
			ck_assert_int_eq(reseq_push(r, off + 1560500, 1, 1500500, "b", 1),
			                 RESEQ_LATE);
			reseq_free(r);
			continue;
		}
		ck_assert_int_eq(rc, RESEQ_HELD);
		ck_assert_int_eq(reseq_push(r, off + 1511000, 0, 1501000, "c", 1), RESEQ_HELD);
		/* a waits for what the slow path, quiet so far, may have sent before it: its
		 * 60 ms, without the jitter margin of a path carrying data. */
		ck_assert_uint_eq(reseq_deadline(r), off + 1500000 + 60000);
		ck_assert_int_eq(pop_all(r, off + 1559000, got), 0);
		/* b, sent after a, comes over the slow path in 59 ms: nothing older than b can
		 * come on it now. */
		ck_assert_int_eq(reseq_push(r, off + 1559500, 1, 1500500, "b", 1), RESEQ_HELD);
		ck_assert_int_eq(pop_all(r, off + 1559500, got), 2);
		ck_assert_str_eq(got, "ab");
		/* c still waits for the slow path, which carries data now: its offset (60 ms, then
		 * a 59 ms sample: 59.875 ms), 2 ms jitter and 4 deviations (0 + 1 ms / 4). A
		 * control message on it sent after c says nothing older is coming. */
		ck_assert_uint_eq(reseq_deadline(r), off + 1501000 + 59875 + 2000 + 4 * 250);
		reseq_path_seen(r, off + 1561200, 1, 1501200 | 1);
		ck_assert_int_eq(pop_all(r, off + 1561200, got), 1);
		ck_assert_str_eq(got, "c");
		ck_assert_uint_eq(reseq_stats(r)->late, 0);
		ck_assert_uint_eq(reseq_stats(r)->timeouts, 0);

		/* No longer expected and silent: nothing waits for it. */
		reseq_path_expect(r, 1, 0);
		ck_assert_int_eq(reseq_push(r, off + 2010000, 0, 2000000, "d", 1), RESEQ_DELIVER);
		/* Expected again, but 300 ms away while packets wait 200 ms at most: not waited
		 * for either, its packets would be late anyway. */
		reseq_path_reset(r, 1);
		reseq_path_seen(r, off + 2300000, 1, 2000000 | 1);
		reseq_path_expect(r, 1, 1);
		ck_assert_int_eq(reseq_push(r, off + 2510000, 0, 2500000, "e", 1), RESEQ_DELIVER);
		reseq_free(r);
	}
}
END_TEST

/* Random paths with jitter, loss and reordering within a path: whatever happens, every packet
 * comes out exactly once, those not marked late in order, none held past hold_max. */
START_TEST(test_random_paths)
{
	uint64_t seed = 12345;

	for (int round = 0; round < 20; round++) {
		struct sim s = { .r = make(round % 2 ? 256 : 0, 0, round % 3 ? 0 : 20000),
		                 .clock_off = seed % T48 };
		size_t n = 5000, lost = 0;
		unsigned np = 1 + round % 4;
		uint64_t delay[4], jit = (uint64_t)(round % 5) * 3000;
		struct spkt *pk = calloc(n, sizeof(*pk));
		ck_assert_ptr_nonnull(pk);
		for (unsigned i = 0; i < np; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			delay[i] = 1000 + (seed >> 33) % 150000;
		}
		uint64_t t = 1000000;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			t += 2 + 2 * ((seed >> 40) % 200);
			pk[i].id = (uint32_t)i;
			pk[i].sent = t;
			pk[i].path = (unsigned)((seed >> 20) % np);
			pk[i].arr = t + delay[pk[i].path] + (jit ? (seed >> 8) % jit : 0);
			if ((seed >> 50) % 50 == 0) {
				pk[i].lost = 1;
				lost++;
			}
		}
		sim_run(&s, pk, n);
		ck_assert_uint_eq(s.nout, n - lost);
		char *seen = calloc(n, 1);
		uint32_t last = 0;
		for (size_t i = 0; i < s.nout; i++) {
			ck_assert_int_eq(seen[s.out[i].id], 0);
			seen[s.out[i].id] = 1;
			ck_assert_uint_le(s.out[i].at - s.out[i].arr, 200000);
			if (s.out[i].late)
				continue;
			ck_assert_uint_ge(s.out[i].id, last);
			last = s.out[i].id;
		}
		const struct reseq_stats *st = reseq_stats(s.r);
		ck_assert_uint_eq(st->in_order + st->reordered + st->late, n - lost);
		free(seen);
		free(pk);
		sim_free(&s);
	}
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("reseq");
	TCase *tc = tcase_create("reseq");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_single_path_immediate);
	tcase_add_test(tc, test_two_paths_alternating);
	tcase_add_test(tc, test_lost_packet_timeout);
	tcase_add_test(tc, test_path_goes_silent);
	tcase_add_test(tc, test_hold_max);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_enobufs_and_recycle);
	tcase_add_test(tc, test_zero_copy_slot);
	tcase_add_test(tc, test_equal_timestamps_keep_arrival_order);
	tcase_add_test(tc, test_path_reset);
	tcase_add_test(tc, test_clock_jumps_back);
	tcase_add_test(tc, test_path_seen_and_expected);
	tcase_add_test(tc, test_quiet_equal_path_costs_nothing);
	tcase_add_test(tc, test_random_paths);
	suite_add_tcase(s, tc);
	return s;
}
