/* The worker's outgoing IPC queue against a supervisor that does not read: a full socket never
 * blocks, stats snapshots coalesce to the newest, replies are never dropped, and lost events
 * are reported (IPC_EVENTS_LOST) and followed by a snapshot once the socket drains. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipc/outq.h"
#include "support/suite.h"

static int sp[2]; /* sp[0]: the worker's end (non-blocking, tiny buffer), sp[1]: supervisor */
static struct ipc_outq q;
static int snapshots;     /* snapshot() calls */
static uint64_t counter;  /* what the next snapshot reports */

static void
snapshot(struct ipc_outq *oq, void *ctx)
{
	struct ipc_stats st;

	ck_assert_ptr_eq(ctx, &counter);
	snapshots++;
	memset(&st, 0, sizeof(st));
	st.tx_packets = counter;
	st.npaths = 1;
	ck_assert_int_eq(ipc_outq_snap_add(oq, IPC_STATS, &st, sizeof(st)), 0);
	struct ipc_path_stats ps;
	memset(&ps, 0, sizeof(ps));
	ps.state = IPC_PATH_UP;
	ps.tx_packets = counter;
	ck_assert_int_eq(ipc_outq_snap_add(oq, IPC_PATH_STATS, &ps, sizeof(ps)), 0);
	ck_assert_int_eq(ipc_outq_snap_add(oq, IPC_STATS_END, NULL, 0), 0);
}

static void
setup(void)
{
	int small = 1; /* the kernel rounds it up to its minimum (a few KiB) */

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	ck_assert_int_eq(fcntl(sp[0], F_SETFL, fcntl(sp[0], F_GETFL) | O_NONBLOCK), 0);
	ck_assert_int_eq(fcntl(sp[1], F_SETFL, fcntl(sp[1], F_GETFL) | O_NONBLOCK), 0);
	ipc_outq_init(&q, sp[0], snapshot, &counter);
	snapshots = 0;
	counter = 0;
}

static void
teardown(void)
{
	close(sp[0]);
	close(sp[1]);
}

