/* The worker's UDP layer: set-up, batched receive and send with packet info and TOS, GSO and
 * GRO, the run-time GSO fallback, DF and EMSGSIZE, dual stack.
 *
 * Every test first moves its own process (Check forks one per test) into a new network
 * namespace and uses only loopback, 198.18.0.0/15 and fd00::/8 there: the host's network is
 * never touched, and the namespace vanishes with the process. */
#define _GNU_SOURCE /* unshare */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "../../worker/tun.h"
#include "sys/netif.h"
#include "../../worker/udp.h"
#include "support/netns.h"
#include "support/suite.h"

#define WAIT_MS 2000

/* ---- fault injection ----
 * This sendmmsg takes the place of libc's for udp.c (linked into this program): it counts the
 * calls and, when inject_gso_errno is set, fails the first message that carries UDP_SEGMENT
 * the way the kernel does (messages before it are sent, the error is lost unless first). */
static int inject_gso_errno;
static int sendmmsg_calls;

static bool
has_udp_segment(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT)
			return true;
	return false;
}

int
sendmmsg(int fd, struct mmsghdr *mm, unsigned int n, int flags)
{
	unsigned ok = n;

	sendmmsg_calls++;
	if (inject_gso_errno != 0) {
		for (unsigned i = 0; i < n; i++) {
			if (has_udp_segment(&mm[i].msg_hdr)) {
				ok = i;
				break;
			}
		}
		if (ok == 0) {
			errno = inject_gso_errno;
			return -1;
		}
	}
	return (int)syscall(SYS_sendmmsg, fd, mm, ok, flags);
}

/* ---- namespace and addresses ---- */


/* struct in6_ifreq of <linux/ipv6.h>, which clashes with <netinet/in.h>. */
struct in6_ifreq_compat {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

/* A new IPv6 address stays tentative until the kernel's DAD work has run, even where no DAD
 * is done (loopback, TUN): until then it can be neither bound nor used as a source. */
static void
wait_addr6(const char *ip)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	for (int i = 0; i < WAIT_MS; i++) {
		int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int r = bind(s, (struct sockaddr *)&sin6, sizeof(sin6));

		close(s);
		if (r == 0)
			return;
		usleep(1000);
	}
	ck_abort_msg("%s still tentative after %d ms", ip, WAIT_MS);
}

static void
add_addr6(const char *ifname, const char *ip, unsigned prefixlen)
{
	struct in6_ifreq_compat r;
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &r.addr), 1);
	r.prefixlen = prefixlen;
	r.ifindex = (int)if_nametoindex(ifname);
	ck_assert_int_gt(r.ifindex, 0);
	ck_assert_msg(ioctl(s, SIOCSIFADDR, &r) == 0, "SIOCSIFADDR6: %s", strerror(errno));
	close(s);
	wait_addr6(ip);
}

static void
wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "nothing to read within %d ms", WAIT_MS);
}

static struct mud_addr
addr(const char *ip, uint16_t port)
{
	struct mud_addr a;

	ck_assert_int_eq(mud_addr_parse(&a, ip, port), 0);
	return a;
}

static void
open_udp(struct udp_sock *s, const char *ip, const struct udp_config *cfg)
{
	struct mud_addr a = addr(ip, 0);

	ck_assert_msg(udp_open(s, &a, cfg) == 0, "udp_open %s: %s", ip, strerror(errno));
	ck_assert_uint_ne(s->port, 0);
}

/* ---- receiving ---- */

struct rxbufs {
	struct udp_rx rx[UDP_BATCH_MAX];
	uint8_t *mem;
};

static void
rx_init(struct rxbufs *b, size_t size)
{
	b->mem = malloc(size * UDP_BATCH_MAX);
	ck_assert_ptr_nonnull(b->mem);
	for (int i = 0; i < UDP_BATCH_MAX; i++) {
		b->rx[i].buf = b->mem + (size_t)i * size;
		b->rx[i].size = size;
	}
}

static void
rx_free(struct rxbufs *b)
{
	free(b->mem);
}

/* Receives until want messages came (or fails), copying them to out[] (slots reused). */
struct got {
	uint8_t data[2048];
	size_t len;
	struct udp_rx meta;
};

static void
recv_n(struct udp_sock *s, struct got *out, int want)
{
	struct rxbufs b;
	int n = 0;

	rx_init(&b, 2048);
	while (n < want) {
		int r;

		wait_readable(s->fd);
		r = udp_recv(s, b.rx, UDP_BATCH_MAX);
		ck_assert_msg(r > 0, "udp_recv: %s", strerror(errno));
		ck_assert_int_le(n + r, want);
		for (int i = 0; i < r; i++, n++) {
			ck_assert_uint_eq(b.rx[i].flags, 0);
			out[n].meta = b.rx[i];
			out[n].len = b.rx[i].len;
			memcpy(out[n].data, b.rx[i].buf, b.rx[i].len);
		}
	}
	rx_free(&b);
}

