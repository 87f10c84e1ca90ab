#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/suite.h"

json_t *
vectors_load(const char *name)
{
	const char *dir = getenv("GT_VECTORS");
	char path[1024];
	json_error_t err;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/vectors", name);
	json_t *root = json_load_file(path, 0, &err);
	ck_assert_msg(root != NULL, "%s: %s (line %d)", path, err.text, err.line);
	return root;
}

const char *
vec_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	ck_assert_msg(json_is_string(v), "vector member '%s' is not a string", key);
	return json_string_value(v);
}

uint64_t
vec_u64(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	ck_assert_msg(json_is_integer(v), "vector member '%s' is not an integer", key);
	return (uint64_t)json_integer_value(v);
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *
vec_hex(const json_t *obj, const char *key, size_t *len)
{
	const char *s = vec_str(obj, key);
	size_t n = strlen(s);

	ck_assert_msg(n % 2 == 0, "vector member '%s' has odd length", key);
	uint8_t *out = malloc(n / 2 + 1);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
		ck_assert_msg(hi >= 0 && lo >= 0, "vector member '%s' is not hex", key);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}
