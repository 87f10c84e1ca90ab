/* A hostile third host, for the replay test (tests/integration/worker_replay.sh) and benchmark
 * (bench/hostile.sh): it records a site's tunnel datagrams, then floods the server with them
 * from the site's address (spoofed) and random source ports, mixed with garbage.
 *
 *   gt-replay capture IFACE PORT COUNT FILE [TIMEOUT_S]
 *       records the UDP payloads of the IPv4/IPv6 datagrams to or from PORT seen on IFACE (both
 *       directions, AF_PACKET) with their addresses and ports, one a line in FILE:
 *       "SRC SPORT DST DPORT HEX"; stops after COUNT datagrams or TIMEOUT_S seconds (default
 *       10); prints "captured=N"; fails when it captured nothing.
 *   gt-replay flood FILE SRC_ADDR DST_ADDR DST_PORT RATE_PPS SECONDS [SEED]
 *       sends RATE_PPS datagrams a second for SECONDS from SRC_ADDR (any address: a raw socket
 *       with the IP header included) and a random source port to DST_ADDR DST_PORT, a seeded
 *       mix of: the captured payloads (both directions) as they were (replay), random bytes
 *       (random), captured payloads cut short (truncated) and captured payloads with 1 to 8
 *       bits flipped (bitflip). Prints "replay=.. random=..
 *       truncated=.. bitflip=.. sent=.. errors=.. seconds=..".
 *
 * A spoofing tool: DST_ADDR must be in 198.18.0.0/15 or fd00::/8, the addresses the tests and
 * benchmarks give the namespaces they create; it sends nowhere else. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toollib.h"

#define MAX_PAYLOAD 1500
#define MAX_RECORDS 20000

struct record {
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint16_t len;
	uint8_t data[MAX_PAYLOAD];
};

/* ---- capture ------------------------------------------------------------------------------ */

/* The UDP datagram in an IP packet pkt (n bytes) into *r: 0, or -1 (not IPv4/IPv6 UDP, a
 * fragment, too short). */
static int
parse_udp(const uint8_t *pkt, size_t n, struct record *r)
{
	const uint8_t *udp;
	size_t left;

	memset(r, 0, sizeof(*r) - sizeof(r->data));
	if (n < 1)
		return -1;
	if (pkt[0] >> 4 == 4) {
		size_t ihl = (size_t)(pkt[0] & 15) * 4;
		if (n < 20 || ihl < 20 || n < ihl + 8 || pkt[9] != IPPROTO_UDP)
			return -1;
		if ((pkt[6] & 0x3f) || pkt[7]) /* MF or an offset: a fragment */
			return -1;
		size_t tot = (size_t)pkt[2] << 8 | pkt[3];
		if (tot < ihl + 8 || tot > n)
			return -1;
		r->family = AF_INET;
		memcpy(r->src, pkt + 12, 4);
		memcpy(r->dst, pkt + 16, 4);
		udp = pkt + ihl;
		left = tot - ihl;
	} else if (pkt[0] >> 4 == 6) {
		/* extension headers are not followed: the tunnel's datagrams have none */
		if (n < 48 || pkt[6] != IPPROTO_UDP)
			return -1;
		size_t plen = (size_t)pkt[4] << 8 | pkt[5];
		if (plen < 8 || plen + 40 > n)
			return -1;
		r->family = AF_INET6;
		memcpy(r->src, pkt + 8, 16);
		memcpy(r->dst, pkt + 24, 16);
		udp = pkt + 40;
		left = plen;
	} else {
		return -1;
	}
	size_t ulen = (size_t)udp[4] << 8 | udp[5];
	if (ulen < 8 || ulen > left || ulen - 8 > MAX_PAYLOAD)
		return -1;
	r->sport = (uint16_t)(udp[0] << 8 | udp[1]);
	r->dport = (uint16_t)(udp[2] << 8 | udp[3]);
	r->len = (uint16_t)(ulen - 8);
	memcpy(r->data, udp + 8, r->len);
	return 0;
}

