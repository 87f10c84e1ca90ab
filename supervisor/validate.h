/* Checks of what operators give the store: names, prefixes, ranges, words. Pure functions: no
 * I/O, no allocation. On refusal they return -1 with errno = EINVAL and write one line (no
 * newline) into err; every value they quote is shown with anything unprintable replaced, so a
 * message stays one line whatever the input. */
#ifndef GT_SUPERVISOR_VALIDATE_H
#define GT_SUPERVISOR_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#define VALIDATE_NAME_MAX 32
/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" and its NUL */
#define VALIDATE_CIDR_SIZE 50
#define VALIDATE_ADDR_SIZE 46
#define VALIDATE_HOST_MAX 253

struct cidr {
	int family;         /* 4 or 6 */
	unsigned prefix;    /* 0..32 or 0..128 */
	uint8_t addr[16];   /* network order; IPv4 in the first 4 bytes, the rest zero */
};

/* Copies s into out (size >= 4) for an error message: printable ASCII is kept, anything else
 * becomes '?', and a value too long for out is cut with "...". */
void validate_quote(char *out, size_t size, const char *s);

/* 1..32 characters of [a-z0-9-]; what names (clients, paths). */
int validate_name(const char *what, const char *name, char *err, size_t errlen);

/* "ADDR/PREFIX" or a bare address (a host prefix, /32 or /128). A prefix with host bits set is
 * REFUSED, not normalised: "10.42.0.1/24" is most likely a typo for another network, and the
 * message names the network it would be. */
int cidr_parse(const char *s, struct cidr *out, char *err, size_t errlen);
/* The normalised text ("fd00::/64"); out has VALIDATE_CIDR_SIZE bytes. */
void cidr_format(const struct cidr *c, char *out, size_t size);
/* The address alone, without prefix. */
void cidr_format_addr(const struct cidr *c, char *out, size_t size);
/* 1 when outer contains inner (same family, outer's prefix no longer, same leading bits). */
int cidr_contains(const struct cidr *outer, const struct cidr *inner);
/* 1 when a and b share an address: one contains the other. */
int cidr_overlap(const struct cidr *a, const struct cidr *b);
/* The index of the first of set[0..n) that overlaps c, or -1. */
long cidr_find_overlap(const struct cidr *c, const struct cidr *set, size_t n);
/* The k-th point-to-point pair of pool (/31 pairs in IPv4, /127 in IPv6): server (even) and
 * client (odd) addresses as /32 or /128. Returns -1 when pool holds no k-th pair. */
int cidr_pool_pair(const struct cidr *pool, uint64_t k, struct cidr *server, struct cidr *client);
/* The number of pairs in pool, saturated at UINT64_MAX. */
uint64_t cidr_pool_pairs(const struct cidr *pool);

/* A subnet a client may route: a CIDR as above, prefix at least 1 (never a default route). */
int validate_subnet(const char *s, struct cidr *out, char *err, size_t errlen);
/* A tunnel pool: a CIDR with room for a pair (prefix at most 31 or 127). */
int validate_pool(const char *s, struct cidr *out, char *err, size_t errlen);

/* "A-B" with min <= A <= B <= max; what names the setting in the message. */
int validate_range(const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *lo,
                   uint64_t *hi, char *err, size_t errlen);

/* The concentrator's public address: an IPv4 or IPv6 address (normalised into out) or a DNS name
 * (1..253 characters of [A-Za-z0-9.-], labels 1..63, not starting or ending with '-'). */
int validate_public_address(const char *s, char *out, size_t size, char *err, size_t errlen);

/* A path's local address on the site: an IPv4 or IPv6 address, normalised into out. */
int validate_addr(const char *what, const char *s, char *out, size_t size, char *err,
                  size_t errlen);

/* "aegis256" or "chacha20poly1305" (enum ipc_cipher). */
int validate_cipher(const char *word, unsigned *out, char *err, size_t errlen);
const char *validate_cipher_name(unsigned cipher);
/* "low", "even" or "auto" (enum ipc_delay). */
int validate_delay(const char *word, unsigned *out, char *err, size_t errlen);

/* Rate and ceiling in bytes/s (0: none): each below 2^63, ceiling not below rate. */
int validate_shaping(uint64_t rate, uint64_t ceil, char *err, size_t errlen);

/* Exactly 64 hexadecimal characters. */
int validate_key_hex(const char *hex, uint8_t key[32], char *err, size_t errlen);

#endif
