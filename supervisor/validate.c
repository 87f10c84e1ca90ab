/* Checks of operator input for the store (validate.h). */
#include "validate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"
#include "util/keyfile.h"

__attribute__((format(printf, 3, 4))) static int
refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

void
validate_quote(char *out, size_t size, const char *s)
{
	size_t n = 0, len = strlen(s);
	size_t keep = len < size ? len : size - 4;

	for (; n < keep; n++) {
		unsigned char c = (unsigned char)s[n];
		out[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (keep < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

int
validate_name(const char *what, const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name);
	char q[48];

	validate_quote(q, sizeof(q), name);
	if (len == 0)
		return refuse(err, errlen, "%s name is empty", what);
	if (len > VALIDATE_NAME_MAX)
		return refuse(err, errlen, "%s name \"%s\" is longer than %d characters", what, q,
		              VALIDATE_NAME_MAX);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return refuse(err, errlen,
			              "%s name \"%s\" has a character other than a-z, 0-9 and -", what, q);
	}
	return 0;
}

static int
parse_addr(const char *s, struct cidr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = 6;
		return 0;
	}
	return -1;
}

static unsigned
family_bits(int family)
{
	return family == 4 ? 32 : 128;
}

/* Clears the bits after prefix; returns 1 if any was set. */
static int
mask_host_bits(struct cidr *c)
{
	int had = 0;

	for (unsigned i = 0; i < family_bits(c->family) / 8; i++) {
		unsigned keep = c->prefix > i * 8 ? c->prefix - i * 8 : 0;
		uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff00u >> keep);
		if (c->addr[i] & ~mask)
			had = 1;
		c->addr[i] &= mask;
	}
	return had;
}

int
cidr_parse(const char *s, struct cidr *out, char *err, size_t errlen)
{
	char buf[VALIDATE_CIDR_SIZE + 1], q[48], net[VALIDATE_CIDR_SIZE];
	struct cidr c;
	size_t len = strlen(s);

	validate_quote(q, sizeof(q), s);
	if (len == 0 || len >= sizeof(buf))
		return refuse(err, errlen, "\"%s\" is not a CIDR prefix (ADDRESS/LENGTH)", q);
	memcpy(buf, s, len + 1);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (parse_addr(buf, &c))
		return refuse(err, errlen, "\"%s\" is not a CIDR prefix (ADDRESS/LENGTH)", q);
	c.prefix = family_bits(c.family);
	if (slash) {
		const char *p = slash + 1;
		char *end;
		if (*p < '0' || *p > '9' || (p[0] == '0' && p[1]))
			return refuse(err, errlen, "\"%s\" has a bad prefix length", q);
		unsigned long v = strtoul(p, &end, 10);
		if (*end || v > family_bits(c.family))
			return refuse(err, errlen, "\"%s\" has a bad prefix length", q);
		c.prefix = (unsigned)v;
	}
	struct cidr masked = c;
	if (mask_host_bits(&masked)) {
		cidr_format(&masked, net, sizeof(net));
		return refuse(err, errlen, "\"%s\" has host bits set (the network is %s)", q, net);
	}
	*out = c;
	return 0;
}

void
cidr_format_addr(const struct cidr *c, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a)))
		a[0] = '\0';
	snprintf(out, size, "%s", a);
}

void
cidr_format(const struct cidr *c, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	cidr_format_addr(c, a, sizeof(a));
	snprintf(out, size, "%s/%u", a, c->prefix);
}

int
cidr_contains(const struct cidr *outer, const struct cidr *inner)
{
	if (outer->family != inner->family || outer->prefix > inner->prefix)
		return 0;
	struct cidr x = *inner;
	x.prefix = outer->prefix;
	mask_host_bits(&x);
	return memcmp(x.addr, outer->addr, 16) == 0;
}

int
cidr_overlap(const struct cidr *a, const struct cidr *b)
{
	return cidr_contains(a, b) || cidr_contains(b, a);
}

long
cidr_find_overlap(const struct cidr *c, const struct cidr *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_overlap(c, &set[i]))
			return (long)i;
	return -1;
}

uint64_t
cidr_pool_pairs(const struct cidr *pool)
{
	unsigned bits = family_bits(pool->family) - 1;

	if (pool->prefix > bits)
		return 0;
	if (bits - pool->prefix >= 64)
		return UINT64_MAX;
	return (uint64_t)1 << (bits - pool->prefix);
}

int
cidr_pool_pair(const struct cidr *pool, uint64_t k, struct cidr *server, struct cidr *client)
{
	unsigned nbytes = family_bits(pool->family) / 8;

	if (k >= cidr_pool_pairs(pool))
		return -1;
	*server = *pool;
	server->prefix = family_bits(pool->family);
	/* add 2k to the network address, big-endian, from the last byte */
	unsigned carry = 0;
	uint64_t add = k << 1;
	for (unsigned i = nbytes; i-- > 0;) {
		unsigned sum = server->addr[i] + (unsigned)(add & 0xff) + carry;
		server->addr[i] = (uint8_t)sum;
		carry = sum >> 8;
		add >>= 8;
	}
	*client = *server;
	client->addr[nbytes - 1] |= 1;
	return 0;
}

