/* TUN device set-up (see tundev.h). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "sys/netif.h"
#include "sys/tundev.h"

#define TUN_PATH "/dev/net/tun"

/* Offload sets to try, largest first (docs/fastpath.md: USO needs 6.2). */
#define OFF_TSO (TUN_OFF_CSUM | TUN_OFF_TSO4 | TUN_OFF_TSO6)
#define OFF_USO (TUN_OFF_USO4 | TUN_OFF_USO6)

static int
attach(int fd, const char *name, bool vnet, char out[IFNAMSIZ])
{
	struct ifreq ifr;
	size_t len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ) {
		errno = EINVAL;
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len);
	/* One queue: no IFF_MULTI_QUEUE (section 10). */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1)
		return -1;
	memcpy(out, ifr.ifr_name, IFNAMSIZ);
	out[IFNAMSIZ - 1] = '\0';
	return 0;
}

static void
close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/* A new fd attached to the named device, or to the first of tun0..tun31 that accepts it: like
 * the reference, a device that exists and is free (a persistent one) is taken over. */
static int
open_attached(const char *want, bool vnet, char name[IFNAMSIZ])
{
	int fd;

	if ((fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (want != NULL && want[0] != '\0') {
		if (attach(fd, want, vnet, name) == 0)
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
	close_keep_errno(fd);
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
	int size = (int)VNET_HDR_LEN;

	if (ioctl(t->fd, TUNSETVNETHDRSZ, &size) == -1)
		return -1;
	t->vnet_len = VNET_HDR_LEN;
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

/* The queue length asked for, then what the device has: the ring the driver allocated at
 * attach is resized to it. */
static void
set_txqlen(struct tun_dev *t, int want)
{
	if (want == 0)
		want = TUN_TXQLEN_DEFAULT;
	if (want > 0)
		(void)netif_set_txqlen(t->name, want);
	t->txqlen = netif_get_txqlen(t->name);
}

int
tun_open(struct tun_dev *t, const struct tun_config *cfg)
{
	static const struct tun_config defaults;

	if (cfg == NULL)
		cfg = &defaults;
	init(t);
	if ((t->fd = open_attached(cfg->name, cfg->vnet, t->name)) == -1)
		return -1;
	if (cfg->vnet && set_offloads(t, cfg) == -1) {
		/* Not even "no offload" with a header: start over without one. */
		close(t->fd);
		init(t);
		if ((t->fd = open_attached(cfg->name, false, t->name)) == -1)
			return -1;
	}
	if (ioctl(t->fd, TUNSETPERSIST, (unsigned long)cfg->persist) == -1 ||
	    get_iff(t->fd, t->name, &t->ifflags) == -1) {
		close_keep_errno(t->fd);
		init(t);
		return -1;
	}
	set_txqlen(t, cfg->txqlen);
	return 0;
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
tun_set_persist(struct tun_dev *t, bool on)
{
	return ioctl(t->fd, TUNSETPERSIST, (unsigned long)on);
}

int
tun_unpersist(const char *name)
{
	char got[IFNAMSIZ];
	int fd, r;

	if (name == NULL || name[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	/* Attaching would create a device that does not exist: refuse instead. */
	if (if_nametoindex(name) == 0) {
		errno = ENODEV;
		return -1;
	}
	if ((fd = open_attached(name, false, got)) == -1)
		return -1;
	r = ioctl(fd, TUNSETPERSIST, 0UL);
	close_keep_errno(fd);
	return r;
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