static void
expect_nothing(struct udp_sock *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };

	ck_assert_int_eq(poll(&p, 1, 50), 0);
}

static void
fill_pattern(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* ---- tests ---- */

/* 64 datagrams in one call; source chosen with packet info, destination read from packet
 * info, TOS per datagram. Both sockets on the wildcard address, several loopback addresses. */
static void
batch_test(const char *any, const char *src, const char *dst)
{
	struct udp_config rcfg = { .recv_tos = true };
	struct udp_sock rs, ss;
	struct udp_tx tx[64];
	static uint8_t data[64][600];
	static struct got got[64];

	open_udp(&rs, any, &rcfg);
	open_udp(&ss, any, NULL);
	ck_assert(rs.features & UDP_F_RECVTOS);
	memset(tx, 0, sizeof(tx));
	for (int i = 0; i < 64; i++) {
		fill_pattern(data[i], sizeof(data[i]), (unsigned)i);
		tx[i].local = addr(src, 0);
		tx[i].remote = addr(dst, rs.port);
		tx[i].buf = data[i];
		tx[i].len = 100 + (size_t)i * 7;
		tx[i].tos = i % 2 ? 192 : 0x20;
	}
	sendmmsg_calls = 0;
	ck_assert_int_eq(udp_send(&ss, tx, 64), 64);
	ck_assert_int_eq(sendmmsg_calls, 1);
	for (int i = 0; i < 64; i++) {
		ck_assert_int_eq(tx[i].error, 0);
		ck_assert_uint_eq(tx[i].sent, tx[i].len);
	}
	recv_n(&rs, got, 64);
	for (int i = 0; i < 64; i++) {
		struct mud_addr from = addr(src, ss.port), to = addr(dst, rs.port);

		ck_assert_uint_eq(got[i].len, 100 + (size_t)i * 7);
		ck_assert_mem_eq(got[i].data, data[i], got[i].len);
		ck_assert(mud_addr_equal(&got[i].meta.remote, &from));
		ck_assert(mud_addr_equal(&got[i].meta.local, &to));
		ck_assert_uint_eq(got[i].meta.gso_size, 0);
		ck_assert_uint_eq(got[i].meta.tos, i % 2 ? 192 : 0x20);
	}
	expect_nothing(&rs);
	udp_close(&rs);
	udp_close(&ss);
}

START_TEST(test_batch_ipv4)
{
	netns_enter();
	batch_test("0.0.0.0", "127.0.0.5", "127.0.0.9");
}
END_TEST

START_TEST(test_batch_ipv6)
{
	netns_enter();
	add_addr6("lo", "fd00::5", 128);
	add_addr6("lo", "fd00::9", 128);
	batch_test("::", "fd00::5", "fd00::9");
}
END_TEST

START_TEST(test_batch_loopback_bound)
{
	struct udp_sock rs, ss;
	struct udp_tx tx[2];
	uint8_t d[2] = { 1, 2 };
	struct got got[2];

	netns_enter();
	open_udp(&rs, "::1", NULL);
	open_udp(&ss, "::1", NULL);
	memset(tx, 0, sizeof(tx));
	for (int i = 0; i < 2; i++) {
		tx[i].remote = addr("::1", rs.port); /* no local: the kernel picks */
		tx[i].buf = &d[i];
		tx[i].len = 1;
		tx[i].tos = 192;
	}
	ck_assert_int_eq(udp_send(&ss, tx, 2), 2);
	recv_n(&rs, got, 2);
	for (int i = 0; i < 2; i++) {
		struct mud_addr from = addr("::1", ss.port), to = addr("::1", rs.port);

		ck_assert(mud_addr_equal(&got[i].meta.remote, &from));
		ck_assert(mud_addr_equal(&got[i].meta.local, &to));
		ck_assert_uint_eq(got[i].data[0], d[i]);
	}
	udp_close(&rs);
	udp_close(&ss);
}
END_TEST

/* A dual-stack socket reports IPv4 peers and local addresses as plain IPv4, and sends to IPv4
 * with an IPv4 source and TOS (SOL_IP cmsgs on an AF_INET6 socket). */
START_TEST(test_dual_stack)
{
	struct udp_config rcfg = { .recv_tos = true };
	struct udp_sock rs, s6, s4;
	struct udp_tx tx[3];
	uint8_t d[3] = { 4, 6, 46 };
	struct got got[3];
	struct mud_addr to4, to6;

	netns_enter();
	open_udp(&rs, "::", &rcfg);
	open_udp(&s6, "::", NULL);
	open_udp(&s4, "0.0.0.0", NULL);
	ck_assert(rs.features & UDP_F_DUALSTACK);
	ck_assert(rs.features & UDP_F_DF4);
	ck_assert(rs.features & UDP_F_DF6);
	ck_assert(!(s4.features & UDP_F_DUALSTACK));
	to4 = addr("127.0.0.9", rs.port);
	to6 = addr("::1", rs.port);

	memset(tx, 0, sizeof(tx));
	tx[0] = (struct udp_tx){ .local = addr("127.0.0.5", 0), .remote = to4, .buf = &d[0],
		.len = 1, .tos = 0x28 };
	ck_assert_int_eq(udp_send(&s4, tx, 1), 1);
	recv_n(&rs, got, 1);
	ck_assert_uint_eq(got[0].meta.remote.family, AF_INET);
	ck_assert_uint_eq(got[0].meta.local.family, AF_INET);
	{
		struct mud_addr from = addr("127.0.0.5", s4.port);

		ck_assert(mud_addr_equal(&got[0].meta.remote, &from));
		ck_assert(mud_addr_equal(&got[0].meta.local, &to4));
	}
	ck_assert_uint_eq(got[0].meta.tos, 0x28);

	/* From the dual-stack socket: one IPv4 and one IPv6 entry in one batch. */
	tx[0] = (struct udp_tx){ .local = addr("127.0.0.6", 0), .remote = to4, .buf = &d[1],
		.len = 1, .tos = 0x48 };
	tx[1] = (struct udp_tx){ .local = addr("::1", 0), .remote = to6, .buf = &d[2], .len = 1,
		.tos = 0x88 };
	ck_assert_int_eq(udp_send(&s6, tx, 2), 2);
	ck_assert_int_eq(tx[0].error, 0);
	ck_assert_int_eq(tx[1].error, 0);
	recv_n(&rs, got, 2);
	{
		struct mud_addr f4 = addr("127.0.0.6", s6.port), f6 = addr("::1", s6.port);

		ck_assert(mud_addr_equal(&got[0].meta.remote, &f4));
		ck_assert(mud_addr_equal(&got[0].meta.local, &to4));
		ck_assert_uint_eq(got[0].meta.tos, 0x48);
		ck_assert(mud_addr_equal(&got[1].meta.remote, &f6));
		ck_assert(mud_addr_equal(&got[1].meta.local, &to6));
		ck_assert_uint_eq(got[1].meta.tos, 0x88);
	}

	/* An IPv4-only socket refuses IPv6 entries one by one; the rest of the batch goes. */
	tx[0] = (struct udp_tx){ .remote = to6, .buf = &d[0], .len = 1 };
	tx[1] = (struct udp_tx){ .remote = to4, .buf = &d[1], .len = 1 };
	tx[2] = (struct udp_tx){ .local = addr("::1", 0), .remote = to4, .buf = &d[2], .len = 1 };
	ck_assert_int_eq(udp_send(&s4, tx, 3), 3);
	ck_assert_int_eq(tx[0].error, EAFNOSUPPORT);
	ck_assert_int_eq(tx[1].error, 0);
	ck_assert_int_eq(tx[2].error, EINVAL);
	recv_n(&rs, got, 1);
	ck_assert_uint_eq(got[0].data[0], d[1]);
	expect_nothing(&rs);
	udp_close(&rs);
	udp_close(&s6);
	udp_close(&s4);
}
END_TEST

/* 20 segments of 1200 bytes and a last one of 500. */
#define RUN_SEG 1200
#define RUN_LEN (20 * RUN_SEG + 500)

static uint8_t run[RUN_LEN];

static void
send_run(struct udp_sock *ss, const struct mud_addr *to)
{
	struct udp_tx tx;

	fill_pattern(run, sizeof(run), 99);
	memset(&tx, 0, sizeof(tx));
	tx.remote = *to;
	tx.buf = run;
	tx.len = RUN_LEN;
	tx.gso_size = RUN_SEG;
	tx.tos = 192;
	ck_assert_int_eq(udp_send(ss, &tx, 1), 1);
	ck_assert_int_eq(tx.error, 0);
	ck_assert_uint_eq(tx.sent, RUN_LEN);
}

/* The receiver without GRO gets 21 datagrams, in order, the same bytes. */
static void
expect_21(struct udp_sock *rs)
{
	static struct got got[21];

	recv_n(rs, got, 21);
	for (int i = 0; i < 21; i++) {
		size_t len = i < 20 ? RUN_SEG : 500;

		ck_assert_uint_eq(got[i].len, len);
		ck_assert_uint_eq(got[i].meta.gso_size, 0);
		ck_assert_mem_eq(got[i].data, run + (size_t)i * RUN_SEG, len);
	}
	expect_nothing(rs);
}

static void
gso_test(const char *ip)
{
	struct udp_config nogro = { .no_gro = true };
	struct udp_sock rs, ss;
	struct mud_addr to;

	open_udp(&rs, ip, &nogro);
	open_udp(&ss, ip, NULL);
	ck_assert(!(rs.features & UDP_F_GRO));
	ck_assert_msg(ss.features & UDP_F_GSO, "UDP_SEGMENT not detected");
	to = addr(ip, rs.port);
	send_run(&ss, &to);
	ck_assert(ss.features & UDP_F_GSO);
	expect_21(&rs);
	udp_close(&rs);
	udp_close(&ss);
}

START_TEST(test_gso_ipv4)
{
	netns_enter();
	gso_test("127.0.0.1");
}
END_TEST

START_TEST(test_gso_ipv6)
{
	netns_enter();
	gso_test("::1");
}
END_TEST

/* With GRO on, loopback hands the GSO run over whole: one message with gso_size, which splits
 * back into the 21 datagrams. */
static void
gro_test(const char *ip)
{
	struct udp_sock rs, ss;
	struct rxbufs b;
	struct mud_addr to;
	size_t total = 0, segs = 0;
	int msgs = 0;

	open_udp(&rs, ip, NULL);
	open_udp(&ss, ip, NULL);
	ck_assert_msg(rs.features & UDP_F_GRO, "UDP_GRO not detected");
	to = addr(ip, rs.port);
	send_run(&ss, &to);
	rx_init(&b, UDP_RX_GRO_BUFSIZE);
	while (total < RUN_LEN) {
		int r;

		wait_readable(rs.fd);
		r = udp_recv(&rs, b.rx, UDP_BATCH_MAX);
		ck_assert_int_gt(r, 0);
		for (int i = 0; i < r; i++, msgs++) {
			struct udp_rx *x = &b.rx[i];
			size_t n = udp_rx_segments(x);

			ck_assert_uint_eq(x->flags, 0);
			ck_assert_uint_eq(x->gso_size, RUN_SEG);
			for (size_t j = 0; j < n; j++, segs++) {
				size_t off = j * x->gso_size;
				size_t len = x->len - off < x->gso_size ? x->len - off : x->gso_size;

				ck_assert_uint_eq(len, segs < 20 ? RUN_SEG : 500);
				ck_assert_mem_eq(x->buf + off, run + segs * RUN_SEG, len);
			}
			total += x->len;
		}
	}
	ck_assert_uint_eq(total, RUN_LEN);
	ck_assert_uint_eq(segs, 21);
	ck_assert_int_eq(msgs, 1);
	rx_free(&b);
	expect_nothing(&rs);
	udp_close(&rs);
	udp_close(&ss);
}

START_TEST(test_gro_ipv4)
{
	netns_enter();
	gro_test("127.0.0.1");
}
END_TEST

START_TEST(test_gro_ipv6)
{
	netns_enter();
	gro_test("::1");
}
END_TEST

/* GSO turned off: the same run leaves as 21 plain datagrams. */
START_TEST(test_gso_disabled)
{
	struct udp_config nogro = { .no_gro = true }, nogso = { .no_gso = true };
	struct udp_sock rs, ss;
	struct mud_addr to;

	netns_enter();
	open_udp(&rs, "127.0.0.1", &nogro);
	open_udp(&ss, "127.0.0.1", NULL);
	to = addr("127.0.0.1", rs.port);
	udp_disable_gso(&ss);
	ck_assert(!(ss.features & UDP_F_GSO));
	send_run(&ss, &to);
	expect_21(&rs);
	udp_close(&ss);

	open_udp(&ss, "127.0.0.1", &nogso);
	ck_assert(!(ss.features & UDP_F_GSO));
	send_run(&ss, &to);
	expect_21(&rs);
	udp_close(&ss);
	udp_close(&rs);
}
END_TEST

/* A TUN device in the namespace with 198.18.0.1/30 and fd00:0:0:1::1/64, the MTU given, up. */
static void
small_mtu_tun(struct tun_dev *t, int mtu)
{
	struct tun_config cfg = { .name = "gt0" };

	ck_assert_msg(tun_open(t, &cfg) == 0, "tun_open: %s", strerror(errno));
	ck_assert_int_eq(netif_set_mtu(t->name, mtu), 0);
	ck_assert_int_eq(netif_set_up(t->name, true), 0);
	netns_add_addr4(t->name, "198.18.0.1", "255.255.255.252");
	add_addr6(t->name, "fd00:0:0:1::1", 64);
}

/* Reads frames from the TUN until a UDP one shows up; returns its UDP payload length. */
static size_t
tun_next_udp_len(struct tun_dev *t)
{
	static uint8_t frame[TUN_FRAME_MAX];

	for (;;) {
		ssize_t r;
		const uint8_t *p;

		wait_readable(t->fd);
		r = tun_read(t, frame, sizeof(frame));
		ck_assert_int_gt(r, (ssize_t)t->vnet_len);
		p = frame + t->vnet_len;
		if ((p[0] >> 4) == 4 && p[9] == IPPROTO_UDP)
			return (size_t)r - t->vnet_len - 20 - 8;
		if ((p[0] >> 4) == 6 && p[6] == IPPROTO_UDP)
			return (size_t)r - t->vnet_len - 40 - 8;
		/* IPv6 router solicitations and the like: skip */
	}
}

/* DF on both families: an oversize datagram fails locally with EMSGSIZE, reported for its own
 * entry while the rest of the batch goes. IPv6 would fragment without IPV6_DONTFRAG. */
START_TEST(test_emsgsize)
{
	struct udp_sock ss;
	struct tun_dev t;
	static uint8_t big[3000];
	struct udp_tx tx[4];
	struct mud_addr p4, p6;

	netns_enter();
	small_mtu_tun(&t, 1400);
	open_udp(&ss, "::", NULL);
	p4 = addr("198.18.0.2", 9);
	p6 = addr("fd00:0:0:1::2", 9);
	memset(tx, 0, sizeof(tx));
	tx[0] = (struct udp_tx){ .remote = p4, .buf = big, .len = 1400 - 28 };
	tx[1] = (struct udp_tx){ .remote = p4, .buf = big, .len = 1472 };
	tx[2] = (struct udp_tx){ .remote = p6, .buf = big, .len = 1400 - 48 + 1 };
	tx[3] = (struct udp_tx){ .remote = p6, .buf = big, .len = 1400 - 48 };
	ck_assert_int_eq(udp_send(&ss, tx, 4), 4);
	ck_assert_int_eq(tx[0].error, 0);
	ck_assert_int_eq(tx[1].error, EMSGSIZE);
	ck_assert_int_eq(tx[2].error, EMSGSIZE);
	ck_assert_int_eq(tx[3].error, 0);
	ck_assert_uint_eq(tx[1].sent, 0);
	ck_assert_uint_eq(tun_next_udp_len(&t), 1400 - 28);
	ck_assert_uint_eq(tun_next_udp_len(&t), 1400 - 48);
	udp_close(&ss);

	/* The same from an IPv4-only socket. */
	open_udp(&ss, "0.0.0.0", NULL);
	ck_assert(ss.features & UDP_F_DF4);
	tx[0] = (struct udp_tx){ .remote = p4, .buf = big, .len = 1472 };
	ck_assert_int_eq(udp_send(&ss, tx, 1), 1);
	ck_assert_int_eq(tx[0].error, EMSGSIZE);

	/* A GSO run whose segments exceed the MTU: the kernel says EINVAL, the plain retry says
	 * EMSGSIZE, so GSO was not to blame and stays on. */
	ck_assert(ss.features & UDP_F_GSO);
	tx[0] = (struct udp_tx){ .remote = p4, .buf = big, .len = 3 * 490, .gso_size = 490 };
	tx[1] = (struct udp_tx){ .remote = p4, .buf = big, .len = 2 * 1450, .gso_size = 1450 };
	ck_assert_int_eq(udp_send(&ss, tx, 2), 2);
	ck_assert_int_eq(tx[0].error, 0);
	ck_assert_int_eq(tx[1].error, EMSGSIZE);
	ck_assert(ss.features & UDP_F_GSO);
	ck_assert_int_eq(ss.gso_off_errno, 0);
	udp_close(&ss);
	tun_close(&t);
}
END_TEST

/* Egress without checksum offload made UDP GSO fail with EIO before 6.11, and some kernels
 * refused a short last segment with EINVAL: both injected here (see sendmmsg above). udp_send
 * turns GSO off and sends the runs as plain datagrams. */
static void
fallback_test(int err)
{
	struct udp_config nogro = { .no_gro = true };
	struct udp_sock rs, ss;
	struct udp_tx tx[2];
	static uint8_t data[5 * 1000];
	static struct got got[10];

	netns_enter();
	open_udp(&rs, "127.0.0.1", &nogro);
	open_udp(&ss, "127.0.0.1", NULL);
	ck_assert(ss.features & UDP_F_GSO);
	fill_pattern(data, sizeof(data), 5);
	for (int i = 0; i < 2; i++)
		tx[i] = (struct udp_tx){ .remote = addr("127.0.0.1", rs.port), .buf = data,
			.len = sizeof(data), .gso_size = 1000, .tos = 192 };
	inject_gso_errno = err;
	ck_assert_int_eq(udp_send(&ss, tx, 2), 2);
	ck_assert_int_eq(tx[0].error, 0);
	ck_assert_int_eq(tx[1].error, 0);
	ck_assert_uint_eq(tx[0].sent, sizeof(data));
	ck_assert_uint_eq(tx[1].sent, sizeof(data));
	ck_assert(!(ss.features & UDP_F_GSO));
	ck_assert_int_eq(ss.gso_off_errno, err);
	recv_n(&rs, got, 10);
	for (int i = 0; i < 10; i++) {
		ck_assert_uint_eq(got[i].len, 1000);
		ck_assert_mem_eq(got[i].data, data + (size_t)(i % 5) * 1000, 1000);
	}
	expect_nothing(&rs);
	udp_close(&rs);
	udp_close(&ss);
}

START_TEST(test_gso_eio_fallback)
{
	fallback_test(EIO);
}
END_TEST

START_TEST(test_gso_einval_fallback)
{
	fallback_test(EINVAL);
}
END_TEST

/* A real EINVAL from the kernel: UDP GSO refuses sockets with SO_NO_CHECK, plain sends work. */
START_TEST(test_gso_no_check_fallback)
{
	struct udp_config nogro = { .no_gro = true };
	struct udp_sock rs, ss;
	struct mud_addr to;
	int one = 1;

	netns_enter();
	open_udp(&rs, "127.0.0.1", &nogro);
	open_udp(&ss, "127.0.0.1", NULL);
	ck_assert_int_eq(setsockopt(ss.fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)), 0);
	to = addr("127.0.0.1", rs.port);
	send_run(&ss, &to);
	ck_assert(!(ss.features & UDP_F_GSO));
	ck_assert_int_eq(ss.gso_off_errno, EINVAL);
	expect_21(&rs);
	udp_close(&rs);
	udp_close(&ss);
}
END_TEST

