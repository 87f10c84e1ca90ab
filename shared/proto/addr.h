/* A compact, comparable IP address + port for the sans-I/O engine (docs/protocol.md sections 3.2
 * and 6.1).
 *
 * A struct mud_addr is always normalised: IPv4 (including IPv4-mapped IPv6 from a socket) is
 * stored as AF_INET with the address in ip[0..3] and ip[4..15] zero, so that two equal addresses
 * are equal byte for byte and can be compared with memcmp() or hashed. family 0 means "unset". */
#ifndef GT_PROTO_ADDR_H
#define GT_PROTO_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct mud_addr {
	uint16_t family; /* AF_INET, AF_INET6, or 0 (unset) */
	uint16_t port;   /* host order */
	uint8_t ip[16];  /* AF_INET: ip[0..3], the rest zero */
};

/* Wire form inside a control message: 16 address bytes (IPv4-mapped for IPv4) then the
 * big-endian port. */
#define MUD_ADDR_IP_SIZE 16
#define MUD_ADDR_WIRE_SIZE 18

/* Longest formatted address: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" + sep + "65535". */
#define MUD_ADDR_STRLEN 54

/* From a socket address (AF_INET or AF_INET6; a v4-mapped IPv6 address becomes AF_INET). The
 * IPv6 scope id is dropped. Returns 0, or -1 for another family or a short len. */
int mud_addr_from_sockaddr(struct mud_addr *a, const struct sockaddr *sa, socklen_t len);

/* To a socket address. Returns its length, or -1 if a is unset. */
int mud_addr_to_sockaddr(const struct mud_addr *a, struct sockaddr_storage *ss);

/* From a numeric IP string ("198.51.100.7", "2001:db8::7", "::ffff:192.0.2.1" becomes IPv4)
 * and a host-order port. Returns 0 or -1. */
int mud_addr_parse(struct mud_addr *a, const char *ip, uint16_t port);

/* Both compare family, address and port. */
bool mud_addr_equal(const struct mud_addr *a, const struct mud_addr *b);
/* The same without the port. */
bool mud_addr_ip_equal(const struct mud_addr *a, const struct mud_addr *b);

/* "IP<sep>PORT", e.g. sep '.' gives "198.51.100.7.5000" (show errors), ' ' gives
 * "198.51.100.7 5000" (piped path lists). An unset address prints as "-<sep>0". Returns the
 * length written, or -1 if size is too small (buf then holds "" if size > 0). */
int mud_addr_format(const struct mud_addr *a, char sep, char *buf, size_t size);

/* The address alone, like inet_ntop ("-" when unset). Returns the length or -1. */
int mud_addr_format_ip(const struct mud_addr *a, char *buf, size_t size);

/* Wire form of section 3.2. encode returns 0, or -1 (out untouched) if a is unset; decode
 * always succeeds: IPv4 exactly when the first 12 bytes are 00x10 ff ff, else IPv6 as is. */
int mud_addr_encode(uint8_t out[MUD_ADDR_WIRE_SIZE], const struct mud_addr *a);
void mud_addr_decode(struct mud_addr *a, const uint8_t in[MUD_ADDR_WIRE_SIZE]);

#endif
