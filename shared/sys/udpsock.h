/* A tunnel's UDP socket, bound and set up as the reference does it (docs/protocol.md section 9)
 * plus DF on IPv6, large buffers, UDP GSO (UDP_SEGMENT, send) and GRO (UDP_GRO, receive) where
 * the kernel has them (docs/fastpath.md). The supervisor and the hand-run `gt-worker bind`
 * parent bind it (udp_open) and hand it to a worker, which takes it with udp_setup(); batched
 * I/O is the worker's (worker/udp.h).
 *
 * No logging: functions return -1 with errno, and the feature bits tell the caller what to
 * log. */
#ifndef GT_SYS_UDPSOCK_H
#define GT_SYS_UDPSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

/* Feature bits (struct udp_sock.features). */
#define UDP_F_GSO       0x01u /* UDP_SEGMENT: a GSO run leaves in one sendmmsg entry */
#define UDP_F_GRO       0x02u /* UDP_GRO: receives may be coalesced runs (64 KiB buffers) */
#define UDP_F_DUALSTACK 0x04u /* AF_INET6 socket that carries IPv4 as well */
#define UDP_F_DF4       0x08u /* IPv4: IP_PMTUDISC_PROBE, DF set, oversize sends fail */
#define UDP_F_DF6       0x10u /* IPv6: IPV6_PMTUDISC_PROBE + IPV6_DONTFRAG, the same */
#define UDP_F_BIGBUF    0x20u /* both buffers got the size asked (SO_*BUFFORCE past *mem_max) */
#define UDP_F_RECVTOS   0x40u /* struct udp_rx.tos is filled in */

#define UDP_BUFSIZE_DEFAULT (4 << 20) /* SO_RCVBUF / SO_SNDBUF asked for */

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

/* Opens a UDP socket (non-blocking, close-on-exec) bound to *bind (an AF_INET6 address gives a
 * dual-stack socket unless cfg->v6only), with SO_REUSEADDR, packet info, DF and the rest.
 * Returns 0 or -1. */
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

#endif