/* Entries alternate the confirm flag: several sendmmsg calls, order kept. More entries than one
 * system call takes. */
START_TEST(test_confirm_runs_and_long_batch)
{
	struct udp_config nogro = { .no_gro = true };
	struct udp_sock rs, ss;
	static struct udp_tx tx[150];
	static uint8_t d[150];
	static struct got got[150];

	netns_enter();
	open_udp(&rs, "127.0.0.1", &nogro);
	open_udp(&ss, "127.0.0.1", NULL);
	for (int i = 0; i < 150; i++) {
		d[i] = (uint8_t)i;
		tx[i] = (struct udp_tx){ .remote = addr("127.0.0.1", rs.port), .buf = &d[i],
			.len = 1, .confirm = (i / 3) % 2 == 1, .tos = 192 };
	}
	sendmmsg_calls = 0;
	ck_assert_int_eq(udp_send(&ss, tx, 150), 150);
	ck_assert_int_eq(sendmmsg_calls, 50); /* one per run of equal confirm flags */
	recv_n(&rs, got, 150);
	for (int i = 0; i < 150; i++)
		ck_assert_uint_eq(got[i].data[0], (uint8_t)i);

	for (int i = 0; i < 150; i++)
		tx[i].confirm = false;
	sendmmsg_calls = 0;
	ck_assert_int_eq(udp_send(&ss, tx, 150), 150);
	ck_assert_int_eq(sendmmsg_calls, 3); /* UDP_BATCH_MAX per call */
	recv_n(&rs, got, 150);
	for (int i = 0; i < 150; i++)
		ck_assert_uint_eq(got[i].data[0], (uint8_t)i);
	udp_close(&rs);
	udp_close(&ss);
}
END_TEST

