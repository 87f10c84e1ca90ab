/* glorytun 0.3's command grammar: words in any order, groups, and the reference's messages. */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/cmdline.h"
#include "proto/addr.h"
#include "support/suite.h"

/* The `path` command of glorytun 0.3.4, as a table. */
struct path_args {
	struct mud_addr addr;
	const char *dev;
	uint64_t tx, rx, beat;
	unsigned loss;
	struct cmd_arg rate[4];
	struct cmd_arg path[7];
};

static void
path_table(struct path_args *p)
{
	memset(p, 0, sizeof(*p));
	struct cmd_arg rate[] = {
		{ "fixed|auto", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		{ "tx", "BYTES/SEC", cmd_parse_bytes, &p->tx, NULL, NULL, NULL, 0 },
		{ "rx", "BYTES/SEC", cmd_parse_bytes, &p->rx, NULL, NULL, NULL, 0 },
		CMD_END,
	};
	struct cmd_arg path[] = {
		{ NULL, "IPADDR", cmd_parse_addr, &p->addr, NULL, NULL, NULL, 0 },
		{ "dev", "NAME", cmd_parse_str, &p->dev, NULL, NULL, NULL, 0 },
		{ "up|backup|down", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		{ "rate", NULL, NULL, NULL, p->rate, NULL, NULL, 0 },
		{ "beat", "SECONDS", cmd_parse_time_ms, &p->beat, NULL, NULL, NULL, 0 },
		{ "losslimit", "PERCENT", cmd_parse_percent, &p->loss, NULL, NULL, NULL, 0 },
		CMD_END,
	};
	memcpy(p->rate, rate, sizeof(rate));
	memcpy(p->path, path, sizeof(path));
}

static char out[4096];

static enum cmd_result
run(struct cmd_arg *table, const char *line)
{
	static char buf[512]; /* the words must outlive the call: entries point into them */
	static char *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	FILE *f = fmemopen(out, sizeof(out), "w");
	ck_assert_ptr_nonnull(f);
	memset(out, 0, sizeof(out));
	enum cmd_result r = cmd_parse(table, argc, argv, f);
	fclose(f);
	return r;
}

static const char *
first_line(void)
{
	static char line[512];
	size_t n = strcspn(out, "\n");
	memcpy(line, out, n);
	line[n] = 0;
	return line;
}

START_TEST(test_path_any_order_and_groups)
{
	struct path_args p;
	char ip[64];

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path 198.18.0.2 up rate fixed tx 10mbit rx 12500000 beat 100ms "
	                             "losslimit 50 dev tun3"),
	                 CMD_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(p.addr.family, AF_INET);
	mud_addr_format_ip(&p.addr, ip, sizeof(ip));
	ck_assert_str_eq(ip, "198.18.0.2");
	ck_assert_uint_eq(p.tx, 1250000);
	ck_assert_uint_eq(p.rx, 12500000);
	ck_assert_uint_eq(p.beat, 100);
	ck_assert_uint_eq(p.loss, 50);
	ck_assert(cmd_is_set(p.path, "up"));
	ck_assert(!cmd_is_set(p.path, "backup"));
	ck_assert(cmd_is_set(p.path, "fixed"));
	ck_assert(!cmd_is_set(p.path, "auto"));
	ck_assert(cmd_is_set(p.path, "rate"));

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path dev tun0 backup fd00::2"), CMD_OK);
	ck_assert_int_eq(p.addr.family, AF_INET6);
	ck_assert(cmd_is_set(p.path, "backup"));
	ck_assert(!cmd_is_set(p.path, "rate"));
}
END_TEST

START_TEST(test_reference_errors)
{
	struct path_args p;

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path dev"), CMD_ERROR);
	ck_assert_str_eq(first_line(), "error: dev needs NAME");

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path rate tx 10x"), CMD_ERROR);
	ck_assert_str_eq(first_line(), "error: `10x' is not a valid BYTES/SEC for tx");

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path beat 5y"), CMD_ERROR);
	ck_assert_str_eq(first_line(), "error: `5y' is not a valid SECONDS for beat");

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path losslimit 101"), CMD_ERROR);
	ck_assert_str_eq(first_line(), "error: `101' is not a valid PERCENT for losslimit");

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path up down"), CMD_ERROR);
	ck_assert_str_eq(first_line(), "error: up|backup|down is already set to `up'");

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path dev a dev b"), CMD_ERROR);
	ck_assert_str_eq(first_line(), "error: dev is already set to `a'");

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path 198.18.0.2 bogus"), CMD_ERROR);
	ck_assert_str_eq(first_line(), "error: `bogus' is unknown");

	/* a word no entry takes, refused by the positional address first */
	path_table(&p);
	ck_assert_int_eq(run(p.path, "path 300.1.2.3"), CMD_ERROR);
	ck_assert_str_eq(first_line(), "error: `300.1.2.3' is not a valid IPADDR for path");

	/* every error is followed by the usage */
	ck_assert_ptr_nonnull(strstr(out, "usage: path"));
}
END_TEST

START_TEST(test_help_and_usage)
{
	struct path_args p;

	path_table(&p);
	ck_assert_int_eq(run(p.path, "path dev tun0 help"), CMD_HELP);
	ck_assert_str_eq(out, "usage: path IPADDR\n"
	                      "            [dev NAME]\n"
	                      "            [up|backup|down]\n"
	                      "            [rate [fixed|auto]\n"
	                      "                  [tx BYTES/SEC]\n"
	                      "                  [rx BYTES/SEC]]\n"
	                      "            [beat SECONDS]\n"
	                      "            [losslimit PERCENT]\n");
}
END_TEST

START_TEST(test_positional_group)
{
	struct mud_addr bind = { 0 }, peer = { 0 };
	unsigned short bport = 5000, pport = 5000;
	const char *keyfile = NULL;
	struct cmd_arg to[] = {
		{ NULL, "IPADDR", cmd_parse_addr, &peer, NULL, NULL, NULL, 0 },
		{ NULL, "PORT", cmd_parse_port, &pport, NULL, NULL, NULL, 0 },
		CMD_END,
	};
	struct cmd_arg bindz[] = {
		{ NULL, "IPADDR", cmd_parse_addr, &bind, NULL, NULL, NULL, 0 },
		{ NULL, "PORT", cmd_parse_port, &bport, NULL, NULL, NULL, 0 },
		{ "to", NULL, NULL, NULL, to, NULL, NULL, 0 },
		{ "keyfile", "FILE", cmd_parse_str, &keyfile, NULL, NULL, NULL, 0 },
		{ "chacha", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		CMD_END,
	};

	ck_assert_int_eq(run(bindz, "bind 0.0.0.0 6000 to 198.18.1.1 7000 keyfile /k chacha"),
	                 CMD_OK);
	ck_assert_uint_eq(bport, 6000);
	ck_assert_uint_eq(pport, 7000);
	ck_assert_int_eq(peer.family, AF_INET);
	ck_assert(cmd_is_set(bindz, "chacha"));
	ck_assert(cmd_is_set(bindz, "to"));

	/* a port above 65535 is not a PORT; nothing else takes it */
	for (struct cmd_arg *a = bindz; a->name || a->kind; a++)
		a->set = 0, a->word = a->value = NULL;
	for (struct cmd_arg *a = to; a->name || a->kind; a++)
		a->set = 0, a->word = a->value = NULL;
	ck_assert_int_eq(run(bindz, "bind 0.0.0.0 70000"), CMD_ERROR);
	ck_assert_str_eq(first_line(), "error: `70000' is not a valid PORT for bind");
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc = tcase_create("grammar");

	tcase_add_test(tc, test_path_any_order_and_groups);
	tcase_add_test(tc, test_reference_errors);
	tcase_add_test(tc, test_help_and_usage);
	tcase_add_test(tc, test_positional_group);
	suite_add_tcase(s, tc);
	return s;
}