static struct ipc_path_event
event(unsigned i)
{
	struct ipc_path_event e;

	memset(&e, 0, sizeof(e));
	e.kind = IPC_EV_PATH_UP;
	e.local.family = AF_INET;
	e.local.port = (uint16_t)i; /* tells the events apart */
	return e;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Fills the socket (the supervisor reads nothing): returns how many messages it took. */
static int
fill_socket(void)
{
	struct ipc_path_event e = event(60000);
	int n = 0;

	while (ipc_send(sp[0], IPC_PATH_EVENT, 0, &e, sizeof(e), NULL, 0) == 0)
		n++;
	ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	return n;
}

/* Reads everything the supervisor has, flushing the queue as room appears. */
static int
drain(struct ipc_msg *out, int max)
{
	int n = 0;

	for (int idle = 0; idle < 2;) {
		struct ipc_msg m;
		const char *why;
		int r = ipc_recv(sp[1], &m, IPC_WORKER, IPC_SUPERVISOR, &why);
		if (r == 1) {
			ck_assert_int_lt(n, max);
			out[n++] = m;
			idle = 0;
			continue;
		}
		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(errno, EAGAIN);
		ck_assert_int_ge(ipc_outq_flush(&q), 0);
		idle++;
	}
	return n;
}

START_TEST(test_full_socket_never_blocks)
{
	int room = fill_socket();
	ck_assert_int_gt(room, 0);

	uint64_t t0 = now_ms();
	for (unsigned i = 0; i < 1000; i++) {
		struct ipc_path_event e = event(i);
		ipc_outq_event(&q, IPC_PATH_EVENT, &e, sizeof(e));
		ipc_outq_want_snapshot(&q);
		ck_assert_int_eq(ipc_outq_flush(&q), 0); /* full: would block, so it returns */
	}
	ck_assert_uint_lt(now_ms() - t0, 1000);
	ck_assert(ipc_outq_pending(&q));
	/* bounded: the ring holds what events may take, the rest is a count */
	ck_assert_uint_eq(q.count, IPC_OUTQ_SLOTS - IPC_OUTQ_REPLY_ROOM);
	ck_assert_uint_eq(q.lost, 1000 - (IPC_OUTQ_SLOTS - IPC_OUTQ_REPLY_ROOM));
	ck_assert_int_eq(snapshots, 0); /* not taken while it cannot be sent */

	/* replies keep their reserved room; past the ring's end a request must not be read */
	struct ipc_result res = { .type = IPC_PATH };
	for (int i = 0; i < IPC_OUTQ_REPLY_ROOM; i++) {
		ck_assert(ipc_outq_can_reply(&q));
		ck_assert_int_eq(ipc_outq_reply(&q, IPC_RESULT, &res, sizeof(res)), 0);
	}
	ck_assert(!ipc_outq_can_reply(&q));
	ck_assert_int_eq(ipc_outq_reply(&q, IPC_RESULT, &res, sizeof(res)), -1);
	ck_assert_int_eq(errno, ENOBUFS);
}
END_TEST

START_TEST(test_stats_coalesce_to_the_newest)
{
	struct ipc_msg got[256];
	int room = fill_socket();

	for (int i = 1; i <= 50; i++) {
		counter = (uint64_t)i;
		ipc_outq_want_snapshot(&q);
		ck_assert_int_eq(ipc_outq_flush(&q), 0);
	}
	counter = 77;
	int n = drain(got, 256);
	ck_assert_int_eq(n, room + 3); /* the filler, then one STATS, PATH_STATS, STATS_END */
	ck_assert_uint_eq(got[room].hdr.type, IPC_STATS);
	ck_assert_uint_eq(got[room].u.stats.tx_packets, 77);
	ck_assert_uint_eq(got[room + 1].hdr.type, IPC_PATH_STATS);
	ck_assert_uint_eq(got[room + 2].hdr.type, IPC_STATS_END);
	ck_assert(!ipc_outq_pending(&q));
	ck_assert_int_eq(ipc_outq_flush(&q), 1);
	int before = snapshots;
	ck_assert_int_eq(ipc_outq_flush(&q), 1);
	ck_assert_int_eq(snapshots, before); /* none taken without a request */
}
END_TEST

START_TEST(test_snapshot_partly_sent_is_finished_whole)
{
	struct ipc_msg got[256];
	int room;

	counter = 1;
	ipc_outq_want_snapshot(&q);
	room = fill_socket();
	/* make room for exactly one message: the snapshot starts and stops after its first */
	struct ipc_msg m;
	const char *why;
	ck_assert_int_eq(ipc_recv(sp[1], &m, IPC_WORKER, IPC_SUPERVISOR, &why), 1);
	ck_assert_int_eq(ipc_outq_flush(&q), 0);
	ck_assert_int_eq(snapshots, 1);
	counter = 2;
	ipc_outq_want_snapshot(&q); /* a newer one waits behind it */
	struct ipc_path_event e = event(5);
	ck_assert_int_eq(ipc_outq_event(&q, IPC_PATH_EVENT, &e, sizeof(e)), 0);
	int n = drain(got, 256);
	ck_assert_int_eq(n, room - 1 + 3 + 1 + 3);
	int k = room - 1;
	ck_assert_uint_eq(got[k].hdr.type, IPC_STATS);
	ck_assert_uint_eq(got[k].u.stats.tx_packets, 1);
	ck_assert_uint_eq(got[k + 1].hdr.type, IPC_PATH_STATS);
	ck_assert_uint_eq(got[k + 1].u.path_stats.tx_packets, 1);
	ck_assert_uint_eq(got[k + 2].hdr.type, IPC_STATS_END);
	ck_assert_uint_eq(got[k + 3].hdr.type, IPC_PATH_EVENT);
	ck_assert_uint_eq(got[k + 4].u.stats.tx_packets, 2);
	ck_assert_uint_eq(got[k + 6].hdr.type, IPC_STATS_END);
	ck_assert_int_eq(snapshots, 2);
}
END_TEST

START_TEST(test_lost_events_resync_after_drain)
{
	struct ipc_msg got[256];
	int room = fill_socket();
	/* events may fill the ring up to the reply room; the reply takes one of those slots */
	unsigned kept = IPC_OUTQ_SLOTS - IPC_OUTQ_REPLY_ROOM - 1;
	struct ipc_result res = { .type = IPC_SET_CONF };

	for (unsigned i = 0; i < 100; i++) {
		struct ipc_path_event e = event(i);
		ck_assert_int_eq(ipc_outq_event(&q, IPC_PATH_EVENT, &e, sizeof(e)), i < kept ? 0 : -1);
		if (i == 10)
			ck_assert_int_eq(ipc_outq_reply(&q, IPC_RESULT, &res, sizeof(res)), 0);
	}
	ipc_outq_mtu(&q, 1300);
	ipc_outq_mtu(&q, 1400); /* coalesced: only the newest goes */
	counter = 9;
	int n = drain(got, 256);
	/* the filler; the kept events with the reply in its place; the MTU; the marker; a snapshot */
	ck_assert_int_eq(n, room + (int)kept + 1 + 1 + 1 + 3);
	int k = room;
	for (unsigned i = 0; i < kept; i++, k++) {
		if (i == 11) {
			ck_assert_uint_eq(got[k].hdr.type, IPC_RESULT);
			ck_assert_uint_eq(got[k].u.result.type, IPC_SET_CONF);
			k++;
		}
		ck_assert_uint_eq(got[k].hdr.type, IPC_PATH_EVENT);
		ck_assert_uint_eq(got[k].u.event.local.port, i);
	}
	ck_assert_uint_eq(got[k].hdr.type, IPC_MTU_REQ);
	ck_assert_uint_eq(got[k].u.mtu.mtu, 1400);
	k++;
	ck_assert_uint_eq(got[k].hdr.type, IPC_EVENTS_LOST);
	ck_assert_uint_eq(got[k].u.lost.count, 100 - kept);
	k++;
	ck_assert_uint_eq(got[k].hdr.type, IPC_STATS);
	ck_assert_uint_eq(got[k].u.stats.tx_packets, 9);
	ck_assert_uint_eq(got[k + 2].hdr.type, IPC_STATS_END);
	ck_assert_uint_eq(q.lost_total, 100 - kept);
	/* the sequence numbers run on without a gap: nothing was half sent */
	for (int i = room + 1; i < n; i++)
		ck_assert_uint_eq(got[i].hdr.seq, got[i - 1].hdr.seq + 1);

	/* back to normal: the next event goes straight out */
	struct ipc_path_event e = event(500);
	ck_assert_int_eq(ipc_outq_event(&q, IPC_PATH_EVENT, &e, sizeof(e)), 0);
	ck_assert_int_eq(drain(got, 256), 1);
	ck_assert_uint_eq(got[0].u.event.local.port, 500);
}
END_TEST

START_TEST(test_broken_channel_is_an_error)
{
	struct ipc_path_event e = event(1);

	close(sp[1]);
	sp[1] = dup(sp[0]);
	ck_assert_int_eq(ipc_outq_event(&q, IPC_PATH_EVENT, &e, sizeof(e)), 0);
	ck_assert_int_eq(ipc_outq_flush(&q), -1);
	ck_assert_int_eq(errno, EPIPE);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("outq");
	TCase *tc = tcase_create("outq");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_socket_never_blocks);
	tcase_add_test(tc, test_stats_coalesce_to_the_newest);
	tcase_add_test(tc, test_snapshot_partly_sent_is_finished_whole);
	tcase_add_test(tc, test_lost_events_resync_after_drain);
	tcase_add_test(tc, test_broken_channel_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
