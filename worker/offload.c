/* TUN offloads over buffers: checking virtio_net_hdr, splitting TSO/USO super-packets into real
 * segments, and merging received segments into super-packets (a small GRO). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "csum.h"
#include "offload.h"

#define TCP_FIN		0x01
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCP_CWR		0x80

#define TCP_CSUM_OFF	16
#define UDP_CSUM_OFF	6

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static int
fail(int e)
{
	errno = e;
	return -1;
}

/* The pseudo-header sum of the transport part (L4LEN bytes) of the IP packet P. */
static uint64_t
pseudo(const uint8_t *p, uint8_t proto, size_t l4len)
{
	if (p[0] >> 4 == 4)
		return csum_pseudo4(p + 12, p + 16, proto, (uint32_t)l4len);
	return csum_pseudo6(p + 8, p + 24, proto, (uint32_t)l4len);
}

static void
ip4_set_csum(uint8_t *p, size_t ihl)
{
	p[10] = p[11] = 0;
	csum_store(p + 10, csum_finish(csum_add(0, p, ihl)));
}

/* The IP header of a whole packet, checked the same way for splitting and for merging. */
struct ip_head {
	size_t		 l3;		/* header length */
	uint8_t		 version;	/* 4 or 6 */
	uint8_t		 proto;		/* the transport's protocol number */
	bool		 ce;		/* ECN congestion experienced */
};

/* IPv4 with its exact total length and not a fragment (MF or an offset), or IPv6 with its exact
 * payload length and no extension header (the next header must be the transport). */
static int
ip_head(const uint8_t *p, size_t len, struct ip_head *ip)
{
	if (len < 20)
		return -1;
	switch (p[0] >> 4) {
	case 4:
		ip->l3 = (p[0] & 0x0f) * 4u;
		if (ip->l3 < 20 || ip->l3 > len || get16(p + 2) != len || (get16(p + 6) & 0x3fff))
			return -1;
		ip->version = 4;
		ip->proto = p[9];
		ip->ce = (p[1] & 3) == 3;
		return 0;
	case 6:
		if (len < 40 || get16(p + 4) != len - 40)
			return -1;
		ip->l3 = 40;
		ip->version = 6;
		ip->proto = p[6];
		ip->ce = ((p[1] >> 4) & 3) == 3;
		return 0;
	}
	return -1;
}

/* The TCP header's length (data offset) if it fits in the packet, else 0. */
static size_t
tcp_head(const uint8_t *p, size_t len, size_t l3)
{
	size_t l4;

	if (l3 + 20 > len)
		return 0;
	l4 = (p[l3 + 12] >> 4) * 4u;
	return l4 >= 20 && l3 + l4 <= len ? l4 : 0;
}

int
offload_vnet_get(struct virtio_net_hdr *vh, const uint8_t *frame, size_t len)
{
	if (len < VNET_HDR_LEN)
		return fail(EINVAL);
	memcpy(vh, frame, VNET_HDR_LEN);
	return 0;
}

/* The IP and transport headers of a GSO packet; the rest of OI is filled by the caller. */
static int
parse_gso(const uint8_t *pkt, size_t len, struct offload_info *oi)
{
	struct ip_head ip;
	size_t l4;

	if (!oi->needs_csum || oi->gso_size == 0 || ip_head(pkt, len, &ip) == -1)
		return -1;
	oi->proto = ip.proto;
	oi->ip_version = ip.version;
	switch (oi->gso_type) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (oi->proto != IPPROTO_TCP || oi->csum_offset != TCP_CSUM_OFF ||
		    oi->ip_version != (oi->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : 6))
			return -1;
		if ((l4 = tcp_head(pkt, len, ip.l3)) == 0)
			return -1;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (oi->proto != IPPROTO_UDP || oi->csum_offset != UDP_CSUM_OFF || oi->ecn)
			return -1;
		l4 = 8;
		break;
	default:
		return -1;
	}
	/* csum_start is where the kernel saw the transport header: it must agree with ours. */
	if (oi->csum_start != ip.l3 || ip.l3 + l4 >= len)
		return -1;
	oi->hdr_len = (uint16_t)(ip.l3 + l4);
	size_t payload = len - ip.l3 - l4;
	oi->nseg = (uint32_t)((payload + oi->gso_size - 1) / oi->gso_size);
	oi->seg_max = (uint32_t)(ip.l3 + l4 + (payload < oi->gso_size ? payload : oi->gso_size));
	return 0;
}

