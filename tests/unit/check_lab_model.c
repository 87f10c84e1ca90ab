/* The link emulator's model, heap and random numbers (netns-lab/src/emu_*.c), on a fake clock.
 * Statistical checks use bounds of 5 standard deviations: with the fixed seeds they are
 * deterministic anyway, and they stay true for other seeds. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../netns-lab/src/emu_heap.h"
#include "../../netns-lab/src/emu_model.h"
#include "../../netns-lab/src/emu_rng.h"
#include "../../netns-lab/src/lab_link.h"
#include "support/suite.h"

#define MS 1000000ull
#define SEC 1000000000ull

static struct model m;

static struct lab_dir
dir(const char *words)
{
	struct lab_link l;
	char buf[512], err[256], *argv[64];
	int argc;

	lab_link_init(&l);
	snprintf(buf, sizeof(buf), "%s", words);
	argc = lab_split(buf, argv, 64);
	ck_assert_msg(lab_link_apply(&l, argc, argv, LAB_CTX_SCENARIO, err, sizeof(err)) == 0,
	    "%s", err);
	return l.dir[LAB_UP];
}

static void
setup(const char *words, uint64_t seed)
{
	struct lab_dir d = dir(words);

	model_init(&m, &d, seed, "t/up");
}

/* |x - n p| within 5 standard deviations of a binomial. */
static void
binomial_ok(uint64_t x, uint64_t n, double p, const char *what)
{
	double sd = sqrt((double)n * p * (1 - p));

	ck_assert_msg(fabs((double)x - (double)n * p) <= 5 * sd + 1,
	    "%s: %llu of %llu, expected %.1f +- %.1f", what, (unsigned long long)x,
	    (unsigned long long)n, (double)n * p, 5 * sd);
}

START_TEST(test_delay_only)
{
	uint64_t w[2];

	setup("delay 15ms", 1);
	ck_assert_int_eq(model_admit(&m, 1000, 1400, w), 1);
	ck_assert_uint_eq(w[0], 1000 + 15 * MS);
	ck_assert_int_eq(model_admit(&m, 2000, 9000, w), 0);
	ck_assert_uint_eq(m.st.oversize, 1);
	ck_assert_int_eq(model_admit(&m, 3000, 1500, w), 1);
	ck_assert_uint_eq(m.st.rx_pkts, 3);
	ck_assert_uint_eq(m.st.rx_bytes, 1400 + 9000 + 1500);
}
END_TEST

START_TEST(test_rate_serialises)
{
	uint64_t w[2], last = 0;

	/* 1428-byte packets at 100 Mbit/s take 114.24 us each. */
	setup("rate 100mbit delay 5ms queue 1s", 1);
	ck_assert_uint_eq(model_tx_time(1428, 100000000), 114240);
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(model_admit(&m, 0, 1428, w), 1);
		ck_assert_uint_eq(w[0], 5 * MS + (uint64_t)(i + 1) * 114240);
		last = w[0];
	}
	ck_assert_uint_eq(model_backlog(&m, 0), 1428000);
	ck_assert_uint_eq(model_delay(&m, 0), 5 * MS + 114240000);
	/* An idle link sends at once. */
	ck_assert_int_eq(model_admit(&m, 10 * SEC, 100, w), 1);
	ck_assert_uint_eq(w[0], 10 * SEC + 8000 + 5 * MS);
	ck_assert_uint_lt(last, w[0]);
}
END_TEST

START_TEST(test_rate_long_run)
{
	/* Offered 2x the rate for 10 s: what leaves in the last 9 s is the rate. */
	uint64_t w[2], bytes = 0, t;

	setup("rate 20mbit queue 100ms", 3);
	for (t = 0; t < 10 * SEC; t += 285600) {	/* 1428 B every 285.6 us = 40 Mbit/s */
		if (model_admit(&m, t, 1428, w) == 1 && w[0] >= SEC && w[0] < 10 * SEC)
			bytes += 1428;
	}
	ck_assert_msg(llabs((long long)(bytes * 8 / 9) - 20000000) <= 20000000 / 1000,
	    "%llu bit/s", (unsigned long long)(bytes * 8 / 9));
	ck_assert_uint_gt(m.st.qdrop, 0);
	/* The backlog never passes the queue (100 ms of 20 Mbit/s) plus one packet. */
	ck_assert_uint_le(model_backlog(&m, t), 250000 + 1428);
}
END_TEST

