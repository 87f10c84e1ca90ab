/* Which socket a datagram leaves from, with real loopback sockets: the one bound to the path's
 * local address and port, else a wildcard of the family, else a dual-stack one; never one bound
 * to another address. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../worker/sockpick.h"
#include "support/suite.h"

static int fds[8];
static int nfd;

static void
setup(void)
{
	nfd = 0;
}

static void
teardown(void)
{
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
}

/* A UDP socket bound to ip (port 0: any free one); dual stack when v6only is 0. */
static int
bound(int family, const char *ip, int v6only, struct sock_bound *b)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_storage ss;
	socklen_t len;

	ck_assert_int_ge(fd, 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, ip, &s->sin_addr), 1);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
		ck_assert_int_eq(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)), 0);
		len = sizeof(*s);
	}
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	ck_assert_int_eq(sock_bound_get(fd, b), 0);
	fds[nfd++] = fd;
	return fd;
}

static struct mud_addr
addr(const char *ip, uint16_t port)
{
	struct mud_addr a;
	ck_assert_int_eq(mud_addr_parse(&a, ip, port), 0);
	return a;
}

static const struct mud_addr unset;

START_TEST(test_exact_address_first)
{
	struct sock_bound b[4];

	bound(AF_INET, "0.0.0.0", 1, &b[0]);
	bound(AF_INET, "127.0.0.1", 1, &b[1]);
	bound(AF_INET, "127.0.0.2", 1, &b[2]);
	bound(AF_INET6, "::1", 1, &b[3]);
	ck_assert_uint_eq(b[1].addr.family, AF_INET);
	ck_assert(!b[0].dualstack && !b[3].dualstack);
	struct mud_addr peer4 = addr("127.0.0.9", 5000), peer6 = addr("::1", 5000);

	/* the path came in on 127.0.0.2's socket: the reply leaves from it, not the wildcard */
	struct mud_addr l2 = b[2].addr;
	ck_assert_int_eq(sock_pick(b, 4, &l2, &peer4), 2);
	struct mud_addr l1 = b[1].addr;
	ck_assert_int_eq(sock_pick(b, 4, &l1, &peer4), 1);
	/* an address of no specific socket, on the wildcard's port: the wildcard */
	struct mud_addr l3 = addr("127.0.0.3", b[0].addr.port);
	ck_assert_int_eq(sock_pick(b, 4, &l3, &peer4), 0);
	/* IPv6 goes out the IPv6 socket bound to ::1 */
	struct mud_addr l6 = b[3].addr;
	ck_assert_int_eq(sock_pick(b, 4, &l6, &peer6), 3);
	/* the same address on another port is not the same socket */
	struct mud_addr other = addr("127.0.0.2", (uint16_t)(b[2].addr.port + 1));
	ck_assert_int_eq(sock_pick(b, 4, &other, &peer4), 0);
	/* no local address: a wildcard of the family */
	ck_assert_int_eq(sock_pick(b, 4, &unset, &peer4), 0);
}
END_TEST

START_TEST(test_never_another_specific_address)
{
	struct sock_bound b[2];

	bound(AF_INET, "127.0.0.1", 1, &b[0]);
	bound(AF_INET, "127.0.0.2", 1, &b[1]);
	struct mud_addr peer = addr("127.0.0.9", 5000);
	struct mud_addr l = addr("127.0.0.3", b[0].addr.port);

	/* a socket bound to 127.0.0.1 cannot send from 127.0.0.3 */
	ck_assert_int_eq(sock_pick(b, 2, &l, &peer), -1);
	/* with no local address the kernel picks the source: a specific socket will do */
	ck_assert_int_eq(sock_pick(b, 2, &unset, &peer), 0);
	/* no IPv6 socket for an IPv6 peer */
	struct mud_addr peer6 = addr("::1", 5000);
	ck_assert_int_eq(sock_pick(b, 2, &unset, &peer6), -1);
}
END_TEST

START_TEST(test_dual_stack_last)
{
	struct sock_bound b[3];

	bound(AF_INET6, "::", 0, &b[0]);
	bound(AF_INET6, "::1", 1, &b[1]);
	ck_assert(b[0].dualstack);
	ck_assert(!b[1].dualstack);
	struct mud_addr peer4 = addr("127.0.0.9", 5000);

	/* IPv4 through the dual-stack socket, the one it came in on */
	struct mud_addr l4 = addr("127.0.0.1", b[0].addr.port);
	ck_assert_int_eq(sock_pick(b, 2, &l4, &peer4), 0);
	ck_assert_int_eq(sock_pick(b, 2, &unset, &peer4), 0);
	/* an IPv4 wildcard comes before the dual-stack one */
	bound(AF_INET, "0.0.0.0", 1, &b[2]);
	ck_assert_int_eq(sock_pick(b, 3, &unset, &peer4), 2);
	struct mud_addr l4b = addr("127.0.0.1", b[2].addr.port);
	ck_assert_int_eq(sock_pick(b, 3, &l4b, &peer4), 2);
	/* ... but a datagram that reached the dual-stack socket's port leaves from it */
	ck_assert_int_eq(sock_pick(b, 3, &l4, &peer4), 0);
	/* IPv6 to ::1 from ::1: the specific socket before the wildcard */
	struct mud_addr peer6 = addr("::1", 5000);
	struct mud_addr l6 = b[1].addr;
	ck_assert_int_eq(sock_pick(b, 3, &l6, &peer6), 1);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("sockpick");
	TCase *tc = tcase_create("sockpick");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exact_address_first);
	tcase_add_test(tc, test_never_another_specific_address);
	tcase_add_test(tc, test_dual_stack_last);
	suite_add_tcase(s, tc);
	return s;
}