static void
write_record(FILE *f, const struct record *r)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	inet_ntop(r->family, r->src, s, sizeof(s));
	inet_ntop(r->family, r->dst, d, sizeof(d));
	fprintf(f, "%s %u %s %u ", s, r->sport, d, r->dport);
	for (size_t i = 0; i < r->len; i++)
		fprintf(f, "%02x", r->data[i]);
	fputc('\n', f);
}

static int
cmd_capture(int argc, char **argv)
{
	uint64_t port, count, timeout = 10;
	unsigned ifindex;

	if (argc < 4 || argc > 5 || !(ifindex = if_nametoindex(argv[0])) ||
	    parse_u64(argv[1], 1, 65535, &port) || parse_u64(argv[2], 1, MAX_RECORDS, &count) ||
	    (argc == 5 && parse_u64(argv[4], 1, 3600, &timeout))) {
		fprintf(stderr, "usage: gt-replay capture IFACE PORT COUNT FILE [TIMEOUT_S]\n");
		return 2;
	}
	/* cooked packets (SOCK_DGRAM): the IP packet without the link header, both directions */
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)ifindex };
	if (fd == -1 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		perror("gt-replay: packet socket");
		return 1;
	}
	FILE *f = fopen(argv[3], "w");
	if (!f) {
		perror(argv[3]);
		return 1;
	}
	static uint8_t pkt[65536];
	static struct record r;
	int64_t end = now_ns() + (int64_t)timeout * 1000 * MS;
	uint64_t got = 0;
	while (got < count) {
		int64_t left = (end - now_ns()) / MS;
		if (left <= 0)
			break;
		struct pollfd pfd = { fd, POLLIN, 0 };
		int n = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left + 1));
		if (n == -1 && errno != EINTR) {
			perror("gt-replay: poll");
			return 1;
		}
		if (n <= 0)
			continue;
		ssize_t len = recv(fd, pkt, sizeof(pkt), 0);
		if (len <= 0 || parse_udp(pkt, (size_t)len, &r))
			continue;
		/* an empty payload would be an empty field in FILE: the tunnel sends none */
		if ((r.sport != port && r.dport != port) || !r.len)
			continue;
		write_record(f, &r);
		got++;
	}
	if (fclose(f)) {
		perror(argv[3]);
		return 1;
	}
	close(fd);
	printf("captured=%" PRIu64 "\n", got);
	return got ? 0 : 1;
}

/* ---- flood -------------------------------------------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* One line of a capture into *r: 0, or -1 (malformed). */
static int
read_record(char *line, struct record *r)
{
	char *save = NULL, *f[5];

	for (int i = 0; i < 5; i++)
		if (!(f[i] = strtok_r(i ? NULL : line, " \n", &save)))
			return -1;
	uint64_t sp, dp;
	memset(r, 0, sizeof(*r) - sizeof(r->data));
	r->family = strchr(f[0], ':') ? AF_INET6 : AF_INET;
	if (inet_pton(r->family, f[0], r->src) != 1 || inet_pton(r->family, f[2], r->dst) != 1 ||
	    parse_u64(f[1], 0, 65535, &sp) || parse_u64(f[3], 0, 65535, &dp))
		return -1;
	size_t hl = strlen(f[4]);
	if (hl % 2 || hl / 2 > MAX_PAYLOAD)
		return -1;
	for (size_t i = 0; i < hl / 2; i++) {
		int hi = hexval(f[4][2 * i]), lo = hexval(f[4][2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		r->data[i] = (uint8_t)(hi << 4 | lo);
	}
	r->sport = (uint16_t)sp;
	r->dport = (uint16_t)dp;
	r->len = (uint16_t)(hl / 2);
	return 0;
}

/* The captured payloads to replay: all of them, both directions (the server's own datagrams
 * replayed to it are what an attacker on the site's link has too). n in *np, or NULL. */
static struct record *
load_capture(const char *path, size_t *np)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return NULL;
	}
	struct record *all = calloc(MAX_RECORDS, sizeof(*all));
	static char line[2 * MAX_PAYLOAD + 256];
	size_t n = 0;
	while (all && n < MAX_RECORDS && fgets(line, sizeof(line), f)) {
		if (read_record(line, &all[n])) {
			fprintf(stderr, "gt-replay: %s: malformed line %zu\n", path, n + 1);
			fclose(f);
			free(all);
			return NULL;
		}
		n++;
	}
	fclose(f);
	if (!all || !n) {
		fprintf(stderr, "gt-replay: %s: nothing captured\n", path);
		free(all);
		return NULL;
	}
	*np = n;
	return all;
}