int
validate_subnet(const char *s, struct cidr *out, char *err, size_t errlen)
{
	struct cidr c;
	char q[48];

	if (cidr_parse(s, &c, err, errlen))
		return -1;
	if (c.prefix == 0) {
		validate_quote(q, sizeof(q), s);
		return refuse(err, errlen, "subnet %s would route every address to one client", q);
	}
	*out = c;
	return 0;
}

int
validate_pool(const char *s, struct cidr *out, char *err, size_t errlen)
{
	struct cidr c;
	char q[48];

	if (cidr_parse(s, &c, err, errlen))
		return -1;
	if (!cidr_pool_pairs(&c)) {
		validate_quote(q, sizeof(q), s);
		return refuse(err, errlen, "tunnel-pool %s has no room for a pair (at most /%u)", q,
		              family_bits(c.family) - 1);
	}
	*out = c;
	return 0;
}

static int
parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*end = s;
	*out = v;
	return 0;
}

int
validate_range(const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *lo,
               uint64_t *hi, char *err, size_t errlen)
{
	const char *p;
	uint64_t a, b;
	char q[48];

	validate_quote(q, sizeof(q), s);
	if (parse_u64(s, &p, &a) || *p != '-' || parse_u64(p + 1, &p, &b) || *p)
		return refuse(err, errlen, "%s \"%s\" is not A-B", what, q);
	if (a < min || b > max || a > b)
		return refuse(err, errlen, "%s %s is not within %llu-%llu with A <= B", what, q,
		              (unsigned long long)min, (unsigned long long)max);
	*lo = a;
	*hi = b;
	return 0;
}

int
validate_addr(const char *what, const char *s, char *out, size_t size, char *err, size_t errlen)
{
	struct cidr c;
	char q[48];

	if (parse_addr(s, &c)) {
		validate_quote(q, sizeof(q), s);
		return refuse(err, errlen, "%s \"%s\" is not an IP address", what, q);
	}
	cidr_format_addr(&c, out, size);
	return 0;
}

int
validate_public_address(const char *s, char *out, size_t size, char *err, size_t errlen)
{
	struct cidr c;
	char q[48];
	size_t len = strlen(s), label = 0;

	if (!parse_addr(s, &c)) {
		cidr_format_addr(&c, out, size);
		return 0;
	}
	validate_quote(q, sizeof(q), s);
	if (len == 0 || len > VALIDATE_HOST_MAX || len >= size)
		return refuse(err, errlen, "public-address \"%s\" is not an IP address or a host name",
		              q);
	for (size_t i = 0; i <= len; i++) {
		char c0 = s[i];
		if (c0 == '.' || c0 == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				goto bad;
			label = 0;
			continue;
		}
		if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || (c0 >= '0' && c0 <= '9') ||
		      (c0 == '-' && label > 0)))
			goto bad;
		label++;
	}
	memcpy(out, s, len + 1);
	return 0;
bad:
	return refuse(err, errlen, "public-address \"%s\" is not an IP address or a host name", q);
}

static const char *const cipher_names[] = {
	[IPC_CIPHER_CHACHA20POLY1305] = "chacha20poly1305",
	[IPC_CIPHER_AEGIS256] = "aegis256",
};

const char *
validate_cipher_name(unsigned cipher)
{
	return cipher < sizeof(cipher_names) / sizeof(cipher_names[0]) ? cipher_names[cipher] : NULL;
}

int
validate_cipher(const char *word, unsigned *out, char *err, size_t errlen)
{
	char q[48];

	for (unsigned i = 0; i < sizeof(cipher_names) / sizeof(cipher_names[0]); i++) {
		if (!strcmp(word, cipher_names[i])) {
			*out = i;
			return 0;
		}
	}
	validate_quote(q, sizeof(q), word);
	return refuse(err, errlen, "cipher \"%s\" is not aegis256 or chacha20poly1305", q);
}

int
validate_delay(const char *word, unsigned *out, char *err, size_t errlen)
{
	char q[48];
	enum ipc_delay d = ipc_delay_from_name(word);

	if (d == IPC_DELAY_UNCHANGED) {
		validate_quote(q, sizeof(q), word);
		return refuse(err, errlen, "delay \"%s\" is not low, even or auto", q);
	}
	*out = d;
	return 0;
}

int
validate_shaping(uint64_t rate, uint64_t ceil, char *err, size_t errlen)
{
	if (rate > INT64_MAX || ceil > INT64_MAX)
		return refuse(err, errlen, "rate %llu or ceil %llu is too large",
		              (unsigned long long)rate, (unsigned long long)ceil);
	if (ceil && ceil < rate)
		return refuse(err, errlen, "ceil %llu is below rate %llu", (unsigned long long)ceil,
		              (unsigned long long)rate);
	return 0;
}

int
validate_key_hex(const char *hex, uint8_t key[32], char *err, size_t errlen)
{
	size_t len = strlen(hex);

	if (len != KEYFILE_HEX_SIZE || keyfile_parse(hex, len, key) != KEYFILE_OK)
		return refuse(err, errlen, "key is not %d hexadecimal characters", KEYFILE_HEX_SIZE);
	return 0;
}
