#include "util/units.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Leading "+"? digits; sets *end past them. Rejects no digits and any overflow. */
static int
scan_u64(const char *s, uint64_t *val, const char **end)
{
	uint64_t x = 0;
	size_t i = 0;

	if (s[i] == '+')
		i++;
	size_t first = i;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (i == first)
		return -1;
	*val = x;
	*end = s + i;
	return 0;
}

static int
is_one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return 1;
	return 0;
}

static int
mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b && a > UINT64_MAX / b)
		return -1;
	*out = a * b;
	return 0;
}

static int
einval(void)
{
	errno = EINVAL;
	return -1;
}

int
units_parse_bytes(const char *s, uint64_t *out)
{
	static const char *const bits[] = { "b", "bit", "bits", NULL };
	static const char *const bytes[] = { "B", "byte", "bytes", NULL };
	uint64_t x, mult = 1;
	const char *p;
	int n = 0;

	if (!s || scan_u64(s, &x, &p))
		return einval();

	switch (*p) {
	case 'g': case 'G': n = 3; p++; break;
	case 'm': case 'M': n = 2; p++; break;
	case 'k': case 'K': n = 1; p++; break;
	}

	/* A bare prefix means 1024^n; a prefix followed by a unit means 1000^n unless "i" follows. */
	uint64_t base = 1024;
	if (*p) {
		if (*p == 'i')
			p++;
		else
			base = 1000;
	}

	int shift = 0;
	if (*p) {
		if (is_one_of(p, bits))
			shift = 3;
		else if (!is_one_of(p, bytes))
			return einval();
	}

	while (n--)
		mult *= base;
	if (mul_u64(x, mult, &x))
		return einval();
	*out = x >> shift;
	return 0;
}

int
units_parse_time_ms(const char *s, uint64_t *out)
{
	uint64_t x, mult;
	const char *p;

	if (!s || scan_u64(s, &x, &p))
		return einval();

	if (!strcmp(p, "ms")) {
		*out = x;
		return 0;
	}
	if (p[0] && p[1])
		return einval();

	switch (p[0]) {
	case 0:
	case 's': mult = 1000ULL; break;
	case 'm': mult = 60ULL * 1000; break;
	case 'h': mult = 60ULL * 60 * 1000; break;
	case 'd': mult = 24ULL * 60 * 60 * 1000; break;
	case 'w': mult = 7ULL * 24 * 60 * 60 * 1000; break;
	default: return einval();
	}
	if (mul_u64(x, mult, &x))
		return einval();
	*out = x;
	return 0;
}

int
units_parse_percent(const char *s, unsigned *out)
{
	uint64_t x;
	const char *p;

	if (!s || scan_u64(s, &x, &p) || x > 100)
		return einval();
	if (p[0] && (p[0] != '%' || p[1]))
		return einval();
	*out = (unsigned)x;
	return 0;
}

int
units_format_bitrate(char *buf, size_t size, uint64_t bps)
{
	static const struct { uint64_t mult; const char *word; } u[] = {
		{ 1000000000, "gbit" }, { 1000000, "mbit" }, { 1000, "kbit" }, { 1, "bit" },
	};
	int n;

	if (bps == 0) {
		n = snprintf(buf, size, "0");
	} else {
		size_t i = 0;
		while (bps % u[i].mult != 0)
			i++;
		n = snprintf(buf, size, "%" PRIu64 "%s", bps / u[i].mult, u[i].word);
	}
	if (n < 0 || (size_t)n >= size) {
		errno = ENOSPC;
		return -1;
	}
	return n;
}

int
units_error(char *buf, size_t size, const char *value, const char *kind, const char *name)
{
	return snprintf(buf, size, "error: `%s' is not a valid %s for %s", value, kind, name);
}
