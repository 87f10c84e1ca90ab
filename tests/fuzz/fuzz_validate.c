/* Arbitrary text through the store's input checks (supervisor/validate.c), as gtctl would pass
 * it on: names, CIDR prefixes, pools, ranges, addresses, words, keys. Aborts when a refusal is not
 * one line, or when an accepted prefix does not survive format -> parse unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../supervisor/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static char err[256];

static void
one_line(int rc)
{
	if (rc == 0)
		return;
	CHECK(err[0] != '\0');
	CHECK(!strchr(err, '\n') && !strchr(err, '\r'));
	err[0] = '\0';
}

static void
prefix_stable(const char *s)
{
	struct cidr c, d, s2, c2;
	char text[VALIDATE_CIDR_SIZE];

	one_line(cidr_parse(s, &c, err, sizeof(err)));
	if (cidr_parse(s, &c, NULL, 0))
		return;
	cidr_format(&c, text, sizeof(text));
	CHECK(cidr_parse(text, &d, err, sizeof(err)) == 0);
	CHECK(d.family == c.family && d.prefix == c.prefix && !memcmp(d.addr, c.addr, 16));
	CHECK(cidr_contains(&c, &c) && cidr_overlap(&c, &d));
	if (cidr_pool_pairs(&c) && cidr_pool_pair(&c, 0, &s2, &c2) == 0)
		CHECK(cidr_contains(&c, &s2) && cidr_contains(&c, &c2) && !cidr_overlap(&s2, &c2));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char out[VALIDATE_HOST_MAX + 1];
	struct cidr c;
	uint64_t lo, hi;
	unsigned w;
	uint8_t key[32];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	prefix_stable(s);
	one_line(validate_subnet(s, &c, err, sizeof(err)));
	one_line(validate_pool(s, &c, err, sizeof(err)));
	one_line(validate_name("client", s, err, sizeof(err)));
	if (validate_range("port-range", s, 1, 65535, &lo, &hi, err, sizeof(err)) == 0)
		CHECK(lo >= 1 && lo <= hi && hi <= 65535);
	else
		one_line(-1);
	if (validate_public_address(s, out, sizeof(out), err, sizeof(err)) == 0)
		CHECK(strlen(out) <= VALIDATE_HOST_MAX && !strpbrk(out, " '\";\\\n"));
	else
		one_line(-1);
	one_line(validate_addr("path address", s, out, sizeof(out), err, sizeof(err)));
	one_line(validate_cipher(s, &w, err, sizeof(err)));
	one_line(validate_delay(s, &w, err, sizeof(err)));
	one_line(validate_key_hex(s, key, err, sizeof(err)));
	free(s);
	return 0;
}
