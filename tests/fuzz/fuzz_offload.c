/* TUN offloads on arbitrary bytes. Byte 0 picks the mode (bits 0-1) and OFFLOAD_COALESCE_UDP
 * (bit 2):
 *   0: a virtio_net_hdr (10 bytes) and a packet into offload_split(); every segment must be a
 *      whole packet with good checksums carrying its slice of the payload, and coalescing the
 *      segments then splitting the results must give the segments back, byte for byte; bit 3
 *      or 4 gives split one buffer or one byte too few, which must fail with ENOBUFS;
 *   1: a batch of packets (2-byte length, bytes) into offload_coalesce(); with bit 3, lengths and
 *      checksums are fixed up first so that merging happens;
 *   2: a stream made from a header template and (size, tweak) pairs, fixed up, into
 *      offload_coalesce().
 * For a batch, every input must come out exactly once: alone and unchanged, or inside a merged
 * packet that splits back into the inputs but for IPv4 ids and checksums (checked apart). */
#include <linux/virtio_net.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPKT	OFFLOAD_BATCH_MAX
#define PKTCAP	1800
#define SEGMEM	(4u << 20)
#define STREAM_MAX	80	/* beyond OFFLOAD_UDP_SEGS_MAX; longer only slows the fuzzer */

static uint8_t	pkts[NPKT][PKTCAP];
static uint8_t	segmem[SEGMEM];
static uint8_t	segmem2[SEGMEM];
static uint8_t	arena[NPKT * (PKTCAP + 16) + 2 * VNET_PKT_MAX];
static uint8_t	input[VNET_PKT_MAX + 1];

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 byte by byte: independent of worker/csum.c. */
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

/* Where the headers of the IP packet P are, if it is TCP or UDP: 0 if not. */
static int
layout(const uint8_t *p, size_t len, size_t *l3, size_t *l4, uint8_t *proto)
{
	if (len < 20)
		return 0;
	if (p[0] >> 4 == 4) {
		*l3 = (p[0] & 15) * 4u;
		*proto = p[9];
		if (*l3 < 20)
			return 0;
	} else if (p[0] >> 4 == 6 && len >= 40) {
		*l3 = 40;
		*proto = p[6];
	} else {
		return 0;
	}
	if (*proto == IPPROTO_TCP && *l3 + 20 <= len) {
		*l4 = (p[*l3 + 12] >> 4) * 4u;
		return *l4 >= 20 && *l3 + *l4 <= len;
	}
	if (*proto == IPPROTO_UDP && *l3 + 8 <= len) {
		*l4 = 8;
		return 1;
	}
	return 0;
}

static uint16_t
l4_sum(const uint8_t *p, size_t len, size_t l3, uint8_t proto)
{
	bool v4 = p[0] >> 4 == 4;
	uint64_t s = ref_sum(p + (v4 ? 12 : 8), v4 ? 8 : 32, 0) + proto + (len - l3);

	return ref_sum(p + l3, len - l3, s);
}

/* Asserts that P is a whole TCP or UDP packet with good lengths and checksums. */
static void
assert_whole(const uint8_t *p, size_t len)
{
	size_t l3, l4;
	uint8_t proto;

	if (!layout(p, len, &l3, &l4, &proto))
		abort();
	if (p[0] >> 4 == 4) {
		if (rd16(p + 2) != len || ref_sum(p, l3, 0) != 0xffff)
			abort();
	} else if (rd16(p + 4) != len - 40) {
		abort();
	}
	if (proto == IPPROTO_UDP && rd16(p + l3 + 4) != len - l3)
		abort();
	if (l4_sum(p, len, l3, proto) != 0xffff)
		abort();
}

