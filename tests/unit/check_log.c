/* Daemon logging: line format, errno suffix, levels, fatal exits. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/suite.h"
#include "util/log.h"

static char captured[4096];

/* Runs fn with stderr redirected into a temporary file, then reads it back into captured. */
static void
capture(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	ck_assert_ptr_nonnull(tmp);
	int saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	size_t n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = 0;
	fclose(tmp);
}

static void
emit_all_levels(void)
{
	log_warnx("warn %d", 1);
	log_info("info %s", "two");
	log_debug("debug %d", 3);
}

static void
emit_warn_errno(void)
{
	errno = ENOENT;
	log_warn("open %s", "/x");
	ck_assert_int_eq(errno, ENOENT); /* log_warn keeps errno for the caller */
}

START_TEST(test_levels)
{
	log_init("gt-test", 1, LOG_LEVEL_INFO);
	capture(emit_all_levels);
	ck_assert_str_eq(captured, "gt-test: warn 1\ngt-test: info two\n");

	log_set_level(LOG_LEVEL_DEBUG);
	capture(emit_all_levels);
	ck_assert_str_eq(captured, "gt-test: warn 1\ngt-test: info two\ngt-test: debug 3\n");

	log_set_level(LOG_LEVEL_WARN);
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_WARN);
	capture(emit_all_levels);
	ck_assert_str_eq(captured, "gt-test: warn 1\n");
}
END_TEST

START_TEST(test_warn_appends_errno)
{
	char want[256];

	log_init("gt-test", 1, LOG_LEVEL_INFO);
	capture(emit_warn_errno);
	snprintf(want, sizeof(want), "gt-test: open /x: %s\n", strerror(ENOENT));
	ck_assert_str_eq(captured, want);
}
END_TEST

START_TEST(test_fatalx_exits_1)
{
	log_init("gt-test", 1, LOG_LEVEL_INFO);
	fatalx("cannot continue");
}
END_TEST

START_TEST(test_fatal_exits_1)
{
	log_init("gt-test", 1, LOG_LEVEL_INFO);
	errno = EPERM;
	fatal("setuid");
}
END_TEST

START_TEST(test_long_message_truncated_not_overflowing)
{
	static char big[3000];

	memset(big, 'a', sizeof(big) - 1);
	log_init("gt-test", 1, LOG_LEVEL_INFO);
	FILE *tmp = tmpfile();
	ck_assert_ptr_nonnull(tmp);
	int saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	log_warnx("%s", big);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	long size = ftell(tmp);
	fclose(tmp);
	ck_assert_int_gt(size, 1000);
	ck_assert_int_lt(size, 1100);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_warn_appends_errno);
	tcase_add_exit_test(tc, test_fatalx_exits_1, 1);
	tcase_add_exit_test(tc, test_fatal_exits_1, 1);
	tcase_add_test(tc, test_long_message_truncated_not_overflowing);
	suite_add_tcase(s, tc);
	return s;
}
