/* Checks of operator input for the store: names, CIDR prefixes, overlaps, pools, ranges, words;
 * each refusal is one line naming what is wrong. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "../../supervisor/validate.h"
#include "ipc/ipc.h"
#include "support/suite.h"

static char err[256];

static void
assert_one_line(void)
{
	ck_assert_uint_gt(strlen(err), 0);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_ptr_null(strchr(err, '\r'));
}

START_TEST(test_names)
{
	ck_assert_int_eq(validate_name("client", "site-42", err, sizeof(err)), 0);
	ck_assert_int_eq(validate_name("client", "a", err, sizeof(err)), 0);
	ck_assert_int_eq(validate_name("client", "abcdefghijklmnopqrstuvwxyz012345", err, sizeof(err)),
	                 0);

	errno = 0;
	ck_assert_int_eq(validate_name("client", "", err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(err, "client name is empty");
	ck_assert_int_eq(
	        validate_name("client", "abcdefghijklmnopqrstuvwxyz0123456", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "client name \"abcdefghijklmnopqrstuvwxyz0123456\" is longer than 32 "
	                      "characters");
	ck_assert_int_eq(validate_name("client", "Site", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "client name \"Site\" has a character other than a-z, 0-9 and -");
	ck_assert_int_eq(validate_name("path", "a_b", err, sizeof(err)), -1);
	ck_assert_int_eq(validate_name("client", "x'; DROP TABLE clients; --", err, sizeof(err)), -1);
	assert_one_line();
	ck_assert_int_eq(validate_name("client", "a\nb", err, sizeof(err)), -1);
	assert_one_line();
	ck_assert_str_eq(err, "client name \"a?b\" has a character other than a-z, 0-9 and -");
	ck_assert_int_eq(validate_name("client", "é", err, sizeof(err)), -1);
	assert_one_line();
}
END_TEST

START_TEST(test_quote_cuts_long_values)
{
	char q[16];
	char big[300];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	validate_quote(q, sizeof(q), big);
	ck_assert_str_eq(q, "xxxxxxxxxxxx...");
	validate_quote(q, sizeof(q), "tab\there");
	ck_assert_str_eq(q, "tab?here");
	/* a huge name still gives a short single line */
	ck_assert_int_eq(validate_name("client", big, err, sizeof(err)), -1);
	assert_one_line();
	ck_assert_uint_lt(strlen(err), 120);
}
END_TEST

static void
parse_ok(const char *in, const char *norm, int family, unsigned prefix)
{
	struct cidr c;
	char out[VALIDATE_CIDR_SIZE];

	ck_assert_msg(cidr_parse(in, &c, err, sizeof(err)) == 0, "%s: %s", in, err);
	ck_assert_int_eq(c.family, family);
	ck_assert_uint_eq(c.prefix, prefix);
	cidr_format(&c, out, sizeof(out));
	ck_assert_str_eq(out, norm);
}

START_TEST(test_cidr_parse_and_normalise)
{
	parse_ok("10.42.0.0/24", "10.42.0.0/24", 4, 24);
	parse_ok("10.42.0.7", "10.42.0.7/32", 4, 32);
	parse_ok("0.0.0.0/0", "0.0.0.0/0", 4, 0);
	parse_ok("FD00:0042:0000::/48", "fd00:42::/48", 6, 48);
	parse_ok("2001:db8::1", "2001:db8::1/128", 6, 128);
	parse_ok("::/0", "::/0", 6, 0);
}
END_TEST

