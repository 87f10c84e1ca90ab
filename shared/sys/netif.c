/* Interface settings by name (see netif.h). */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/wire.h"
#include "sys/netif.h"

#define IPV4_HDR 20
#define IPV6_HDR 40
#define UDP_HDR 8

static int
ifreq_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	size_t len = strlen(name);
	int s, r, saved;

	if (len == 0 || len >= IFNAMSIZ) {
		errno = EINVAL;
		return -1;
	}
	memcpy(ifr->ifr_name, name, len + 1);
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = ioctl(s, req, ifr);
	saved = errno;
	close(s);
	errno = saved;
	return r;
}

int
netif_set_mtu(const char *name, int mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = mtu;
	return ifreq_ioctl(name, SIOCSIFMTU, &ifr);
}

int
netif_get_mtu(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(name, SIOCGIFMTU, &ifr) == -1)
		return -1;
	return ifr.ifr_mtu;
}

int
netif_set_up(const char *name, bool up)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(name, SIOCGIFFLAGS, &ifr) == -1)
		return -1;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ifreq_ioctl(name, SIOCSIFFLAGS, &ifr);
}

int
netif_set_txqlen(const char *name, int qlen)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_qlen = qlen;
	return ifreq_ioctl(name, SIOCSIFTXQLEN, &ifr);
}

int
netif_get_txqlen(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(name, SIOCGIFTXQLEN, &ifr) == -1)
		return -1;
	return ifr.ifr_qlen;
}

int
netif_tunnel_mtu(int path_mtu, int family)
{
	int payload;

	if (family != AF_INET && family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	payload = path_mtu - (family == AF_INET ? IPV4_HDR : IPV6_HDR) - UDP_HDR;
	if (payload < MUD_MTU_MIN_MASTER) {
		errno = EINVAL;
		return -1;
	}
	if (payload > MUD_MTU_MAX)
		payload = MUD_MTU_MAX;
	return payload - MUD_OVERHEAD;
}
