/* The TUN layer: opening (names, persist, vnet header and offloads, queue length) and removing
 * (sys/tundev.c), a passed-in fd, frames read and written with and without the virtio-net header
 * (worker/tun.c), MTU, queue and link helpers by name (sys/netif.c).
 *
 * Every test first moves its own process (Check forks one per test) into a new network
 * namespace and uses only loopback and 198.18.0.0/15 there: the host's network is never
 * touched, and the namespace and its devices vanish with the process. */
#define _GNU_SOURCE /* unshare */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "../../worker/tun.h"
#include "sys/netif.h"
#include "support/netns.h"
#include "support/suite.h"

#define WAIT_MS 2000
#define TUN_IP "198.18.0.1"   /* the TUN's own address, /30 */
#define PEER_IP "198.18.0.2"  /* the other end: routed into the TUN */


static void
wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "nothing to read within %d ms", WAIT_MS);
}

/* A TUN with offloads (or not), up, TUN_IP/30. */
static void
tun_ready(struct tun_dev *t, bool vnet)
{
	struct tun_config cfg = { .vnet = vnet };

	ck_assert_msg(tun_open(t, &cfg) == 0, "tun_open: %s", strerror(errno));
	ck_assert_int_eq(netif_set_up(t->name, true), 0);
	netns_add_addr4(t->name, TUN_IP, "255.255.255.252");
}

static int
udp_socket(const char *ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0, "bind: %s",
	    strerror(errno));
	return fd;
}

static uint16_t
local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static void
send_to_peer(int fd, const void *buf, size_t len, uint16_t port, int gso_size)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };

	ck_assert_int_eq(inet_pton(AF_INET, PEER_IP, &to.sin_addr), 1);
	if (gso_size > 0)
		ck_assert_int_eq(setsockopt(fd, SOL_UDP, UDP_SEGMENT, &gso_size,
		    sizeof(gso_size)), 0);
	ck_assert_int_eq(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)),
	    (ssize_t)len);
}

/* Reads packets until a UDP/IPv4 one comes (IPv6 chatter is skipped). */
static ssize_t
read_udp4(struct tun_dev *t, struct virtio_net_hdr *vh, uint8_t *pkt, size_t size)
{
	for (;;) {
		struct iovec iov = { .iov_base = pkt, .iov_len = size };
		ssize_t n;

		wait_readable(t->fd);
		n = tun_readv(t, vh, &iov, 1);
		ck_assert_msg(n > 0, "tun_readv: %s", strerror(errno));
		if ((pkt[0] >> 4) == 4 && pkt[9] == IPPROTO_UDP)
			return n;
	}
}

/* RFC 1071 sum, not yet folded or inverted. */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IPv4/UDP packet PEER_IP:sport -> TUN_IP:dport around payload (pkt has room for 28 more
 * bytes). partial: UDP checksum left as the pseudo-header sum, for NEEDS_CSUM. */
static size_t
build_udp4(uint8_t *pkt, const uint8_t *payload, size_t len, uint16_t sport, uint16_t dport,
           bool partial)
{
	uint8_t *ip = pkt, *udp = pkt + 20;
	uint32_t pseudo;

	memset(pkt, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(28 + len));
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	ck_assert_int_eq(inet_pton(AF_INET, PEER_IP, ip + 12), 1);
	ck_assert_int_eq(inet_pton(AF_INET, TUN_IP, ip + 16), 1);
	put16(ip + 10, (uint16_t)~fold(sum16(0, ip, 20)));
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + len));
	memcpy(udp + 8, payload, len);
	pseudo = sum16(0, ip + 12, 8) + IPPROTO_UDP + (uint32_t)(8 + len);
	if (partial)
		put16(udp + 6, fold(pseudo));
	else
		put16(udp + 6, (uint16_t)~fold(sum16(pseudo, udp, 8 + len)));
	return 28 + len;
}

/* ---- tests ---- */

