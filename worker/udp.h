/* The worker's UDP socket: set-up as the reference does it (PROTOCOL.md section 9) plus DF on
 * IPv6, large buffers, and batched I/O with UDP GSO (UDP_SEGMENT, send) and GRO (UDP_GRO,
 * receive) where the kernel has them (FASTPATH.md).
 *
 * No logging: functions return -1 with errno, and the feature bits tell the caller what to
 * log. Every call passes MSG_DONTWAIT, so the fd's own O_NONBLOCK does not matter. */
#ifndef GT_WORKER_UDP_H
#define GT_WORKER_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

/* Feature bits (struct udp_sock.features). */
#define UDP_F_GSO       0x01u /* UDP_SEGMENT: a GSO run leaves in one sendmmsg entry */
#define UDP_F_GRO       0x02u /* UDP_GRO: receives may be coalesced runs (64 KiB buffers) */
#define UDP_F_DUALSTACK 0x04u /* AF_INET6 socket that carries IPv4 as well */
#define UDP_F_DF4       0x08u /* IPv4: IP_PMTUDISC_PROBE, DF set, oversize sends fail */
#define UDP_F_DF6       0x10u /* IPv6: IPV6_PMTUDISC_PROBE + IPV6_DONTFRAG, the same */
#define UDP_F_BIGBUF    0x20u /* both buffers got the size asked (SO_*BUFFORCE past *mem_max) */
#define UDP_F_RECVTOS   0x40u /* struct udp_rx.tos is filled in */

#define UDP_BUFSIZE_DEFAULT (4 << 20) /* SO_RCVBUF / SO_SNDBUF asked for */
#define UDP_BATCH_MAX 64              /* messages per recvmmsg / sendmmsg system call */
#define UDP_RX_GRO_BUFSIZE 65536      /* receive buffer size needed once GRO is on */
#define UDP_GSO_MAX_SEGS 64           /* segments per UDP_SEGMENT message (kernel limit) */

/* Options; a NULL config means all defaults (zero). */
struct udp_config {
	int bufsize;   /* SO_RCVBUF and SO_SNDBUF wanted; 0: UDP_BUFSIZE_DEFAULT */
	bool v6only;   /* udp_open on AF_INET6: IPv6 only (default: dual stack) */
	bool no_gso;   /* leave UDP_SEGMENT unused */
	bool no_gro;   /* leave UDP_GRO off */
	bool recv_tos; /* IP_RECVTOS / IPV6_RECVTCLASS: report received TOS */
};

struct udp_sock {
	int fd;
	int family;           /* AF_INET or AF_INET6: the socket's own */
	uint16_t port;        /* bound port, host order */
	unsigned features;    /* UDP_F_* in force */
	int gso_off_errno;    /* why udp_send turned GSO off at run time (EIO, EINVAL), else 0 */
	int rcvbuf, sndbuf;   /* SO_RCVBUF / SO_SNDBUF as the kernel reports them (twice the size) */
};

/* Opens a UDP socket bound to *bind (an AF_INET6 address gives a dual-stack socket unless
 * cfg->v6only), with SO_REUSEADDR, packet info, DF and the rest. Returns 0 or -1. */
int udp_open(struct udp_sock *s, const struct mud_addr *bind, const struct udp_config *cfg);

/* Sets up an already bound UDP socket passed in by the supervisor, the same way (dual stack
 * can no longer be changed after bind: it is only reported). Takes ownership of fd on success
 * only. Returns 0 or -1: ENOTSOCK or EPROTOTYPE if fd is not a UDP socket, EINVAL if it is not
 * bound. */
int udp_setup(struct udp_sock *s, int fd, const struct udp_config *cfg);

void udp_close(struct udp_sock *s);

/* Stops using UDP_SEGMENT on this socket; udp_send then sends GSO runs as plain datagrams. */
void udp_disable_gso(struct udp_sock *s);

/* Feature bits as words ("gso gro dualstack df4 df6 bigbuf recvtos"), for a log line.
 * Returns the length, or -1 if size is too small. */
int udp_features_format(unsigned features, char *buf, size_t size);

/* Receive flags (struct udp_rx.flags). Either means: drop the message. */
#define UDP_RX_TRUNC  0x01u /* datagram larger than the buffer (MSG_TRUNC) */
#define UDP_RX_CTRUNC 0x02u /* ancillary data cut (MSG_CTRUNC): local may be unset */

/* One receive slot: the caller sets buf and size, udp_recv fills in the rest. */
struct udp_rx {
	uint8_t *buf;
	size_t size;            /* UDP_RX_GRO_BUFSIZE or more when UDP_F_GRO is on */
	size_t len;             /* bytes received */
	struct mud_addr remote; /* source of the datagram */
	struct mud_addr local;  /* its destination (packet info), with the bound port */
	uint16_t gso_size;      /* 0: one datagram; else a run of gso_size segments (last shorter) */
	uint8_t tos;            /* TOS / traffic class, with UDP_F_RECVTOS */
	unsigned flags;         /* UDP_RX_* */
};

/* Receives up to n (at most UDP_BATCH_MAX) messages with one recvmmsg. Returns how many slots
 * were filled (>= 1), or -1 with errno (EAGAIN: nothing waiting). */
int udp_recv(struct udp_sock *s, struct udp_rx *rx, unsigned n);

/* Segments in a received message: 1 without GRO, else ceil(len / gso_size). Segment i starts
 * at buf + i * gso_size. */
static inline size_t
udp_rx_segments(const struct udp_rx *rx)
{
	if (rx->gso_size == 0 || rx->len <= rx->gso_size)
		return 1;
	return (rx->len + rx->gso_size - 1) / rx->gso_size;
}

/* One send entry: one datagram, or (gso_size != 0) a run of equal datagrams of gso_size bytes
 * laid out back to back in buf, the last one possibly shorter. */
struct udp_tx {
	struct mud_addr local;  /* source address (packet info); family 0: the kernel picks */
	struct mud_addr remote; /* destination */
	const uint8_t *buf;
	size_t len;
	uint16_t gso_size;
	uint8_t tos;            /* IP_TOS / IPV6_TCLASS of every datagram (192 by default) */
	bool confirm;           /* MSG_CONFIRM (replies and echoes) */
	int error;              /* out: 0, or the errno of this entry */
	size_t sent;            /* out: bytes that left, a multiple of gso_size if partial */
};

/* Sends the entries in order with as few sendmmsg calls as it can: one call per run of
 * entries with the same confirm flag (MSG_CONFIRM is a flag of the call, not of a message),
 * UDP_BATCH_MAX messages per call. With GSO on, a run is one message (split further past
 * UDP_GSO_MAX_SEGS or 64 KiB); with GSO off, one message per segment.
 *
 * Errors of one entry (EMSGSIZE, EHOSTUNREACH, ...) are stored in its error field and the
 * next entry goes on. If a GSO message fails with EIO (no checksum offload on the egress
 * device) or EINVAL, the entry is tried again as plain datagrams: if that works GSO stays off
 * for the socket (features loses UDP_F_GSO, gso_off_errno says why: log it), otherwise GSO
 * is kept and the entry gets the plain send's error.
 *
 * Returns the number of entries done (sent or failed on their own). Fewer than n means the
 * batch stopped at entry [ret] (its error and sent tell how far it went), errno = its error:
 * EAGAIN or ENOBUFS (try again when writable), or worse (EBADF ...). */
int udp_send(struct udp_sock *s, struct udp_tx *tx, unsigned n);

#endif