/* Sets the lengths and checksums of a packet that looks like TCP or UDP over IP. */
static void
fixup(uint8_t *p, size_t len)
{
	size_t l3, l4;
	uint8_t proto;

	if (len < 20 || len > VNET_PKT_MAX)
		return;
	if (p[0] >> 4 == 4 && (p[0] & 15) * 4u <= len)
		wr16(p + 2, (uint32_t)len);
	else if (p[0] >> 4 == 6 && len >= 40)
		wr16(p + 4, (uint32_t)(len - 40));
	if (!layout(p, len, &l3, &l4, &proto))
		return;
	if (p[0] >> 4 == 4) {
		p[10] = p[11] = 0;
		wr16(p + 10, (uint16_t)~ref_sum(p, l3, 0));
	}
	size_t off = proto == IPPROTO_TCP ? 16 : 6;
	if (proto == IPPROTO_UDP)
		wr16(p + l3 + 4, (uint32_t)(len - l3));
	p[l3 + off] = p[l3 + off + 1] = 0;
	uint16_t c = (uint16_t)~l4_sum(p, len, l3, proto);
	wr16(p + l3 + off, proto == IPPROTO_UDP && c == 0 ? 0xffff : c);
}

/* Equal but for what a merge may rewrite: the IPv4 id and header checksum, and the transport
 * checksum (0 and 0xffff are the same TCP checksum). */
static bool
same_packet(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t l3, l4;
	uint8_t proto;

	if (alen != blen || !layout(a, alen, &l3, &l4, &proto))
		return false;
	for (size_t i = 0; i < alen; i++) {
		bool v4 = a[0] >> 4 == 4;
		size_t ck = l3 + (proto == IPPROTO_TCP ? 16 : 6);

		if (v4 && (i == 4 || i == 5 || i == 10 || i == 11))
			continue;
		if (i == ck || i == ck + 1)
			continue;
		if (a[i] != b[i])
			return false;
	}
	return true;
}

/* Coalesces in[0..n) and checks that every input comes out exactly once. */
static void
check_coalesce(const struct offload_pkt *in, size_t n, unsigned flags, bool exact)
{
	static struct offload_out out[NPKT];
	static struct offload_buf sb[NPKT];
	bool used[NPKT] = { false };
	struct virtio_net_hdr vh;
	struct offload_info oi;
	size_t space = offload_coalesce_space(in, n);

	if (space > sizeof(arena))
		abort();
	int nout = offload_coalesce(in, n, flags, arena, space, out, n);
	if (nout < 0 || (size_t)nout > n)
		abort();
	for (int k = 0; k < nout; k++) {
		const struct offload_out *o = &out[k];
		const uint8_t *p = o->data + VNET_HDR_LEN;
		size_t len = o->len - VNET_HDR_LEN;

		if (o->count == 0 || o->first >= n || used[o->first] || o->len < VNET_HDR_LEN)
			abort();
		if (k > 0 && o->first <= out[k - 1].first)
			abort();
		memcpy(&vh, o->data, sizeof(vh));
		if (o->count == 1) {
			if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE || vh.gso_size || vh.hdr_len ||
			    vh.csum_start || vh.csum_offset || (vh.flags & ~VIRTIO_NET_HDR_F_DATA_VALID))
				abort();
			if (len != in[o->first].len || memcmp(p, in[o->first].data, len))
				abort();
			if (vh.flags)
				assert_whole(p, len);
			used[o->first] = true;
			continue;
		}
		if (vh.flags != VIRTIO_NET_HDR_F_NEEDS_CSUM || len > VNET_PKT_MAX)
			abort();
		if (vh.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4 && !(flags & OFFLOAD_COALESCE_UDP))
			abort();
		if (offload_parse(&vh, p, len, &oi) != 0 || oi.nseg != o->count)
			abort();
		if (oi.hdr_len != vh.hdr_len || (size_t)oi.nseg * oi.seg_max > SEGMEM)
			abort();
		for (size_t j = 0; j < oi.nseg; j++) {
			sb[j].data = segmem2 + j * oi.seg_max;
			sb[j].cap = oi.seg_max;
		}
		if (offload_split(&vh, p, len, sb, oi.nseg) != (int)o->count)
			abort();
		/* the members, in order: each the next unused input equal to the segment */
		size_t at = o->first;
		for (size_t j = 0; j < o->count; j++, at++) {
			assert_whole(sb[j].data, sb[j].len);
			while (at < n && (used[at] ||
			    !same_packet(sb[j].data, sb[j].len, in[at].data, in[at].len)))
				at++;
			if (at == n || (j == 0 && at != o->first))
				abort();
			if (exact && memcmp(sb[j].data, in[at].data, sb[j].len))
				abort();
			used[at] = true;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!used[i])
			abort();
}

