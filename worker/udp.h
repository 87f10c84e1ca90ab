/* The worker's batched UDP I/O, on a socket bound by its privileged parent (sys/udpsock.h)
 * and taken with udp_setup(): recvmmsg with GRO runs, sendmmsg with UDP GSO runs.
 *
 * No logging: functions return -1 with errno. Every call passes MSG_DONTWAIT, so the fd's own
 * O_NONBLOCK does not matter. */
#ifndef GT_WORKER_UDP_H
#define GT_WORKER_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"
#include "sys/udpsock.h"

#define UDP_BATCH_MAX 64              /* messages per recvmmsg / sendmmsg system call */
#define UDP_RX_GRO_BUFSIZE 65536      /* receive buffer size needed once GRO is on */
#define UDP_GSO_MAX_SEGS 64           /* segments per UDP_SEGMENT message (kernel limit) */

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
