/* Batched UDP I/O with GSO/GRO (see udp.h). */
#define _GNU_SOURCE /* recvmmsg, sendmmsg, struct in6_pktinfo */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/addr.h"
#include "udp.h"

/* Largest UDP payload in one IP packet (no jumbograms). */
#define UDP_PAYLOAD_MAX4 (65535 - 20 - 8)
#define UDP_PAYLOAD_MAX6 (65535 - 8)

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/* Send side: packet info (the larger of the two), TOS or traffic class, UDP_SEGMENT. */
union tx_cmsg {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) +
	    CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr align;
};

/* Receive side: a dual-stack socket gets both IP_PKTINFO and IPV6_PKTINFO for IPv4, plus
 * UDP_GRO and TOS; room to spare so MSG_CTRUNC never happens in practice. */
union rx_cmsg {
	char buf[256];
	struct cmsghdr align;
};

/* ---- receive ---- */

static void
parse_rx_cmsgs(const struct udp_sock *s, struct msghdr *mh, struct udp_rx *rx)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(&rx->local, 0, sizeof(rx->local));
			rx->local.family = AF_INET;
			memcpy(rx->local.ip, &pi.ipi_addr, 4);
			rx->local.port = s->port;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 sin6;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(&sin6, 0, sizeof(sin6));
			sin6.sin6_family = AF_INET6;
			sin6.sin6_port = htons(s->port);
			sin6.sin6_addr = pi.ipi6_addr;
			(void)mud_addr_from_sockaddr(&rx->local, (struct sockaddr *)&sin6,
			    sizeof(sin6)); /* v4-mapped becomes AF_INET */
		} else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int gso;

			memcpy(&gso, CMSG_DATA(c), sizeof(gso));
			rx->gso_size = gso > 0 && gso <= UINT16_MAX ? (uint16_t)gso : 0;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS &&
		    c->cmsg_len >= CMSG_LEN(1)) {
			rx->tos = *(const uint8_t *)CMSG_DATA(c);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int tclass;

			memcpy(&tclass, CMSG_DATA(c), sizeof(tclass));
			rx->tos = (uint8_t)tclass;
		}
	}
}

