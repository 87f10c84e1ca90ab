/* What the test tools share: argument parsing, the clock, a receiver's wait (each tool is one
 * program: static functions). */
#ifndef GT_TOOLS_TOOLLIB_H
#define GT_TOOLS_TOOLLIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MS 1000000LL /* ns */

static inline int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A receiver's wait for its next datagrams on fd: it stops idle_ms after the last one came (last,
 * 0 before the first), at end (0: no end), or a minute after start when nothing came at all.
 * Returns 1 when fd is readable, 0 to call again (timeout, signal), -1 when it is time to stop,
 * -2 on a poll error (errno). */
static inline int
recv_wait(int fd, int64_t start, int64_t last, int64_t end, uint64_t idle_ms)
{
	int64_t t = now_ns(), until;

	if (!last)
		until = start + 60000 * MS;
	else if (end)
		until = end;
	else
		until = last + (int64_t)idle_ms * MS;
	if (t >= until)
		return -1;
	int64_t left = (until - t) / MS + 1;
	struct pollfd pfd = { fd, POLLIN, 0 };
	int n = poll(&pfd, 1, !last && left > 1000 ? 1000 : (int)left);
	if (n == -1)
		return errno == EINTR ? 0 : -2;
	return n > 0;
}

/* A decimal in [min, max] into *out: 0, or -1 (not a number, a sign, out of range). */
static inline int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A numeric IPv4 or IPv6 address and a port (1-65535) into *ss: 0, or -1. */
static inline int
make_addr(const char *ip, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	uint64_t p;

	if (parse_u64(port, 1, 65535, &p))
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

#endif /* GT_TOOLS_TOOLLIB_H */