START_TEST(test_cidr_refused)
{
	struct cidr c;
	const char *bad[] = { "", "10.42.0.0/", "10.42.0.0/33", "10.42.0.0/-1", "10.42.0.0/024",
		              "10.42.0/24", "010.42.0.0/24", "10.42.0.0/24/1", "fd00::/129", "fd00::/ 64",
		              "site-42", "10.42.0.0 /24", "'; DELETE FROM subnets; --" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(cidr_parse(bad[i], &c, err, sizeof(err)) == -1, "%s accepted", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
		assert_one_line();
	}
	/* host bits are refused, not normalised, and the message names the network */
	ck_assert_int_eq(cidr_parse("10.42.0.1/24", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "\"10.42.0.1/24\" has host bits set (the network is 10.42.0.0/24)");
	ck_assert_int_eq(cidr_parse("fd00::1/64", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "\"fd00::1/64\" has host bits set (the network is fd00::/64)");
	ck_assert_int_eq(cidr_parse("10.42.0.128/25", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(cidr_parse("10.42.0.64/25", &c, err, sizeof(err)), -1);
}
END_TEST

static struct cidr
P(const char *s)
{
	struct cidr c;

	ck_assert_msg(cidr_parse(s, &c, err, sizeof(err)) == 0, "%s: %s", s, err);
	return c;
}

START_TEST(test_overlap_both_families_both_ways)
{
	struct cidr a = P("10.42.0.0/16"), b = P("10.42.7.0/24"), c = P("10.43.0.0/16");
	struct cidr d = P("fd00:42::/32"), e = P("fd00:42:1::/48"), f = P("fd00:43::/32");
	ck_assert(cidr_overlap(&a, &b));
	ck_assert(cidr_overlap(&b, &a));
	ck_assert(!cidr_overlap(&a, &c));
	ck_assert(cidr_contains(&a, &b));
	ck_assert(!cidr_contains(&b, &a));
	ck_assert(cidr_overlap(&d, &e));
	ck_assert(cidr_overlap(&e, &d));
	ck_assert(!cidr_overlap(&d, &f));
	ck_assert(cidr_overlap(&a, &a));
	/* families never overlap, even when the bytes agree */
	struct cidr z4 = P("0.0.0.0/8"), z6 = P("::/8");
	ck_assert(!cidr_overlap(&z4, &z6));

	struct cidr set[] = { c, f, a };
	ck_assert_int_eq(cidr_find_overlap(&b, set, 3), 2);
	ck_assert_int_eq(cidr_find_overlap(&e, set, 3), -1);
	ck_assert_int_eq(cidr_find_overlap(&e, set, 0), -1);
}
END_TEST

START_TEST(test_subnet_and_pool)
{
	struct cidr c;

	ck_assert_int_eq(validate_subnet("0.0.0.0/0", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "subnet 0.0.0.0/0 would route every address to one client");
	ck_assert_int_eq(validate_subnet("::/0", &c, err, sizeof(err)), -1);
	ck_assert_int_eq(validate_subnet("10.0.0.0/8", &c, err, sizeof(err)), 0);

	ck_assert_int_eq(validate_pool("100.64.0.0/31", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(cidr_pool_pairs(&c), 1);
	ck_assert_int_eq(validate_pool("100.64.0.0/32", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "tunnel-pool 100.64.0.0/32 has no room for a pair (at most /31)");
	ck_assert_int_eq(validate_pool("fd00::/128", &c, err, sizeof(err)), -1);
	ck_assert_int_eq(validate_pool("fd00::/64", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(cidr_pool_pairs(&c), (uint64_t)1 << 63);
	ck_assert_int_eq(validate_pool("fd00::/56", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(cidr_pool_pairs(&c), UINT64_MAX);
}
END_TEST

START_TEST(test_pool_pairs)
{
	struct cidr pool = P("100.64.0.0/22"), s, c;
	char a[VALIDATE_ADDR_SIZE], b[VALIDATE_ADDR_SIZE];

	ck_assert_uint_eq(cidr_pool_pairs(&pool), 512);
	ck_assert_int_eq(cidr_pool_pair(&pool, 0, &s, &c), 0);
	cidr_format_addr(&s, a, sizeof(a));
	cidr_format_addr(&c, b, sizeof(b));
	ck_assert_str_eq(a, "100.64.0.0");
	ck_assert_str_eq(b, "100.64.0.1");
	ck_assert_uint_eq(s.prefix, 32);
	ck_assert_int_eq(cidr_pool_pair(&pool, 128, &s, &c), 0);
	cidr_format_addr(&s, a, sizeof(a));
	ck_assert_str_eq(a, "100.64.1.0");
	ck_assert_int_eq(cidr_pool_pair(&pool, 511, &s, &c), 0);
	cidr_format_addr(&c, b, sizeof(b));
	ck_assert_str_eq(b, "100.64.3.255");
	ck_assert_int_eq(cidr_pool_pair(&pool, 512, &s, &c), -1);

	pool = P("fd00:1::/64");
	ck_assert_int_eq(cidr_pool_pair(&pool, 0x10001, &s, &c), 0);
	cidr_format_addr(&s, a, sizeof(a));
	cidr_format_addr(&c, b, sizeof(b));
	ck_assert_str_eq(a, "fd00:1::2:2");
	ck_assert_str_eq(b, "fd00:1::2:3");
	ck_assert_uint_eq(c.prefix, 128);
}
END_TEST

START_TEST(test_ranges)
{
	uint64_t lo, hi;

	ck_assert_int_eq(validate_range("port-range", "5000-5999", 1, 65535, &lo, &hi, err,
	                                sizeof(err)),
	                 0);
	ck_assert_uint_eq(lo, 5000);
	ck_assert_uint_eq(hi, 5999);
	ck_assert_int_eq(validate_range("port-range", "7-7", 1, 65535, &lo, &hi, err, sizeof(err)), 0);
	ck_assert_int_eq(validate_range("port-range", "0-10", 1, 65535, &lo, &hi, err, sizeof(err)),
	                 -1);
	ck_assert_str_eq(err, "port-range 0-10 is not within 1-65535 with A <= B");
	ck_assert_int_eq(
	        validate_range("port-range", "6000-5000", 1, 65535, &lo, &hi, err, sizeof(err)), -1);
	ck_assert_int_eq(
	        validate_range("port-range", "5000-70000", 1, 65535, &lo, &hi, err, sizeof(err)), -1);
	ck_assert_int_eq(validate_range("uid-range", "5000", 1, 10, &lo, &hi, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "uid-range \"5000\" is not A-B");
	ck_assert_int_eq(validate_range("uid-range", "-1-5", 1, 10, &lo, &hi, err, sizeof(err)), -1);
	ck_assert_int_eq(validate_range("uid-range", "1-5 ", 1, 10, &lo, &hi, err, sizeof(err)), -1);
	ck_assert_int_eq(validate_range("uid-range", "99999999999999999999999-1", 1, 10, &lo, &hi,
	                                err, sizeof(err)),
	                 -1);
}
END_TEST

START_TEST(test_addresses)
{
	char out[VALIDATE_HOST_MAX + 1];

	ck_assert_int_eq(validate_public_address("192.0.2.1", out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, "192.0.2.1");
	ck_assert_int_eq(validate_public_address("2001:DB8::0:1", out, sizeof(out), err, sizeof(err)),
	                 0);
	ck_assert_str_eq(out, "2001:db8::1");
	ck_assert_int_eq(
	        validate_public_address("vpn.example.net", out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, "vpn.example.net");
	const char *bad[] = { "", "a..b", "-a.b", "a-.b", "a b", "a.b;rm", "x\"y", ".a" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(validate_public_address(bad[i], out, sizeof(out), err, sizeof(err)) == -1,
		              "%s accepted", bad[i]);
		assert_one_line();
	}
	ck_assert_int_eq(validate_addr("path address", "192.0.2.20", out, sizeof(out), err,
	                               sizeof(err)),
	                 0);
	ck_assert_int_eq(validate_addr("path address", "eth0", out, sizeof(out), err, sizeof(err)),
	                 -1);
	ck_assert_str_eq(err, "path address \"eth0\" is not an IP address");
}
END_TEST

START_TEST(test_words_shaping_keys)
{
	unsigned v;
	uint8_t key[32];

	ck_assert_int_eq(validate_cipher("aegis256", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, IPC_CIPHER_AEGIS256);
	ck_assert_int_eq(validate_cipher("chacha20poly1305", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, IPC_CIPHER_CHACHA20POLY1305);
	ck_assert_str_eq(validate_cipher_name(IPC_CIPHER_AEGIS256), "aegis256");
	ck_assert_ptr_null(validate_cipher_name(7));
	ck_assert_int_eq(validate_cipher("aes", &v, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cipher \"aes\" is not aegis256 or chacha20poly1305");
	ck_assert_int_eq(validate_delay("even", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, IPC_DELAY_EVEN);
	ck_assert_int_eq(validate_delay("fast", &v, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "delay \"fast\" is not low, even or auto");

	ck_assert_int_eq(validate_shaping(0, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(validate_shaping(1250000, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(validate_shaping(1250000, 2500000, err, sizeof(err)), 0);
	ck_assert_int_eq(validate_shaping(2500000, 1250000, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "ceil 1250000 is below rate 2500000");
	ck_assert_int_eq(validate_shaping(UINT64_MAX, 0, err, sizeof(err)), -1);

	ck_assert_int_eq(validate_key_hex("00112233445566778899AABBCCDDEEFF0123456789abcdefFEDCBA9876543210",
	                                  key, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(key[0], 0x00);
	ck_assert_uint_eq(key[31], 0x10);
	ck_assert_int_eq(validate_key_hex("0011", key, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "key is not 64 hexadecimal characters");
	ck_assert_int_eq(validate_key_hex("00112233445566778899AABBCCDDEEFF0123456789abcdefFEDCBA987654321g",
	                                  key, err, sizeof(err)),
	                 -1);
	ck_assert_int_eq(validate_key_hex("00112233445566778899AABBCCDDEEFF0123456789abcdefFEDCBA98765432100",
	                                  key, err, sizeof(err)),
	                 -1);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("input");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_quote_cuts_long_values);
	tcase_add_test(tc, test_cidr_parse_and_normalise);
	tcase_add_test(tc, test_cidr_refused);
	tcase_add_test(tc, test_overlap_both_families_both_ways);
	tcase_add_test(tc, test_subnet_and_pool);
	tcase_add_test(tc, test_pool_pairs);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_words_shaping_keys);
	suite_add_tcase(s, tc);
	return s;
}