START_TEST(test_queue_bytes_and_bucket)
{
	uint64_t w[2];
	int sent = 0;

	/* A 10000-byte queue (the packet being sent included) holds 7 packets of 1428. */
	setup("rate 10mbit queue 10000", 1);
	for (int i = 0; i < 20; i++)
		sent += model_admit(&m, 0, 1428, w);
	ck_assert_int_eq(sent, 7);
	ck_assert_uint_eq(m.st.qdrop, 13);

	/* A bucket of 15 kB lets 10 packets leave at once after idling, then the rate. */
	setup("rate 10mbit bucket 15kB queue 1s", 1);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(model_admit(&m, SEC, 1500, w), 1);
		ck_assert_uint_eq(w[0], SEC);
	}
	ck_assert_int_eq(model_admit(&m, SEC, 1500, w), 1);
	ck_assert_uint_eq(w[0], SEC + 1200000);
}
END_TEST

START_TEST(test_random_loss)
{
	uint64_t w[2], n = 200000;

	setup("loss 1%", 11);
	for (uint64_t i = 0; i < n; i++)
		model_admit(&m, i, 100, w);
	binomial_ok(m.st.lost, n, 0.01, "loss 1%");
	setup("loss 30%", 12);
	for (uint64_t i = 0; i < n; i++)
		model_admit(&m, i, 100, w);
	binomial_ok(m.st.lost, n, 0.30, "loss 30%");
}
END_TEST

START_TEST(test_gilbert_bursts)
{
	uint64_t w[2], n = 400000, runs = 0, run = 0, lost = 0;

	/* 2% in bursts of 5 on average. */
	setup("loss 2% burst 5", 5);
	for (uint64_t i = 0; i < n; i++) {
		if (model_admit(&m, i, 100, w) == 0) {
			lost++;
			run++;
		} else if (run) {
			runs++;
			run = 0;
		}
	}
	ck_assert_uint_eq(lost, m.st.lost);
	/* The chain's correlation widens the interval: variance p(1-p)/n * (1+rho)/(1-rho),
	 * rho = 1 - p_gb - r_bg = 0.7959. */
	double p = 0.02, rho = 1 - 0.2 - 0.2 * 0.02 / 0.98;
	double sd = sqrt((double)n * p * (1 - p) * (1 + rho) / (1 - rho));
	ck_assert_msg(fabs((double)lost - (double)n * p) <= 5 * sd, "lost %llu", (unsigned long long)lost);
	/* Mean burst length 5 (geometric, sd of the mean sqrt(1-r)/r/sqrt(runs)). */
	double mean = (double)lost / (double)runs;
	ck_assert_msg(fabs(mean - 5) <= 5 * sqrt(0.8) / 0.2 / sqrt((double)runs),
	    "mean burst %.2f over %llu bursts", mean, (unsigned long long)runs);

	/* Random loss at the same rate has bursts of about 1. */
	setup("loss 2%", 5);
	runs = run = lost = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (model_admit(&m, i, 100, w) == 0) {
			lost++;
			run++;
		} else if (run) {
			runs++;
			run = 0;
		}
	}
	ck_assert_double_lt((double)lost / (double)runs, 1.1);
}
END_TEST

