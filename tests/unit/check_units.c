/* Glorytun 0.3's byte, time and percent units (docs/protocol.md section 10). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/units.h"
#include "support/suite.h"

static uint64_t
bytes(const char *s)
{
	uint64_t v = 0xdeadbeef;
	ck_assert_msg(units_parse_bytes(s, &v) == 0, "'%s' should parse", s);
	return v;
}

static uint64_t
ms(const char *s)
{
	uint64_t v = 0xdeadbeef;
	ck_assert_msg(units_parse_time_ms(s, &v) == 0, "'%s' should parse", s);
	return v;
}

START_TEST(test_bytes_plain_and_binary_prefixes)
{
	ck_assert_uint_eq(bytes("0"), 0);
	ck_assert_uint_eq(bytes("1250000"), 1250000);
	ck_assert_uint_eq(bytes("+7"), 7);
	ck_assert_uint_eq(bytes("10k"), 10240);
	ck_assert_uint_eq(bytes("10K"), 10240);
	ck_assert_uint_eq(bytes("10m"), 10485760);
	ck_assert_uint_eq(bytes("10M"), 10485760);
	ck_assert_uint_eq(bytes("1g"), 1073741824ULL);
}
END_TEST

START_TEST(test_bytes_decimal_units)
{
	ck_assert_uint_eq(bytes("10MB"), 10000000);
	ck_assert_uint_eq(bytes("10mB"), 10000000);
	ck_assert_uint_eq(bytes("10Mbyte"), 10000000);
	ck_assert_uint_eq(bytes("2kbytes"), 2000);
	ck_assert_uint_eq(bytes("10MiB"), 10485760);
	ck_assert_uint_eq(bytes("3GiB"), 3ULL << 30);
	ck_assert_uint_eq(bytes("5B"), 5);
	ck_assert_uint_eq(bytes("7bytes"), 7);
}
END_TEST

START_TEST(test_bytes_bits)
{
	ck_assert_uint_eq(bytes("10mbit"), 1250000);
	ck_assert_uint_eq(bytes("10Mbits"), 1250000);
	ck_assert_uint_eq(bytes("100kb"), 12500);
	ck_assert_uint_eq(bytes("1gbit"), 125000000);
	ck_assert_uint_eq(bytes("8Mib"), 1048576);
	ck_assert_uint_eq(bytes("16b"), 2);
	ck_assert_uint_eq(bytes("16bit"), 2);
	ck_assert_uint_eq(bytes("15bits"), 1);
}
END_TEST

START_TEST(test_bytes_rejected)
{
	const char *bad[] = { "", "k", "mbit", "-1", "10x", "10 m", "10mbitz", "10MBB", "10kk",
	                      "1.5m", "10Bit", "99999999999999999999", "18446744073709551615g",
	                      "0x10", NULL };
	for (int i = 0; bad[i]; i++) {
		uint64_t v = 42;
		errno = 0;
		ck_assert_msg(units_parse_bytes(bad[i], &v) == -1, "'%s' should fail", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_uint_eq(v, 42);
	}
	/* "10mi" is "10 Mi" with no unit word: the reference accepts it as x1024^2. */
	ck_assert_uint_eq(bytes("10mi"), 10485760);
	ck_assert_int_eq(units_parse_bytes(NULL, NULL), -1);
}
END_TEST

START_TEST(test_time_units)
{
	ck_assert_uint_eq(ms("0"), 0);
	ck_assert_uint_eq(ms("10"), 10000);
	ck_assert_uint_eq(ms("10s"), 10000);
	ck_assert_uint_eq(ms("500ms"), 500);
	ck_assert_uint_eq(ms("10m"), 600000);
	ck_assert_uint_eq(ms("1h"), 3600000);
	ck_assert_uint_eq(ms("2d"), 172800000);
	ck_assert_uint_eq(ms("7d"), 604800000);
	ck_assert_uint_eq(ms("1w"), 604800000);
	ck_assert_uint_eq(ms("+3s"), 3000);
}
END_TEST

START_TEST(test_time_rejected)
{
	const char *bad[] = { "", "s", "ms", "10x", "10sec", "10mss", "10 s", "-5", "10M", "10H",
	                      "1.5s", "99999999999999999999w", "30500000000000000w", NULL };
	for (int i = 0; bad[i]; i++) {
		uint64_t v = 42;
		ck_assert_msg(units_parse_time_ms(bad[i], &v) == -1, "'%s' should fail", bad[i]);
		ck_assert_uint_eq(v, 42);
	}
}
END_TEST

START_TEST(test_percent)
{
	unsigned v = 7;
	ck_assert_int_eq(units_parse_percent("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(units_parse_percent("100%", &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(units_parse_percent("42", &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(units_parse_percent("101", &v), -1);
	ck_assert_int_eq(units_parse_percent("50%%", &v), -1);
	ck_assert_int_eq(units_parse_percent("50x", &v), -1);
	ck_assert_int_eq(units_parse_percent("%", &v), -1);
	ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(test_format_bitrate)
{
	static const struct { uint64_t bps; const char *text; } cases[] = {
		{ 0, "0" }, { 1, "1bit" }, { 999, "999bit" }, { 1000, "1kbit" },
		{ 1500000, "1500kbit" }, { 100000000, "100mbit" }, { 1000000000, "1gbit" },
		{ 2500000000u, "2500mbit" }, { 1000001, "1000001bit" },
		{ UINT64_MAX, "18446744073709551615bit" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(units_format_bitrate(buf, sizeof(buf), cases[i].bps),
		                 (int)strlen(cases[i].text));
		ck_assert_str_eq(buf, cases[i].text);
	}
	/* The byte parser reads it back as bytes/s. */
	uint64_t v;
	ck_assert_int_eq(units_format_bitrate(buf, sizeof(buf), 8000000), 5);
	ck_assert_int_eq(units_parse_bytes(buf, &v), 0);
	ck_assert_uint_eq(v, 1000000);
	/* Too small a buffer: -1 with ENOSPC, the text cut but terminated. */
	errno = 0;
	ck_assert_int_eq(units_format_bitrate(buf, 6, 100000000), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_str_eq(buf, "100mb");
}
END_TEST

START_TEST(test_reference_error_text)
{
	char buf[128];
	uint64_t v;

	ck_assert_int_eq(units_parse_bytes("10x", &v), -1);
	units_error(buf, sizeof(buf), "10x", "BYTES/SEC", "tx");
	ck_assert_str_eq(buf, "error: `10x' is not a valid BYTES/SEC for tx");
	units_error(buf, sizeof(buf), "5y", "SECONDS", "beat");
	ck_assert_str_eq(buf, "error: `5y' is not a valid SECONDS for beat");
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("units");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_bytes_plain_and_binary_prefixes);
	tcase_add_test(tc, test_bytes_decimal_units);
	tcase_add_test(tc, test_bytes_bits);
	tcase_add_test(tc, test_bytes_rejected);
	tcase_add_test(tc, test_time_units);
	tcase_add_test(tc, test_time_rejected);
	tcase_add_test(tc, test_percent);
	tcase_add_test(tc, test_format_bitrate);
	tcase_add_test(tc, test_reference_error_text);
	suite_add_tcase(s, tc);
	return s;
}
