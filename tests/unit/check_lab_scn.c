/* The lab's units, link parameters, scenario parser and address plan (netns-lab/src). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../netns-lab/src/lab_link.h"
#include "../../netns-lab/src/lab_units.h"
#include "../../netns-lab/src/scn.h"
#include "../../netns-lab/src/scn_plan.h"
#include "support/suite.h"

static struct scenario scn;
static char err[600];

static int
parse(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	ck_assert_ptr_nonnull(f);
	err[0] = '\0';
	r = scn_parse(f, "t.scn", &scn, err, sizeof(err));
	fclose(f);
	return r;
}

#define BASE "node c concentrator\nnode s site\n"

START_TEST(test_units_time)
{
	uint64_t v = 7;

	ck_assert_int_eq(lab_parse_time("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(lab_parse_time("15ms", &v), 0);
	ck_assert_uint_eq(v, 15000000);
	ck_assert_int_eq(lab_parse_time("1.5ms", &v), 0);
	ck_assert_uint_eq(v, 1500000);
	ck_assert_int_eq(lab_parse_time("250us", &v), 0);
	ck_assert_uint_eq(v, 250000);
	ck_assert_int_eq(lab_parse_time("10s", &v), 0);
	ck_assert_uint_eq(v, 10000000000ull);
	ck_assert_int_eq(lab_parse_time("7ns", &v), 0);
	ck_assert_uint_eq(v, 7);
	v = 42;
	const char *bad[] = { "", "5", "ms", "5 ms", "1.5ns", "-1ms", "5m", "5MS", "1.", ".5s",
			      "1.0000000001s", "99999999999s", "5msx", NULL };
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(lab_parse_time(bad[i], &v) == -1, "'%s' should fail", bad[i]);
	ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(test_units_rate_prob_size)
{
	uint64_t v = 0;
	uint32_t p = 0;

	ck_assert_int_eq(lab_parse_rate("20mbit", &v), 0);
	ck_assert_uint_eq(v, 20000000);
	ck_assert_int_eq(lab_parse_rate("1.5Gbit", &v), 0);
	ck_assert_uint_eq(v, 1500000000);
	ck_assert_int_eq(lab_parse_rate("64kbit", &v), 0);
	ck_assert_uint_eq(v, 64000);
	ck_assert_int_eq(lab_parse_rate("unlimited", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(lab_parse_rate("20mbps", &v), -1);
	ck_assert_int_eq(lab_parse_rate("20", &v), -1);
	ck_assert_int_eq(lab_parse_rate("1.5bit", &v), -1);
	ck_assert_int_eq(lab_parse_rate("0mbit", &v), -1);

	ck_assert_int_eq(lab_parse_prob("1%", &p), 0);
	ck_assert_uint_eq(p, 10000000);
	ck_assert_int_eq(lab_parse_prob("0.1%", &p), 0);
	ck_assert_uint_eq(p, 1000000);
	ck_assert_int_eq(lab_parse_prob("100%", &p), 0);
	ck_assert_uint_eq(p, LAB_PPB);
	ck_assert_int_eq(lab_parse_prob("0.0000001%", &p), 0);
	ck_assert_uint_eq(p, 1);
	ck_assert_int_eq(lab_parse_prob("0", &p), 0);
	ck_assert_uint_eq(p, 0);
	ck_assert_int_eq(lab_parse_prob("100.1%", &p), -1);
	ck_assert_int_eq(lab_parse_prob("1", &p), -1);
	ck_assert_int_eq(lab_parse_prob("0.00000001%", &p), -1);
	ck_assert_int_eq(lab_parse_prob("%", &p), -1);

	ck_assert_int_eq(lab_parse_size("1500", &v), 0);
	ck_assert_uint_eq(v, 1500);
	ck_assert_int_eq(lab_parse_size("64kB", &v), 0);
	ck_assert_uint_eq(v, 64000);
	ck_assert_int_eq(lab_parse_size("64KiB", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(lab_parse_size("1.5MB", &v), 0);
	ck_assert_uint_eq(v, 1500000);
	ck_assert_int_eq(lab_parse_size("1.5", &v), -1);
	ck_assert_int_eq(lab_parse_size("64kb", &v), -1);
}
END_TEST

static struct lab_link
apply_ok(const char *words)
{
	struct lab_link l;
	char buf[512], *argv[64];
	int argc;

	lab_link_init(&l);
	snprintf(buf, sizeof(buf), "%s", words);
	argc = lab_split(buf, argv, 64);
	ck_assert_int_ge(argc, 0);
	ck_assert_msg(lab_link_apply(&l, argc, argv, LAB_CTX_SCENARIO, err, sizeof(err)) == 0,
	    "'%s': %s", words, err);
	return l;
}

static void
apply_bad(const char *words, enum lab_ctx ctx, const char *msg)
{
	struct lab_link l;
	char buf[512], *argv[64];
	int argc;

	lab_link_init(&l);
	snprintf(buf, sizeof(buf), "%s", words);
	argc = lab_split(buf, argv, 64);
	ck_assert_msg(lab_link_apply(&l, argc, argv, ctx, err, sizeof(err)) == -1,
	    "'%s' should fail", words);
	ck_assert_msg(strstr(err, msg) != NULL, "'%s': message '%s' lacks '%s'", words, err, msg);
}

START_TEST(test_link_directions)
{
	struct lab_link l = apply_ok("delay 12ms down rate 16mbit up rate 1mbit loss 1% both "
	    "jitter 2ms normal");

	ck_assert_uint_eq(l.dir[LAB_UP].delay, 12000000);
	ck_assert_uint_eq(l.dir[LAB_DOWN].delay, 12000000);
	ck_assert_uint_eq(l.dir[LAB_DOWN].rate, 16000000);
	ck_assert_uint_eq(l.dir[LAB_UP].rate, 1000000);
	ck_assert_int_eq(l.dir[LAB_UP].loss_kind, LAB_LOSS_RANDOM);
	ck_assert_uint_eq(l.dir[LAB_UP].loss, 10000000);
	ck_assert_int_eq(l.dir[LAB_DOWN].loss_kind, LAB_LOSS_NONE);
	for (int d = 0; d < 2; d++) {
		ck_assert_uint_eq(l.dir[d].jitter, 2000000);
		ck_assert_int_eq(l.dir[d].jitter_dist, LAB_JITTER_NORMAL);
		ck_assert_uint_eq(l.dir[d].mtu, 1500);
		ck_assert_uint_eq(l.dir[d].queue, 100000000);
	}
	ck_assert(!l.backup);
	ck_assert_uint_eq(l.mtu, 1500);
}
END_TEST

/* The loss (ppb) a direction's parameters give in the long run: for Gilbert-Elliott, the
 * stationary probability of the bad state is p / (p + r). The model's losses themselves are
 * measured in check_lab_model (test_gilbert_bursts). */
