/* Anti-replay window (shared/proto/replay.c), including an equivalence check against a naive
 * model that remembers every committed timestamp in a set. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "proto/replay.h"
#include "support/suite.h"

#define T48    (UINT64_C(1) << 48)
#define MASK48 (T48 - 1)

static struct replay *
window(uint64_t span_us)
{
	struct replay *r = replay_new(span_us);
	ck_assert_ptr_nonnull(r);
	return r;
}

START_TEST(test_span)
{
	struct replay *r = window(0);

	/* 2^19 slots of 2 us minus the word being recycled. */
	ck_assert_uint_ge(replay_span_us(r), 1000000);
	ck_assert_uint_eq(replay_span_us(r), (8192 - 1) * 64 * 2);
	replay_free(r);

	r = window(3000000);
	ck_assert_uint_ge(replay_span_us(r), 3000000);
	replay_free(r);

	r = window(10);
	ck_assert_uint_ge(replay_span_us(r), 10);
	replay_free(r);

	errno = 0;
	ck_assert_ptr_null(replay_new(REPLAY_SPAN_MAX_US + 1));
	ck_assert_int_eq(errno, EINVAL);
	r = window(REPLAY_SPAN_MAX_US);
	ck_assert_uint_ge(replay_span_us(r), REPLAY_SPAN_MAX_US);
	replay_free(r);
	replay_free(NULL);
}
END_TEST

START_TEST(test_duplicates_rejected)
{
	struct replay *r = window(0);
	uint64_t t = 1700000000000000ULL & MASK48 & ~1ULL;

	ck_assert_int_eq(replay_check(r, t), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, t), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, t), REPLAY_DUPLICATE);
	ck_assert_int_eq(replay_commit(r, t), REPLAY_DUPLICATE);
	/* The control bit and bits above 47 do not make a new timestamp. */
	ck_assert_int_eq(replay_check(r, t | 1), REPLAY_DUPLICATE);
	ck_assert_int_eq(replay_check(r, t | (UINT64_C(1) << 50)), REPLAY_DUPLICATE);
	/* The next 2-us slot is new. */
	ck_assert_int_eq(replay_commit(r, t + 2), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, t + 2), REPLAY_DUPLICATE);
	ck_assert_int_eq(replay_commit(r, t), REPLAY_DUPLICATE);
	replay_free(r);
}
END_TEST

START_TEST(test_reordering_within_window)
{
	struct replay *r = window(0);
	uint64_t base = 5000000;

	/* Fast path delivers every even packet at once, the slow one the odd ones 500 ms later. */
	for (uint64_t i = 0; i < 1000; i += 2)
		ck_assert_int_eq(replay_commit(r, base + i * 1000), REPLAY_FRESH);
	for (uint64_t i = 1; i < 1000; i += 2)
		ck_assert_int_eq(replay_commit(r, base + i * 1000), REPLAY_FRESH);
	for (uint64_t i = 0; i < 1000; i++)
		ck_assert_int_eq(replay_check(r, base + i * 1000), REPLAY_DUPLICATE);
	/* Move on by one span: the newest old stamp is now just too old, one slot later is not. */
	uint64_t top = base + 999 * 1000 + replay_span_us(r);
	ck_assert_int_eq(replay_commit(r, top), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, base + 999 * 1000), REPLAY_TOO_OLD);
	ck_assert_int_eq(replay_check(r, base + 999 * 1000 + 2), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, base + 999 * 1000 + 2), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, base + 999 * 1000 + 2), REPLAY_DUPLICATE);
	replay_free(r);
}
END_TEST

START_TEST(test_too_old)
{
	struct replay *r = window(0);
	uint64_t t = 10000000000ULL;

	ck_assert_int_eq(replay_commit(r, t), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, t + 2000000), REPLAY_FRESH);
	/* t is now 2 s below the top: gone, and reported as too old rather than fresh. */
	ck_assert_int_eq(replay_check(r, t), REPLAY_TOO_OLD);
	ck_assert_int_eq(replay_commit(r, t), REPLAY_TOO_OLD);
	ck_assert_int_eq(replay_check(r, t + 2), REPLAY_TOO_OLD);
	ck_assert_int_eq(replay_check(r, t + 2000000 - 1100000), REPLAY_TOO_OLD);
	ck_assert_int_eq(replay_check(r, t + 2000000 - 900000), REPLAY_FRESH);
	/* Half the 48-bit circle behind is old, not new. */
	ck_assert_int_eq(replay_check(r, (t + 2000000 + (T48 >> 1)) & MASK48), REPLAY_TOO_OLD);
	ck_assert_int_eq(replay_check(r, (t + 2000000 + (T48 >> 1) - 2) & MASK48), REPLAY_FRESH);
	replay_free(r);
}
END_TEST