int
udp_recv(struct udp_sock *s, struct udp_rx *rx, unsigned n)
{
	struct mmsghdr mm[UDP_BATCH_MAX];
	struct iovec iov[UDP_BATCH_MAX];
	union sockaddr_any name[UDP_BATCH_MAX];
	union rx_cmsg ctl[UDP_BATCH_MAX];
	int r;

	if (n == 0)
		return 0;
	if (n > UDP_BATCH_MAX)
		n = UDP_BATCH_MAX;
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = rx[i].buf;
		iov[i].iov_len = rx[i].size;
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_name = &name[i];
		mm[i].msg_hdr.msg_namelen = sizeof(name[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = ctl[i].buf;
		mm[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
	}
	do
		r = recvmmsg(s->fd, mm, n, MSG_DONTWAIT, NULL);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	for (int i = 0; i < r; i++) {
		struct msghdr *mh = &mm[i].msg_hdr;
		struct udp_rx *x = &rx[i];

		x->len = mm[i].msg_len < x->size ? mm[i].msg_len : x->size;
		x->gso_size = 0;
		x->tos = 0;
		x->flags = 0;
		memset(&x->local, 0, sizeof(x->local));
		if (mud_addr_from_sockaddr(&x->remote, &name[i].sa, mh->msg_namelen) == -1)
			memset(&x->remote, 0, sizeof(x->remote));
		if (mh->msg_flags & MSG_TRUNC)
			x->flags |= UDP_RX_TRUNC;
		if (mh->msg_flags & MSG_CTRUNC)
			x->flags |= UDP_RX_CTRUNC;
		parse_rx_cmsgs(s, mh, x);
	}
	return r;
}

/* ---- send ---- */

/* Where a message of one sendmmsg call comes from. */
struct slot {
	unsigned entry;
	size_t off, len;
	bool gso;
};

/* Refuses up front what no kernel would send. */
static int
check_entry(const struct udp_sock *s, const struct udp_tx *t)
{
	int fam = t->remote.family;

	if (fam != AF_INET && fam != AF_INET6)
		return EDESTADDRREQ;
	if (s->family == AF_INET && fam == AF_INET6)
		return EAFNOSUPPORT;
	if (s->family == AF_INET6 && fam == AF_INET && !(s->features & UDP_F_DUALSTACK))
		return EAFNOSUPPORT;
	if (t->local.family != 0 && t->local.family != fam)
		return EINVAL;
	return 0;
}

/* The next message of entry t from byte off: its length, and whether it goes as one
 * UDP_SEGMENT message (at most UDP_GSO_MAX_SEGS segments and one IP packet's payload). */
static size_t
next_chunk(const struct udp_sock *s, const struct udp_tx *t, size_t off, bool *gso)
{
	size_t left = t->len - off, segs, max;

	*gso = false;
	if (t->gso_size == 0 || left <= t->gso_size)
		return left;
	if (!(s->features & UDP_F_GSO))
		return t->gso_size;
	segs = (t->remote.family == AF_INET6 ? UDP_PAYLOAD_MAX6 : UDP_PAYLOAD_MAX4) / t->gso_size;
	if (segs > UDP_GSO_MAX_SEGS)
		segs = UDP_GSO_MAX_SEGS;
	if (segs < 2)
		return t->gso_size;
	*gso = true;
	max = segs * t->gso_size;
	return left < max ? left : max;
}

static size_t
put_cmsg(union tx_cmsg *ctl, size_t off, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)(ctl->buf + off);

	memset(c, 0, CMSG_SPACE(len));
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	return off + CMSG_SPACE(len);
}

/* Destination as the socket wants it: an AF_INET6 socket takes IPv4 as v4-mapped. */
static socklen_t
dest_sockaddr(const struct udp_sock *s, const struct mud_addr *a, union sockaddr_any *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (s->family == AF_INET) {
		sa->sin.sin_family = AF_INET;
		sa->sin.sin_port = htons(a->port);
		memcpy(&sa->sin.sin_addr, a->ip, 4);
		return sizeof(sa->sin);
	}
	sa->sin6.sin6_family = AF_INET6;
	sa->sin6.sin6_port = htons(a->port);
	if (a->family == AF_INET) {
		sa->sin6.sin6_addr.s6_addr[10] = 0xff;
		sa->sin6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sa->sin6.sin6_addr.s6_addr[12], a->ip, 4);
	} else {
		memcpy(&sa->sin6.sin6_addr, a->ip, 16);
	}
	return sizeof(sa->sin6);
}

/* One message: destination, bytes [off, off + len) of t, and its cmsgs. IPv4 destinations
 * take SOL_IP cmsgs even on an AF_INET6 socket: the kernel hands them to the IPv4 path. */