/* A datagram larger than its buffer is flagged, not silently cut; nothing waiting is EAGAIN. */
START_TEST(test_trunc_and_eagain)
{
	struct udp_sock rs, ss;
	struct udp_rx rx;
	uint8_t small[16], data[100] = { 0 };
	struct udp_tx tx;

	netns_enter();
	open_udp(&rs, "127.0.0.1", NULL);
	open_udp(&ss, "127.0.0.1", NULL);
	rx = (struct udp_rx){ .buf = small, .size = sizeof(small) };
	errno = 0;
	ck_assert_int_eq(udp_recv(&rs, &rx, 1), -1);
	ck_assert_int_eq(errno, EAGAIN);
	tx = (struct udp_tx){ .remote = addr("127.0.0.1", rs.port), .buf = data, .len = 100 };
	ck_assert_int_eq(udp_send(&ss, &tx, 1), 1);
	wait_readable(rs.fd);
	ck_assert_int_eq(udp_recv(&rs, &rx, 1), 1);
	ck_assert(rx.flags & UDP_RX_TRUNC);
	ck_assert_uint_eq(rx.len, sizeof(small));
	udp_close(&rs);
	udp_close(&ss);
}
END_TEST

/* A socket bound elsewhere (the supervisor) is set up the same way; wrong fds are refused. */
START_TEST(test_setup_passed_fd)
{
	struct udp_sock s, rs;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, off = 0, p[2];
	char words[128];

	netns_enter();
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	ck_assert_int_eq(udp_setup(&s, fd, NULL), 0);
	ck_assert_int_eq(s.fd, fd);
	ck_assert_int_eq(s.family, AF_INET6);
	ck_assert_uint_ne(s.port, 0);
	ck_assert(s.features & UDP_F_DUALSTACK);
	ck_assert(s.features & UDP_F_GSO);
	ck_assert(s.features & UDP_F_GRO);
	ck_assert(s.features & UDP_F_BIGBUF); /* tests run as root: SO_*BUFFORCE */
	ck_assert_int_ge(s.rcvbuf, UDP_BUFSIZE_DEFAULT);
	ck_assert_int_ge(s.sndbuf, UDP_BUFSIZE_DEFAULT);
	ck_assert_int_gt(udp_features_format(s.features, words, sizeof(words)), 0);
	ck_assert_str_eq(words, "gso gro dualstack df4 df6 bigbuf");
	ck_assert_int_eq(udp_features_format(s.features, words, 8), -1);

	/* It works: an IPv4 datagram to it, from it. */
	{
		struct udp_tx tx = { .remote = addr("127.0.0.1", s.port), .buf = (uint8_t *)"x",
			.len = 1 };
		struct got got[1];

		open_udp(&rs, "127.0.0.1", NULL);
		ck_assert_int_eq(udp_send(&rs, &tx, 1), 1);
		recv_n(&s, got, 1);
		ck_assert_uint_eq(got[0].meta.remote.family, AF_INET);
		udp_close(&rs);
	}
	udp_close(&s);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* closed */

	fd = socket(AF_INET, SOCK_STREAM, 0);
	errno = 0;
	ck_assert_int_eq(udp_setup(&s, fd, NULL), -1);
	ck_assert_int_eq(errno, EPROTOTYPE);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	errno = 0;
	ck_assert_int_eq(udp_setup(&s, fd, NULL), -1); /* not bound */
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
	ck_assert_int_eq(pipe(p), 0);
	errno = 0;
	ck_assert_int_eq(udp_setup(&s, p[0], NULL), -1);
	ck_assert_int_eq(errno, ENOTSOCK);
	close(p[0]);
	close(p[1]);
}
END_TEST