/* Commit a dense block, jump forward by j us, then compare every slot near the window with
 * what it must be: remembered if committed and inside, too old if outside, else fresh. */
static void
jump_and_verify(uint64_t start, uint64_t j)
{
	struct replay *r = window(0);
	uint64_t span = replay_span_us(r);
	uint64_t top = (start + 2 * 4095) & MASK48, ntop = (top + j) & MASK48;

	for (uint64_t i = 0; i < 4096; i++)
		ck_assert_int_eq(replay_commit(r, (start + 2 * i) & MASK48), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, ntop), REPLAY_FRESH);
	for (uint64_t back = 0; back < span + 20000; back += 2) {
		uint64_t t = (ntop - back) & MASK48;
		uint64_t since = (t - start) & MASK48;
		enum replay_verdict want = REPLAY_FRESH;
		if (back >= span)
			want = REPLAY_TOO_OLD;
		else if (back == 0 || since < 2 * 4096)
			want = REPLAY_DUPLICATE;
		if (replay_check(r, t) != want) /* not ck_assert: one syscall each in fork mode */
			ck_abort_msg("jump %llu back %llu: got %d want %d", (unsigned long long)j,
			             (unsigned long long)back, replay_check(r, t), want);
	}
	replay_free(r);
}

START_TEST(test_big_jump_clears)
{
	struct replay *tmp = window(0);
	uint64_t span = replay_span_us(tmp), ring = span + 128; /* the bitmap's period in us */
	replay_free(tmp);
	uint64_t jumps[] = { 2, 126, 128, 130, 8190, 8192, span / 2, span - 128, span - 2, span,
	                     span + 2, ring - 2, ring, ring + 2, ring + 128, 3 * ring + 640,
	                     1000000000, (T48 >> 1) - 2 };

	for (size_t i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++) {
		jump_and_verify(40000000, jumps[i]);
		jump_and_verify(T48 - 8000, jumps[i]); /* across the wrap */
	}
}
END_TEST

START_TEST(test_wrap)
{
	struct replay *r = window(0);
	uint64_t start = T48 - 300000; /* 0.3 s before the wrap */

	for (uint64_t i = 0; i < 600000; i += 10)
		ck_assert_int_eq(replay_commit(r, (start + i) & MASK48), REPLAY_FRESH);
	/* Now past the wrap: everything before it is still remembered. */
	ck_assert_uint_lt((start + 599990) & MASK48, 300000);
	for (uint64_t i = 0; i < 600000; i += 10)
		ck_assert_int_eq(replay_check(r, (start + i) & MASK48), REPLAY_DUPLICATE);
	for (uint64_t i = 2; i < 600000; i += 10)
		ck_assert_int_eq(replay_check(r, (start + i) & MASK48), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, T48 - 2), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, T48 - 2), REPLAY_DUPLICATE);
	ck_assert_int_eq(replay_check(r, T48 - 2000000), REPLAY_TOO_OLD);
	/* Moving on by 2 s makes the pre-wrap stamps too old. */
	ck_assert_int_eq(replay_commit(r, 2300000), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, T48 - 2), REPLAY_TOO_OLD);
	ck_assert_int_eq(replay_check(r, start), REPLAY_TOO_OLD);
	replay_free(r);
}
END_TEST

START_TEST(test_check_is_read_only)
{
	struct replay *r = window(0);

	/* A forged packet far in the future must not move the window. */
	ck_assert_int_eq(replay_commit(r, 1000000), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, 1000000 + 100000000), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, 999998), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, 999998), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, 1000000 + 100000000), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, 1000002), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, 1000002), REPLAY_FRESH);
	replay_free(r);
}
END_TEST

START_TEST(test_commit_without_check)
{
	struct replay *r = window(0);

	/* Two copies pass the check in one batch; only the first commit wins. */
	ck_assert_int_eq(replay_check(r, 5000), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, 5000), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, 5000), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, 5000), REPLAY_DUPLICATE);
	/* Commit alone gives the same verdicts as check-then-commit. */
	ck_assert_int_eq(replay_commit(r, 4000), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, 4000), REPLAY_DUPLICATE);
	ck_assert_int_eq(replay_commit(r, 5000 + 3000000), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, 5000), REPLAY_TOO_OLD);
	ck_assert_int_eq(replay_commit(r, 4002), REPLAY_TOO_OLD);
	replay_free(r);
}
END_TEST

