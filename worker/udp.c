/* UDP socket set-up and batched I/O with GSO/GRO (see udp.h). */
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

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

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

static int
setint(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

static int
getint(int fd, int level, int name, int *value)
{
	socklen_t len = sizeof(*value);

	return getsockopt(fd, level, name, value, &len);
}

/* One buffer to at least size bytes (the kernel reports twice what it was given). The FORCE
 * variant passes net.core.{r,w}mem_max but needs CAP_NET_ADMIN; the plain one is capped. A
 * buffer that the supervisor already made large enough is left alone, since the plain call
 * from an unprivileged worker would shrink it. Returns whether the size was reached. */
static bool
grow_buffer(int fd, int opt, int force_opt, int size, int *actual)
{
	if (getint(fd, SOL_SOCKET, opt, actual) == 0 && *actual / 2 >= size)
		return true;
	if (setint(fd, SOL_SOCKET, force_opt, size) == -1)
		(void)setint(fd, SOL_SOCKET, opt, size);
	if (getint(fd, SOL_SOCKET, opt, actual) == -1)
		*actual = 0;
	return *actual / 2 >= size;
}

/* Big buffers keep bursts from overflowing the receive queue (FASTPATH.md). */
static void
set_buffers(struct udp_sock *s, int size)
{
	bool r = grow_buffer(s->fd, SO_RCVBUF, SO_RCVBUFFORCE, size, &s->rcvbuf);
	bool w = grow_buffer(s->fd, SO_SNDBUF, SO_SNDBUFFORCE, size, &s->sndbuf);

	if (r && w)
		s->features |= UDP_F_BIGBUF;
}

/* UDP_SEGMENT (4.18): the socket-wide size is reset to 0, since sends give their own size in
 * a cmsg; the option existing is the feature test. */
static bool
try_gso(int fd)
{
	int v;

	return setint(fd, SOL_UDP, UDP_SEGMENT, 0) == 0 &&
	    getint(fd, SOL_UDP, UDP_SEGMENT, &v) == 0;
}

/* UDP_GRO exists from 5.0 but can only be read back from 5.12, where it is also usable (as
 * wireguard-go concludes): without the read-back, turn it off again. */
static bool
try_gro(int fd)
{
	int v = 0;

	if (setint(fd, SOL_UDP, UDP_GRO, 1) == -1)
		return false;
	if (getint(fd, SOL_UDP, UDP_GRO, &v) == 0 && v == 1)
		return true;
	(void)setint(fd, SOL_UDP, UDP_GRO, 0);
	return false;
}

static int
configure(struct udp_sock *s, const struct udp_config *cfg)
{
	static const struct udp_config defaults;
	int v6only = 1;

	if (cfg == NULL)
		cfg = &defaults;
	s->features = 0;
	s->gso_off_errno = 0;
	if (s->family == AF_INET6) {
		if (getint(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only) == -1)
			return -1;
		if (!v6only)
			s->features |= UDP_F_DUALSTACK;
	}
	if (setint(s->fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1)
		return -1;

	/* Packet info: the local address of each path, and the source address on send. */
	if (s->family == AF_INET6 &&
	    setint(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) == -1)
		return -1;
	if ((s->family == AF_INET || !v6only) &&
	    setint(s->fd, IPPROTO_IP, IP_PKTINFO, 1) == -1)
		return -1;

	/* DF everywhere, and the kernel's cached PMTU ignored: the protocol probes the MTU itself
	 * and needs oversize sends to fail locally with EMSGSIZE. IPv6 is our addition (section
	 * 11 item 9); there PROBE alone already refuses to fragment, DONTFRAG says it twice. */
	if (s->family == AF_INET || !v6only) {
		if (setint(s->fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE) == -1)
			return -1;
		s->features |= UDP_F_DF4;
	}
	if (s->family == AF_INET6) {
		if (setint(s->fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE) == -1 ||
		    setint(s->fd, IPPROTO_IPV6, IPV6_DONTFRAG, 1) == -1)
			return -1;
		s->features |= UDP_F_DF6;
	}

	if (cfg->recv_tos) {
		if (s->family == AF_INET6 &&
		    setint(s->fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) == -1)
			return -1;
		if ((s->family == AF_INET || !v6only) &&
		    setint(s->fd, IPPROTO_IP, IP_RECVTOS, 1) == -1)
			return -1;
		s->features |= UDP_F_RECVTOS;
	}

	set_buffers(s, cfg->bufsize > 0 ? cfg->bufsize : UDP_BUFSIZE_DEFAULT);
	if (!cfg->no_gso && try_gso(s->fd))
		s->features |= UDP_F_GSO;
	if (!cfg->no_gro && try_gro(s->fd))
		s->features |= UDP_F_GRO;
	else
		(void)setint(s->fd, SOL_UDP, UDP_GRO, 0); /* a passed-in fd may have had it on */
	return 0;
}

static int
bound_port(int fd, uint16_t *port)
{
	union sockaddr_any sa;
	socklen_t len = sizeof(sa);
	struct mud_addr a;

	if (getsockname(fd, &sa.sa, &len) == -1)
		return -1;
	if (mud_addr_from_sockaddr(&a, &sa.sa, len) == -1 || a.port == 0) {
		errno = EINVAL;
		return -1;
	}
	*port = a.port;
	return 0;
}

int
udp_open(struct udp_sock *s, const struct mud_addr *bind_addr, const struct udp_config *cfg)
{
	struct sockaddr_storage ss;
	int len, saved;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if ((len = mud_addr_to_sockaddr(bind_addr, &ss)) == -1) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	s->family = bind_addr->family;
	s->fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s->fd == -1)
		return -1;
	/* Dual stack must be chosen before bind (section 9: V6ONLY=0 on Linux). */
	if (s->family == AF_INET6 &&
	    setint(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, cfg != NULL && cfg->v6only) == -1)
		goto fail;
	if (setint(s->fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1)
		goto fail;
	if (bind(s->fd, (struct sockaddr *)&ss, (socklen_t)len) == -1)
		goto fail;
	if (bound_port(s->fd, &s->port) == -1 || configure(s, cfg) == -1)
		goto fail;
	return 0;
fail:
	saved = errno;
	close(s->fd);
	s->fd = -1;
	errno = saved;
	return -1;
}

int
udp_setup(struct udp_sock *s, int fd, const struct udp_config *cfg)
{
	int type, proto, domain;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (getint(fd, SOL_SOCKET, SO_TYPE, &type) == -1 ||
	    getint(fd, SOL_SOCKET, SO_PROTOCOL, &proto) == -1 ||
	    getint(fd, SOL_SOCKET, SO_DOMAIN, &domain) == -1)
		return -1; /* ENOTSOCK for a non-socket */
	if (type != SOCK_DGRAM || proto != IPPROTO_UDP ||
	    (domain != AF_INET && domain != AF_INET6)) {
		errno = EPROTOTYPE;
		return -1;
	}
	s->fd = fd;
	s->family = domain;
	if (bound_port(fd, &s->port) == -1 || configure(s, cfg) == -1) {
		s->fd = -1;
		return -1;
	}
	return 0;
}

void
udp_close(struct udp_sock *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->features = 0;
}

void
udp_disable_gso(struct udp_sock *s)
{
	s->features &= ~UDP_F_GSO;
}

int
udp_features_format(unsigned features, char *buf, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ UDP_F_GSO, "gso" }, { UDP_F_GRO, "gro" }, { UDP_F_DUALSTACK, "dualstack" },
		{ UDP_F_DF4, "df4" }, { UDP_F_DF6, "df6" }, { UDP_F_BIGBUF, "bigbuf" },
		{ UDP_F_RECVTOS, "recvtos" },
	};
	size_t len = 0;

	if (size == 0)
		return -1;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(features & names[i].bit))
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len ? " " : "", names[i].name);
		if (n < 0 || (size_t)n >= size - len) {
			buf[0] = '\0';
			return -1;
		}
		len += (size_t)n;
	}
	return (int)len;
}

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