static uint32_t
mean_loss(const struct lab_dir *d)
{
	if (d->loss_kind == LAB_LOSS_RANDOM)
		return d->loss;
	ck_assert_int_eq(d->loss_kind, LAB_LOSS_GE);
	uint64_t pr = (uint64_t)d->ge_p + d->ge_r;
	return (uint32_t)((unsigned __int128)d->ge_p * d->ge_bad / pr +
	    (unsigned __int128)d->ge_r * d->ge_good / pr);
}

START_TEST(test_link_gilbert)
{
	/* 1% in bursts of 4: r = 25%, p = 1% * 25% / 99%, mean loss back to 1%. */
	struct lab_link l = apply_ok("loss 1% burst 4");
	const struct lab_dir *d = &l.dir[LAB_UP];

	ck_assert_int_eq(d->loss_kind, LAB_LOSS_GE);
	ck_assert_uint_eq(d->ge_r, 250000000);
	ck_assert_uint_eq(d->ge_p, 2525252);
	ck_assert_uint_eq(d->ge_bad, LAB_PPB);
	ck_assert_uint_eq(d->ge_good, 0);
	ck_assert_uint_ge(mean_loss(d), 9999990);
	ck_assert_uint_le(mean_loss(d), 10000000);

	l = apply_ok("loss ge 1% 10% 50% 0.1%");
	d = &l.dir[LAB_DOWN];
	ck_assert_uint_eq(d->ge_p, 10000000);
	ck_assert_uint_eq(d->ge_r, 100000000);
	ck_assert_uint_eq(d->ge_bad, 500000000);
	ck_assert_uint_eq(d->ge_good, 1000000);
	/* pi_bad = 1/11: 50%/11 + 0.1% * 10/11 */
	ck_assert_uint_eq(mean_loss(d), 500000000 / 11 + 1000000ull * 10 / 11);

	l = apply_ok("loss ge 1% 10% delay 5ms");
	ck_assert_uint_eq(l.dir[LAB_UP].ge_bad, LAB_PPB);
	ck_assert_uint_eq(l.dir[LAB_UP].delay, 5000000);
	l = apply_ok("loss 1% loss 0");
	ck_assert_int_eq(l.dir[LAB_UP].loss_kind, LAB_LOSS_NONE);
}
END_TEST