static void
drop_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	ck_assert_int_eq(syscall(SYS_capget, &h, d), 0);
	d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	ck_assert_int_eq(syscall(SYS_capset, &h, d), 0);
}

/* The supervisor (root) makes the buffers large; the unprivileged worker's set-up of the same
 * socket must not shrink them to net.core.rmem_max. */
START_TEST(test_buffers_kept_without_privilege)
{
	struct udp_config big = { .bufsize = 64 << 20 };
	struct udp_sock sup, w;
	int fd;

	netns_enter();
	open_udp(&sup, "127.0.0.1", &big);
	ck_assert(sup.features & UDP_F_BIGBUF);
	ck_assert_int_ge(sup.rcvbuf, 128 << 20);
	drop_net_admin();
	fd = dup(sup.fd);
	udp_close(&sup);
	ck_assert_int_eq(udp_setup(&w, fd, &big), 0);
	ck_assert(w.features & UDP_F_BIGBUF);
	ck_assert_int_ge(w.rcvbuf, 128 << 20);
	ck_assert_int_ge(w.sndbuf, 128 << 20);
	udp_close(&w);
}
END_TEST

START_TEST(test_v6only_and_options)
{
	struct udp_config cfg = { .v6only = true, .no_gso = true, .no_gro = true,
		.bufsize = 1 << 20 };
	struct udp_sock s;
	struct udp_tx tx = { .remote = { .family = AF_INET, .port = 9 }, .buf = NULL, .len = 0 };
	struct udp_tx none = { .buf = NULL };

	netns_enter();
	open_udp(&s, "::", &cfg);
	ck_assert(!(s.features & (UDP_F_DUALSTACK | UDP_F_DF4 | UDP_F_GSO | UDP_F_GRO)));
	ck_assert(s.features & UDP_F_DF6);
	ck_assert_int_ge(s.rcvbuf, 1 << 20);
	ck_assert_int_eq(udp_send(&s, &tx, 1), 1);
	ck_assert_int_eq(tx.error, EAFNOSUPPORT);
	ck_assert_int_eq(udp_send(&s, &none, 1), 1);
	ck_assert_int_eq(none.error, EDESTADDRREQ);
	udp_close(&s);
}
END_TEST

