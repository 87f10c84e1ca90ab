/* TUN offloads (IFF_VNET_HDR + TUNSETOFFLOAD): the packet work, over buffers, with no I/O.
 *
 * Reading the TUN gives a struct virtio_net_hdr then an IP packet that may be a TSO/USO
 * "super-packet" of up to 64 KiB with a partial checksum. offload_split() turns it into the
 * segments a stock peer expects: complete IP packets with real checksums.
 *
 * Writing the TUN takes the same header. offload_coalesce() merges a batch of plain IP packets
 * received from the tunnel into as few super-packets as it safely can (what GRO does), so the
 * kernel takes one write per flow burst instead of one per segment.
 *
 * Header fields are in host byte order: the TUN's default (legacy virtio) on little-endian hosts,
 * which must not set TUNSETVNETBE. The TUN must use IFF_NO_PI and the default 10-byte header.
 * Every function returns -1 with errno set on failure: EINVAL for malformed input, ENOBUFS when
 * the caller's output space is too small. */
#ifndef GT_WORKER_OFFLOAD_H
#define GT_WORKER_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/vnet.h"	/* VNET_HDR_LEN, VNET_PKT_MAX (the largest packet either way) */

#define OFFLOAD_BATCH_MAX	256	/* packets per offload_coalesce() call */
#define OFFLOAD_UDP_SEGS_MAX	64	/* segments per USO packet (kernel's UDP_MAX_SEGMENTS) */

/* offload_coalesce() flags */
#define OFFLOAD_COALESCE_UDP	0x1	/* also merge UDP (the TUN took TUN_F_USO4|TUN_F_USO6) */

/* What a virtio_net_hdr and its packet hold, once checked (offload_parse). */
struct offload_info {
	uint8_t		 gso_type;	/* VIRTIO_NET_HDR_GSO_*, ECN bit removed */
	bool		 ecn;		/* VIRTIO_NET_HDR_GSO_ECN was set (TCP only) */
	bool		 needs_csum;	/* VIRTIO_NET_HDR_F_NEEDS_CSUM */
	uint8_t		 ip_version;	/* 4 or 6; 0 when not GSO (the packet is not parsed) */
	uint8_t		 proto;		/* IPPROTO_TCP or IPPROTO_UDP; 0 when not GSO */
	uint16_t	 csum_start;	/* = IP header length for GSO */
	uint16_t	 csum_offset;
	uint16_t	 hdr_len;	/* IP + transport headers, recomputed (GSO only) */
	uint16_t	 gso_size;	/* payload bytes per segment (GSO only) */
	uint32_t	 nseg;		/* packets offload_split() produces */
	uint32_t	 seg_max;	/* length of the largest of them */
};

/* A caller's output buffer: split writes a packet at DATA (CAP bytes of room) and sets LEN. */
struct offload_buf {
	uint8_t		*data;
	size_t		 cap;
	size_t		 len;
};

/* One plain IP packet given to offload_coalesce(). */
struct offload_pkt {
	const uint8_t	*data;
	size_t		 len;
};

/* One packet for the TUN made by offload_coalesce(): a virtio_net_hdr then an IP packet, LEN bytes
 * in all at DATA (inside the caller's arena), carrying input packets FIRST and COUNT - 1 later ones
 * of the same flow. */
struct offload_out {
	uint8_t		*data;
	size_t		 len;
	uint16_t	 first;
	uint16_t	 count;
};

/* Copies the header at the start of FRAME (as read from the TUN) into VH. -1 if LEN is short. */
int	offload_vnet_get(struct virtio_net_hdr *vh, const uint8_t *frame, size_t len);

/* Checks VH against the packet PKT of LEN bytes that follows it and describes both in OI. A GSO
 * packet must be IPv4 or IPv6 without extension headers, carry TCP (TCPV4, TCPV6) or UDP (UDP_L4),
 * have NEEDS_CSUM with csum_start at the transport header, exact IP lengths, a payload, and no
 * fragment bits. VH's hdr_len is ignored: the headers are measured. */
int	offload_parse(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
	    struct offload_info *oi);

/* Splits the packet read from the TUN into complete packets out[0..n), n returned: MSS-sized
 * segments for GSO, with IPv4 ids counting up, TCP sequence numbers advanced, FIN and PSH on the
 * last segment only, CWR on the first only, and full checksums; a non-GSO packet is copied with its
 * partial checksum, if any, completed. PKT is not modified. */
int	offload_split(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
	    struct offload_buf *out, size_t nout);

/* Completes in place the checksum of a non-GSO packet read with NEEDS_CSUM (no copy); does
 * nothing for a packet without it. GSO packets are refused: use offload_split(). */
int	offload_csum_complete(const struct virtio_net_hdr *vh, uint8_t *pkt, size_t len);

/* Arena bytes that offload_coalesce() may need for these packets: every input and a header each. */
size_t	offload_coalesce_space(const struct offload_pkt *in, size_t n);

/* Merges the packets in[0..n) (n <= OFFLOAD_BATCH_MAX) into packets for the TUN, written into
 * ARENA (CAP bytes, see offload_coalesce_space) and described in out[] (nout >= n always
 * suffices); returns their count. TCP segments merge when they are of the same flow, contiguous in
 * sequence, in the order given, with equal IP and TCP headers except lengths, IPv4 id, checksums
 * and PSH on the last one (no IP options, no ECN CE, only ACK or ACK|PSH, equal TCP options),
 * equal payload sizes but for a shorter last one, and valid checksums; the result carries a
 * TCPV4/TCPV6 header with NEEDS_CSUM, the pseudo-header sum in the TCP checksum field (the
 * kernel's CHECKSUM_PARTIAL) and at most VNET_PKT_MAX bytes. With OFFLOAD_COALESCE_UDP, UDP
 * datagrams merge likewise into UDP_L4 packets. Other packets pass through with gso_type NONE and
 * flags 0, or DATA_VALID when their checksums were verified. Packets of one flow keep their
 * order; outputs follow the order of their first input packet. */
int	offload_coalesce(const struct offload_pkt *in, size_t n, unsigned flags,
	    uint8_t *arena, size_t cap, struct offload_out *out, size_t nout);

#endif
