/* Normalised IP address + port (see addr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "proto/addr.h"

/* ::ffff:0:0/96, the IPv4-mapped prefix. */
static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void
set_ip(struct mud_addr *a, const uint8_t ip6[16])
{
	memset(a->ip, 0, sizeof(a->ip));
	if (memcmp(ip6, v4mapped, sizeof(v4mapped)) == 0) {
		a->family = AF_INET;
		memcpy(a->ip, ip6 + 12, 4);
	} else {
		a->family = AF_INET6;
		memcpy(a->ip, ip6, 16);
	}
}

int
mud_addr_from_sockaddr(struct mud_addr *a, const struct sockaddr *sa, socklen_t len)
{
	if (len < (socklen_t)sizeof(sa->sa_family))
		return -1;
	switch (sa->sa_family) {
	case AF_INET: {
		struct sockaddr_in sin;

		if (len < (socklen_t)sizeof(sin))
			return -1;
		memcpy(&sin, sa, sizeof(sin));
		memset(a, 0, sizeof(*a));
		a->family = AF_INET;
		a->port = ntohs(sin.sin_port);
		memcpy(a->ip, &sin.sin_addr, 4);
		return 0;
	}
	case AF_INET6: {
		struct sockaddr_in6 sin6;

		if (len < (socklen_t)sizeof(sin6))
			return -1;
		memcpy(&sin6, sa, sizeof(sin6));
		memset(a, 0, sizeof(*a));
		set_ip(a, sin6.sin6_addr.s6_addr);
		a->port = ntohs(sin6.sin6_port);
		return 0;
	}
	}
	return -1;
}

int
mud_addr_to_sockaddr(const struct mud_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	switch (a->family) {
	case AF_INET: {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->ip, 4);
		return (int)sizeof(*sin);
	}
	case AF_INET6: {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->ip, 16);
		return (int)sizeof(*sin6);
	}
	}
	return -1;
}

int
mud_addr_parse(struct mud_addr *a, const char *ip, uint16_t port)
{
	uint8_t buf[16];

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, ip, buf) == 1) {
		a->family = AF_INET;
		memcpy(a->ip, buf, 4);
	} else if (inet_pton(AF_INET6, ip, buf) == 1) {
		set_ip(a, buf);
	} else {
		return -1;
	}
	a->port = port;
	return 0;
}

bool
mud_addr_ip_equal(const struct mud_addr *a, const struct mud_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, sizeof(a->ip)) == 0;
}

bool
mud_addr_equal(const struct mud_addr *a, const struct mud_addr *b)
{
	return a->port == b->port && mud_addr_ip_equal(a, b);
}

int
mud_addr_format_ip(const struct mud_addr *a, char *buf, size_t size)
{
	char tmp[INET6_ADDRSTRLEN];
	size_t n;

	switch (a->family) {
	case AF_INET:
	case AF_INET6:
		if (inet_ntop(a->family, a->ip, tmp, sizeof(tmp)) == NULL)
			goto fail;
		break;
	default:
		strcpy(tmp, "-");
	}
	n = strlen(tmp);
	if (n >= size)
		goto fail;
	memcpy(buf, tmp, n + 1);
	return (int)n;
fail:
	if (size > 0)
		buf[0] = '\0';
	return -1;
}

int
mud_addr_format(const struct mud_addr *a, char sep, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (mud_addr_format_ip(a, ip, sizeof(ip)) == -1)
		goto fail;
	n = snprintf(buf, size, "%s%c%u", ip, sep,
	    a->family == AF_INET || a->family == AF_INET6 ? a->port : 0u);
	if (n < 0 || (size_t)n >= size)
		goto fail;
	return n;
fail:
	if (size > 0)
		buf[0] = '\0';
	return -1;
}

int
mud_addr_encode(uint8_t out[MUD_ADDR_WIRE_SIZE], const struct mud_addr *a)
{
	switch (a->family) {
	case AF_INET:
		memcpy(out, v4mapped, sizeof(v4mapped));
		memcpy(out + 12, a->ip, 4);
		break;
	case AF_INET6:
		memcpy(out, a->ip, 16);
		break;
	default:
		return -1;
	}
	out[16] = (uint8_t)(a->port >> 8);
	out[17] = (uint8_t)a->port;
	return 0;
}

void
mud_addr_decode(struct mud_addr *a, const uint8_t in[MUD_ADDR_WIRE_SIZE])
{
	set_ip(a, in);
	a->port = (uint16_t)(in[16] << 8 | in[17]);
}
