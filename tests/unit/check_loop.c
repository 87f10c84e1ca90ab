/* The worker's data loop with a supervisor that does not read: the loop keeps moving packets
 * (a datagram socket pair stands in for the TUN), every request still gets its reply once the
 * supervisor reads, and closing the channel stops the loop cleanly. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../worker/loop.h"
#include "crypto/aead.h"
#include "support/suite.h"

static struct worker w;
static int sp[2]; /* IPC: sp[0] the worker's, sp[1] the supervisor's */
static int tp[2]; /* fake TUN: tp[0] the worker's, tp[1] the kernel's side */
static pthread_t th;
static int run_ret;

static void *
run(void *arg)
{
	(void)arg;
	run_ret = worker_run(&w);
	return NULL;
}

static void
nonblock(int fd)
{
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

static void
setup(void)
{
	struct engine_config ec;
	struct mud_addr any;

	ck_assert_int_eq(aead_init(), 0);
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, tp), 0);
	nonblock(tp[0]);
	nonblock(sp[1]);
	int small = 1;
	ck_assert_int_eq(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	w.tun.fd = tp[0];
	ck_assert_int_eq(mud_addr_parse(&any, "127.0.0.1", 0), 0);
	ck_assert_int_eq(udp_open(&w.sock[0], &any, NULL), 0);
	w.nsock = 1;
	w.ipc = sp[0];
	w.epfd = -1;
	mud_clock_init(&w.clock);
	engine_config_default(&ec);
	ec.role = ENGINE_SERVER;
	w.engine = engine_new(&ec);
	ck_assert_ptr_nonnull(w.engine);
	ck_assert_int_eq(worker_init(&w), 0);
	ck_assert_uint_eq(w.bound[0].addr.family, AF_INET);
	ck_assert_uint_eq(w.bound[0].addr.port, w.sock[0].port);
	ck_assert_int_eq(pthread_create(&th, NULL, run, NULL), 0);
}

static void
teardown(void)
{
	engine_free(w.engine);
	worker_free(&w);
	udp_close(&w.sock[0]);
	close(tp[0]);
	close(tp[1]);
	close(sp[0]);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

START_TEST(test_unread_supervisor_does_not_stall_packets)
{
	struct ipc_conf c = { .tos = -1 };
	int sent = 0;

	/* requests, never read: their replies fill the worker's tiny socket buffer and its ring */
	for (int i = 0; i < 400; i++) {
		if (ipc_send(sp[1], IPC_SET_CONF, 0, &c, sizeof(c), NULL, 0)) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		sent++;
	}
	ck_assert_int_gt(sent, IPC_OUTQ_SLOTS);
	usleep(100 * 1000);

	/* packets from the "TUN" are still read (and dropped: a server with no path) */
	uint8_t pkt[60] = { 0x45 };
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(send(tp[1], pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	uint64_t t0 = now_ms();
	while (__atomic_load_n(&w.stats.tun_rx, __ATOMIC_RELAXED) < 50 && now_ms() - t0 < 3000)
		usleep(10 * 1000);
	ck_assert_uint_eq(__atomic_load_n(&w.stats.tun_rx, __ATOMIC_RELAXED), 50);

	/* the supervisor reads at last: one IPC_RESULT per request, none lost */
	int results = 0;
	t0 = now_ms();
	while (results < sent && now_ms() - t0 < 3000) {
		struct ipc_msg m;
		const char *why;
		int r = ipc_recv(sp[1], &m, IPC_WORKER, IPC_SUPERVISOR, &why);
		if (r == 1) {
			ck_assert_uint_eq(m.hdr.type, IPC_RESULT);
			ck_assert_uint_eq(m.u.result.type, IPC_SET_CONF);
			results++;
		} else {
			ck_assert_int_eq(errno, EAGAIN);
			usleep(1000);
		}
	}
	ck_assert_int_eq(results, sent);

	/* closing the channel stops the loop */
	close(sp[1]);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(run_ret, 0);
}
END_TEST

START_TEST(test_stats_while_unread_arrive_once_read)
{
	/* many requests while the supervisor reads nothing: coalesced, one snapshot at least */
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(ipc_send(sp[1], IPC_STATS_REQ, 0, NULL, 0, NULL, 0), 0);
	usleep(100 * 1000);
	int stats = 0, ends = 0;
	uint64_t t0 = now_ms();
	for (;;) {
		struct ipc_msg m;
		const char *why;
		int r = ipc_recv(sp[1], &m, IPC_WORKER, IPC_SUPERVISOR, &why);
		if (r == 1) {
			stats += m.hdr.type == IPC_STATS;
			ends += m.hdr.type == IPC_STATS_END;
			continue;
		}
		ck_assert_int_eq(errno, EAGAIN);
		if (now_ms() - t0 > 300)
			break;
		usleep(1000);
	}
	ck_assert_int_ge(stats, 1);
	ck_assert_int_lt(stats, 50);
	ck_assert_int_eq(stats, ends);
	close(sp[1]);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(run_ret, 0);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_unread_supervisor_does_not_stall_packets);
	tcase_add_test(tc, test_stats_while_unread_arrive_once_read);
	suite_add_tcase(s, tc);
	return s;
}