static int
opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	ck_assert_msg(getsockopt(fd, level, name, &v, &len) == 0, "getsockopt %d/%d: %s", level,
	    name, strerror(errno));
	return v;
}

/* What udp_open sets, read back from the kernel: dual stack, packet info both ways, DF with
 * the kernel's PMTU ignored, TOS reports, GRO on, UDP_SEGMENT present (0: per send), big
 * buffers, non-blocking and close-on-exec. */
START_TEST(test_open_options_read_back)
{
	struct udp_config tos = { .recv_tos = true };
	struct udp_sock s;

	netns_enter();
	open_udp(&s, "::", &tos);
	ck_assert_int_eq(opt(s.fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	ck_assert_int_eq(opt(s.fd, SOL_SOCKET, SO_REUSEADDR), 1);
	ck_assert_int_eq(opt(s.fd, IPPROTO_IPV6, IPV6_RECVPKTINFO), 1);
	ck_assert_int_eq(opt(s.fd, IPPROTO_IP, IP_PKTINFO), 1);
	ck_assert_int_eq(opt(s.fd, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_PROBE);
	ck_assert_int_eq(opt(s.fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER), IPV6_PMTUDISC_PROBE);
	ck_assert_int_eq(opt(s.fd, IPPROTO_IPV6, IPV6_DONTFRAG), 1);
	ck_assert_int_eq(opt(s.fd, IPPROTO_IPV6, IPV6_RECVTCLASS), 1);
	ck_assert_int_eq(opt(s.fd, IPPROTO_IP, IP_RECVTOS), 1);
	ck_assert_int_eq(opt(s.fd, SOL_UDP, UDP_GRO), 1);
	ck_assert_int_eq(opt(s.fd, SOL_UDP, UDP_SEGMENT), 0);
	ck_assert_int_ge(opt(s.fd, SOL_SOCKET, SO_RCVBUF), 2 * UDP_BUFSIZE_DEFAULT);
	ck_assert_int_ge(opt(s.fd, SOL_SOCKET, SO_SNDBUF), 2 * UDP_BUFSIZE_DEFAULT);
	ck_assert(fcntl(s.fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(s.fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_uint_eq(s.features, UDP_F_GSO | UDP_F_GRO | UDP_F_DUALSTACK | UDP_F_DF4 |
	    UDP_F_DF6 | UDP_F_BIGBUF | UDP_F_RECVTOS);
	udp_close(&s);

	/* IPv4 only: the IPv4 options, GRO left off when asked. */
	{
		struct udp_config nogro = { .no_gro = true };

		open_udp(&s, "127.0.0.1", &nogro);
		ck_assert_int_eq(opt(s.fd, IPPROTO_IP, IP_PKTINFO), 1);
		ck_assert_int_eq(opt(s.fd, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_PROBE);
		ck_assert_int_eq(opt(s.fd, IPPROTO_IP, IP_RECVTOS), 0);
		ck_assert_int_eq(opt(s.fd, SOL_UDP, UDP_GRO), 0);
		ck_assert_uint_eq(s.features, UDP_F_GSO | UDP_F_DF4 | UDP_F_BIGBUF);
		udp_close(&s);
	}
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("udp");
	TCase *io = tcase_create("io");
	TCase *off = tcase_create("offload");
	TCase *setup = tcase_create("setup");

	tcase_add_test(io, test_batch_ipv4);
	tcase_add_test(io, test_batch_ipv6);
	tcase_add_test(io, test_batch_loopback_bound);
	tcase_add_test(io, test_dual_stack);
	tcase_add_test(io, test_confirm_runs_and_long_batch);
	tcase_add_test(io, test_trunc_and_eagain);
	tcase_add_test(io, test_emsgsize);
	tcase_add_test(off, test_gso_ipv4);
	tcase_add_test(off, test_gso_ipv6);
	tcase_add_test(off, test_gro_ipv4);
	tcase_add_test(off, test_gro_ipv6);
	tcase_add_test(off, test_gso_disabled);
	tcase_add_test(off, test_gso_eio_fallback);
	tcase_add_test(off, test_gso_einval_fallback);
	tcase_add_test(off, test_gso_no_check_fallback);
	tcase_add_test(setup, test_setup_passed_fd);
	tcase_add_test(setup, test_open_options_read_back);
	tcase_add_test(setup, test_v6only_and_options);
	tcase_add_test(setup, test_buffers_kept_without_privilege);
	suite_add_tcase(s, io);
	suite_add_tcase(s, off);
	suite_add_tcase(s, setup);
	return s;
}
