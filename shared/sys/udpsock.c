/* UDP socket set-up (see udpsock.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/addr.h"
#include "sys/udpsock.h"

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

/* Big buffers keep bursts from overflowing the receive queue (docs/fastpath.md). */
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

/* Packet info: the local address of each path, and the source address on send. */
static int
set_pktinfo(const struct udp_sock *s, bool v4)
{
	if (s->family == AF_INET6 && setint(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) == -1)
		return -1;
	return v4 ? setint(s->fd, IPPROTO_IP, IP_PKTINFO, 1) : 0;
}

/* DF everywhere, and the kernel's cached PMTU ignored: the protocol probes the MTU itself and
 * needs oversize sends to fail locally with EMSGSIZE. IPv6 is our addition (docs/protocol.md
 * section 11 item 9); there PROBE alone already refuses to fragment, DONTFRAG says it twice. */
static int
set_df(struct udp_sock *s, bool v4)
{
	if (v4) {
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
	return 0;
}

static int
set_recv_tos(struct udp_sock *s, bool v4)
{
	if (s->family == AF_INET6 && setint(s->fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) == -1)
		return -1;
	if (v4 && setint(s->fd, IPPROTO_IP, IP_RECVTOS, 1) == -1)
		return -1;
	s->features |= UDP_F_RECVTOS;
	return 0;
}

static void
set_offloads(struct udp_sock *s, const struct udp_config *cfg)
{
	if (!cfg->no_gso && try_gso(s->fd))
		s->features |= UDP_F_GSO;
	if (!cfg->no_gro && try_gro(s->fd))
		s->features |= UDP_F_GRO;
	else
		(void)setint(s->fd, SOL_UDP, UDP_GRO, 0); /* a passed-in fd may have had it on */
}

static int
configure(struct udp_sock *s, const struct udp_config *cfg)
{
	static const struct udp_config defaults;
	int v6only = 1;
	bool v4; /* the socket carries IPv4 */

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
	v4 = s->family == AF_INET || !v6only;
	if (setint(s->fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1 || set_pktinfo(s, v4) == -1 ||
	    set_df(s, v4) == -1 || (cfg->recv_tos && set_recv_tos(s, v4) == -1))
		return -1;
	set_buffers(s, cfg->bufsize > 0 ? cfg->bufsize : UDP_BUFSIZE_DEFAULT);
	set_offloads(s, cfg);
	return 0;
}

static int
bound_port(int fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct mud_addr a;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (mud_addr_from_sockaddr(&a, (struct sockaddr *)&ss, len) == -1 || a.port == 0) {
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