int
offload_parse(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
    struct offload_info *oi)
{
	memset(oi, 0, sizeof(*oi));
	if (len == 0 || len > VNET_PKT_MAX)
		return fail(EINVAL);
	if (vh->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		return fail(EINVAL);
	oi->needs_csum = (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
	oi->gso_type = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	oi->ecn = (vh->gso_type & VIRTIO_NET_HDR_GSO_ECN) != 0;
	oi->csum_start = vh->csum_start;
	oi->csum_offset = vh->csum_offset;

	if (oi->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		oi->gso_size = vh->gso_size;
		if (parse_gso(pkt, len, oi) == -1) {
			memset(oi, 0, sizeof(*oi));
			return fail(EINVAL);
		}
		return 0;
	}
	if (oi->ecn)
		return fail(EINVAL);
	if (oi->needs_csum && (size_t)oi->csum_start + oi->csum_offset + 2 > len)
		return fail(EINVAL);
	oi->nseg = 1;
	oi->seg_max = (uint32_t)len;
	return 0;
}

/* Finishes a CHECKSUM_PARTIAL packet: the field holds the pseudo-header sum, so the sum from
 * csum_start to the end, field included, is the whole sum. 0 is sent as 0xffff, as the kernel's
 * skb_checksum_help() does (0 means "no checksum" to UDP). */
static void
complete(uint8_t *pkt, size_t len, size_t start, size_t off)
{
	uint16_t c = csum_finish(csum_add(0, pkt + start, len - start));

	csum_store(pkt + start + off, c ? c : 0xffff);
}

int
offload_csum_complete(const struct virtio_net_hdr *vh, uint8_t *pkt, size_t len)
{
	struct offload_info oi;

	if (offload_parse(vh, pkt, len, &oi) == -1)
		return -1;
	if (oi.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return fail(EINVAL);
	if (oi.needs_csum)
		complete(pkt, len, oi.csum_start, oi.csum_offset);
	return 0;
}

/* Writes the segments of a checked GSO packet. */
static int
split_gso(const struct offload_info *oi, const uint8_t *pkt, size_t len,
    struct offload_buf *out)
{
	size_t l3 = oi->csum_start, hl = oi->hdr_len, off = hl;
	bool tcp = oi->proto == IPPROTO_TCP;
	uint32_t seq = tcp ? get32(pkt + l3 + 4) : 0;
	uint16_t id = oi->ip_version == 4 ? get16(pkt + 4) : 0;

	for (uint32_t i = 0; i < oi->nseg; i++) {
		size_t plen = len - off < oi->gso_size ? len - off : oi->gso_size;
		size_t seglen = hl + plen;
		uint8_t *o = out[i].data, *th = o + l3;

		if (out[i].cap < seglen)
			return fail(ENOBUFS);
		memcpy(o, pkt, hl);
		memcpy(o + hl, pkt + off, plen);
		off += plen;

		if (oi->ip_version == 4) {
			put16(o + 2, (uint32_t)seglen);
			put16(o + 4, (uint16_t)(id + i));
			ip4_set_csum(o, l3);
		} else {
			put16(o + 4, (uint32_t)(seglen - 40));
		}
		if (tcp) {
			put32(th + 4, seq + i * oi->gso_size);
			if (i > 0)
				th[13] &= ~TCP_CWR;
			if (i + 1 < oi->nseg)
				th[13] &= ~(TCP_FIN | TCP_PSH);
		} else {
			put16(th + 4, (uint32_t)(seglen - l3));
		}
		th[oi->csum_offset] = th[oi->csum_offset + 1] = 0;
		uint64_t sum = csum_add(pseudo(o, oi->proto, seglen - l3), th, seglen - l3);
		uint16_t c = csum_finish(sum);
		if (!tcp && c == 0)
			c = 0xffff;
		csum_store(th + oi->csum_offset, c);
		out[i].len = seglen;
	}
	return (int)oi->nseg;
}

int
offload_split(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
    struct offload_buf *out, size_t nout)
{
	struct offload_info oi;

	if (offload_parse(vh, pkt, len, &oi) == -1)
		return -1;
	if (oi.nseg > nout)
		return fail(ENOBUFS);
	if (oi.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return split_gso(&oi, pkt, len, out);
	if (out[0].cap < len)
		return fail(ENOBUFS);
	memcpy(out[0].data, pkt, len);
	if (oi.needs_csum)
		complete(out[0].data, len, oi.csum_start, oi.csum_offset);
	out[0].len = len;
	return 1;
}

/* Coalescing. Each input packet gets a meta; runs of mergeable ones form groups. A flow (kind,
 * addresses, ports) has at most one open group: any packet of that flow that cannot join it
 * closes it, so packets of a flow never pass one another. */

enum kind { K_NONE, K_TCP4, K_TCP6, K_UDP4, K_UDP6 };

struct meta {
	uint32_t	 hash;		/* of the flow */
	uint16_t	 payload;
	uint16_t	 next;		/* next member of its group */
	int16_t		 group;		/* -1 when it goes alone */
	uint8_t		 kind;
	uint8_t		 l3, l4;
	bool		 cand;		/* may merge, given good checksums */
	bool		 valid;		/* checksums verified */
};

struct group {
	uint32_t	 next_seq;	/* TCP: sequence number that may follow */
	uint32_t	 len;		/* IP length of the merged packet */
	uint16_t	 first, last, count, gso_size;
	bool		 psh;
};

static inline bool
is_tcp(uint8_t kind)
{
	return kind == K_TCP4 || kind == K_TCP6;
}

static uint32_t
mix(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		h = (h ^ w) * 0x9e3779b1u;
		h ^= h >> 15;
	}
	return h;
}

/* Fills M for the packet P: its flow if it is a whole TCP (or UDP, with UDP_OK) packet, and
 * whether it is a candidate for merging. */
static void
classify(const uint8_t *p, size_t len, bool udp_ok, struct meta *m)
{
	struct ip_head ip;
	size_t l4, alen;
	bool v4;

	memset(m, 0, sizeof(*m));
	m->group = -1;
	if (len > VNET_PKT_MAX || ip_head(p, len, &ip) == -1)
		return;
	v4 = ip.version == 4;
	if (ip.proto == IPPROTO_TCP) {
		if ((l4 = tcp_head(p, len, ip.l3)) == 0)
			return;
		m->kind = v4 ? K_TCP4 : K_TCP6;
		uint8_t fl = p[ip.l3 + 13];
		m->cand = fl == TCP_ACK || fl == (TCP_ACK | TCP_PSH);
	} else if (ip.proto == IPPROTO_UDP && udp_ok) {
		l4 = 8;
		if (ip.l3 + l4 > len || get16(p + ip.l3 + 4) != len - ip.l3)
			return;
		m->kind = v4 ? K_UDP4 : K_UDP6;
		/* a datagram without checksum stays as it is */
		m->cand = csum_load(p + ip.l3 + UDP_CSUM_OFF) != 0;
	} else {
		return;
	}
	m->l3 = (uint8_t)ip.l3;
	m->l4 = (uint8_t)l4;
	m->payload = (uint16_t)(len - ip.l3 - l4);
	/* no IP options, no congestion mark, some payload */
	m->cand = m->cand && ip.l3 == (v4 ? 20u : 40u) && !ip.ce && m->payload > 0;
	alen = v4 ? 4 : 16;
	m->hash = mix(mix(m->kind, p + (v4 ? 12 : 8), 2 * alen), p + ip.l3, 4);
}

static bool
verify(const uint8_t *p, size_t len, const struct meta *m)
{
	uint8_t proto = is_tcp(m->kind) ? IPPROTO_TCP : IPPROTO_UDP;

	if (p[0] >> 4 == 4 && csum_fold(csum_add(0, p, m->l3)) != 0xffff)
		return false;
	return csum_fold(csum_add(pseudo(p, proto, len - m->l3), p + m->l3, len - m->l3)) == 0xffff;
}

static bool
same_flow(const uint8_t *a, const struct meta *ma, const uint8_t *b, const struct meta *mb)
{
	if (ma->hash != mb->hash || ma->kind != mb->kind)
		return false;
	if (ma->kind == K_TCP4 || ma->kind == K_UDP4) {
		if (memcmp(a + 12, b + 12, 8))
			return false;
	} else if (memcmp(a + 8, b + 8, 32)) {
		return false;
	}
	return !memcmp(a + ma->l3, b + mb->l3, 4);
}

/* Whether candidate B (meta MB) may follow the members of group G, whose first packet is A. */
static bool
can_append(const struct group *g, const uint8_t *a, const struct meta *ma, const uint8_t *b,
    const struct meta *mb)
{
	const uint8_t *ta = a + ma->l3, *tb = b + mb->l3;

	if (mb->l4 != ma->l4 || mb->payload > g->gso_size || g->len + mb->payload > VNET_PKT_MAX)
		return false;
	if (a[0] >> 4 == 4) {
		/* TOS, DF and the reserved bit, TTL (the protocol and addresses match already) */
		if (a[1] != b[1] || a[6] != b[6] || a[8] != b[8])
			return false;
	} else if (memcmp(a, b, 4) || a[7] != b[7]) {
		/* version, traffic class, flow label; hop limit */
		return false;
	}
	if (!is_tcp(ma->kind))
		return g->count < OFFLOAD_UDP_SEGS_MAX;
	/* TCP: in sequence; same ack, data offset, flags but PSH, window, urgent pointer, options */
	return get32(tb + 4) == g->next_seq && !memcmp(ta + 8, tb + 8, 5) &&
	    (ta[13] | TCP_PSH) == (tb[13] | TCP_PSH) && !memcmp(ta + 14, tb + 14, 2) &&
	    !memcmp(ta + 18, tb + 18, ma->l4 - 18u);
}

/* Writes the merged packet of group G at O: a GSO header, the first packet's headers updated
 * for the new length, then every member's payload. */
static void
emit_group(uint8_t *o, const struct group *g, const struct offload_pkt *in,
    const struct meta *meta)
{
	const struct meta *mf = &meta[g->first];
	size_t l3 = mf->l3, hl = mf->l3 + mf->l4, off = hl;
	bool tcp = is_tcp(mf->kind);
	bool v4 = mf->kind == K_TCP4 || mf->kind == K_UDP4;
	struct virtio_net_hdr vh;
	uint8_t *p = o + VNET_HDR_LEN, *th = p + l3;
	uint16_t j = g->first;

	memcpy(p, in[j].data, hl);
	for (uint16_t c = 0; c < g->count; c++, j = meta[j].next) {
		memcpy(p + off, in[j].data + hl, meta[j].payload);
		off += meta[j].payload;
	}
	if (v4) {
		put16(p + 2, g->len);
		ip4_set_csum(p, l3);
	} else {
		put16(p + 4, g->len - 40);
	}
	/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum, folded, not complemented */
	uint16_t psum = csum_fold(pseudo(p, tcp ? IPPROTO_TCP : IPPROTO_UDP, g->len - l3));
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.hdr_len = (uint16_t)hl;
	vh.gso_size = g->gso_size;
	vh.csum_start = (uint16_t)l3;
	if (tcp) {
		if (g->psh)
			th[13] |= TCP_PSH;
		csum_store(th + TCP_CSUM_OFF, psum);
		vh.gso_type = v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
		vh.csum_offset = TCP_CSUM_OFF;
	} else {
		put16(th + 4, g->len - (uint32_t)l3);
		csum_store(th + UDP_CSUM_OFF, psum);
		vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
		vh.csum_offset = UDP_CSUM_OFF;
	}
	memcpy(o, &vh, VNET_HDR_LEN);
}

static void
emit_plain(uint8_t *o, const struct offload_pkt *pkt, bool valid)
{
	struct virtio_net_hdr vh;

	memset(&vh, 0, sizeof(vh));
	if (valid)
		vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	memcpy(o, &vh, VNET_HDR_LEN);
	memcpy(o + VNET_HDR_LEN, pkt->data, pkt->len);
}

size_t
offload_coalesce_space(const struct offload_pkt *in, size_t n)
{
	size_t space = 0;

	for (size_t i = 0; i < n; i++)
		space += VNET_HDR_LEN + in[i].len;
	return space;
}

static inline bool
has_psh(const uint8_t *p, const struct meta *m)
{
	return is_tcp(m->kind) && (p[m->l3 + 13] & TCP_PSH);
}

/* Adds packet i (P, M) to group G (number gi); false when nothing more may follow it. */
static bool
join_group(struct group *g, int16_t gi, struct meta *meta, size_t i, const uint8_t *p)
{
	struct meta *m = &meta[i];
	bool psh = has_psh(p, m);

	meta[g->last].next = (uint16_t)i;
	g->last = (uint16_t)i;
	g->count++;
	g->len += m->payload;
	g->next_seq += m->payload;
	g->psh = psh;
	m->group = gi;
	/* nothing may follow a short segment or a push */
	return m->payload == g->gso_size && !psh;
}

/* Makes packet i (P, M, LEN bytes) the first of group G (number gi); false when it is a push,
 * which nothing may follow. */
static bool
start_group(struct group *g, int16_t gi, struct meta *m, size_t i, const uint8_t *p, size_t len)
{
	g->first = g->last = (uint16_t)i;
	g->count = 1;
	g->gso_size = m->payload;
	g->len = (uint32_t)len;
	g->psh = has_psh(p, m);
	g->next_seq = is_tcp(m->kind) ? get32(p + m->l3 + 4) + m->payload : 0;
	m->group = gi;
	return !g->psh;
}

/* Decides the groups: fills meta[0..n) and groups[]. */
static void
plan(const struct offload_pkt *in, size_t n, bool udp_ok, struct meta *meta,
    struct group *groups)
{
	uint16_t open[OFFLOAD_BATCH_MAX];
	size_t nopen = 0, ngroups = 0;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = in[i].data;
		struct meta *m = &meta[i];
		size_t k;

		classify(p, in[i].len, udp_ok, m);
		if (m->kind == K_NONE)
			continue;
		if (m->cand)
			m->cand = m->valid = verify(p, in[i].len, m);
		for (k = 0; k < nopen; k++) {
			uint16_t f = groups[open[k]].first;

			if (same_flow(in[f].data, &meta[f], p, m))
				break;
		}
		if (k < nopen) {
			struct group *g = &groups[open[k]];
			uint16_t f = g->first;

			/* the flow's open group takes it, or is closed by it */
			if (m->cand && can_append(g, in[f].data, &meta[f], p, m)) {
				if (!join_group(g, (int16_t)open[k], meta, i, p))
					open[k] = open[--nopen];
				continue;
			}
			open[k] = open[--nopen];
		}
		if (!m->cand)
			continue;
		if (start_group(&groups[ngroups], (int16_t)ngroups, m, i, p, in[i].len))
			open[nopen++] = (uint16_t)ngroups;
		ngroups++;
	}
}

int
offload_coalesce(const struct offload_pkt *in, size_t n, unsigned flags,
    uint8_t *arena, size_t cap, struct offload_out *out, size_t nout)
{
	struct meta meta[OFFLOAD_BATCH_MAX];
	struct group groups[OFFLOAD_BATCH_MAX];
	size_t used = 0, nouts = 0;

	if (n > OFFLOAD_BATCH_MAX || (flags & ~OFFLOAD_COALESCE_UDP))
		return fail(EINVAL);
	plan(in, n, (flags & OFFLOAD_COALESCE_UDP) != 0, meta, groups);

	for (size_t i = 0; i < n; i++) {
		const struct group *g = meta[i].group >= 0 ? &groups[meta[i].group] : NULL;

		if (g && g->first != i)
			continue;	/* merged into an earlier output */
		size_t need = VNET_HDR_LEN + (g ? g->len : in[i].len);
		if (nouts == nout || cap - used < need)
			return fail(ENOBUFS);
		uint8_t *o = arena + used;
		if (g && g->count > 1)
			emit_group(o, g, in, meta);
		else
			emit_plain(o, &in[i], meta[i].valid);
		out[nouts].data = o;
		out[nouts].len = need;
		out[nouts].first = (uint16_t)i;
		out[nouts].count = g ? g->count : 1;
		nouts++;
		used += need;
	}
	return (int)nouts;
}
