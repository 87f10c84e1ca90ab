/* TUN device set-up and frame I/O (see tun.h). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "tun.h"

#define TUN_PATH "/dev/net/tun"

/* Offload sets to try, largest first (FASTPATH.md: USO needs 6.2). */
#define OFF_TSO (TUN_OFF_CSUM | TUN_OFF_TSO4 | TUN_OFF_TSO6)
#define OFF_USO (TUN_OFF_USO4 | TUN_OFF_USO6)

static int
copy_name(char dst[IFNAMSIZ], const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ) {
		errno = EINVAL;
		return -1;
	}
	memset(dst, 0, IFNAMSIZ);
	memcpy(dst, name, len);
	return 0;
}

static int
attach(int fd, const char *name, bool vnet, char out[IFNAMSIZ])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (copy_name(ifr.ifr_name, name) == -1)
		return -1;
	/* One queue: no IFF_MULTI_QUEUE (section 10). */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1)
		return -1;
	memcpy(out, ifr.ifr_name, IFNAMSIZ);
	out[IFNAMSIZ - 1] = '\0';
	return 0;
}

/* A new fd attached to the named device, or to the first of tun0..tun31 that accepts it: like
 * the reference, a device that exists and is free (a persistent one) is taken over. */
static int
open_attached(const struct tun_config *cfg, bool vnet, char name[IFNAMSIZ])
{
	int fd, saved;

	if ((fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (cfg->name != NULL && cfg->name[0] != '\0') {
		if (attach(fd, cfg->name, vnet, name) == 0)
			return fd;
	} else {
		for (unsigned i = 0; i < TUN_AUTO_MAX; i++) {
			char n[IFNAMSIZ];

			(void)snprintf(n, sizeof(n), "tun%u", i);
			/* A failed TUNSETIFF leaves the fd unattached: try the next name. */
			if (attach(fd, n, vnet, name) == 0)
				return fd;
		}
	}
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
get_iff(int fd, char name[IFNAMSIZ], unsigned *flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) == -1)
		return -1;
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	*flags = (unsigned short)ifr.ifr_flags;
	return 0;
}

/* The vnet header is the plain struct virtio_net_hdr (no num_buffers), then the largest
 * offload set the kernel takes. Without vnet wanted, offloads are turned off. */
static int
set_offloads(struct tun_dev *t, const struct tun_config *cfg)
{
	const unsigned tries[] = { OFF_TSO | OFF_USO, OFF_TSO, 0 };
	int size = (int)TUN_VNET_HDR_LEN;

	if (ioctl(t->fd, TUNSETVNETHDRSZ, &size) == -1)
		return -1;
	t->vnet_len = TUN_VNET_HDR_LEN;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (tries[i] != 0 && !cfg->vnet)
			continue;
		if ((tries[i] & OFF_USO) && cfg->no_uso)
			continue;
		if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0) {
			t->offloads = tries[i];
			return 0;
		}
	}
	return -1;
}

static void
init(struct tun_dev *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

int
tun_open(struct tun_dev *t, const struct tun_config *cfg)
{
	static const struct tun_config defaults;
	int saved;

	if (cfg == NULL)
		cfg = &defaults;
	init(t);
	if ((t->fd = open_attached(cfg, cfg->vnet, t->name)) == -1)
		return -1;
	if (cfg->vnet && set_offloads(t, cfg) == -1) {
		/* Not even "no offload" with a header: start over without one. */
		close(t->fd);
		init(t);
		if ((t->fd = open_attached(cfg, false, t->name)) == -1)
			return -1;
	}
	if (ioctl(t->fd, TUNSETPERSIST, (unsigned long)cfg->persist) == -1 ||
	    get_iff(t->fd, t->name, &t->ifflags) == -1)
		goto fail;
	return 0;
fail:
	saved = errno;
	tun_close(t);
	errno = saved;
	return -1;
}

int
tun_setup(struct tun_dev *t, int fd, const struct tun_config *cfg)
{
	static const struct tun_config defaults;
	int fl;

	if (cfg == NULL)
		cfg = &defaults;
	init(t);
	if (get_iff(fd, t->name, &t->ifflags) == -1)
		return -1;
	/* IFF_NO_PI is not checked: 0x1000 is also IFF_NOFILTER, always set for a TUN. */
	if ((t->ifflags & (IFF_TUN | IFF_TAP)) != IFF_TUN) {
		errno = EINVAL;
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	t->fd = fd;
	if ((t->ifflags & IFF_VNET_HDR) && set_offloads(t, cfg) == -1) {
		init(t);
		return -1;
	}
	return 0;
}

void
tun_close(struct tun_dev *t)
{
	if (t->fd != -1)
		close(t->fd);
	init(t);
}

int
tun_offloads_format(const struct tun_dev *t, char *buf, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ TUN_OFF_CSUM, "csum" }, { TUN_OFF_TSO4, "tso4" }, { TUN_OFF_TSO6, "tso6" },
		{ TUN_OFF_USO4, "uso4" }, { TUN_OFF_USO6, "uso6" },
	};
	int n = snprintf(buf, size, "%s", t->vnet_len ? "vnet" : "novnet");

	if (n < 0 || (size_t)n >= size)
		goto fail;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int m;

		if (!(t->offloads & names[i].bit))
			continue;
		m = snprintf(buf + n, size - (size_t)n, " %s", names[i].name);
		if (m < 0 || (size_t)m >= size - (size_t)n)
			goto fail;
		n += m;
	}
	return n;