START_TEST(test_reset)
{
	struct replay *r = window(0);

	ck_assert_int_eq(replay_commit(r, 900000000), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, 900000000), REPLAY_DUPLICATE);
	replay_reset(r);
	/* A new key: the same stamp and a much older one are fresh again. */
	ck_assert_int_eq(replay_check(r, 900000000), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, 100), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, 900000000), REPLAY_FRESH);
	ck_assert_int_eq(replay_commit(r, 100), REPLAY_DUPLICATE);
	ck_assert_int_eq(replay_commit(r, 98), REPLAY_FRESH);
	/* Nothing from before the reset survives near the new top. */
	ck_assert_int_eq(replay_commit(r, 900000000), REPLAY_FRESH);
	ck_assert_int_eq(replay_check(r, 900000000 - 2), REPLAY_FRESH);
	replay_free(r);
}
END_TEST

/* The naive model: every committed slot in an open-addressing set, plus the newest one. A jump
 * forward by a whole span or more empties the set: what it held is out of the window, and would
 * otherwise come back into it once the top has gone round the 2^48 circle (two half-circle jumps
 * suffice). */
struct model {
	uint64_t *set; /* slot + 1, 0 = empty */
	size_t *used;  /* the positions filled since the set was last emptied */
	size_t size, nused;
	uint64_t top, span_slots;
	int empty;
};

static uint64_t *
model_find(struct model *m, uint64_t slot)
{
	size_t i = (size_t)((slot * 0x9E3779B97F4A7C15ULL) >> 40) & (m->size - 1);

	while (m->set[i] != 0 && m->set[i] != slot + 1)
		i = (i + 1) & (m->size - 1);
	return &m->set[i];
}

static enum replay_verdict
model_verdict(struct model *m, uint64_t t)
{
	uint64_t slot = (t >> 1) & (MASK48 >> 1);
	uint64_t ahead = (slot - m->top) & (MASK48 >> 1);

	if (m->empty || (ahead != 0 && ahead < (T48 >> 2)))
		return REPLAY_FRESH;
	if (((m->top - slot) & (MASK48 >> 1)) >= m->span_slots)
		return REPLAY_TOO_OLD;
	return *model_find(m, slot) ? REPLAY_DUPLICATE : REPLAY_FRESH;
}

static enum replay_verdict
model_commit(struct model *m, uint64_t t)
{
	uint64_t slot = (t >> 1) & (MASK48 >> 1);
	enum replay_verdict v = model_verdict(m, t);

	if (v != REPLAY_FRESH)
		return v;
	uint64_t ahead = (slot - m->top) & (MASK48 >> 1);
	if (m->empty || ahead < (T48 >> 2)) {
		if (!m->empty && ahead >= m->span_slots) {
			while (m->nused > 0)
				m->set[m->used[--m->nused]] = 0;
		}
		m->top = slot;
	}
	m->empty = 0;
	uint64_t *e = model_find(m, slot);
	*e = slot + 1;
	m->used[m->nused++] = (size_t)(e - m->set);
	return v;
}

static uint64_t
rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Random timestamps around the moving top: small steps forward, reordering within and beyond
 * the window, replays of recent ones, big jumps, anything at all, over the 2^48 wrap. */