int
udp_send(struct udp_sock *s, struct udp_tx *tx, unsigned n)
{
	struct mmsghdr mm[UDP_BATCH_MAX];
	struct iovec iov[UDP_BATCH_MAX];
	union sockaddr_any name[UDP_BATCH_MAX];
	union tx_cmsg ctl[UDP_BATCH_MAX];
	struct slot slot[UDP_BATCH_MAX];
	unsigned i = 0;       /* first entry not done */
	size_t off = 0;       /* bytes of it already sent */
	bool probing = false; /* GSO just turned off for entry i: was it to blame? */

	for (unsigned e = 0; e < n; e++) {
		tx[e].sent = 0;
		tx[e].error = check_entry(s, &tx[e]);
	}
	while (i < n) {
		unsigned k = 0, e = i;
		size_t o = off;
		bool confirm = tx[i].confirm;
		int r, err = 0;

		if (tx[i].error != 0) {
			i++;
			off = 0;
			continue;
		}
		while (k < UDP_BATCH_MAX && e < n) {
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
			fill_msg(s, &mm[k].msg_hdr, &iov[k], &name[k], &ctl[k], &tx[e], o, len, gso);
			slot[k] = (struct slot){ .entry = e, .off = o, .len = len, .gso = gso };
			k++;
			o += len;
			if (o >= tx[e].len) {
				e++;
				o = 0;
			}
		}
		r = sendmmsg(s->fd, mm, k, MSG_DONTWAIT | (confirm ? MSG_CONFIRM : 0));
		if (r == -1) {
			err = errno;
			if (err == EINTR)
				continue;
			r = 0;
		}
		if (r > 0) {
			/* If r < k, the next call starts with the message that failed and
			 * gets its error (sendmmsg drops errors after the first message). */
			for (int j = 0; j < r; j++)
				tx[slot[j].entry].sent += slot[j].len;
			probing = false; /* the plain datagram went: GSO was to blame */
			i = slot[r - 1].entry;
			off = slot[r - 1].off + slot[r - 1].len;
			if (off >= tx[i].len) {
				i++;
				off = 0;
			}
			continue;
		}
		if (slot[0].gso && (err == EIO || err == EINVAL)) {
			/* EIO: egress without checksum offload; EINVAL: some kernels refuse a
			 * short last segment. Try the entry as plain datagrams. */
			s->features &= ~UDP_F_GSO;
			s->gso_off_errno = err;
			probing = true;
			continue;
		}
		if (probing) {
			/* Plain datagrams fail as well: not GSO's fault. */
			s->features |= UDP_F_GSO;
			s->gso_off_errno = 0;
			probing = false;
		}
		tx[i].error = err;
		if (stops_batch(err)) {
			errno = err;
			return (int)i;
		}
		i++;
		off = 0;
	}
	return (int)n;
}
