/* The lab's units (see lab_units.h): exact fixed-point parsing, no locale, no floats. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lab_units.h"

#define NANO 1000000000ull

struct unit {
	const char	*word;
	uint64_t	 mult;
};

/* Reads DIGITS[.DIGITS] at the start of s into a value scaled by 10^9. The integer part is at
 * most 10^9 so that the result fits in 64 bits. *end points past the number. */
static int
decimal(const char *s, uint64_t *out, const char **end)
{
	uint64_t ip = 0, fp = 0, scale = NANO;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		ip = ip * 10 + (uint64_t)(*p - '0');
		if (ip > NANO)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (scale == 1)
				return -1;	/* more than 9 decimals */
			scale /= 10;
			fp += (uint64_t)(*p - '0') * scale;
		}
	}
	*out = ip * NANO + fp;
	*end = p;
	return 0;
}

/* NUM followed by one of the units (compared with cmp); the result is NUM * mult, which must be
 * a whole number no larger than max. */
static int
with_unit(const char *s, const struct unit *units, int (*cmp)(const char *, const char *),
    uint64_t max, uint64_t *out)
{
	uint64_t v;
	const char *u;

	if (s == NULL || decimal(s, &v, &u) == -1)
		return -1;
	for (; units->word != NULL; units++) {
		if (cmp(u, units->word) != 0)
			continue;
		unsigned __int128 r = (unsigned __int128)v * units->mult;
		if (r % NANO != 0)
			return -1;
		r /= NANO;
		if (r > max)
			return -1;
		*out = (uint64_t)r;
		return 0;
	}
	return -1;
}

int
lab_parse_time(const char *s, uint64_t *out)
{
	static const struct unit u[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", NANO }, { NULL, 0 }
	};

	if (s != NULL && strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	/* At most a million seconds: longer than any lab runs. */
	return with_unit(s, u, strcmp, 1000000 * NANO, out);
}

int
lab_parse_rate(const char *s, uint64_t *out)
{
	static const struct unit u[] = {
		{ "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 }, { "gbit", NANO }, { NULL, 0 }
	};
	uint64_t v;

	if (s != NULL && (strcmp(s, "0") == 0 || strcmp(s, "unlimited") == 0)) {
		*out = 0;
		return 0;
	}
	if (with_unit(s, u, strcasecmp, 1000 * NANO, &v) == -1 || v == 0)
		return -1;
	*out = v;
	return 0;
}

int
lab_parse_size(const char *s, uint64_t *out)
{
	static const struct unit u[] = {
		{ "", 1 }, { "B", 1 }, { "kB", 1000 }, { "KB", 1000 }, { "MB", 1000000 },
		{ "KiB", 1024 }, { "MiB", 1048576 }, { NULL, 0 }
	};

	return with_unit(s, u, strcmp, 1ull << 32, out);
}

int
lab_parse_prob(const char *s, uint32_t *out)
{
	static const struct unit u[] = { { "%", NANO / 100 }, { NULL, 0 } };
	uint64_t v;

	if (s != NULL && strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	/* NUM% * 10^7 ppb per percent: "0.0000001%" is 1 ppb; finer is rejected as fractional. */
	if (with_unit(s, u, strcmp, LAB_PPB, &v) == -1)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
lab_parse_count(const char *s, uint64_t max, uint64_t *out)
{
	static const struct unit u[] = { { "", 1 }, { NULL, 0 } };

	if (s != NULL && strchr(s, '.') != NULL)
		return -1;
	return with_unit(s, u, strcmp, max, out);
}

int
lab_parse_decimal(const char *s, uint64_t *out)
{
	uint64_t v;
	const char *end;

	if (s == NULL || decimal(s, &v, &end) == -1 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}
