/* Key files as glorytun 0.3.4 reads and writes them (docs/protocol.md section 10). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/suite.h"
#include "util/keyfile.h"

static char dir[] = "/tmp/gt-keyfile-XXXXXX";
static char path[256];

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
}

static void
teardown(void)
{
	char tmp[300];

	unlink(path);
	snprintf(tmp, sizeof(tmp), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(tmp), 0);
	strcpy(dir, "/tmp/gt-keyfile-XXXXXX");
}

static void
put(const char *content, size_t len)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(content, 1, len, f), len);
	fclose(f);
}

static const char *HEX = "00112233445566778899AABBCCDDEEFF0123456789abcdefFEDCBA9876543210";
static const uint8_t KEY[32] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
};

START_TEST(test_read_valid_mixed_case_and_trailing)
{
	uint8_t key[32];
	char err[256] = "";
	char buf[200];

	snprintf(buf, sizeof(buf), "%s\n", HEX);
	put(buf, strlen(buf));
	ck_assert_int_eq(keyfile_read(path, key, err, sizeof(err)), KEYFILE_OK);
	ck_assert_mem_eq(key, KEY, 32);

	/* anything after the 64 characters is ignored, as in the reference */
	snprintf(buf, sizeof(buf), "%sZZZ not hex at all", HEX);
	put(buf, strlen(buf));
	memset(key, 0, sizeof(key));
	ck_assert_int_eq(keyfile_read(path, key, err, sizeof(err)), KEYFILE_OK);
	ck_assert_mem_eq(key, KEY, 32);
}
END_TEST

START_TEST(test_short_file)
{
	uint8_t key[32];
	char err[256] = "";

	put(HEX, 63);
	ck_assert_int_eq(keyfile_read(path, key, err, sizeof(err)), KEYFILE_ESHORT);
	ck_assert_str_eq(err, "couldn't read secret key");
	put("", 0);
	ck_assert_int_eq(keyfile_read(path, key, err, sizeof(err)), KEYFILE_ESHORT);
	ck_assert_str_eq(err, "couldn't read secret key");
}
END_TEST

START_TEST(test_bad_hex)
{
	uint8_t key[32];
	char err[256] = "";
	char buf[65];

	memcpy(buf, HEX, 64);
	buf[64] = 0;
	buf[40] = 'g';
	put(buf, 64);
	ck_assert_int_eq(keyfile_read(path, key, err, sizeof(err)), KEYFILE_EHEX);
	ck_assert_str_eq(err, "secret key is not valid");

	memcpy(buf, HEX, 64);
	buf[63] = '\n'; /* 63 hex characters and a newline: 64 bytes, not a key */
	put(buf, 64);
	ck_assert_int_eq(keyfile_read(path, key, err, sizeof(err)), KEYFILE_EHEX);
	ck_assert_str_eq(err, "secret key is not valid");

	memcpy(buf, HEX, 64);
	buf[0] = ' ';
	put(buf, 64);
	ck_assert_int_eq(keyfile_read(path, key, err, sizeof(err)), KEYFILE_EHEX);
}
END_TEST

START_TEST(test_missing_file)
{
	uint8_t key[32];
	char err[512] = "";
	char want[512];

	ck_assert_int_eq(keyfile_read(path, key, err, sizeof(err)), KEYFILE_EOPEN);
	snprintf(want, sizeof(want), "couldn't open %s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_write_then_read)
{
	uint8_t key[32];
	char err[256] = "";
	char content[128] = "";
	struct stat st;
	char hex[65];

	ck_assert_int_eq(keyfile_write(path, KEY), KEYFILE_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(content, 1, sizeof(content) - 1, f);
	fclose(f);
	ck_assert_uint_eq(n, 65);
	keyfile_format(hex, KEY);
	ck_assert_str_eq(hex, "00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210");
	ck_assert_int_eq(memcmp(content, hex, 64), 0);
	ck_assert_int_eq(content[64], '\n');
	ck_assert_int_eq(keyfile_read(path, key, err, sizeof(err)), KEYFILE_OK);
	ck_assert_mem_eq(key, KEY, 32);
}
END_TEST

START_TEST(test_write_into_missing_dir)
{
	char bad[300];

	snprintf(bad, sizeof(bad), "%s/nope/key", dir);
	errno = 0;
	ck_assert_int_eq(keyfile_write(bad, KEY), KEYFILE_EWRITE);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("keyfile");
	TCase *tc = tcase_create("keyfile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_valid_mixed_case_and_trailing);
	tcase_add_test(tc, test_short_file);
	tcase_add_test(tc, test_bad_hex);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_write_then_read);
	tcase_add_test(tc, test_write_into_missing_dir);
	suite_add_tcase(s, tc);
	return s;
}