START_TEST(test_link_errors)
{
	apply_bad("rate", LAB_CTX_SCENARIO, "'rate' needs a rate");
	apply_bad("rate 20mbps", LAB_CTX_SCENARIO, "'rate 20mbps': expected a rate");
	apply_bad("delay 11s", LAB_CTX_SCENARIO, "from 0 to 10s");
	apply_bad("loss 1", LAB_CTX_SCENARIO, "expected a probability");
	apply_bad("loss 100% burst 3", LAB_CTX_SCENARIO, "between 0% and 100%");
	apply_bad("loss 1% burst 0.5", LAB_CTX_SCENARIO, "at least 1 packet");
	apply_bad("loss 60% burst 1", LAB_CTX_SCENARIO, "no Gilbert model");
	apply_bad("loss ge 0 5%", LAB_CTX_SCENARIO, "(> 0)");
	apply_bad("mtu 1200", LAB_CTX_SCENARIO, "from 1280 to 9000");
	apply_bad("up mtu 1400", LAB_CTX_SCENARIO, "both directions");
	apply_bad("backup", LAB_CTX_RUNTIME, "only be set in a scenario");
	apply_bad("queue 10", LAB_CTX_SCENARIO, "at least 1500 bytes");
	apply_bad("speed 10mbit", LAB_CTX_SCENARIO, "unknown link parameter 'speed'");
	apply_bad("reorder 1% gap 0", LAB_CTX_SCENARIO, "from 1ns to 10s");
}
END_TEST

START_TEST(test_link_format_round_trip)
{
	const char *cases[] = {
		"rate 100mbit delay 5ms",
		"rate 1500kbit delay 1.5ms jitter 250us normal loss 0.1% duplicate 2% "
		"reorder 1% gap 3ms queue 64000 bucket 16000 mtu 1400",
		"loss ge 0.5% 20% 80% 0.01% rate 25mbit queue 200ms",
		"loss 1% burst 3",
		NULL
	};
	for (int i = 0; cases[i]; i++) {
		struct lab_link a = apply_ok(cases[i]), b;
		char text[512], *argv[64];
		int argc;

		ck_assert_int_gt(lab_dir_format(&a.dir[LAB_UP], text, sizeof(text)), 0);
		lab_link_init(&b);
		argc = lab_split(text, argv, 64);
		ck_assert_msg(lab_link_apply(&b, argc, argv, LAB_CTX_RUNTIME, err, sizeof(err))
		    == 0, "%s", err);
		ck_assert_msg(memcmp(&a.dir[LAB_UP], &b.dir[LAB_UP], sizeof(a.dir[0])) == 0,
		    "'%s' does not read back", cases[i]);
	}
}
END_TEST

START_TEST(test_scenario_good)
{
	const char *text =
	    "# a comment\n"
	    "seed 42\n"
	    "stats 100ms\n"
	    "node conc concentrator   # trailing comment\n"
	    "node site1 site\n"
	    "node pc1 host via site1\n"
	    "node srv host via conc\n"
	    "link site1 fibre rate 100mbit delay 5ms\n"
	    "link site1 lte rate 30mbit \\\n"
	    "      delay 40ms jitter 10ms \\\n"
	    "      loss 1% burst 3 backup\n"
	    "at 20s link fibre restore\n"
	    "at 10s link site1 fibre cut up\n"
	    "at 10s link lte set down rate 10mbit\n";

	ck_assert_msg(parse(text) == 0, "%s", err);
	ck_assert_uint_eq(scn.seed, 42);
	ck_assert_uint_eq(scn.stats_interval, 100000000);
	ck_assert_int_eq(scn.nnodes, 4);
	ck_assert_int_eq(scn.nlinks, 2);
	ck_assert_int_eq(scn.nodes[2].role, SCN_HOST);
	ck_assert_int_eq(scn.nodes[2].via, 1);
	ck_assert_int_eq(scn.nodes[3].via, 0);
	ck_assert_str_eq(scn.links[1].name, "lte");
	ck_assert_int_eq(scn.links[1].line, 9);
	ck_assert(scn.links[1].params.backup);
	ck_assert_uint_eq(scn.links[1].params.dir[LAB_DOWN].delay, 40000000);
	ck_assert_int_eq(scn.nevents, 3);
	/* Sorted by time, then by line. */
	ck_assert_int_eq(scn.events[0].action, SCN_CUT);
	ck_assert_int_eq(scn.events[0].mask, 1 << LAB_UP);
	ck_assert_int_eq(scn.events[1].action, SCN_SET);
	ck_assert_str_eq(scn.events[1].args, "down rate 10mbit");
	ck_assert_int_eq(scn.events[1].link, 1);
	ck_assert_int_eq(scn.events[2].action, SCN_RESTORE);
	ck_assert_int_eq(scn.events[2].mask, LAB_BOTH);
	ck_assert_uint_eq(scn.events[2].at, 20000000000ull);
}
END_TEST

