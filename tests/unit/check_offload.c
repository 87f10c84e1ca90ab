/* TUN offloads: checksums, virtio_net_hdr checks, GSO split and GRO-like coalescing. Packets are
 * built here with a plain byte-by-byte checksum, independent of worker/csum.c. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/csum.h"
#include "../../worker/offload.h"
#include "support/suite.h"

#define SEGS	64
#define SEGCAP	2048

static uint8_t segbuf[SEGS][SEGCAP];
static uint8_t segbuf2[SEGS][SEGCAP];
static uint8_t big[VNET_PKT_MAX];
static uint8_t arena[SEGS * (SEGCAP + 16) + 2 * VNET_PKT_MAX];

/* RFC 1071, 16 bits at a time in network order: the reference. */
static uint16_t
ref_sum(const uint8_t *p, size_t n, uint64_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static void
wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

static uint8_t
pat(uint32_t x)
{
	return (uint8_t)((x * 2654435761u) >> 24);
}

/* The reference sum of the pseudo-header and transport part of the IP packet P. */
static uint16_t
ref_l4_sum(const uint8_t *p, size_t len)
{
	bool v4 = p[0] >> 4 == 4;
	size_t l3 = v4 ? (p[0] & 15) * 4u : 40;
	uint64_t s = ref_sum(p + (v4 ? 12 : 8), v4 ? 8 : 32, 0);

	s += v4 ? p[9] : p[6];
	s += len - l3;
	return ref_sum(p + l3, len - l3, s);
}

struct spec {
	int		 v;		/* 4 or 6 */
	uint8_t		 proto;
	uint8_t		 tos;		/* IPv4 TOS or IPv6 traffic class */
	uint8_t		 ttl;
	uint16_t	 id;
	bool		 nodf;
	uint8_t		 ipopt;		/* IPv4 option bytes (NOPs) */
	uint8_t		 host;		/* last byte of the source address */
	uint16_t	 sport, dport;
	uint32_t	 seq, ack;
	uint8_t		 flags;
	uint16_t	 win;
	bool		 ts;		/* TCP timestamps option */
	uint32_t	 tsval;
	size_t		 payload;
};

static struct spec
tcp_spec(int v)
{
	struct spec s = {
		.v = v, .proto = IPPROTO_TCP, .ttl = 64, .id = 100, .host = 1, .sport = 40000,
		.dport = 5201, .seq = 1000, .ack = 77777, .flags = 0x10, .win = 501, .ts = true,
		.tsval = 0xabcdef01, .payload = 1448,
	};
	return s;
}

static struct spec
udp_spec(int v)
{
	struct spec s = {
		.v = v, .proto = IPPROTO_UDP, .ttl = 64, .id = 7, .host = 1, .sport = 4433,
		.dport = 443, .seq = 0, .payload = 1200,
	};
	return s;
}

/* Writes the packet S describes at B with valid checksums; returns its length. The payload byte
 * at k is pat(seq + k), so segments of one stream agree with their super-packet. */
static size_t
build(uint8_t *b, const struct spec *s)
{
	size_t l3 = s->v == 4 ? 20u + s->ipopt : 40;
	size_t l4 = s->proto == IPPROTO_TCP ? (s->ts ? 32 : 20) : 8;
	size_t len = l3 + l4 + s->payload;
	uint8_t *th = b + l3;

	memset(b, 0, l3 + l4);
	if (s->v == 4) {
		b[0] = (uint8_t)(0x40 | l3 / 4);
		b[1] = s->tos;
		wr16(b + 2, (uint32_t)len);
		wr16(b + 4, s->id);
		wr16(b + 6, s->nodf ? 0 : 0x4000);
		b[8] = s->ttl;
		b[9] = s->proto;
		b[12] = 10, b[15] = s->host;
		b[16] = 10, b[17] = 0, b[18] = 1, b[19] = 1;
		memset(b + 20, 1, s->ipopt);
		wr16(b + 10, (uint16_t)~ref_sum(b, l3, 0));
	} else {
		b[0] = (uint8_t)(0x60 | s->tos >> 4);
		b[1] = (uint8_t)(s->tos << 4 | 0x1);
		b[2] = 0x23, b[3] = 0x45;
		wr16(b + 4, (uint32_t)(len - 40));
		b[6] = s->proto;
		b[7] = s->ttl;
		b[8] = 0xfd, b[23] = s->host;
		b[24] = 0xfd, b[37] = 1, b[39] = 1;
	}
	wr16(th, s->sport);
	wr16(th + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		wr32(th + 4, s->seq);
		wr32(th + 8, s->ack);
		th[12] = (uint8_t)(l4 / 4 << 4);
		th[13] = s->flags;
		wr16(th + 14, s->win);
		if (s->ts) {
			th[20] = 1, th[21] = 1, th[22] = 8, th[23] = 10;
			wr32(th + 24, s->tsval);
			wr32(th + 28, 0x01020304);
		}
	} else {
		wr16(th + 4, (uint32_t)(l4 + s->payload));
	}
	for (size_t k = 0; k < s->payload; k++)
		b[l3 + l4 + k] = pat(s->seq + (uint32_t)k);
	uint16_t c = (uint16_t)~ref_l4_sum(b, len);
	if (s->proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	wr16(th + (s->proto == IPPROTO_TCP ? 16 : 6), c);
	return len;
}

/* Builds S as a GSO super-packet the way the kernel hands it over: partial checksum, and VH. */
static size_t
build_gso(uint8_t *b, const struct spec *s, uint16_t gso_size, struct virtio_net_hdr *vh)
{
	size_t len = build(b, s);
	size_t l3 = s->v == 4 ? 20u + s->ipopt : 40;
	bool tcp = s->proto == IPPROTO_TCP;
	uint8_t *field = b + l3 + (tcp ? 16 : 6);

	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = tcp ? (s->v == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6)
	    : VIRTIO_NET_HDR_GSO_UDP_L4;
	vh->gso_size = gso_size;
	vh->csum_start = (uint16_t)l3;
	vh->csum_offset = tcp ? 16 : 6;
	vh->hdr_len = (uint16_t)len;	/* as on the forwarding path: must not be trusted */
	/* the pseudo-header sum, folded and not complemented */
	field[0] = field[1] = 0;
	uint64_t ps = ref_sum(b + (s->v == 4 ? 12 : 8), s->v == 4 ? 8 : 32, 0);
	wr16(field, ref_sum(NULL, 0, ps + s->proto + (len - l3)));
	return len;
}

/* Asserts that P is a whole, consistent packet with good checksums. */
static void
assert_packet_ok(const uint8_t *p, size_t len)
{
	bool v4 = p[0] >> 4 == 4;

	if (v4) {
		ck_assert_uint_eq(rd16(p + 2), len);
		ck_assert_uint_eq(ref_sum(p, (p[0] & 15) * 4u, 0), 0xffff);
	} else {
		ck_assert_uint_eq(rd16(p + 4), len - 40);
	}
	ck_assert_uint_eq(ref_l4_sum(p, len), 0xffff);
}

static void
bufs(struct offload_buf *b, uint8_t (*mem)[SEGCAP], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		b[i].data = mem[i];
		b[i].cap = SEGCAP;
		b[i].len = 0;
	}
}

/* Splits S as a GSO packet and checks every segment against the one build() makes for it. */
static void
split_and_compare(struct spec s, uint16_t gso, bool ecn)
{
	struct virtio_net_hdr vh;
	struct offload_buf out[SEGS];
	struct offload_info oi;
	uint8_t want[SEGCAP];
	size_t len = build_gso(big, &s, gso, &vh);
	size_t hl = len - s.payload;
	bool tcp = s.proto == IPPROTO_TCP;

	if (ecn)
		vh.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	size_t nseg = (s.payload + gso - 1) / gso;
	ck_assert_int_eq(offload_parse(&vh, big, len, &oi), 0);
	ck_assert_uint_eq(oi.hdr_len, hl);
	ck_assert_uint_eq(oi.nseg, nseg);
	ck_assert_uint_eq(oi.seg_max, hl + (s.payload < gso ? s.payload : gso));
	ck_assert_uint_eq(oi.ip_version, s.v);
	ck_assert_uint_eq(oi.ecn, ecn);

	bufs(out, segbuf, SEGS);
	ck_assert_int_eq(offload_split(&vh, big, len, out, SEGS), (int)nseg);
	for (size_t i = 0; i < nseg; i++) {
		struct spec e = s;
		size_t plen = i + 1 < nseg ? gso : s.payload - (nseg - 1) * gso;

		e.payload = plen;
		e.id = (uint16_t)(s.id + i);
		e.seq = s.seq + (uint32_t)(i * gso);
		if (tcp && i > 0)
			e.flags &= (uint8_t)~0x80;		/* CWR on the first only */
		if (tcp && i + 1 < nseg)
			e.flags &= (uint8_t)~(0x01 | 0x08);	/* FIN, PSH on the last only */
		size_t wl = build(want, &e);
		ck_assert_uint_eq(out[i].len, wl);
		ck_assert_uint_le(out[i].len, oi.seg_max);
		assert_packet_ok(out[i].data, out[i].len);
		ck_assert_msg(!memcmp(out[i].data, want, wl), "segment %zu differs", i);
		/* and the fields themselves, spelled out */
		const uint8_t *o = out[i].data, *th = o + (hl - (tcp ? (s.ts ? 32 : 20) : 8));
		if (s.v == 4)
			ck_assert_uint_eq(rd16(o + 4), (uint16_t)(s.id + i));
		if (tcp) {
			ck_assert_uint_eq(rd32(th + 4), s.seq + (uint32_t)(i * gso));
			ck_assert_uint_eq(th[13] & 0x80, i == 0 ? (s.flags & 0x80) : 0);
			ck_assert_uint_eq(th[13] & 0x09, i + 1 == nseg ? (s.flags & 0x09) : 0);
		} else {
			ck_assert_uint_eq(rd16(th + 4), 8 + plen);
		}
		/* the payload is the super-packet's, in order */
		ck_assert(!memcmp(out[i].data + hl, big + hl + i * gso, plen));
	}
}

START_TEST(test_csum_matches_reference)
{
	static uint8_t buf[600];

	srand(42);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	memset(buf + 300, 0xff, 100);	/* carries galore */
	for (size_t off = 0; off < 8; off++) {
		for (size_t n = 0; n + off <= sizeof(buf); n += (n < 80 ? 1 : 37)) {
			uint16_t got = csum_fold(csum_add(0, buf + off, n));
			uint16_t want = ref_sum(buf + off, n, 0);
			/* native order: swap the reference into memory order to compare */
			uint8_t wb[2] = { (uint8_t)(want >> 8), (uint8_t)want };
			ck_assert_msg(!memcmp(&got, wb, 2), "off %zu len %zu", off, n);
		}
	}
	/* sums chain over even-length pieces */
	uint64_t s = csum_add(csum_add(0, buf, 64), buf + 64, 333);
	ck_assert_uint_eq(csum_fold(s), csum_fold(csum_add(0, buf, 397)));
	/* the last carry out of bit 63 must wrap around too */
	uint64_t w[3] = { 1ull << 63, 1ull << 63, UINT64_MAX };
	uint8_t wb[2];
	uint16_t got = csum_fold(csum_add(0, w, sizeof(w)));
	uint16_t want = ref_sum((const uint8_t *)w, sizeof(w), 0);
	wb[0] = (uint8_t)(want >> 8), wb[1] = (uint8_t)want;
	ck_assert(!memcmp(&got, wb, 2));
	ck_assert_uint_eq(csum_fold(0), 0);
	ck_assert_uint_eq(csum_fold(UINT64_MAX), 0xffff);
	ck_assert_uint_eq(csum_finish(0), 0xffff);
}
END_TEST

START_TEST(test_csum_pseudo_and_incremental)
{
	uint8_t p[1500];
	struct spec s4 = tcp_spec(4), s6 = udp_spec(6);
	size_t len;

	/* pseudo + transport sum of a built packet verifies */
	len = build(p, &s4);
	uint64_t sum = csum_pseudo4(p + 12, p + 16, IPPROTO_TCP, (uint32_t)(len - 20));
	ck_assert_uint_eq(csum_fold(csum_add(sum, p + 20, len - 20)), 0xffff);
	len = build(p, &s6);
	sum = csum_pseudo6(p + 8, p + 24, IPPROTO_UDP, (uint32_t)(len - 40));
	ck_assert_uint_eq(csum_fold(csum_add(sum, p + 40, len - 40)), 0xffff);

	/* RFC 1624: update the IPv4 header checksum for a new TTL/protocol word and a new id */
	len = build(p, &s4);
	uint16_t check = csum_load(p + 10), old16, new16;
	old16 = csum_load(p + 8);
	p[8] = 3;
	new16 = csum_load(p + 8);
	check = csum_replace2(check, old16, new16);
	uint32_t old32, new32;
	memcpy(&old32, p + 12, 4);
	p[12] = 192, p[13] = 168, p[14] = 200, p[15] = 7;
	memcpy(&new32, p + 12, 4);
	check = csum_replace4(check, old32, new32);
	csum_store(p + 10, check);
	ck_assert_uint_eq(ref_sum(p, 20, 0), 0xffff);
	p[10] = p[11] = 0;
	ck_assert_uint_eq(csum_finish(csum_add(0, p, 20)), check);
}
END_TEST

START_TEST(test_split_tcp4_64k)
{
	struct spec s = tcp_spec(4);

	s.payload = VNET_PKT_MAX - 20 - 32;
	s.flags = 0x10 | 0x08 | 0x01 | 0x80;	/* ACK PSH FIN CWR */
	s.id = 0xfff0;				/* ids wrap */
	s.seq = 0xffffff00;			/* sequence numbers wrap */
	split_and_compare(s, 1448, true);
}
END_TEST

START_TEST(test_split_tcp6_64k)
{
	struct spec s = tcp_spec(6);

	s.payload = VNET_PKT_MAX - 40 - 32;
	s.flags = 0x18;
	s.tos = 0xb8;
	split_and_compare(s, 1428, false);
	s.ts = false;
	s.payload = 3 * 1000;	/* exact multiple: no short segment */
	split_and_compare(s, 1000, false);
	s.payload = 500;	/* a single segment */
	split_and_compare(s, 1440, false);
}
END_TEST

START_TEST(test_split_ipv4_options)
{
	struct spec s = tcp_spec(4);

	s.ipopt = 8;
	s.payload = 10000;
	split_and_compare(s, 1400, false);
}
END_TEST

START_TEST(test_split_udp_l4)
{
	struct spec s = udp_spec(4);

	s.payload = 20000;
	split_and_compare(s, 1200, false);
	s = udp_spec(6);
	s.payload = 60000;
	s.id = 0;
	split_and_compare(s, 1232, false);
}
END_TEST

/* A UDP segment whose checksum computes to 0 goes out as 0xffff (0 would mean "none"). */
START_TEST(test_split_udp_zero_csum)
{
	struct virtio_net_hdr vh;
	struct offload_buf out[3];
	struct spec s = udp_spec(4);

	s.payload = 300;
	size_t len = build_gso(big, &s, 100, &vh);
	bufs(out, segbuf, 3);
	ck_assert_int_eq(offload_split(&vh, big, len, out, 3), 3);
	/* add segment 1's checksum to its last payload word: its sum becomes 0xffff */
	uint8_t *wp = big + 28 + 198;
	uint32_t word = rd16(wp) + (uint32_t)rd16(out[1].data + 26);
	wr16(wp, (word & 0xffff) + (word >> 16));
	ck_assert_int_eq(offload_split(&vh, big, len, out, 3), 3);
	ck_assert_uint_eq(rd16(out[1].data + 26), 0xffff);
	assert_packet_ok(out[1].data, out[1].len);
	assert_packet_ok(out[0].data, out[0].len);
}
END_TEST

START_TEST(test_hdr_len_recomputed)
{
	struct virtio_net_hdr vh;
	struct offload_info oi;
	struct spec s = tcp_spec(4);
	size_t len = build_gso(big, &s, 700, &vh);

	vh.hdr_len = 3;		/* nonsense: ignored */
	ck_assert_int_eq(offload_parse(&vh, big, len, &oi), 0);
	ck_assert_uint_eq(oi.hdr_len, 20 + 32);
	ck_assert_uint_eq(oi.csum_start, 20);
	ck_assert_uint_eq(oi.proto, IPPROTO_TCP);
	ck_assert_uint_eq(oi.nseg, 3);
}
END_TEST

START_TEST(test_needs_csum_completion)
{
	struct virtio_net_hdr vh;
	struct offload_buf out[1];
	struct spec specs[3] = { tcp_spec(4), udp_spec(6), tcp_spec(6) };

	specs[2].payload = 0;
	for (int k = 0; k < 3; k++) {
		uint8_t pkt[2000], want[2000];
		size_t len = build(want, &specs[k]);

		build_gso(pkt, &specs[k], 1448, &vh);
		vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
		vh.gso_size = 0;
		ck_assert(memcmp(pkt, want, len));	/* partial checksum in place */
		bufs(out, segbuf, 1);
		ck_assert_int_eq(offload_split(&vh, pkt, len, out, 1), 1);
		ck_assert_uint_eq(out[0].len, len);
		ck_assert(!memcmp(out[0].data, want, len));
		ck_assert_int_eq(offload_csum_complete(&vh, pkt, len), 0);
		ck_assert(!memcmp(pkt, want, len));
	}

	/* a UDP datagram whose checksum computes to 0 is sent as 0xffff */
	uint8_t pkt[200];
	struct spec u = udp_spec(4);
	u.payload = 64;
	size_t len = build(pkt, &u);
	uint8_t *last = pkt + len - 2;
	last[0] = last[1] = 0;
	pkt[20 + 6] = pkt[20 + 7] = 0;
	uint16_t rest = ref_l4_sum(pkt, len);
	wr16(last, 0xffffu - rest);	/* now the whole sums to 0xffff: checksum 0 */
	ck_assert_uint_eq(ref_l4_sum(pkt, len), 0xffff);
	uint64_t ps = ref_sum(pkt + 12, 8, 0) + IPPROTO_UDP + (len - 20);
	wr16(pkt + 26, ref_sum(NULL, 0, ps));
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 20;
	vh.csum_offset = 6;
	ck_assert_int_eq(offload_csum_complete(&vh, pkt, len), 0);
	ck_assert_uint_eq(rd16(pkt + 26), 0xffff);
	ck_assert_uint_eq(ref_l4_sum(pkt, len), 0xffff);

	/* no NEEDS_CSUM: copied untouched; GSO refused in place */
	vh.flags = 0;
	memcpy(big, pkt, len);
	ck_assert_int_eq(offload_csum_complete(&vh, pkt, len), 0);
	ck_assert(!memcmp(big, pkt, len));
	vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	bufs(out, segbuf, 1);
	ck_assert_int_eq(offload_split(&vh, pkt, len, out, 1), 1);
	ck_assert(!memcmp(out[0].data, pkt, len));
	struct spec t = tcp_spec(4);
	t.payload = 120;
	len = build_gso(pkt, &t, 100, &vh);
	errno = 0;
	ck_assert_int_eq(offload_csum_complete(&vh, pkt, len), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* Ways to spoil a good GSO packet (VH, P, *LEN). */
enum spoil {
	SP_FLAGS, SP_UFO, SP_TYPE2, SP_V6TYPE, SP_V4TYPE, SP_UDPTYPE, SP_GSO0, SP_NOCSUM,
	SP_START_FAR, SP_START_OFF, SP_START_MAX, SP_OFFSET, SP_TOTLEN, SP_V6LEN, SP_TRUNC,
	SP_TRUNC6, SP_MF, SP_FRAGOFF, SP_IHL, SP_VERSION, SP_EXTHDR, SP_PROTO, SP_DOFF_SMALL,
	SP_DOFF_BIG, SP_NOPAYLOAD, SP_ECN, SP_TOOLONG, SP_EMPTY, SP_NONE_FAR, SP_NONE_ECN,
	SP_MANY, SP_FAT,
};

static void
spoil(enum spoil how, struct virtio_net_hdr *vh, uint8_t *p, size_t *len)
{
	switch (how) {
	case SP_FLAGS:		vh->flags |= VIRTIO_NET_HDR_F_RSC_INFO; break;
	case SP_UFO:		vh->gso_type = VIRTIO_NET_HDR_GSO_UDP; break;
	case SP_TYPE2:		vh->gso_type = 2; break;
	case SP_V6TYPE:		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6; break;
	case SP_V4TYPE:		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4; break;
	case SP_UDPTYPE:	vh->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4; break;
	case SP_GSO0:		vh->gso_size = 0; break;
	case SP_NOCSUM:		vh->flags = 0; break;
	case SP_START_FAR:	vh->csum_start = (uint16_t)(*len + 4); break;
	case SP_START_OFF:	vh->csum_start += 4; break;
	case SP_START_MAX:	vh->csum_start = vh->csum_offset = 0xffff; break;
	case SP_OFFSET:		vh->csum_offset = 10; break;
	case SP_TOTLEN:		p[3] ^= 1; break;
	case SP_V6LEN:		p[5] ^= 1; break;
	case SP_TRUNC:		*len = 30; break;
	case SP_TRUNC6:		*len = 39; break;
	case SP_MF:		p[6] |= 0x20; break;
	case SP_FRAGOFF:	p[7] = 1; break;
	case SP_IHL:		p[0] = 0x44; break;
	case SP_VERSION:	p[0] = (uint8_t)(0x50 | (p[0] & 15)); break;
	case SP_EXTHDR:		p[6] = 0; break;	/* hop-by-hop options */
	case SP_PROTO:		p[9] = IPPROTO_UDP; break;
	case SP_DOFF_SMALL:	p[20 + 12] = 0x40; break;
	case SP_DOFF_BIG:	p[20 + 12] = 0xf0; *len = 70; wr16(p + 2, 70); break;
	case SP_NOPAYLOAD:	*len = 52; wr16(p + 2, 52); break;
	case SP_ECN:		vh->gso_type |= VIRTIO_NET_HDR_GSO_ECN; break;
	case SP_TOOLONG:	*len = VNET_PKT_MAX + 1; break;
	case SP_EMPTY:		*len = 0; break;
	case SP_NONE_FAR:
		vh->gso_type = VIRTIO_NET_HDR_GSO_NONE;
		vh->csum_start = (uint16_t)(*len - 10);
		vh->csum_offset = 9;
		break;
	case SP_NONE_ECN:	vh->gso_type = VIRTIO_NET_HDR_GSO_ECN; break;
	case SP_MANY:		vh->gso_size = 10; break;
	case SP_FAT:		vh->gso_size = SEGCAP; break;
	}
}

START_TEST(test_split_rejects_malformed)
{
	static const struct {
		const char	*what;
		int		 v, proto, err;
		enum spoil	 how;
	} spoils[] = {
		{ "unknown flag", 4, IPPROTO_TCP, EINVAL, SP_FLAGS },
		{ "UFO", 4, IPPROTO_UDP, EINVAL, SP_UFO },
		{ "gso type 2", 4, IPPROTO_TCP, EINVAL, SP_TYPE2 },
		{ "TCPV6 on IPv4", 4, IPPROTO_TCP, EINVAL, SP_V6TYPE },
		{ "TCPV4 on IPv6", 6, IPPROTO_TCP, EINVAL, SP_V4TYPE },
		{ "UDP_L4 on TCP", 4, IPPROTO_TCP, EINVAL, SP_UDPTYPE },
		{ "TCPV4 on UDP", 4, IPPROTO_UDP, EINVAL, SP_V4TYPE },
		{ "gso_size 0", 4, IPPROTO_TCP, EINVAL, SP_GSO0 },
		{ "GSO without NEEDS_CSUM", 6, IPPROTO_TCP, EINVAL, SP_NOCSUM },
		{ "csum_start beyond the packet", 4, IPPROTO_TCP, EINVAL, SP_START_FAR },
		{ "csum_start not at L4", 4, IPPROTO_TCP, EINVAL, SP_START_OFF },
		{ "csum_start+offset huge", 6, IPPROTO_UDP, EINVAL, SP_START_MAX },
		{ "csum_offset wrong", 4, IPPROTO_TCP, EINVAL, SP_OFFSET },
		{ "IPv4 total length", 4, IPPROTO_TCP, EINVAL, SP_TOTLEN },
		{ "IPv6 payload length", 6, IPPROTO_TCP, EINVAL, SP_V6LEN },
		{ "truncated TCP header", 4, IPPROTO_TCP, EINVAL, SP_TRUNC },
		{ "truncated IPv6 header", 6, IPPROTO_UDP, EINVAL, SP_TRUNC6 },
		{ "more fragments", 4, IPPROTO_TCP, EINVAL, SP_MF },
		{ "fragment offset", 4, IPPROTO_UDP, EINVAL, SP_FRAGOFF },
		{ "IHL 4", 4, IPPROTO_TCP, EINVAL, SP_IHL },
		{ "IP version 5", 4, IPPROTO_TCP, EINVAL, SP_VERSION },
		{ "IPv6 extension header", 6, IPPROTO_TCP, EINVAL, SP_EXTHDR },
		{ "protocol mismatch", 4, IPPROTO_TCP, EINVAL, SP_PROTO },
		{ "TCP doff 4", 4, IPPROTO_TCP, EINVAL, SP_DOFF_SMALL },
		{ "TCP doff beyond the packet", 4, IPPROTO_TCP, EINVAL, SP_DOFF_BIG },
		{ "no payload", 4, IPPROTO_TCP, EINVAL, SP_NOPAYLOAD },
		{ "ECN on UDP", 6, IPPROTO_UDP, EINVAL, SP_ECN },
		{ "longer than 64 KiB", 4, IPPROTO_TCP, EINVAL, SP_TOOLONG },
		{ "empty", 4, IPPROTO_TCP, EINVAL, SP_EMPTY },
		{ "non-GSO csum field beyond the end", 4, IPPROTO_TCP, EINVAL, SP_NONE_FAR },
		{ "non-GSO with ECN", 4, IPPROTO_TCP, EINVAL, SP_NONE_ECN },
		{ "more segments than buffers", 4, IPPROTO_TCP, ENOBUFS, SP_MANY },
		{ "segment larger than a buffer", 6, IPPROTO_TCP, ENOBUFS, SP_FAT },
	};
	struct offload_buf out[SEGS];
	struct offload_info oi;

	for (size_t k = 0; k < sizeof(spoils) / sizeof(spoils[0]); k++) {
		const char *what = spoils[k].what;
		struct spec s = spoils[k].proto == IPPROTO_TCP ? tcp_spec(spoils[k].v)
		    : udp_spec(spoils[k].v);
		struct virtio_net_hdr vh;

		s.payload = 5000;
		size_t len = build_gso(big, &s, 1000, &vh);
		bufs(out, segbuf, SEGS);
		ck_assert_int_eq(offload_split(&vh, big, len, out, SEGS), 5);	/* good as built */
		spoil(spoils[k].how, &vh, big, &len);
		errno = 0;
		ck_assert_msg(offload_split(&vh, big, len, out, SEGS) == -1, "%s accepted", what);
		ck_assert_msg(errno == spoils[k].err, "%s: errno %d", what, errno);
		if (spoils[k].err == EINVAL)
			ck_assert_int_eq(offload_parse(&vh, big, len, &oi), -1);
	}

	/* one buffer fewer than segments */
	struct spec s = tcp_spec(4);
	struct virtio_net_hdr vh;
	s.payload = 5000;
	size_t len = build_gso(big, &s, 1000, &vh);
	errno = 0;
	ck_assert_int_eq(offload_split(&vh, big, len, out, 4), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_int_eq(offload_vnet_get(&vh, big, VNET_HDR_LEN - 1), -1);
	ck_assert_int_eq(offload_vnet_get(&vh, big, VNET_HDR_LEN), 0);
}
END_TEST

/* Builds N segments of one stream from S (payload SIZE, the last LAST bytes), into segbuf2. */
static size_t
stream(struct offload_pkt *in, struct spec s, size_t n, size_t size, size_t last)
{
	for (size_t i = 0; i < n; i++) {
		s.payload = i + 1 < n ? size : last;
		in[i].data = segbuf2[i];
		in[i].len = build(segbuf2[i], &s);
		s.seq += (uint32_t)s.payload;
		s.id++;
	}
	return n;
}

/* Splits the coalesced OUT back and checks it yields exactly the packets in[idx[0..n)). */
static void
assert_resplits_to(const struct offload_out *o, const struct offload_pkt *in, const size_t *idx,
    size_t n)
{
	struct virtio_net_hdr vh;
	struct offload_buf sb[SEGS];

	ck_assert_uint_eq(o->count, n);
	ck_assert_uint_eq(o->first, idx[0]);
	ck_assert_int_eq(offload_vnet_get(&vh, o->data, o->len), 0);
	bufs(sb, segbuf, SEGS);
	ck_assert_int_eq(offload_split(&vh, o->data + VNET_HDR_LEN, o->len - VNET_HDR_LEN,
	    sb, SEGS), (int)n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(sb[i].len, in[idx[i]].len);
		ck_assert_msg(!memcmp(sb[i].data, in[idx[i]].data, sb[i].len), "segment %zu", i);
	}
}

static void
assert_gso_hdr(const struct offload_out *o, uint8_t type, size_t l3, size_t l4, size_t gso)
{
	struct virtio_net_hdr vh;
	const uint8_t *p = o->data + VNET_HDR_LEN;
	size_t len = o->len - VNET_HDR_LEN;
	bool v4 = p[0] >> 4 == 4;

	memcpy(&vh, o->data, sizeof(vh));
	ck_assert_uint_eq(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(vh.gso_type, type);
	ck_assert_uint_eq(vh.gso_size, gso);
	ck_assert_uint_eq(vh.hdr_len, l3 + l4);
	ck_assert_uint_eq(vh.csum_start, l3);
	ck_assert_uint_eq(vh.csum_offset, type == VIRTIO_NET_HDR_GSO_UDP_L4 ? 6 : 16);
	ck_assert_uint_le(len, VNET_PKT_MAX);
	if (v4) {
		ck_assert_uint_eq(rd16(p + 2), len);
		ck_assert_uint_eq(ref_sum(p, l3, 0), 0xffff);
	} else {
		ck_assert_uint_eq(rd16(p + 4), len - 40);
	}
	/* CHECKSUM_PARTIAL: the field is the folded pseudo-header sum */
	uint64_t ps = ref_sum(p + (v4 ? 12 : 8), v4 ? 8 : 32, 0) + (v4 ? p[9] : p[6]) + (len - l3);
	ck_assert_uint_eq(rd16(p + l3 + vh.csum_offset), ref_sum(NULL, 0, ps));
}

static void
assert_plain(const struct offload_out *o, const struct offload_pkt *pkt, uint8_t flags)
{
	struct virtio_net_hdr vh;

	ck_assert_uint_eq(o->count, 1);
	ck_assert_uint_eq(o->len, VNET_HDR_LEN + pkt->len);
	memcpy(&vh, o->data, sizeof(vh));
	ck_assert_uint_eq(vh.flags, flags);
	ck_assert_uint_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	ck_assert_uint_eq(vh.gso_size, 0);
	ck_assert(!memcmp(o->data + VNET_HDR_LEN, pkt->data, pkt->len));
}

static int
coalesce(const struct offload_pkt *in, size_t n, unsigned flags, struct offload_out *out)
{
	ck_assert_uint_le(offload_coalesce_space(in, n), sizeof(arena));
	return offload_coalesce(in, n, flags, arena, offload_coalesce_space(in, n), out, n);
}

START_TEST(test_coalesce_round_trip)
{
	struct offload_pkt in[SEGS];
	struct offload_out out[SEGS];
	size_t idx[SEGS];
	struct spec s = tcp_spec(4);

	for (size_t i = 0; i < SEGS; i++)
		idx[i] = i;
	/* ten segments, the last shorter and pushed */
	stream(in, s, 10, 1448, 600);
	struct spec last = s;
	last.id = (uint16_t)(s.id + 9);
	last.seq = s.seq + 9 * 1448;
	last.flags = 0x18;
	last.payload = 600;
	ck_assert_uint_eq(build(segbuf2[9], &last), in[9].len);
	ck_assert_int_eq(coalesce(in, 10, 0, out), 1);
	assert_gso_hdr(&out[0], VIRTIO_NET_HDR_GSO_TCPV4, 20, 32, 1448);
	ck_assert_uint_eq(out[0].len, VNET_HDR_LEN + 52 + 9 * 1448 + 600);
	ck_assert_uint_eq(out[0].data[VNET_HDR_LEN + 20 + 13], 0x18);	/* PSH kept */
	assert_resplits_to(&out[0], in, idx, 10);

	/* IPv6, no options, all full-size */
	s = tcp_spec(6);
	s.ts = false;
	stream(in, s, 7, 1220, 1220);
	ck_assert_int_eq(coalesce(in, 7, 0, out), 1);
	assert_gso_hdr(&out[0], VIRTIO_NET_HDR_GSO_TCPV6, 40, 20, 1220);
	assert_resplits_to(&out[0], in, idx, 7);

	/* a lone segment passes through, verified */
	ck_assert_int_eq(coalesce(in, 1, 0, out), 1);
	assert_plain(&out[0], &in[0], VIRTIO_NET_HDR_F_DATA_VALID);
	ck_assert_int_eq(coalesce(in, 0, 0, out), 0);
}
END_TEST

START_TEST(test_coalesce_interleaved_flows)
{
	struct offload_pkt in[12], a[6], b[6];
	struct offload_out out[12];
	struct spec sa = tcp_spec(4), sb = tcp_spec(4);

	sb.host = 2;
	stream(a, sa, 6, 1448, 1448);
	memcpy(segbuf2 + 20, segbuf2, sizeof(segbuf2[0]) * 6);
	for (int i = 0; i < 6; i++)
		a[i].data = segbuf2[20 + i];
	stream(b, sb, 6, 1448, 1000);
	for (int i = 0; i < 6; i++) {
		in[2 * i] = a[i];
		in[2 * i + 1] = b[i];
	}
	ck_assert_int_eq(coalesce(in, 12, 0, out), 2);
	size_t ia[6] = { 0, 2, 4, 6, 8, 10 }, ib[6] = { 1, 3, 5, 7, 9, 11 };
	assert_resplits_to(&out[0], in, ia, 6);
	assert_resplits_to(&out[1], in, ib, 6);
}
END_TEST

START_TEST(test_coalesce_out_of_order)
{
	struct offload_pkt in[4], ord[4];
	struct offload_out out[4];
	size_t idx[2] = { 2, 3 };

	stream(ord, tcp_spec(6), 4, 1000, 1000);
	/* 0, 2 (a gap: a new group), 1 (behind: a new group), 3 (a gap after 1) */
	in[0] = ord[0], in[1] = ord[2], in[2] = ord[1], in[3] = ord[3];
	ck_assert_int_eq(coalesce(in, 4, 0, out), 4);
	for (int i = 0; i < 4; i++)
		assert_plain(&out[i], &in[i], VIRTIO_NET_HDR_F_DATA_VALID);

	/* 0 1 3 2: {0,1}, then 3 and 2 alone */
	in[0] = ord[0], in[1] = ord[1], in[2] = ord[3], in[3] = ord[2];
	ck_assert_int_eq(coalesce(in, 4, 0, out), 3);
	idx[0] = 0, idx[1] = 1;
	assert_resplits_to(&out[0], in, idx, 2);
	assert_plain(&out[1], &in[2], VIRTIO_NET_HDR_F_DATA_VALID);
	assert_plain(&out[2], &in[3], VIRTIO_NET_HDR_F_DATA_VALID);
}
END_TEST

enum mut {
	MUT_TTL, MUT_TOS, MUT_CE, MUT_DF, MUT_IPOPT, MUT_TSVAL, MUT_NOTS, MUT_ACK, MUT_WIN, MUT_ECE,
	MUT_URG, MUT_SYN, MUT_FIN, MUT_RST, MUT_EMPTY, MUT_PORT,
};

static void
mutate(enum mut how, struct spec *s)
{
	switch (how) {
	case MUT_TTL:	s->ttl--; break;
	case MUT_TOS:	s->tos = 0x10; break;
	case MUT_CE:	s->tos = 0x03; break;
	case MUT_DF:	s->nodf = true; break;
	case MUT_IPOPT:	s->ipopt = 4; break;
	case MUT_TSVAL:	s->tsval++; break;
	case MUT_NOTS:	s->ts = false; break;
	case MUT_ACK:	s->ack += 1448; break;
	case MUT_WIN:	s->win++; break;
	case MUT_ECE:	s->flags |= 0x40; break;
	case MUT_URG:	s->flags |= 0x20; break;
	case MUT_SYN:	s->flags |= 0x02; break;
	case MUT_FIN:	s->flags |= 0x01; break;
	case MUT_RST:	s->flags = 0x04; break;
	case MUT_EMPTY:	s->payload = 0; break;
	case MUT_PORT:	s->sport++; break;
	}
}

/* Spoils the middle of three segments; it must merge with neither neighbour. */
static void
assert_middle_breaks(enum mut how, int v, uint8_t middle_flags)
{
	struct offload_pkt in[3];
	struct offload_out out[3];
	struct spec s = tcp_spec(v), m;

	stream(in, s, 3, 1000, 1000);
	m = s;
	m.seq += 1000;
	m.id++;
	m.payload = 1000;
	mutate(how, &m);
	in[1].len = build(segbuf2[1], &m);
	ck_assert_int_eq(coalesce(in, 3, 0, out), 3);
	assert_plain(&out[0], &in[0], VIRTIO_NET_HDR_F_DATA_VALID);
	assert_plain(&out[1], &in[1], middle_flags);
	assert_plain(&out[2], &in[2], VIRTIO_NET_HDR_F_DATA_VALID);
}

START_TEST(test_coalesce_differences_stop)
{
	const uint8_t V = VIRTIO_NET_HDR_F_DATA_VALID;

	/* still candidates on their own: verified, alone */
	assert_middle_breaks(MUT_TTL, 4, V);
	assert_middle_breaks(MUT_TTL, 6, V);
	assert_middle_breaks(MUT_TOS, 4, V);
	assert_middle_breaks(MUT_TOS, 6, V);
	assert_middle_breaks(MUT_DF, 4, V);
	assert_middle_breaks(MUT_TSVAL, 4, V);
	assert_middle_breaks(MUT_NOTS, 6, V);
	assert_middle_breaks(MUT_ACK, 4, V);
	assert_middle_breaks(MUT_WIN, 6, V);
	assert_middle_breaks(MUT_PORT, 4, V);
	/* not candidates: untouched, unverified */
	assert_middle_breaks(MUT_CE, 4, 0);
	assert_middle_breaks(MUT_CE, 6, 0);
	assert_middle_breaks(MUT_IPOPT, 4, 0);
	assert_middle_breaks(MUT_ECE, 4, 0);
	assert_middle_breaks(MUT_URG, 6, 0);
	assert_middle_breaks(MUT_SYN, 4, 0);
	assert_middle_breaks(MUT_FIN, 4, 0);
	assert_middle_breaks(MUT_RST, 6, 0);
	assert_middle_breaks(MUT_EMPTY, 4, 0);
}
END_TEST

START_TEST(test_coalesce_push_and_sizes)
{
	struct offload_pkt in[4];
	struct offload_out out[4];
	size_t idx[4] = { 0, 1, 2, 3 };
	struct spec s = tcp_spec(4);

	/* PSH on the second: it ends the group, the next starts another */
	stream(in, s, 4, 1000, 1000);
	s.seq += 1000, s.id++, s.flags = 0x18, s.payload = 1000;
	in[1].len = build(segbuf2[1], &s);
	ck_assert_int_eq(coalesce(in, 4, 0, out), 2);
	assert_resplits_to(&out[0], in, idx, 2);
	assert_resplits_to(&out[1], in, idx + 2, 2);

	/* a short segment ends the group; a larger one may not follow a smaller one */
	s = tcp_spec(4);
	s.payload = 1000;
	in[0].len = build(segbuf2[0], &s);
	s.seq += 1000, s.id++, s.payload = 500;
	in[1].len = build(segbuf2[1], &s);
	s.seq += 500, s.id++;
	in[2].len = build(segbuf2[2], &s);
	s.seq += 500, s.id++, s.payload = 800;
	in[3].len = build(segbuf2[3], &s);
	ck_assert_int_eq(coalesce(in, 4, 0, out), 3);
	assert_resplits_to(&out[0], in, idx, 2);
	assert_plain(&out[1], &in[2], VIRTIO_NET_HDR_F_DATA_VALID);
	assert_plain(&out[2], &in[3], VIRTIO_NET_HDR_F_DATA_VALID);

	/* a pure ACK of the same flow between two segments keeps them apart (order) */
	s = tcp_spec(6);
	stream(in, s, 3, 1000, 1000);
	s.seq += 1000, s.payload = 0;
	in[3] = in[2];
	in[2] = in[1];
	in[1].data = segbuf2[10];
	in[1].len = build(segbuf2[10], &s);
	ck_assert_int_eq(coalesce(in, 4, 0, out), 3);
	assert_plain(&out[0], &in[0], VIRTIO_NET_HDR_F_DATA_VALID);
	assert_plain(&out[1], &in[1], 0);
	idx[0] = 2, idx[1] = 3;
	assert_resplits_to(&out[2], in, idx, 2);
}
END_TEST

START_TEST(test_coalesce_bad_checksum)
{
	struct offload_pkt in[3];
	struct offload_out out[3];

	/* a payload bit flipped in the middle segment */
	stream(in, tcp_spec(4), 3, 1000, 1000);
	segbuf2[1][500] ^= 0x40;
	ck_assert_int_eq(coalesce(in, 3, 0, out), 3);
	assert_plain(&out[0], &in[0], VIRTIO_NET_HDR_F_DATA_VALID);
	assert_plain(&out[1], &in[1], 0);
	assert_plain(&out[2], &in[2], VIRTIO_NET_HDR_F_DATA_VALID);

	/* an IPv4 header checksum wrong while the TCP one is right */
	stream(in, tcp_spec(4), 3, 1000, 1000);
	segbuf2[1][11] ^= 1;
	ck_assert_int_eq(coalesce(in, 3, 0, out), 3);
	assert_plain(&out[1], &in[1], 0);

	/* a bad first segment: the rest still merge */
	stream(in, tcp_spec(6), 3, 1000, 1000);
	segbuf2[0][100] ^= 1;
	ck_assert_int_eq(coalesce(in, 3, 0, out), 2);
	assert_plain(&out[0], &in[0], 0);
	size_t idx[2] = { 1, 2 };
	assert_resplits_to(&out[1], in, idx, 2);
}
END_TEST

START_TEST(test_coalesce_64k_limit)
{
	struct offload_pkt in[60];
	struct offload_out out[60];
	size_t idx[60];
	struct spec s = tcp_spec(4);

	s.ts = false;
	for (size_t i = 0; i < 60; i++)
		idx[i] = i;
	stream(in, s, 60, 1448, 1448);
	ck_assert_int_eq(coalesce(in, 60, 0, out), 2);
	/* 40 + 45 * 1448 = 65200 fits, one more would not */
	ck_assert_uint_eq(out[0].len, VNET_HDR_LEN + 40 + 45 * 1448);
	assert_gso_hdr(&out[0], VIRTIO_NET_HDR_GSO_TCPV4, 20, 20, 1448);
	assert_resplits_to(&out[0], in, idx, 45);
	assert_resplits_to(&out[1], in, idx + 45, 15);
}
END_TEST

START_TEST(test_coalesce_udp)
{
	struct offload_pkt in[SEGS + 2];
	struct offload_out out[SEGS + 2];
	size_t idx[SEGS + 2];
	struct spec s = udp_spec(4);

	for (size_t i = 0; i < SEGS + 2; i++)
		idx[i] = i;
	/* without the flag, UDP passes through untouched */
	for (size_t i = 0; i < 5; i++) {
		s.payload = i < 4 ? 1200 : 500;
		in[i].data = segbuf2[i];
		in[i].len = build(segbuf2[i], &s);
		s.id++;
	}
	ck_assert_int_eq(coalesce(in, 5, 0, out), 5);
	for (int i = 0; i < 5; i++)
		assert_plain(&out[i], &in[i], 0);
	ck_assert_int_eq(coalesce(in, 5, OFFLOAD_COALESCE_UDP, out), 1);
	assert_gso_hdr(&out[0], VIRTIO_NET_HDR_GSO_UDP_L4, 20, 8, 1200);
	ck_assert_uint_eq(rd16(out[0].data + VNET_HDR_LEN + 24), 8 + 4 * 1200 + 500);
	assert_resplits_to(&out[0], in, idx, 5);

	/* IPv6, and at most OFFLOAD_UDP_SEGS_MAX datagrams in one */
	s = udp_spec(6);
	s.payload = 100;
	for (size_t i = 0; i < SEGS; i++) {
		in[i].data = segbuf2[i];
		in[i].len = build(segbuf2[i], &s);
	}
	in[SEGS] = in[0];
	ck_assert_int_eq(coalesce(in, SEGS + 1, OFFLOAD_COALESCE_UDP, out), 2);
	assert_resplits_to(&out[0], in, idx, OFFLOAD_UDP_SEGS_MAX);
	assert_plain(&out[1], &in[SEGS], VIRTIO_NET_HDR_F_DATA_VALID);

	/* a datagram without checksum is left alone */
	segbuf2[1][46] = segbuf2[1][47] = 0;
	ck_assert_int_eq(coalesce(in, 3, OFFLOAD_COALESCE_UDP, out), 3);
	assert_plain(&out[1], &in[1], 0);
}
END_TEST

START_TEST(test_coalesce_odd_inputs_and_space)
{
	static const uint8_t junk[3] = { 0x45, 0, 3 };
	uint8_t icmp[28] = { 0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 1 };
	struct offload_pkt in[8];
	struct offload_out out[8];

	stream(in, tcp_spec(4), 3, 1000, 1000);
	in[3] = in[2];
	in[2] = (struct offload_pkt){ junk, sizeof(junk) };
	in[4] = (struct offload_pkt){ icmp, sizeof(icmp) };
	in[5] = (struct offload_pkt){ junk, 0 };
	/* junk and ICMP are no part of the flow: 0,1,3 still merge */
	ck_assert_int_eq(coalesce(in, 6, 0, out), 4);
	size_t idx[3] = { 0, 1, 3 };
	assert_resplits_to(&out[0], in, idx, 3);
	assert_plain(&out[1], &in[2], 0);
	assert_plain(&out[2], &in[4], 0);
	assert_plain(&out[3], &in[5], 0);

	/* space: one byte short of the arena, or one output short */
	size_t need = VNET_HDR_LEN * 4 + in[0].len + 2 * 1000 + sizeof(junk) + sizeof(icmp);
	ck_assert_uint_le(need, offload_coalesce_space(in, 6));
	ck_assert_int_eq(offload_coalesce(in, 6, 0, arena, need, out, 4), 4);
	errno = 0;
	ck_assert_int_eq(offload_coalesce(in, 6, 0, arena, need - 1, out, 4), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	errno = 0;
	ck_assert_int_eq(offload_coalesce(in, 6, 0, arena, need, out, 3), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	errno = 0;
	ck_assert_int_eq(offload_coalesce(in, OFFLOAD_BATCH_MAX + 1, 0, arena, 0, out, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(offload_coalesce(in, 1, 0x80, arena, need, out, 4), -1);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("offload");
	TCase *c = tcase_create("csum");
	TCase *sp = tcase_create("split");
	TCase *co = tcase_create("coalesce");

	tcase_add_test(c, test_csum_matches_reference);
	tcase_add_test(c, test_csum_pseudo_and_incremental);
	suite_add_tcase(s, c);

	tcase_add_test(sp, test_split_tcp4_64k);
	tcase_add_test(sp, test_split_tcp6_64k);
	tcase_add_test(sp, test_split_ipv4_options);
	tcase_add_test(sp, test_split_udp_l4);
	tcase_add_test(sp, test_split_udp_zero_csum);
	tcase_add_test(sp, test_hdr_len_recomputed);
	tcase_add_test(sp, test_needs_csum_completion);
	tcase_add_test(sp, test_split_rejects_malformed);
	suite_add_tcase(s, sp);

	tcase_add_test(co, test_coalesce_round_trip);
	tcase_add_test(co, test_coalesce_interleaved_flows);
	tcase_add_test(co, test_coalesce_out_of_order);
	tcase_add_test(co, test_coalesce_differences_stop);
	tcase_add_test(co, test_coalesce_push_and_sizes);
	tcase_add_test(co, test_coalesce_bad_checksum);
	tcase_add_test(co, test_coalesce_64k_limit);
	tcase_add_test(co, test_coalesce_udp);
	tcase_add_test(co, test_coalesce_odd_inputs_and_space);
	suite_add_tcase(s, co);
	return s;
}