static void
run_model(uint64_t seed, uint64_t span_us, uint64_t start, int n)
{
	struct replay *r = window(span_us);
	struct model m = { .size = (size_t)1 << 21, .empty = 1 };
	uint64_t span = replay_span_us(r), cur = start & MASK48, s = seed;
	uint64_t recent[64] = { 0 };
	int counts[3] = { 0, 0, 0 };

	m.span_slots = span / 2;
	m.set = calloc(m.size, sizeof(*m.set));
	m.used = calloc((size_t)n, sizeof(*m.used));
	ck_assert_ptr_nonnull(m.set);
	ck_assert_ptr_nonnull(m.used);
	for (int i = 0; i < n; i++) {
		uint64_t x = rnd(&s), t;
		switch (x % 64) {
		case 0 ... 23: /* the next packet */
			cur = (cur + 2 * (1 + (x >> 8) % 100)) & MASK48;
			t = cur;
			break;
		case 24 ... 35: /* reordered, sometimes beyond the window */
			t = cur - (x >> 8) % (span + span / 4);
			break;
		case 36 ... 51: /* a replay of one of the last 8 */
			t = recent[(i + 63 - (x >> 8) % 8) % 64];
			break;
		case 52 ... 57: /* around the bottom of the window */
			t = cur - span + (x >> 8) % 512 - 256;
			break;
		case 58 ... 60: /* a jump forward */
			t = cur + (x >> 8) % (4 * span);
			break;
		case 61:
			t = x >> 16;
			break;
		default: /* about half the circle away */
			t = cur + (T48 >> 1) - 4 + (x >> 8) % 8;
			break;
		}
		t &= MASK48;
		if (x & (1ULL << 62))
			t |= 1;
		recent[i % 64] = t;
		enum replay_verdict want = model_verdict(&m, t), got = replay_check(r, t);
		if (got != want)
			ck_abort_msg("seed %llu op %d: check(%#llx) = %d, model %d (top %#llx)",
			             (unsigned long long)seed, i, (unsigned long long)t, got, want,
			             (unsigned long long)m.top * 2);
		if ((x >> 62) == 3)
			continue; /* a forgery: checked, never committed */
		got = replay_commit(r, t);
		if (got != want || model_commit(&m, t) != want)
			ck_abort_msg("seed %llu op %d: commit(%#llx) = %d, model %d",
			             (unsigned long long)seed, i, (unsigned long long)t, got, want);
		counts[want]++;
		if (want == REPLAY_FRESH && ((t >> 1) - (cur >> 1)) % (T48 >> 1) < (T48 >> 2))
			cur = t & ~1ULL;
	}
	/* Every verdict occurred often enough for the comparison to mean something. */
	ck_assert_int_gt(counts[REPLAY_FRESH], n / 10);
	ck_assert_int_gt(counts[REPLAY_DUPLICATE], n / 20);
	ck_assert_int_gt(counts[REPLAY_TOO_OLD], n / 50);
	free(m.set);
	free(m.used);
	replay_free(r);
}

START_TEST(test_random_against_model)
{
	run_model(1, 0, 1000000, 300000);
	run_model(2, 0, (T48 - 5000000) & MASK48, 300000);
	run_model(3, 20000, 123456789, 300000);
	run_model(4, 700, T48 - 3000, 200000);
	run_model(5, 5000000, 42, 200000);
}
END_TEST

/* Two paths 10 ms and 300 ms apart, as the engine will see them: nothing is lost, the stock
 * peer's repeated timestamps are, and every replay is caught. */
START_TEST(test_multipath_stream)
{
	struct replay *r = window(0);
	enum { N = 20000 };
	static uint64_t ts[N];
	uint64_t t = T48 - 1000000, s = 7;
	int fresh = 0, dup = 0;

	for (int i = 0; i < N; i++) {
		t = (t + 2 * (1 + rnd(&s) % 40)) & MASK48;
		ts[i] = t;
	}
	/* Path A takes even packets and arrives 10 ms after sending, path B odd ones after 300 ms:
	 * deliver by merging on arrival time. */
	int a = 0, b = 1;
	uint64_t off = 0;
	while (a < N || b < N) {
		uint64_t arr_a = a < N ? ts[a] + (ts[a] < ts[0] ? T48 : 0) + 10000 : UINT64_MAX;
		uint64_t arr_b = b < N ? ts[b] + (ts[b] < ts[0] ? T48 : 0) + 300000 : UINT64_MAX;
		int i = arr_a <= arr_b ? a : b;
		if (i == a)
			a += 2;
		else
			b += 2;
		ck_assert_int_eq(replay_commit(r, ts[i]), REPLAY_FRESH);
		fresh++;
		if (i % 97 == 0) { /* an attacker replays it */
			ck_assert_int_eq(replay_commit(r, ts[i]), REPLAY_DUPLICATE);
			dup++;
		}
		off++;
	}
	ck_assert_int_eq(fresh, N);
	ck_assert_int_gt(dup, 100);
	ck_assert_uint_eq(off, N);
	replay_free(r);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("window");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_span);
	tcase_add_test(tc, test_duplicates_rejected);
	tcase_add_test(tc, test_reordering_within_window);
	tcase_add_test(tc, test_too_old);
	tcase_add_test(tc, test_big_jump_clears);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_check_is_read_only);
	tcase_add_test(tc, test_commit_without_check);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_random_against_model);
	tcase_add_test(tc, test_multipath_stream);
	suite_add_tcase(s, tc);
	return s;
}