/* Every rejected file names the line at fault. */
START_TEST(test_scenario_errors)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ BASE "link s a\nlnk s b\n", "t.scn:4: unknown statement 'lnk'" },
		{ BASE "link s a rate 10\n", "t.scn:3: link a: 'rate 10': expected a rate" },
		{ BASE "link s a\nnode c2 concentrator\n", "t.scn:4: a second concentrator" },
		{ BASE "link s a\nnode s site\n", "t.scn:4: 's' is already a node (line 2)" },
		{ BASE "link s a\nlink s a\n", "t.scn:4: 'a' is already a link (line 3)" },
		{ BASE "link s s\n", "t.scn:3: 's' is already a node" },
		{ BASE "link x a\n", "t.scn:3: unknown site 'x'" },
		{ BASE "link c a\n", "t.scn:3: 'c' is not a site" },
		{ BASE "link s Fibre\n", "t.scn:3: link name 'Fibre'" },
		{ BASE "link s toolongname\n", "t.scn:3: link name 'toolongname'" },
		{ BASE "link s emu\n", "t.scn:3: link name 'emu' is reserved" },
		{ BASE "link s a\nnode h host via h2\n", "t.scn:4: unknown node 'h2'" },
		{ BASE "link s a\nnode h host via s\nnode h2 host via h\n",
		  "t.scn:5: 'h' is a host" },
		{ BASE "link s a\nnode h host\n", "t.scn:4: usage: node NAME host via NODE" },
		{ BASE "link s a\nnode h router\n", "t.scn:4: node role 'router'" },
		{ BASE "link s a\nat 10 link a cut\n", "t.scn:4: time '10'" },
		{ BASE "link s a\nat 1s link b cut\n", "t.scn:4: unknown link 'b'" },
		{ BASE "link s a\nat 1s link a drop\n", "t.scn:4: action 'drop'" },
		{ BASE "link s a\nat 1s link a cut sideways\n", "t.scn:4: 'sideways': expected up" },
		{ BASE "link s a\nat 1s link a set\n", "t.scn:4: 'set' needs parameters" },
		{ BASE "link s a\nat 1s link a set rate 5\n", "t.scn:4: link a: 'rate 5'" },
		{ BASE "link s a\nat 1s link a set backup\n", "t.scn:4: link a: 'backup' can only" },
		{ BASE "link s a\nseed 1\nseed 2\n", "t.scn:5: a second 'seed'" },
		{ BASE "link s a\nseed x\n", "t.scn:4: seed 'x'" },
		{ BASE "link s a\nstats 1ms\n", "t.scn:4: stats '1ms'" },
		{ BASE "link s a \\\n rate 1mbit \\\n delay 2\n",
		  "t.scn:3: link a: 'delay 2': expected a time" },
		{ BASE "link s a \\\n", "t.scn:3: the file ends in a continued line" },
		{ BASE "link s a\n\x01\n", "t.scn:4: control character 0x01" },
		{ BASE "\n", "t.scn:2: site 's' has no link" },
		{ "node s site\nlink s a\n", "t.scn:0: no concentrator" },
		{ "node c concentrator\n", "t.scn:0: no site" },
		{ NULL, NULL }
	};

	for (int i = 0; bad[i].text; i++) {
		ck_assert_msg(parse(bad[i].text) == -1, "case %d should fail", i);
		ck_assert_msg(strncmp(err, bad[i].msg, strlen(bad[i].msg)) == 0,
		    "case %d: got '%s', want '%s...'", i, err, bad[i].msg);
	}
	/* "site 's' has no link" names the site's line. */
	ck_assert_int_eq(parse(BASE "node s2 site\nlink s a\n"), -1);
	ck_assert_str_eq(err, "t.scn:3: site 's2' has no link");
}
END_TEST

