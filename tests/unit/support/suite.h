/* Test support shared by every Check suite: each suite file defines make_suite(); main() is in
 * support/main.c. Vector helpers read the reference's test vectors (tests/vectors/, JSON). */
#ifndef GT_TESTS_SUITE_H
#define GT_TESTS_SUITE_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

Suite *make_suite(void);

/* Loads tests/vectors/NAME (the runner runs from the repository root; GT_VECTORS overrides the
 * folder). Aborts the test on failure. The caller json_decref()s the result. */
json_t *vectors_load(const char *name);

/* The object member KEY as a string / integer; aborts the test if absent or of another type. */
const char *vec_str(const json_t *obj, const char *key);
uint64_t vec_u64(const json_t *obj, const char *key);

/* Decodes the hex string member KEY into a malloc()ed buffer; *len receives its size. */
uint8_t *vec_hex(const json_t *obj, const char *key, size_t *len);

#endif
