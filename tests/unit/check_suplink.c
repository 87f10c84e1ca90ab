/* The worker's side of the control channel against a real engine: live settings from
 * IPC_SET_CONF reach the engine (delay, its spread, cipher preference, the MTU cap),
 * stats requests coalesce, and requests are not read while their reply would have no room. */
#include <check.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../worker/supervisor_link.h"
#include "crypto/aead.h"
#include "support/suite.h"

static int sp[2]; /* sp[0]: the worker's end, sp[1]: the supervisor's */
static struct worker w;

static void
setup(void)
{
	struct engine_config ec;

	ck_assert_int_eq(aead_init(), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	memset(&w, 0, sizeof(w));
	engine_config_default(&ec);
	ec.role = ENGINE_SERVER;
	memset(ec.psk, 7, sizeof(ec.psk));
	w.engine = engine_new(&ec);
	ck_assert_ptr_nonnull(w.engine);
	w.ipc = sp[0];
	w.epfd = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(w.epfd, 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = WORKER_EV_IPC };
	ck_assert_int_eq(epoll_ctl(w.epfd, EPOLL_CTL_ADD, w.ipc, &ev), 0);
	ck_assert_int_eq(sup_link_init(&w), 0);
}

static void
teardown(void)
{
	engine_free(w.engine);
	close(w.epfd);
	close(sp[0]);
	close(sp[1]);
}

/* Sends a request as the supervisor and lets the worker serve it and flush. */
static void
request(enum ipc_type type, const void *payload, size_t len)
{
	ck_assert_int_eq(ipc_send(sp[1], type, 0, payload, len, NULL, 0), 0);
	ck_assert_int_eq(sup_link_read(&w, 1000000), 0);
	ck_assert_int_eq(sup_link_flush(&w), 0);
}

static void
expect(struct ipc_msg *m, enum ipc_type type)
{
	const char *why;

	ck_assert_int_eq(ipc_recv(sp[1], m, IPC_WORKER, IPC_SUPERVISOR, &why), 1);
	ck_assert_str_eq(ipc_type_name(m->hdr.type), ipc_type_name(type));
}

static void
expect_result(enum ipc_type type, int error)
{
	struct ipc_msg m;

	expect(&m, IPC_RESULT);
	ck_assert_uint_eq(m.u.result.type, type);
	ck_assert_int_eq(m.u.result.error, error);
}

static struct ipc_stats
stats(void)
{
	struct ipc_msg m;

	request(IPC_STATS_REQ, NULL, 0);
	expect(&m, IPC_STATS);
	struct ipc_stats st = m.u.stats;
	for (unsigned i = 0; i < st.npaths; i++)
		expect(&m, IPC_PATH_STATS);
	expect(&m, IPC_STATS_END);
	return st;
}

START_TEST(test_live_delay_and_spread)
{
	struct ipc_conf c = { .tos = -1, .delay = IPC_DELAY_EVEN, .delay_spread_ms = 120 };

	ck_assert_uint_eq(engine_delay_spread(w.engine), 30000); /* the default */
	request(IPC_SET_CONF, &c, sizeof(c));
	expect_result(IPC_SET_CONF, 0);
	ck_assert_int_eq(engine_delay(w.engine), ENGINE_DELAY_EVEN);
	ck_assert_uint_eq(engine_delay_spread(w.engine), 120000);
	ck_assert_uint_eq(stats().delay, IPC_DELAY_EVEN);
	/* zero fields leave them as they are */
	struct ipc_conf keep = { .tos = -1 };
	request(IPC_SET_CONF, &keep, sizeof(keep));
	expect_result(IPC_SET_CONF, 0);
	ck_assert_int_eq(engine_delay(w.engine), ENGINE_DELAY_EVEN);
	ck_assert_uint_eq(engine_delay_spread(w.engine), 120000);
}
END_TEST

START_TEST(test_live_cipher_preference)
{
	struct ipc_conf c = { .tos = -1, .cipher = IPC_CIPHER_PREF_CHACHA };

	ck_assert_int_eq(engine_aes(w.engine), aead_aegis256_available() != 0);
	request(IPC_SET_CONF, &c, sizeof(c));
	expect_result(IPC_SET_CONF, 0);
	ck_assert(!engine_aes(w.engine));
	c.cipher = IPC_CIPHER_PREF_AEGIS;
	request(IPC_SET_CONF, &c, sizeof(c));
	expect_result(IPC_SET_CONF, 0);
	/* allowed again, where the CPU has it */
	ck_assert_int_eq(engine_aes(w.engine), aead_aegis256_available() != 0);
}
END_TEST

START_TEST(test_live_mtu_cap)
{
	struct ipc_conf c = { .tos = -1, .mtu_max = 1300 };
	struct ipc_msg m;

	w.engine_mtu = 1400; /* what the engine's discovery found */
	request(IPC_SET_CONF, &c, sizeof(c));
	expect_result(IPC_SET_CONF, 0);
	expect(&m, IPC_MTU_REQ);
	ck_assert_uint_eq(m.u.mtu.mtu, 1300);
	ck_assert_uint_eq(w.mtu, 1300);
	/* a cap above the engine's leaves the engine's */
	c.mtu_max = 1450;
	request(IPC_SET_CONF, &c, sizeof(c));
	expect_result(IPC_SET_CONF, 0);
	expect(&m, IPC_MTU_REQ);
	ck_assert_uint_eq(m.u.mtu.mtu, 1400);
	c.mtu_max = 600;
	request(IPC_SET_CONF, &c, sizeof(c));
	expect_result(IPC_SET_CONF, 0);
	expect(&m, IPC_MTU_REQ);
	ck_assert_uint_eq(m.u.mtu.mtu, 600);
	c.mtu_max = IPC_MTU_CAP_NONE;
	request(IPC_SET_CONF, &c, sizeof(c));
	expect_result(IPC_SET_CONF, 0);
	expect(&m, IPC_MTU_REQ);
	ck_assert_uint_eq(m.u.mtu.mtu, 1400);
	ck_assert_uint_eq(w.mtu_max, 0);
	ck_assert_uint_eq(worker_tun_mtu(1400, 0), 1400);
	ck_assert_uint_eq(worker_tun_mtu(0, 1300), 0); /* nothing confirmed yet: nothing to ask */
}
END_TEST

START_TEST(test_requests_wait_for_reply_room)
{
	struct ipc_conf c = { .tos = -1 };

	/* the supervisor sends many requests and reads nothing */
	int small = 1;
	ck_assert_int_eq(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	int served = 0;
	for (int i = 0; i < 200; i++) {
		if (ipc_send(sp[1], IPC_SET_CONF, 0, &c, sizeof(c), NULL, 0))
			break;
		if (w.ipc_interest & EPOLLIN) {
			ck_assert_int_eq(sup_link_read(&w, 0), 0);
			served++;
		}
		ck_assert_int_eq(sup_link_flush(&w), 0);
	}
	/* the worker stopped reading once its ring was full, and asks to write */
	ck_assert(!(w.ipc_interest & EPOLLIN));
	ck_assert(w.ipc_interest & EPOLLOUT);
	ck_assert_int_lt(served, 200);
	ck_assert_uint_eq(w.out.lost_total, 0);
	/* every request served got its answer, in order, once the supervisor reads */
	int answers = 0;
	for (;;) {
		struct ipc_msg m;
		const char *why;
		if (ipc_recv(sp[1], &m, IPC_WORKER, IPC_SUPERVISOR, &why) != 1)
			break;
		ck_assert_uint_eq(m.hdr.type, IPC_RESULT);
		answers++;
		ck_assert_int_eq(sup_link_flush(&w), 0);
		if (answers == served)
			break;
	}
	ck_assert_int_eq(answers, served);
	ck_assert(w.ipc_interest & EPOLLIN);
	ck_assert(!(w.ipc_interest & EPOLLOUT));
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("suplink");
	TCase *tc = tcase_create("suplink");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_live_delay_and_spread);
	tcase_add_test(tc, test_live_cipher_preference);
	tcase_add_test(tc, test_live_mtu_cap);
	tcase_add_test(tc, test_requests_wait_for_reply_room);
	suite_add_tcase(s, tc);
	return s;
}