START_TEST(test_jitter_keeps_order)
{
	uint64_t w[2], prev = 0, n = 100000;
	double sum = 0;
	uint64_t lo = UINT64_MAX, hi = 0;

	/* Packets 10 ms apart, jitter +-2 ms: no clamping, mean 20 ms, range 18..22 ms. */
	setup("delay 20ms jitter 2ms", 9);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t = i * 10 * MS;
		ck_assert_int_eq(model_admit(&m, t, 100, w), 1);
		ck_assert_uint_ge(w[0], prev);
		prev = w[0];
		uint64_t d = w[0] - t;
		sum += (double)d;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ck_assert_uint_ge(lo, 18 * MS);
	ck_assert_uint_le(hi, 22 * MS);
	/* sd of the mean: 2 ms / sqrt(3) / sqrt(n). */
	ck_assert_double_lt(fabs(sum / (double)n - 20e6), 5 * 2e6 / sqrt(3) / sqrt((double)n));

	/* Back-to-back packets never overtake each other. */
	setup("delay 20ms jitter 10ms normal", 9);
	prev = 0;
	for (uint64_t i = 0; i < 10000; i++) {
		ck_assert_int_eq(model_admit(&m, i * 1000, 100, w), 1);
		ck_assert_uint_ge(w[0], prev);
		prev = w[0];
	}
}
END_TEST

START_TEST(test_normal_jitter_spread)
{
	double sum = 0, sq = 0;
	int n = 200000;
	struct rng r;

	rng_seed(&r, 4, "normal");
	for (int i = 0; i < n; i++) {
		double x = (double)rng_normal(&r, 1000000);
		sum += x;
		sq += x * x;
	}
	double mean = sum / n, sd = sqrt(sq / n - mean * mean);
	ck_assert_double_lt(fabs(mean), 5 * 1e6 / sqrt(n));
	ck_assert_double_lt(fabs(sd - 1e6), 0.01 * 1e6);
	for (int i = 0; i < n; i++) {
		int64_t u = rng_uniform(&r, 5);
		ck_assert(u >= -5 && u <= 5);
	}
}
END_TEST

START_TEST(test_duplicate_and_reorder)
{
	uint64_t w[2], n = 100000, copies = 0, late = 0;

	setup("duplicate 5% delay 1ms", 21);
	for (uint64_t i = 0; i < n; i++) {
		int c = model_admit(&m, i * MS, 100, w);
		copies += (uint64_t)c;
		if (c == 2)
			ck_assert_uint_eq(w[1], w[0]);
	}
	binomial_ok(copies - n, n, 0.05, "duplicates");
	ck_assert_uint_eq(m.st.dup, copies - n);

	/* Reordered packets leave `gap` late and are overtaken; the others stay in order. */
	setup("reorder 2% gap 3ms delay 1ms", 22);
	uint64_t prev = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t = i * 100000;	/* 100 us apart: 30 packets pass a late one */
		ck_assert_int_eq(model_admit(&m, t, 100, w), 1);
		if (w[0] == t + 4 * MS) {
			late++;
		} else {
			ck_assert_uint_eq(w[0], t + 1 * MS);
			ck_assert_uint_ge(w[0], prev);
			prev = w[0];
		}
	}
	ck_assert_uint_eq(late, m.st.reordered);
	binomial_ok(late, n, 0.02, "reordered");
}
END_TEST

START_TEST(test_cut)
{
	uint64_t w[2];

	setup("delay 1ms", 1);
	m.cut = true;
	ck_assert_int_eq(model_admit(&m, 0, 100, w), 0);
	ck_assert_uint_eq(m.st.cut, 1);
	m.cut = false;
	ck_assert_int_eq(model_admit(&m, 0, 100, w), 1);
}
END_TEST

/* Control frames (the kernel's MLD reports) take the delay and obey cuts, but draw no random
 * number and take no share of the rate; the control counter tells them from the link's data. */