/* Asserts that segment I of N (SEG) has the super-packet's headers (PKT, L3 + L4 bytes) but for
 * what splitting must change: lengths, IPv4 id, checksums, TCP sequence number and flags. */
static void
assert_seg_headers(const uint8_t *seg, const uint8_t *pkt, size_t l3, size_t l4, uint8_t proto,
    size_t i, size_t n, uint32_t seq)
{
	bool v4 = pkt[0] >> 4 == 4;

	for (size_t k = 0; k < l3 + l4; k++) {
		size_t t = k - l3;

		if (v4 ? (k >= 2 && k <= 5) || k == 10 || k == 11 : k == 4 || k == 5)
			continue;	/* lengths, id, header checksum */
		if (k >= l3 && t >= 4 && t < 8)
			continue;	/* TCP sequence number; UDP length and checksum */
		if (k >= l3 && proto == IPPROTO_TCP && (t == 13 || t == 16 || t == 17))
			continue;	/* TCP flags and checksum */
		if (seg[k] != pkt[k])
			abort();
	}
	if (v4 && rd16(seg + 4) != (uint16_t)(rd16(pkt + 4) + i))
		abort();
	if (proto != IPPROTO_TCP)
		return;
	const uint8_t *t = seg + l3;
	uint8_t want = pkt[l3 + 13];
	if (i > 0)
		want &= (uint8_t)~0x80;	/* CWR */
	if (i + 1 < n)
		want &= (uint8_t)~0x09;	/* FIN, PSH */
	if (t[13] != want)
		abort();
	if (((uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7]) != seq)
		abort();
}

static void
fuzz_split(const uint8_t *data, size_t size, unsigned flags, unsigned short_by)
{
	static struct offload_buf out[NPKT];
	static struct offload_pkt segs[NPKT];
	struct virtio_net_hdr vh;
	struct offload_info oi;

	if (offload_vnet_get(&vh, data, size) != 0)
		return;
	data += VNET_HDR_LEN;
	size -= VNET_HDR_LEN;
	if (size > sizeof(input))
		return;
	memcpy(input, data, size);

	size_t nout = 0;
	if (offload_parse(&vh, input, size, &oi) == 0) {
		if (oi.nseg == 0 || oi.seg_max == 0 || oi.seg_max > size)
			abort();
		nout = SEGMEM / oi.seg_max;
		if (nout > NPKT)
			nout = NPKT;
		for (size_t i = 0; i < nout; i++) {
			out[i].data = segmem + i * oi.seg_max;
			out[i].cap = oi.seg_max - (short_by & 2 ? 1 : 0);
		}
		if ((short_by & 1) && oi.nseg <= nout)
			nout = oi.nseg - 1;
	}
	errno = 0;
	int n = offload_split(&vh, input, size, out, nout);
	if (memcmp(input, data, size))
		abort();	/* the input is read only */
	if (n < 0) {
		/* refused for its contents, or for want of room it had reason to want */
		if (errno != (oi.nseg == 0 ? EINVAL : ENOBUFS))
			abort();
		if (errno == ENOBUFS && !short_by && oi.nseg <= nout)
			abort();
		return;
	}
	if (short_by)
		abort();
	if ((uint32_t)n != oi.nseg)
		abort();
	if (oi.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		size_t ck = (size_t)oi.csum_start + oi.csum_offset;

		if (n != 1 || out[0].len != size)
			abort();
		for (size_t i = 0; i < size; i++)
			if (out[0].data[i] != input[i] && !(oi.needs_csum && (i == ck || i == ck + 1)))
				abort();
		/* in place, the same */
		if (offload_csum_complete(&vh, input, size) != 0 || memcmp(input, out[0].data, size))
			abort();
		return;
	}
	size_t off = oi.hdr_len, l3 = oi.csum_start;
	uint32_t seq0 = (uint32_t)input[l3 + 4] << 24 | (uint32_t)input[l3 + 5] << 16 |
	    (uint32_t)input[l3 + 6] << 8 | input[l3 + 7];
	for (int i = 0; i < n; i++) {
		size_t plen = out[i].len - oi.hdr_len;

		if (out[i].len > oi.seg_max || out[i].len <= oi.hdr_len)
			abort();
		if (i + 1 < n && plen != oi.gso_size)
			abort();
		assert_whole(out[i].data, out[i].len);
		assert_seg_headers(out[i].data, input, l3, oi.hdr_len - l3, oi.proto, (size_t)i,
		    (size_t)n, seq0 + (uint32_t)(off - oi.hdr_len));
		if (memcmp(out[i].data + oi.hdr_len, input + off, plen))
			abort();
		off += plen;
		segs[i].data = out[i].data;
		segs[i].len = out[i].len;
	}
	if (off != size)
		abort();
	check_coalesce(segs, (size_t)n, flags, true);
}