START_TEST(test_open_offloads)
{
	struct tun_dev t;
	struct tun_config cfg = { .vnet = true }, nouso = { .vnet = true, .no_uso = true };
	char words[64];

	netns_enter();
	ck_assert_int_eq(tun_open(&t, &cfg), 0);
	ck_assert_str_eq(t.name, "tun0");
	ck_assert_uint_eq(t.vnet_len, 10);
	ck_assert(t.ifflags & IFF_TUN);
	ck_assert(t.ifflags & IFF_NO_PI);
	ck_assert(t.ifflags & IFF_VNET_HDR);
	ck_assert(!(t.ifflags & IFF_MULTI_QUEUE));
	/* 6.18: everything, USO (6.2) included. */
	ck_assert_uint_eq(t.offloads, TUN_OFF_CSUM | TUN_OFF_TSO4 | TUN_OFF_TSO6 | TUN_OFF_USO4 |
	    TUN_OFF_USO6);
	ck_assert_int_gt(tun_offloads_format(&t, words, sizeof(words)), 0);
	ck_assert_str_eq(words, "vnet csum tso4 tso6 uso4 uso6");
	ck_assert_int_eq(tun_offloads_format(&t, words, 8), -1);
	ck_assert(fcntl(t.fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(t.fd, F_GETFD) & FD_CLOEXEC);

	/* tun0 is taken: the next one is tun1. */
	{
		struct tun_dev u;

		ck_assert_int_eq(tun_open(&u, &nouso), 0);
		ck_assert_str_eq(u.name, "tun1");
		ck_assert_uint_eq(u.offloads, TUN_OFF_CSUM | TUN_OFF_TSO4 | TUN_OFF_TSO6);
		tun_close(&u);
	}
	tun_close(&t);
	ck_assert_int_eq(t.fd, -1);

	ck_assert_int_eq(tun_open(&t, NULL), 0); /* tun0 again, plain */
	ck_assert_str_eq(t.name, "tun0");
	ck_assert_uint_eq(t.vnet_len, 0);
	ck_assert_uint_eq(t.offloads, 0);
	ck_assert(!(t.ifflags & IFF_VNET_HDR));
	ck_assert_int_gt(tun_offloads_format(&t, words, sizeof(words)), 0);
	ck_assert_str_eq(words, "novnet");
	tun_close(&t);
}
END_TEST

START_TEST(test_names_and_persist)
{
	struct tun_dev t, u;
	struct tun_config cfg = { .name = "gtp7", .persist = true };
	struct tun_config bad = { .name = "a-name-much-too-long-for-ifnamsiz" };

	netns_enter();
	ck_assert_int_eq(tun_open(&t, &cfg), 0);
	ck_assert_str_eq(t.name, "gtp7");
	ck_assert(t.ifflags & IFF_PERSIST);
	/* Busy while attached (one queue). */
	errno = 0;
	ck_assert_int_eq(tun_open(&u, &cfg), -1);
	ck_assert_int_eq(errno, EBUSY);
	tun_close(&t);
	ck_assert_uint_ne(if_nametoindex("gtp7"), 0); /* persists */

	/* Taken over once free, and persist turned off: it goes with the last close. */
	cfg.persist = false;
	ck_assert_int_eq(tun_open(&t, &cfg), 0);
	ck_assert(!(t.ifflags & IFF_PERSIST));
	ck_assert_int_eq(tun_set_persist(&t, true), 0);
	ck_assert_int_eq(tun_set_persist(&t, false), 0);
	tun_close(&t);
	ck_assert_uint_eq(if_nametoindex("gtp7"), 0);

	errno = 0;
	ck_assert_int_eq(tun_open(&t, &bad), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_mtu_and_link)
{
	struct tun_dev t;
	struct ifreq ifr;
	int s;

	netns_enter();
	ck_assert_int_eq(tun_open(&t, NULL), 0);
	{
		uint8_t buf[256];

		errno = 0; /* nothing to read yet */
		ck_assert_int_eq(tun_read(&t, buf, sizeof(buf)), -1);
		ck_assert_int_eq(errno, EAGAIN);
	}
	ck_assert_int_eq(netif_set_mtu(t.name, 1400), 0);
	ck_assert_int_eq(netif_get_mtu(t.name), 1400);
	ck_assert_int_eq(netif_set_up(t.name, true), 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, t.name);
	ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ck_assert(ifr.ifr_flags & IFF_UP);
	ck_assert_int_eq(netif_set_up(t.name, false), 0);
	ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ck_assert(!(ifr.ifr_flags & IFF_UP));
	close(s);

	/* Down: writes fail with EIO. */
	{
		uint8_t frame[28 + 4], payload[4] = "down";

		build_udp4(frame, payload, sizeof(payload), 1, 2, false);
		errno = 0;
		ck_assert_int_eq(tun_write(&t, frame, sizeof(frame)), -1);
		ck_assert_int_eq(errno, EIO);
	}
	errno = 0;
	ck_assert_int_eq(netif_set_mtu("nosuchdev0", 1400), -1);
	ck_assert_int_eq(errno, ENODEV);
	tun_close(&t);
}
END_TEST

/* A datagram routed into the TUN comes out as vnet header + IPv4/UDP with the payload. */
static void
read_test(bool vnet)
{
	struct tun_dev t;
	struct virtio_net_hdr vh;
	static uint8_t pkt[VNET_PKT_MAX];
	const char msg[] = "through the tunnel";
	int fd;
	ssize_t n;

	netns_enter();
	tun_ready(&t, vnet);
	fd = udp_socket(TUN_IP, 0);
	send_to_peer(fd, msg, sizeof(msg), 7777, 0);
	n = read_udp4(&t, &vh, pkt, sizeof(pkt));
	ck_assert_int_eq(n, 28 + (ssize_t)sizeof(msg));
	ck_assert_uint_eq(pkt[2] << 8 | pkt[3], 28 + sizeof(msg));
	ck_assert_uint_eq(pkt[22] << 8 | pkt[23], 7777);
	ck_assert_uint_eq(pkt[20] << 8 | pkt[21], local_port(fd));
	ck_assert_mem_eq(pkt + 28, msg, sizeof(msg));
	ck_assert_uint_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	if (vnet) {
		/* Checksum offload: the kernel left the UDP checksum to us. */
		ck_assert_uint_eq(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM,
		    VIRTIO_NET_HDR_F_NEEDS_CSUM);
		ck_assert_uint_eq(vh.csum_start, 20);
		ck_assert_uint_eq(vh.csum_offset, 6);
	} else {
		ck_assert_uint_eq(vh.flags, 0);
	}
	close(fd);
	tun_close(&t);
}

START_TEST(test_read_vnet)
{
	read_test(true);
}
END_TEST

START_TEST(test_read_plain)
{
	read_test(false);
}
END_TEST

/* With USO on, a UDP GSO send reaches the TUN whole: one read, gso_type UDP_L4. */
START_TEST(test_read_uso)
{
	struct tun_dev t;
	struct virtio_net_hdr vh;
	static uint8_t pkt[VNET_PKT_MAX], payload[3 * 1000];
	static uint8_t frame[TUN_FRAME_MAX];
	int fd;
	ssize_t n;

	netns_enter();
	tun_ready(&t, true);
	ck_assert(t.offloads & TUN_OFF_USO4);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13);
	fd = udp_socket(TUN_IP, 0);
	send_to_peer(fd, payload, sizeof(payload), 7777, 1000);
	n = read_udp4(&t, &vh, pkt, sizeof(pkt));
	ck_assert_int_eq(n, 28 + (ssize_t)sizeof(payload));
	ck_assert_uint_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	ck_assert_uint_eq(vh.gso_size, 1000);
	ck_assert_uint_eq(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_mem_eq(pkt + 28, payload, sizeof(payload));

	/* The same with tun_read: one frame, header first. */
	send_to_peer(fd, payload, sizeof(payload), 7777, 1000);
	do {
		wait_readable(t.fd);
		n = tun_read(&t, frame, sizeof(frame));
		ck_assert_int_gt(n, 10);
	} while ((frame[10] >> 4) != 4);
	ck_assert_int_eq(n, 10 + 28 + (ssize_t)sizeof(payload));
	memcpy(&vh, frame, sizeof(vh));
	ck_assert_uint_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	ck_assert_mem_eq(frame + 10 + 28, payload, sizeof(payload));
	close(fd);
	tun_close(&t);
}
END_TEST

/* A packet written into the TUN, addressed to the TUN's own address, reaches a socket. */
static void
write_test(bool vnet)
{
	struct tun_dev t;
	uint8_t pkt[28 + 64], got[128];
	const uint8_t payload[] = "written into the tun";
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	struct iovec iov[2];
	size_t len;
	int fd;

	netns_enter();
	tun_ready(&t, vnet);
	fd = udp_socket(TUN_IP, 0);
	len = build_udp4(pkt, payload, sizeof(payload), 5555, local_port(fd), false);

	/* writev form: header apart (NULL: zero), packet in two pieces. */
	iov[0] = (struct iovec){ .iov_base = pkt, .iov_len = 28 };
	iov[1] = (struct iovec){ .iov_base = pkt + 28, .iov_len = len - 28 };
	ck_assert_int_eq(tun_writev(&t, NULL, iov, 2), (ssize_t)len);
	wait_readable(fd);
	ck_assert_int_eq(recvfrom(fd, got, sizeof(got), MSG_DONTWAIT, (struct sockaddr *)&from,
	    &flen), (ssize_t)sizeof(payload));
	ck_assert_mem_eq(got, payload, sizeof(payload));
	ck_assert_uint_eq(ntohs(from.sin_port), 5555);
	ck_assert_str_eq(inet_ntoa(from.sin_addr), PEER_IP);

	/* Frame form: the header (if any) in the same buffer. */
	{
		uint8_t frame[10 + sizeof(pkt)];
		size_t hl = t.vnet_len;

		memset(frame, 0, hl);
		memcpy(frame + hl, pkt, len);
		ck_assert_int_eq(tun_write(&t, frame, hl + len), (ssize_t)(hl + len));
		wait_readable(fd);
		ck_assert_int_eq(recv(fd, got, sizeof(got), MSG_DONTWAIT), (ssize_t)sizeof(payload));
	}

	/* Without a vnet header, an offload cannot be asked for. */
	if (!vnet) {
		struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };

		errno = 0;
		ck_assert_int_eq(tun_writev(&t, &vh, iov, 2), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	close(fd);
	tun_close(&t);
}

START_TEST(test_write_vnet)
{
	write_test(true);
}
END_TEST

START_TEST(test_write_plain)
{
	write_test(false);
}
END_TEST

/* A USO super-packet written with its vnet header arrives as separate datagrams. */
START_TEST(test_write_uso)
{
	struct tun_dev t;
	static uint8_t payload[3 * 500 - 100], pkt[28 + sizeof(payload)], got[600];
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4,
		.hdr_len = 28,
		.gso_size = 500,
		.csum_start = 20,
		.csum_offset = 6,
	};
	struct iovec iov;
	size_t len;
	int fd;

	netns_enter();
	tun_ready(&t, true);
	fd = udp_socket(TUN_IP, 0);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	len = build_udp4(pkt, payload, sizeof(payload), 5555, local_port(fd), true);
	iov = (struct iovec){ .iov_base = pkt, .iov_len = len };
	ck_assert_int_eq(tun_writev(&t, &vh, &iov, 1), (ssize_t)len);
	for (int i = 0; i < 3; i++) {
		size_t want = i < 2 ? 500 : 400;

		wait_readable(fd);
		ck_assert_int_eq(recv(fd, got, sizeof(got), MSG_DONTWAIT), (ssize_t)want);
		ck_assert_mem_eq(got, payload + i * 500, want);
	}
	close(fd);
	tun_close(&t);
}
END_TEST

/* A TUN fd opened elsewhere (the supervisor) is taken as it is. */
static int
raw_tun(const char *name, short flags)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	ifr.ifr_flags = flags;
	ck_assert_msg(ioctl(fd, TUNSETIFF, &ifr) == 0, "TUNSETIFF: %s", strerror(errno));
	return fd;
}

START_TEST(test_setup_passed_fd)
{
	struct tun_config vnet = { .vnet = true };
	struct tun_dev t;
	int fd, p[2];

	netns_enter();
	fd = raw_tun("gtw0", IFF_TUN | IFF_NO_PI | IFF_VNET_HDR);
	ck_assert_int_eq(tun_setup(&t, fd, &vnet), 0);
	ck_assert_str_eq(t.name, "gtw0");
	ck_assert_int_eq(t.fd, fd);
	ck_assert_uint_eq(t.vnet_len, 10);
	ck_assert(t.offloads & TUN_OFF_TSO4);
	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	tun_close(&t);

	/* A vnet header cannot be dropped from an fd: kept, offloads off. */
	fd = raw_tun("gtw0", IFF_TUN | IFF_NO_PI | IFF_VNET_HDR);
	ck_assert_int_eq(tun_setup(&t, fd, NULL), 0);
	ck_assert_uint_eq(t.vnet_len, 10);
	ck_assert_uint_eq(t.offloads, 0);
	tun_close(&t);

	fd = raw_tun("gtw0", IFF_TUN | IFF_NO_PI);
	ck_assert_int_eq(tun_setup(&t, fd, &vnet), 0);
	ck_assert_uint_eq(t.vnet_len, 0);
	ck_assert_uint_eq(t.offloads, 0);
	tun_close(&t);

	/* Refused: TAP, not a TUN, not attached. (Packet information cannot be seen.) */
	fd = raw_tun("gtw1", IFF_TAP | IFF_NO_PI);
	errno = 0;
	ck_assert_int_eq(tun_setup(&t, fd, &vnet), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(tun_setup(&t, p[0], &vnet), -1);
	close(p[0]);
	close(p[1]);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ck_assert_int_eq(tun_setup(&t, fd, &vnet), -1);
	close(fd);
}
END_TEST

/* The queue the worker reads: 4096 by default (500, the driver's, overflowed in bursts), the
 * length asked for, or the driver's own when told to leave it. */
START_TEST(test_txqlen)
{
	struct tun_dev t;
	struct tun_config cfg = { .vnet = true }, asked = { .txqlen = 1000 }, leave = { .txqlen = -1 };

	netns_enter();
	ck_assert_int_eq(tun_open(&t, &cfg), 0);
	ck_assert_int_eq(t.txqlen, TUN_TXQLEN_DEFAULT);
	ck_assert_int_eq(netif_get_txqlen(t.name), 4096);
	tun_close(&t);
	ck_assert_int_eq(tun_open(&t, &asked), 0);
	ck_assert_int_eq(t.txqlen, 1000);
	ck_assert_int_eq(netif_get_txqlen(t.name), 1000);
	ck_assert_int_eq(netif_set_txqlen(t.name, 2000), 0);
	ck_assert_int_eq(netif_get_txqlen(t.name), 2000);
	tun_close(&t);
	ck_assert_int_eq(tun_open(&t, &leave), 0);
	ck_assert_int_eq(t.txqlen, 500);
	tun_close(&t);
	errno = 0;
	ck_assert_int_eq(netif_get_txqlen("nosuchdev0"), -1);
	ck_assert_int_eq(errno, ENODEV);
}
END_TEST

/* The hand-run parent's end: a persistent device no one holds is removed by name. */
START_TEST(test_unpersist)
{
	struct tun_dev t;
	struct tun_config cfg = { .name = "gtp8", .persist = true };

	netns_enter();
	ck_assert_int_eq(tun_open(&t, &cfg), 0);
	errno = 0;
	ck_assert_int_eq(tun_unpersist("gtp8"), -1); /* attached here */
	ck_assert_int_eq(errno, EBUSY);
	tun_close(&t);
	ck_assert_uint_ne(if_nametoindex("gtp8"), 0);
	ck_assert_int_eq(tun_unpersist("gtp8"), 0);
	ck_assert_uint_eq(if_nametoindex("gtp8"), 0);
	errno = 0;
	ck_assert_int_eq(tun_unpersist("gtp8"), -1); /* not made again */
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_uint_eq(if_nametoindex("gtp8"), 0);
}
END_TEST

/* Path MTU to tunnel MTU: the IP and UDP headers, at most a 1472-byte datagram, 22 bytes of
 * protocol. */
START_TEST(test_tunnel_mtu)
{
	ck_assert_int_eq(netif_tunnel_mtu(1500, AF_INET), 1500 - 20 - 8 - 22);
	ck_assert_int_eq(netif_tunnel_mtu(1500, AF_INET6), 1500 - 40 - 8 - 22);
	ck_assert_int_eq(netif_tunnel_mtu(9000, AF_INET), 1472 - 22);
	ck_assert_int_eq(netif_tunnel_mtu(9000, AF_INET6), 1472 - 22);
	ck_assert_int_eq(netif_tunnel_mtu(1280, AF_INET6), 1280 - 48 - 22);
	ck_assert_int_eq(netif_tunnel_mtu(626, AF_INET), 598 - 22); /* the smallest datagram */
	errno = 0;
	ck_assert_int_eq(netif_tunnel_mtu(625, AF_INET), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(netif_tunnel_mtu(1500, AF_UNIX), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("tun");
	TCase *dev = tcase_create("device");
	TCase *io = tcase_create("io");

	tcase_add_test(dev, test_open_offloads);
	tcase_add_test(dev, test_names_and_persist);
	tcase_add_test(dev, test_mtu_and_link);
	tcase_add_test(dev, test_setup_passed_fd);
	tcase_add_test(dev, test_txqlen);
	tcase_add_test(dev, test_unpersist);
	tcase_add_test(dev, test_tunnel_mtu);
	tcase_add_test(io, test_read_vnet);
	tcase_add_test(io, test_read_plain);
	tcase_add_test(io, test_read_uso);
	tcase_add_test(io, test_write_vnet);
	tcase_add_test(io, test_write_plain);
	tcase_add_test(io, test_write_uso);
	suite_add_tcase(s, dev);
	suite_add_tcase(s, io);
	return s;
}