START_TEST(test_control_frames)
{
	uint64_t w[2], wr[2];
	struct model ref;

	setup("rate 1mbit delay 10ms loss 50%", 3);
	ref = m;
	ck_assert_int_eq(model_admit_control(&m, 0, 1400, w), 1);
	ck_assert_uint_eq(w[0], 10 * MS);
	ck_assert_uint_eq(model_backlog(&m, 0), 0);
	ck_assert_uint_eq(m.st.rx_pkts, 1);
	ck_assert_uint_eq(m.st.control, 1);
	/* The data that follows meets the same losses as without the control frame. */
	for (int i = 0; i < 200; i++) {
		int a = model_admit(&m, SEC * (uint64_t)(i + 1), 100, w);
		int b = model_admit(&ref, SEC * (uint64_t)(i + 1), 100, wr);
		ck_assert_int_eq(a, b);
		if (a > 0)
			ck_assert_uint_eq(w[0], wr[0]);
	}
	ck_assert_uint_eq(m.st.control, 1);
	ck_assert_uint_eq(m.st.rx_pkts, ref.st.rx_pkts + 1);
	m.cut = true;
	ck_assert_int_eq(model_admit_control(&m, 300 * SEC, 100, w), 0);
	ck_assert_uint_eq(m.st.control, 2);
	ck_assert_uint_eq(m.st.cut, ref.st.cut + 1);
}
END_TEST

START_TEST(test_seed_repeats)
{
	struct model a, b, c;
	struct lab_dir d = dir("loss 5% jitter 3ms delay 10ms duplicate 1% reorder 1%");
	uint64_t wa[2], wb[2], wc[2];
	int differ = 0;

	model_init(&a, &d, 99, "fibre/up");
	model_init(&b, &d, 99, "fibre/up");
	model_init(&c, &d, 99, "fibre/down");
	for (uint64_t i = 0; i < 10000; i++) {
		int na = model_admit(&a, i * MS, 500, wa);
		int nb = model_admit(&b, i * MS, 500, wb);
		int nc = model_admit(&c, i * MS, 500, wc);
		ck_assert_int_eq(na, nb);
		for (int k = 0; k < na; k++)
			ck_assert_uint_eq(wa[k], wb[k]);
		differ += na != nc || (na && wa[0] != wc[0]);
	}
	ck_assert_int_gt(differ, 100);
	/* Jitter draws its own stream: the losses do not depend on it. */
	struct lab_dir d2 = dir("loss 5% delay 10ms duplicate 1% reorder 1%");
	model_init(&a, &d, 99, "fibre/up");
	model_init(&b, &d2, 99, "fibre/up");
	for (uint64_t i = 0; i < 10000; i++)
		ck_assert_int_eq(model_admit(&a, i * MS, 500, wa), model_admit(&b, i * MS, 500, wb));
}
END_TEST

START_TEST(test_heap_order)
{
	struct heap h = { 0 };
	struct pkt *p[1000], *q;
	struct rng r;
	uint64_t prev_when = 0, prev_seq = 0;

	rng_seed(&r, 1, "heap");
	for (int i = 0; i < 1000; i++) {
		p[i] = calloc(1, sizeof(struct pkt));
		p[i]->when = rng_next(&r) % 50;
		p[i]->seq = (uint64_t)i;
		ck_assert_int_eq(heap_push(&h, p[i]), 0);
	}
	for (int i = 0; i < 1000; i++) {
		q = heap_pop(&h);
		ck_assert_ptr_nonnull(q);
		ck_assert(q->when > prev_when || (q->when == prev_when && (i == 0 ||
		    q->seq > prev_seq)));
		prev_when = q->when;
		prev_seq = q->seq;
		free(q);
	}
	ck_assert_ptr_null(heap_pop(&h));
	free(h.v);	/* the emulator's heaps live as long as the process */
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("lab_model");
	TCase *tc = tcase_create("model");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_delay_only);
	tcase_add_test(tc, test_rate_serialises);
	tcase_add_test(tc, test_rate_long_run);
	tcase_add_test(tc, test_queue_bytes_and_bucket);
	tcase_add_test(tc, test_random_loss);
	tcase_add_test(tc, test_gilbert_bursts);
	tcase_add_test(tc, test_jitter_keeps_order);
	tcase_add_test(tc, test_normal_jitter_spread);
	tcase_add_test(tc, test_duplicate_and_reorder);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_control_frames);
	tcase_add_test(tc, test_seed_repeats);
	tcase_add_test(tc, test_heap_order);
	suite_add_tcase(s, tc);
	return s;
}