static void
fuzz_batch(const uint8_t *data, size_t size, unsigned flags, bool fix)
{
	struct offload_pkt in[NPKT];
	size_t n = 0;

	while (size >= 2 && n < NPKT) {
		size_t len = rd16(data) % PKTCAP;

		data += 2, size -= 2;
		if (len > size)
			len = size;
		memcpy(pkts[n], data, len);
		if (fix)
			fixup(pkts[n], len);
		in[n].data = pkts[n];
		in[n].len = len;
		n++;
		data += len, size -= len;
	}
	check_coalesce(in, n, flags, false);
}

/* A stream: byte 0 the template length, the template (IP and transport headers), then pairs
 * (size, tweak): payload 1 + size * 6 bytes; tweak bits skew the sequence number, toggle PSH,
 * change the TTL, spoil the checksum. */
static void
fuzz_stream(const uint8_t *data, size_t size, unsigned flags)
{
	struct offload_pkt in[NPKT];
	size_t tlen, l3, l4, n = 0;
	uint8_t proto;
	uint32_t seq;

	if (size < 1 || (tlen = data[0]) > size - 1 || tlen > 120)
		return;
	const uint8_t *tpl = data + 1;
	data += 1 + tlen, size -= 1 + tlen;
	if (!layout(tpl, tlen, &l3, &l4, &proto) || l3 + l4 != tlen)
		return;
	seq = (uint32_t)tpl[l3 + 4] << 24 | (uint32_t)tpl[l3 + 5] << 16 | tpl[l3 + 6] << 8 |
	    tpl[l3 + 7];
	for (; size >= 2 && n < STREAM_MAX; data += 2, size -= 2, n++) {
		size_t plen = 1 + data[0] * 6u, len = tlen + plen;
		uint8_t tw = data[1], *p = pkts[n];

		memcpy(p, tpl, tlen);
		for (size_t k = 0; k < plen; k++)
			p[tlen + k] = (uint8_t)(n * 31 + k);
		if (tw & 0x01)
			seq += tw >> 4;
		if (proto == IPPROTO_TCP) {
			wr16(p + l3 + 4, seq >> 16);
			wr16(p + l3 + 6, seq);
			if (tw & 0x02)
				p[l3 + 13] ^= 0x08;
		}
		if (p[0] >> 4 == 4) {
			wr16(p + 4, rd16(p + 4) + (uint32_t)n);
			if (tw & 0x04)
				p[8]++;
		}
		fixup(p, len);
		if (tw & 0x08)
			p[len - 1] ^= 1;
		seq += (uint32_t)plen;
		in[n].data = p;
		in[n].len = len;
	}
	check_coalesce(in, n, flags, false);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0] & 3;
	unsigned flags = (data[0] & 4) ? OFFLOAD_COALESCE_UDP : 0;
	bool fix = (data[0] & 8) != 0;

	data++, size--;
	switch (mode) {
	case 0:
		fuzz_split(data, size, flags, (data[-1] >> 3) & 3);
		break;
	case 1:
		fuzz_batch(data, size, flags, fix);
		break;
	default:
		fuzz_stream(data, size, flags);
		break;
	}
	return 0;
}
