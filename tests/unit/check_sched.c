/* Sender path choice and pacing (shared/proto/sched.c). The load tests feed packets at a given
 * offered rate into a local backlog (the TUN queue, 1000 packets) and send from it in batches
 * every 50 us while sched_pick() lets them. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "proto/sched.h"
#include "support/suite.h"

#define MBIT(x) ((uint64_t)(x) * 125000) /* bytes/s */
#define PKT     1400

static struct sched *
make(uint32_t burst_pkts, uint32_t queue_us)
{
	struct sched_config c;

	sched_config_default(&c);
	if (burst_pkts)
		c.burst_pkts = burst_pkts;
	if (queue_us)
		c.queue_us = queue_us;
	struct sched *s = sched_new(&c);
	ck_assert_ptr_nonnull(s);
	return s;
}

struct load {
	uint64_t bytes[SCHED_MAX_PATHS];
	uint64_t total, dropped, backlog_max;
};

/* Offer `offered` bytes/s for `dur` us from t0; returns what went where. */
static struct load
run_load(struct sched *s, uint64_t t0, uint64_t dur, uint64_t offered)
{
	struct load l = { 0 };
	uint64_t backlog = 0, credit = 0;

	for (uint64_t now = t0; now < t0 + dur; now += 50) {
		credit += offered * 50; /* bytes x 10^6 */
		while (credit >= (uint64_t)PKT * 1000000) {
			credit -= (uint64_t)PKT * 1000000;
			if (backlog < 1000)
				backlog++;
			else
				l.dropped++;
		}
		while (backlog > 0) {
			int p = sched_pick(s, now, PKT);
			/* plain tests: a Check assertion costs a system call in fork mode */
			if (p < 0) {
				if (errno != EAGAIN || sched_next(s, now) <= now)
					ck_abort_msg("pick failed at %llu", (unsigned long long)now);
				break;
			}
			if (p >= SCHED_MAX_PATHS)
				ck_abort_msg("path %d", p);
			l.bytes[p] += PKT;
			l.total += PKT;
			backlog--;
		}
		sched_burst_end(s); /* one batch per wake-up */
		if (backlog > l.backlog_max)
			l.backlog_max = backlog;
	}
	return l;
}