START_TEST(test_scenario_long_line)
{
	char *text = malloc(4096);

	strcpy(text, BASE "link s a");
	memset(text + strlen(text), ' ', 2000);
	strcpy(text + strlen(BASE "link s a") + 2000, "\n");
	ck_assert_int_eq(parse(text), -1);
	ck_assert_str_eq(err, "t.scn:3: line longer than 1024 characters");
	free(text);
}
END_TEST

START_TEST(test_shipped_scenarios)
{
	const char *files[] = { "netns-lab/scenarios/demo.scn", "netns-lab/scenarios/bench3.scn",
				"netns-lab/scenarios/asym.scn", NULL };

	for (int i = 0; files[i]; i++)
		ck_assert_msg(scn_load(files[i], &scn, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(scn_load("netns-lab/scenarios/demo.scn", &scn, err, sizeof(err)), 0);
	ck_assert_int_eq(scn.nlinks, 3);
	ck_assert_uint_eq(scn.links[0].params.dir[LAB_UP].rate, 100000000);
	ck_assert_uint_eq(scn.links[1].params.dir[LAB_DOWN].loss, 1000000);
	ck_assert(scn.links[2].params.backup);
	ck_assert_uint_eq(mean_loss(&scn.links[2].params.dir[LAB_UP]) / 1000, 9999);
	ck_assert_int_eq(scn.nevents, 4); /* fibre cut and restore, DSL cut and restore */
	ck_assert_int_eq(scn_load("netns-lab/scenarios/missing.scn", &scn, err, sizeof(err)),
	    -1);
}
END_TEST

START_TEST(test_plan)
{
	char buf[64], *out = NULL;
	size_t len = 0;
	FILE *f;

	plan_link_addr4(buf, sizeof(buf), 12, 1);
	ck_assert_str_eq(buf, "198.18.12.1/24");
	plan_link_addr6(buf, sizeof(buf), 12, 2);
	ck_assert_str_eq(buf, "fd00:0:1:c::2/64");
	plan_lan_addr4(buf, sizeof(buf), 3, 2);
	ck_assert_str_eq(buf, "198.19.3.2/24");
	plan_lan_addr6(buf, sizeof(buf), 3, 1);
	ck_assert_str_eq(buf, "fd00:0:2:3::1/64");

	ck_assert_int_eq(parse(BASE "node h host via s\nlink s a backup mtu 1400\n"
	    "at 1s link a set rate 1mbit\n"), 0);
	f = open_memstream(&out, &len);
	ck_assert_int_eq(plan_print(&scn, f), 0);
	fclose(f);
	ck_assert_str_eq(out,
	    "lab 1 250000000 1\n"
	    "node c concentrator -\n"
	    "node s site -\n"
	    "node h host s\n"
	    "pub c 198.19.0.1/32 fd00:0:3::1/128\n"
	    "link a s 1 1400 backup 101 201 198.18.1.2/24 fd00:0:1:1::2/64 02:67:74:01:01:02 "
	    "198.18.1.1/24 fd00:0:1:1::1/64 02:67:74:01:01:01\n"
	    "lan h s 1 198.19.1.1/24 fd00:0:2:1::1/64 198.19.1.2/24 fd00:0:2:1::2/64\n"
	    "event 1000000000 a set 3 rate 1mbit\n");
	free(out);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("lab_scn");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_units_time);
	tcase_add_test(tc, test_units_rate_prob_size);
	tcase_add_test(tc, test_link_directions);
	tcase_add_test(tc, test_link_gilbert);
	tcase_add_test(tc, test_link_errors);
	tcase_add_test(tc, test_link_format_round_trip);
	tcase_add_test(tc, test_scenario_good);
	tcase_add_test(tc, test_scenario_errors);
	tcase_add_test(tc, test_scenario_long_line);
	tcase_add_test(tc, test_shipped_scenarios);
	tcase_add_test(tc, test_plan);
	suite_add_tcase(s, tc);
	return s;
}