fail:
	if (size > 0)
		buf[0] = '\0';
	return -1;
}

ssize_t
tun_read(struct tun_dev *t, void *buf, size_t size)
{
	ssize_t r;

	do
		r = read(t->fd, buf, size);
	while (r == -1 && errno == EINTR);
	return r;
}

ssize_t
tun_readv(struct tun_dev *t, struct virtio_net_hdr *vh, const struct iovec *iov, int iovcnt)
{
	struct iovec v[TUN_IOV_MAX + 1];
	int cnt = 0;
	ssize_t r;

	if (iovcnt < 0 || iovcnt > TUN_IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(vh, 0, sizeof(*vh));
	if (t->vnet_len) {
		v[cnt].iov_base = vh;
		v[cnt++].iov_len = t->vnet_len;
	}
	memcpy(v + cnt, iov, (size_t)iovcnt * sizeof(*iov));
	do
		r = readv(t->fd, v, cnt + iovcnt);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	if ((size_t)r < t->vnet_len) {
		errno = EBADMSG;
		return -1;
	}
	return r - (ssize_t)t->vnet_len;
}

ssize_t
tun_write(struct tun_dev *t, const void *buf, size_t len)
{
	ssize_t r;

	do
		r = write(t->fd, buf, len);
	while (r == -1 && errno == EINTR);
	return r;
}

ssize_t
tun_writev(struct tun_dev *t, const struct virtio_net_hdr *vh, const struct iovec *iov,
           int iovcnt)
{
	static const struct virtio_net_hdr zero;
	struct iovec v[TUN_IOV_MAX + 1];
	int cnt = 0;
	ssize_t r;

	if (iovcnt < 0 || iovcnt > TUN_IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (vh == NULL)
		vh = &zero;
	if (t->vnet_len) {
		v[cnt].iov_base = (void *)(uintptr_t)vh;
		v[cnt++].iov_len = t->vnet_len;
	} else if (vh->flags != 0 || vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		errno = EINVAL; /* an offload the device cannot be told about */
		return -1;
	}
	memcpy(v + cnt, iov, (size_t)iovcnt * sizeof(*iov));
	do
		r = writev(t->fd, v, cnt + iovcnt);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	return r - (ssize_t)t->vnet_len;
}

int
tun_set_persist(struct tun_dev *t, bool on)
{
	return ioctl(t->fd, TUNSETPERSIST, (unsigned long)on);
}

static int
ifreq_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s, r, saved;

	if (copy_name(ifr->ifr_name, name) == -1)
		return -1;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = ioctl(s, req, ifr);
	saved = errno;
	close(s);
	errno = saved;
	return r;
}

int
tun_set_mtu(const char *name, int mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = mtu;
	return ifreq_ioctl(name, SIOCSIFMTU, &ifr);
}

int
tun_get_mtu(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(name, SIOCGIFMTU, &ifr) == -1)
		return -1;
	return ifr.ifr_mtu;
}

int
tun_set_up(const char *name, bool up)
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