START_TEST(test_config)
{
	struct sched_config c;

	sched_config_default(&c);
	ck_assert_uint_eq(c.burst_pkts, 16);
	ck_assert_uint_eq(c.burst_bytes, 65536);
	c.queue_us = 0;
	errno = 0;
	ck_assert_ptr_null(sched_new(&c));
	ck_assert_int_eq(errno, EINVAL);
	c.queue_us = 2000000;
	ck_assert_ptr_null(sched_new(&c));
	sched_config_default(&c);
	c.burst_pkts = 0;
	ck_assert_ptr_null(sched_new(&c));

	struct sched *s = sched_new(NULL);
	ck_assert_ptr_nonnull(s);
	errno = 0;
	ck_assert_int_eq(sched_set_path(s, SCHED_MAX_PATHS, 1, 1000, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Nothing usable yet. */
	errno = 0;
	ck_assert_int_eq(sched_pick(s, 0, 100), -1);
	ck_assert_int_eq(errno, ENETUNREACH);
	ck_assert_uint_eq(sched_next(s, 0), UINT64_MAX);
	sched_free(s);
	sched_free(NULL);
}
END_TEST

START_TEST(test_virtual_queue_drains)
{
	struct sched *s = make(0, 0);

	ck_assert_int_eq(sched_set_path(s, 3, 1, 1000000, 5000), 0); /* 1 MB/s */
	sched_account(s, 1000, 3, 10000);
	ck_assert_uint_eq(sched_queued(s, 1000, 3), 10000);
	ck_assert_uint_eq(sched_queued(s, 1001, 3), 9999);
	ck_assert_uint_eq(sched_queued(s, 6000, 3), 5000);
	ck_assert_uint_eq(sched_queued(s, 5000, 3), 5000); /* time going back drains nothing */
	ck_assert_uint_eq(sched_queued(s, 10999, 3), 1);
	ck_assert_uint_eq(sched_queued(s, 11000, 3), 0);
	ck_assert_uint_eq(sched_queued(s, 99000000, 3), 0);
	/* Rounding: 1000 bytes at 700 kB/s take 1428.57 us. */
	sched_set_path(s, 4, 1, 700000, 0);
	sched_account(s, 2000000, 4, 1000);
	ck_assert_uint_eq(sched_queued(s, 2000000 + 1428, 4), 1);
	ck_assert_uint_eq(sched_queued(s, 2000000 + 1429, 4), 0);
	/* A clock that jumps back (it wrapped) drains from its new time on. */
	sched_account(s, 5000000000ULL, 3, 10000);
	ck_assert_uint_eq(sched_queued(s, 1000, 3), 10000);
	ck_assert_uint_eq(sched_queued(s, 6000, 3), 5000);
	sched_queued(s, 99000000, 3);
	/* A huge amount saturates instead of wrapping. */
	sched_account(s, 99000000, 3, SIZE_MAX);
	ck_assert_uint_gt(sched_queued(s, 99000000, 3), UINT64_C(1) << 40);
	sched_clear_path(s, 3);
	ck_assert_uint_eq(sched_queued(s, 99000000, 3), 0);
	ck_assert_int_eq(sched_pick(s, 99000000, 1000), 4); /* never the cleared path */
	sched_free(s);
}
END_TEST

START_TEST(test_pacing_limit_and_next)
{
	struct sched *s = make(1, 5000); /* bursts of one packet, 5 ms of queue */

	sched_set_path(s, 0, 1, 1000000, 20000); /* 1 MB/s: the limit is 5000 bytes */
	ck_assert_uint_eq(sched_next(s, 0), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(sched_pick(s, 0, PKT), 0);
	/* 5600 queued: 600 over the limit, which drains in 600 us. */
	errno = 0;
	ck_assert_int_eq(sched_pick(s, 0, PKT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(sched_next(s, 0), 601);
	ck_assert_int_eq(sched_pick(s, 600, PKT), -1);
	ck_assert_uint_eq(sched_next(s, 600), 601);
	ck_assert_uint_eq(sched_next(s, 601), 601);
	ck_assert_int_eq(sched_pick(s, 601, PKT), 0);
	/* Control traffic counts too. */
	sched_account(s, 601, 0, 3000);
	ck_assert_uint_eq(sched_next(s, 601), 601 + 3000 + 1400 - 1 + 1);
	sched_free(s);
}
END_TEST

/* A path is paced in the bytes its link spends: payload plus the outer headers. Without the
 * overhead a saturated 10 Mbit/s path set to its link's rate would be sent 2% more than the link
 * carries (1400-byte payloads, 28 bytes of IPv4 and UDP headers). */
START_TEST(test_overhead_counts_link_bytes)
{
	struct sched *s = make(1, 5000);

	errno = 0;
	ck_assert_int_eq(sched_set_overhead(s, SCHED_MAX_PATHS, 28), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(sched_set_overhead(s, 0, 65536), -1);
	ck_assert_int_eq(sched_set_overhead(s, 0, 28), 0);
	sched_set_path(s, 0, 1, MBIT(10), 1000); /* keeps the overhead */
	sched_account(s, 0, 0, 1000);
	ck_assert_uint_eq(sched_queued(s, 0, 0), 1028);

	struct load l = run_load(s, 1, 2000000, MBIT(20)); /* 2 s, twice the rate offered */
	uint64_t pkts = l.total / PKT;
	uint64_t link = l.total + pkts * 28;
	/* Link bytes within 1% of 2 s x 10 Mbit/s (2.5 MB, the 5 ms limit is 6 kB); payload alone
	 * is 1.96% below. */
	ck_assert_uint_le(link, 2500000 + 25000);
	ck_assert_uint_ge(link, 2500000 - 25000);
	ck_assert_uint_le(l.total, 2500000 * 100 / 101);

	/* Cleared with the path; IPv6's 48 counted the same way. */
	sched_clear_path(s, 0);
	sched_set_path(s, 0, 1, MBIT(10), 1000);
	sched_account(s, 5000000, 0, 1000);
	ck_assert_uint_eq(sched_queued(s, 5000000, 0), 1000);
	sched_set_overhead(s, 0, 48);
	sched_account(s, 5000000, 0, 1000);
	ck_assert_uint_eq(sched_queued(s, 5000000, 0), 2048);
	sched_free(s);
}
END_TEST

START_TEST(test_earliest_arrival)
{
	struct sched *s = make(1, 100000);

	sched_set_path(s, 0, 1, 1000000, 10000);
	sched_set_path(s, 1, 1, 1000000, 30000);
	ck_assert_int_eq(sched_pick(s, 0, 1000), 0);
	/* 15 ms queued on path 0: 10 + 16 ms still beats 30 + 1 ms. */
	sched_account(s, 0, 0, 14000);
	ck_assert_int_eq(sched_pick(s, 0, 1000), 0);
	/* 25 ms queued (arrival 36 ms): path 1 now. */
	sched_account(s, 0, 0, 9000);
	ck_assert_int_eq(sched_pick(s, 0, 1000), 1);
	/* A faster rate shortens the queue: 25 kB at 10 MB/s is 2.5 ms. */
	sched_set_path(s, 0, 1, 10000000, 10000);
	ck_assert_int_eq(sched_pick(s, 0, 1000), 0);
	sched_free(s);
}
END_TEST

START_TEST(test_unusable_and_zero_rate_never_chosen)
{
	struct sched *s = make(0, 0);

	sched_set_path(s, 0, 0, MBIT(1000), 1000); /* best in every way, but unusable */
	sched_set_path(s, 1, 1, 0, 1000);          /* usable, rate 0 */
	sched_set_path(s, 5, 1, MBIT(1), 90000);
	struct load l = run_load(s, 0, 2000000, MBIT(50));
	ck_assert_uint_gt(l.total, 0);
	ck_assert_uint_eq(l.bytes[5], l.total);
	/* The burst's path turning unusable ends the burst. */
	sched_set_path(s, 7, 1, MBIT(1), 90000);
	int p = sched_pick(s, 5000000, PKT);
	ck_assert_int_ge(p, 0);
	sched_set_path(s, (unsigned)p, 0, MBIT(1), 90000);
	ck_assert_int_eq(sched_pick(s, 5000000, PKT), p == 5 ? 7 : 5);
	sched_set_path(s, 5, 0, MBIT(1), 90000);
	sched_set_path(s, 7, 1, 0, 90000);
	errno = 0;
	ck_assert_int_eq(sched_pick(s, 5000000, PKT), -1);
	ck_assert_int_eq(errno, ENETUNREACH);
	sched_free(s);
}
END_TEST

static void
assert_share(const struct load *l, int path, double want)
{
	double got = (double)l->bytes[path] / (double)l->total;

	ck_assert_msg(got > want - 0.02 && got < want + 0.02, "path %d: share %.4f, want %.2f",
	              path, got, want);
}

START_TEST(test_shares_follow_rates)
{
	struct sched *s = make(0, 0);

	sched_set_path(s, 0, 1, MBIT(50), 20000);
	sched_set_path(s, 1, 1, MBIT(30), 20000);
	sched_set_path(s, 2, 1, MBIT(20), 20000);
	/* Offered twice the capacity for 10 s. */
	struct load l = run_load(s, 1000000, 10000000, MBIT(200));
	assert_share(&l, 0, 0.5);
	assert_share(&l, 1, 0.3);
	assert_share(&l, 2, 0.2);
	/* And the sum of the rates goes out, no more. */
	double mbit = (double)l.total * 8 / 10 / 1e6;
	ck_assert_msg(mbit > 98 && mbit < 102, "%.2f Mbit/s", mbit);
	sched_free(s);
}
END_TEST

START_TEST(test_unequal_delays)
{
	struct sched *s = make(0, 0);

	sched_set_path(s, 0, 1, MBIT(50), 60000);
	sched_set_path(s, 1, 1, MBIT(50), 10000);

	/* Low load: everything on the fast path, nothing waits. */
	struct load l = run_load(s, 1000000, 5000000, MBIT(20));
	ck_assert_uint_gt(l.total, 0);
	ck_assert_uint_eq(l.bytes[1], l.total);
	ck_assert_uint_eq(l.dropped, 0);
	ck_assert_uint_le(l.backlog_max, 1);

	/* High load: the fast path runs full, the slow one takes the rest. */
	l = run_load(s, 7000000, 5000000, MBIT(80));
	double fast = (double)l.bytes[1] * 8 / 5 / 1e6, slow = (double)l.bytes[0] * 8 / 5 / 1e6;
	ck_assert_msg(fast > 48 && fast < 51, "fast path %.2f Mbit/s", fast);
	ck_assert_msg(slow > 28 && slow < 32, "slow path %.2f Mbit/s", slow);
	ck_assert_uint_eq(l.dropped, 0);

	/* Over the total: both full, the backlog overflows. */
	l = run_load(s, 13000000, 5000000, MBIT(150));
	fast = (double)l.bytes[1] * 8 / 5 / 1e6;
	slow = (double)l.bytes[0] * 8 / 5 / 1e6;
	ck_assert_msg(fast > 48 && fast < 52 && slow > 48 && slow < 52, "%.2f + %.2f", fast, slow);
	ck_assert_uint_gt(l.dropped, 0);
	sched_free(s);
}
END_TEST

/* Batches of `batch` bytes every `every` us for dur us from t0, as a loop reading its TUN does. */
static struct load
run_batches(struct sched *s, uint64_t t0, uint64_t dur, uint64_t every, uint64_t batch)
{
	struct load l = { 0 };

	for (uint64_t now = t0; now < t0 + dur; now += every) {
		for (uint64_t b = 0; b < batch; b += PKT) {
			int p = sched_pick(s, now, PKT);
			if (p < 0 || p >= SCHED_MAX_PATHS)
				ck_abort_msg("pick %d at %llu", p, (unsigned long long)now);
			l.bytes[p] += PKT;
			l.total += PKT;
		}
		sched_burst_end(s);
	}
	return l;
}

START_TEST(test_equal_paths_keep_one_stream)
{
	struct sched *s = make(0, 0);

	/* Two 10 Gbit/s paths whose delays differ by less than tie_us (estimates of equal
	 * links), a 4 Gbit/s stream in 1 MB batches (each lengthens its path's queue by 0.8 ms):
	 * the stream stays on one path, nothing forces a spread. */
	sched_set_path(s, 0, 1, MBIT(10000), 150);
	sched_set_path(s, 1, 1, MBIT(10000), 100);
	struct load l = run_batches(s, 1000000, 1000000, 2000, 1000000);
	ck_assert_uint_eq(l.total, 500 * ((1000000 + PKT - 1) / PKT) * PKT);
	ck_assert_msg(l.bytes[0] == 0 || l.bytes[1] == 0, "spread %llu / %llu",
	              (unsigned long long)l.bytes[0], (unsigned long long)l.bytes[1]);

	/* The same paths at 1 Gbit/s and 1.5 Gbit/s offered: the stream must spread, and the
	 * paths carry it all. */
	sched_set_path(s, 0, 1, MBIT(1000), 150);
	sched_set_path(s, 1, 1, MBIT(1000), 100);
	l = run_load(s, 3000000, 1000000, MBIT(1500));
	ck_assert_uint_eq(l.dropped, 0);
	ck_assert_msg(l.bytes[0] > l.total / 4 && l.bytes[1] > l.total / 4, "%llu / %llu",
	              (unsigned long long)l.bytes[0], (unsigned long long)l.bytes[1]);

	/* A path of really lower delay (by more than tie_us) takes the next burst. */
	sched_set_path(s, 0, 1, MBIT(10000), 5000);
	sched_set_path(s, 1, 1, MBIT(10000), 1000);
	sched_burst_end(s);
	int p = sched_pick(s, 6000000, PKT);
	sched_burst_end(s);
	ck_assert_int_eq(p, 1);
	sched_set_path(s, 0, 1, MBIT(10000), 1000);
	sched_set_path(s, 1, 1, MBIT(10000), 5000);
	ck_assert_int_eq(sched_pick(s, 6000000, PKT), 0);
	sched_free(s);
}
END_TEST

START_TEST(test_bursts_stay_on_one_path)
{
	struct sched_config c;
	int first;

	/* Two paths whose delays are not a tie (tie_us 0): the choice goes by earliest arrival
	 * and alternates, but by whole bursts of 16. */
	sched_config_default(&c);
	c.tie_us = 0;
	struct sched *s = sched_new(&c);
	ck_assert_ptr_nonnull(s);
	sched_set_path(s, 0, 1, MBIT(100), 5000);
	sched_set_path(s, 1, 1, MBIT(100), 5001);
	first = sched_pick(s, 1000, PKT);
	for (int i = 1; i < 16; i++)
		ck_assert_int_eq(sched_pick(s, 1000, PKT), first);
	int second = sched_pick(s, 1000, PKT);
	ck_assert_int_eq(second, 1 - first);
	for (int i = 1; i < 16; i++)
		ck_assert_int_eq(sched_pick(s, 1000, PKT), second);

	/* 64 KiB bound: 8000-byte packets, 8 to a burst. */
	sched_burst_end(s);
	int p = sched_pick(s, 2000000, 8000);
	for (int i = 1; i < 8; i++)
		ck_assert_int_eq(sched_pick(s, 2000000, 8000), p);
	ck_assert_int_eq(sched_pick(s, 2000000, 8000), 1 - p);

	/* The caller ends a burst (end of a GSO batch): a new choice. */
	sched_burst_end(s);
	p = sched_pick(s, 4000000, PKT);
	ck_assert_int_eq(sched_pick(s, 4000000, PKT), p);
	sched_burst_end(s);
	ck_assert_int_eq(sched_pick(s, 4000000, PKT), 1 - p);

	/* A burst does not outlive the pacing interval. */
	sched_burst_end(s);
	p = sched_pick(s, 6000000, PKT);
	sched_account(s, 6000000, (unsigned)p, 30000); /* the other path is better from now on */
	ck_assert_int_eq(sched_pick(s, 6000000 + 5000, PKT), p);
	ck_assert_int_eq(sched_pick(s, 6000000 + 5001, PKT), 1 - p);
	sched_free(s);
}
END_TEST

START_TEST(test_burst_may_pass_limit_once)
{
	struct sched *s = make(0, 1000); /* 1 ms at 1 MB/s: 1000 bytes */

	sched_set_path(s, 0, 1, 1000000, 1000);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(sched_pick(s, 0, PKT), 0);
	ck_assert_uint_eq(sched_queued(s, 0, 0), 16 * PKT);
	ck_assert_int_eq(sched_pick(s, 0, PKT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(sched_next(s, 0), 16 * PKT - 1000 + 1);
	sched_free(s);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("sched");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_virtual_queue_drains);
	tcase_add_test(tc, test_pacing_limit_and_next);
	tcase_add_test(tc, test_overhead_counts_link_bytes);
	tcase_add_test(tc, test_earliest_arrival);
	tcase_add_test(tc, test_equal_paths_keep_one_stream);
	tcase_add_test(tc, test_unusable_and_zero_rate_never_chosen);
	tcase_add_test(tc, test_shares_follow_rates);
	tcase_add_test(tc, test_unequal_delays);
	tcase_add_test(tc, test_bursts_stay_on_one_path);
	tcase_add_test(tc, test_burst_may_pass_limit_once);
	suite_add_tcase(s, tc);
	return s;
}