static void
fill_msg(const struct udp_sock *s, struct msghdr *mh, struct iovec *iov,
         union sockaddr_any *name, union tx_cmsg *ctl, const struct udp_tx *t, size_t off,
         size_t len, bool gso)
{
	size_t clen = 0;
	int tos = t->tos;

	iov->iov_base = (void *)(uintptr_t)(t->buf + off);
	iov->iov_len = len;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = name;
	mh->msg_namelen = dest_sockaddr(s, &t->remote, name);
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	if (t->remote.family == AF_INET) {
		if (t->local.family == AF_INET) {
			struct in_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, t->local.ip, 4);
			clen = put_cmsg(ctl, clen, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
		}
		clen = put_cmsg(ctl, clen, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	} else {
		if (t->local.family == AF_INET6) {
			struct in6_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, t->local.ip, 16);
			clen = put_cmsg(ctl, clen, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
		}
		clen = put_cmsg(ctl, clen, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	}
	if (gso) {
		uint16_t size = t->gso_size;

		clen = put_cmsg(ctl, clen, SOL_UDP, UDP_SEGMENT, &size, sizeof(size));
	}
	mh->msg_control = ctl->buf;
	mh->msg_controllen = clen;
}

/* Errors that belong to the whole socket, not to one destination: stop the batch. */
static bool
stops_batch(int err)
{
	switch (err) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case ENOBUFS:
	case ENOMEM:
	case EBADF:
	case ENOTSOCK:
	case EFAULT:
		return true;
	}
	return false;
}

/* One sendmmsg call's messages and where each comes from. */
struct batch {
	struct mmsghdr mm[UDP_BATCH_MAX];
	struct iovec iov[UDP_BATCH_MAX];
	union sockaddr_any name[UDP_BATCH_MAX];
	union tx_cmsg ctl[UDP_BATCH_MAX];
	struct slot slot[UDP_BATCH_MAX];
	unsigned k;
};

/* How far udp_send got. */
struct cursor {
	unsigned i;   /* first entry not done */
	size_t off;   /* bytes of it already sent */
	bool probing; /* GSO just turned off for entry i: was it to blame? */
};

/* The messages of one call, from the cursor on: entries with entry i's confirm flag, those
 * that failed their checks skipped. */
static void
fill_batch(const struct udp_sock *s, const struct udp_tx *tx, unsigned n, const struct cursor *c,
           struct batch *b)
{
	unsigned e = c->i;
	size_t o = c->off;
	bool confirm = tx[c->i].confirm;

	b->k = 0;
	while (b->k < UDP_BATCH_MAX && e < n) {
		unsigned k = b->k;
		bool gso;
		size_t len;

		if (tx[e].error != 0) {
			e++;
			o = 0;
			continue;
		}
		if (tx[e].confirm != confirm)
			break;
		len = next_chunk(s, &tx[e], o, &gso);
		fill_msg(s, &b->mm[k].msg_hdr, &b->iov[k], &b->name[k], &b->ctl[k], &tx[e], o, len, gso);
		b->slot[k] = (struct slot){ .entry = e, .off = o, .len = len, .gso = gso };
		b->k++;
		o += len;
		if (o >= tx[e].len) {
			e++;
			o = 0;
		}
	}
}

/* The first r messages left: counts their bytes and moves the cursor past them. If r < k, the
 * next call starts with the message that failed and gets its error (sendmmsg drops errors
 * after the first message). */
static void
sent_some(struct udp_tx *tx, const struct batch *b, int r, struct cursor *c)
{
	const struct slot *last = &b->slot[r - 1];

	for (int j = 0; j < r; j++)
		tx[b->slot[j].entry].sent += b->slot[j].len;
	c->probing = false; /* the plain datagram went: GSO was to blame */
	c->i = last->entry;
	c->off = last->off + last->len;
	if (c->off >= tx[c->i].len) {
		c->i++;
		c->off = 0;
	}
}

/* The first message failed with err. True: try again as plain datagrams (EIO: egress without
 * checksum offload; EINVAL: some kernels refuse a short last segment). False: the error is the
 * entry's own, and GSO is back on if plain datagrams failed as well. */
static bool
gso_to_blame(struct udp_sock *s, const struct batch *b, int err, struct cursor *c)
{
	if (b->slot[0].gso && (err == EIO || err == EINVAL)) {
		s->features &= ~UDP_F_GSO;
		s->gso_off_errno = err;
		c->probing = true;
		return true;
	}
	if (c->probing) {
		s->features |= UDP_F_GSO;
		s->gso_off_errno = 0;
		c->probing = false;
	}
	return false;
}

int
udp_send(struct udp_sock *s, struct udp_tx *tx, unsigned n)
{
	struct batch b;
	struct cursor c = { .i = 0, .off = 0, .probing = false };

	for (unsigned e = 0; e < n; e++) {
		tx[e].sent = 0;
		tx[e].error = check_entry(s, &tx[e]);
	}
	while (c.i < n) {
		int r, err;

		if (tx[c.i].error != 0) {
			c.i++;
			c.off = 0;
			continue;
		}
		fill_batch(s, tx, n, &c, &b);
		r = sendmmsg(s->fd, b.mm, b.k, MSG_DONTWAIT | (tx[c.i].confirm ? MSG_CONFIRM : 0));
		if (r > 0) {
			sent_some(tx, &b, r, &c);
			continue;
		}
		err = errno; /* r is -1: a first message never goes unreported */
		if (err == EINTR || gso_to_blame(s, &b, err, &c))
			continue;
		tx[c.i].error = err;
		if (stops_batch(err)) {
			errno = err;
			return (int)c.i;
		}
		c.i++;
		c.off = 0;
	}
	return (int)n;
}