static uint64_t rng_state;

/* xorshift64*: the same seed, the same flood */
static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Is a an address the tool may send to: 198.18.0.0/15 or fd00::/8. */
static int
allowed_dst(int family, const uint8_t *a)
{
	if (family == AF_INET)
		return a[0] == 198 && (a[1] & 0xfe) == 18;
	return a[0] == 0xfd;
}

/* The packet (IP header, UDP header, payload) of a datagram from src:sport to dst:dport into
 * pkt; its length. The UDP checksum is right: the receiver's stack would drop it otherwise. */
static size_t
build_packet(uint8_t *pkt, int family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
	     uint16_t dport, const uint8_t *data, size_t len)
{
	size_t hl = family == AF_INET ? 20 : 40, ulen = 8 + len;
	uint8_t *u = pkt + hl;
	uint32_t s;

	memset(pkt, 0, hl + 8);
	if (family == AF_INET) {
		pkt[0] = 0x45;
		pkt[2] = (uint8_t)((hl + ulen) >> 8);
		pkt[3] = (uint8_t)(hl + ulen);
		pkt[6] = 0x40; /* DF */
		pkt[8] = 64;
		pkt[9] = IPPROTO_UDP;
		memcpy(pkt + 12, src, 4);
		memcpy(pkt + 16, dst, 4);
		uint16_t c = fold(sum16(pkt, 20, 0));
		pkt[10] = (uint8_t)(c >> 8);
		pkt[11] = (uint8_t)c;
		s = sum16(src, 4, sum16(dst, 4, 0));
	} else {
		pkt[0] = 0x60;
		pkt[4] = (uint8_t)(ulen >> 8);
		pkt[5] = (uint8_t)ulen;
		pkt[6] = IPPROTO_UDP;
		pkt[7] = 64;
		memcpy(pkt + 8, src, 16);
		memcpy(pkt + 24, dst, 16);
		s = sum16(src, 16, sum16(dst, 16, 0));
	}
	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)(ulen >> 8);
	u[5] = (uint8_t)ulen;
	memcpy(u + 8, data, len);
	s += IPPROTO_UDP + (uint32_t)ulen;
	uint16_t c = fold(sum16(u, ulen, s));
	if (!c)
		c = 0xffff;
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	return hl + ulen;
}

enum { K_REPLAY, K_RANDOM, K_TRUNC, K_FLIP, K_N };
static const char *const kind_name[K_N] = { "replay", "random", "truncated", "bitflip" };

/* The next datagram's payload into buf: its kind; its length in *len. Half are replays, the
 * rest garbage of three kinds in equal shares. */
static int
next_payload(const struct record *recs, size_t n, uint8_t *buf, size_t *len)
{
	uint64_t x = rnd() % 6;
	int kind = x < 3 ? K_REPLAY : x == 3 ? K_RANDOM : x == 4 ? K_TRUNC : K_FLIP;
	const struct record *r = &recs[rnd() % n];

	switch (kind) {
	case K_RANDOM:
		*len = 1 + rnd() % 1400;
		for (size_t i = 0; i < *len; i++)
			buf[i] = (uint8_t)rnd();
		break;
	case K_TRUNC:
		*len = r->len ? rnd() % r->len : 0;
		memcpy(buf, r->data, *len);
		break;
	case K_FLIP:
		*len = r->len;
		memcpy(buf, r->data, *len);
		if (*len)
			for (uint64_t k = 1 + rnd() % 8; k; k--) {
				uint64_t b = rnd() % (*len * 8);
				buf[b / 8] ^= (uint8_t)(1u << (b % 8));
			}
		break;
	default:
		*len = r->len;
		memcpy(buf, r->data, *len);
	}
	return kind;
}

static int
cmd_flood(int argc, char **argv)
{
	uint8_t src[16], dst[16];
	uint64_t port, rate, secs, seed = 1;
	int family = strchr(argc > 2 ? argv[2] : "", ':') ? AF_INET6 : AF_INET;

	if (argc < 6 || argc > 7 || inet_pton(family, argv[1], src) != 1 ||
	    inet_pton(family, argv[2], dst) != 1 || parse_u64(argv[3], 1, 65535, &port) ||
	    parse_u64(argv[4], 1, 10000000, &rate) || parse_u64(argv[5], 1, 3600, &secs) ||
	    (argc == 7 && parse_u64(argv[6], 1, UINT64_MAX, &seed))) {
		fprintf(stderr, "usage: gt-replay flood FILE SRC_ADDR DST_ADDR DST_PORT RATE_PPS "
				"SECONDS [SEED] (addresses of one family)\n");
		return 2;
	}
	if (!allowed_dst(family, dst)) {
		fprintf(stderr, "gt-replay: %s is outside 198.18.0.0/15 and fd00::/8: refused\n",
			argv[2]);
		return 2;
	}
	size_t n;
	struct record *recs = load_capture(argv[0], &n);
	if (!recs)
		return 1;
	/* IPPROTO_RAW: the header is ours (IP_HDRINCL for IPv4, the same for IPv6 on Linux) */
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd == -1) {
		perror("gt-replay: raw socket");
		return 1;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, dst, 4);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, dst, 16);
		sl = sizeof(*a);
	}
	rng_state = seed * 0x9E3779B97F4A7C15ULL | 1;
	static uint8_t payload[MAX_PAYLOAD], pkt[MAX_PAYLOAD + 48];
	uint64_t count[K_N] = { 0 }, sent = 0, errors = 0, total = rate * secs;
	int64_t start = now_ns();
	while (sent + errors < total) {
		/* paced by the millisecond: what is due by now goes out */
		uint64_t due = (uint64_t)((now_ns() - start) / MS) * rate / 1000 + 1;
		if (due > total)
			due = total;
		while (sent + errors < due) {
			size_t len;
			int kind = next_payload(recs, n, payload, &len);
			uint16_t sport = (uint16_t)(1024 + rnd() % (65536 - 1024));
			size_t pl = build_packet(pkt, family, src, dst, sport, (uint16_t)port, payload,
						 len);
			if (sendto(fd, pkt, pl, 0, (struct sockaddr *)&ss, sl) == (ssize_t)pl) {
				count[kind]++;
				sent++;
			} else {
				errors++;
			}
		}
		if (sent + errors < total) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	double el = (double)(now_ns() - start) / 1e9;
	for (int k = 0; k < K_N; k++)
		printf("%s=%" PRIu64 " ", kind_name[k], count[k]);
	printf("sent=%" PRIu64 " errors=%" PRIu64 " seconds=%.2f\n", sent, errors, el);
	free(recs);
	close(fd);
	return sent ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "capture"))
		return cmd_capture(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "flood"))
		return cmd_flood(argc - 2, argv + 2);
	fprintf(stderr, "usage: gt-replay capture IFACE PORT COUNT FILE [TIMEOUT_S]\n"
			"       gt-replay flood FILE SRC_ADDR DST_ADDR DST_PORT RATE_PPS SECONDS "
			"[SEED]\n");
	return 2;
}
