/* The control channel's messages: round trips, descriptor passing, and every way a message is
 * refused (version, type, route between the three parties, length, descriptors, payload
 * invariants and bounds). */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "support/suite.h"

static int sp[2]; /* sp[0]: supervisor end, sp[1]: worker end */

static void
setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
}

static void
teardown(void)
{
	close(sp[0]);
	close(sp[1]);
}

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct ipc_config
good_config(void)
{
	struct ipc_config c;

	memset(&c, 0, sizeof(c));
	c.tunnel_id = 42;
	c.role = IPC_ROLE_SERVER;
	c.dialect = IPC_DIALECT_AUTO;
	c.tos = 192;
	c.uid = c.gid = 61000;
	c.kxtimeout_ms = 3600000;
	c.timetolerance_ms = 600000;
	c.keepalive_ms = 25000;
	memset(c.psk, 0xa5, sizeof(c.psk));
	strcpy(c.name, "site-42");
	return c;
}

/* Sends header + payload bytes as given, bypassing ipc_send's own checks. */
static void
send_raw(int sock, uint16_t version, uint16_t type, const void *payload, size_t len,
         uint32_t claimed_len)
{
	uint8_t buf[2048];
	struct ipc_hdr h = { .version = version, .type = type, .len = claimed_len };

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), payload, len);
	ck_assert_int_eq(send(sock, buf, sizeof(h) + len, 0), (ssize_t)(sizeof(h) + len));
}

static void
expect_refused(int sock, enum ipc_party from, enum ipc_party to, const char *reason)
{
	struct ipc_msg m;
	const char *why = NULL;

	errno = 0;
	ck_assert_int_eq(ipc_recv(sock, &m, from, to, &why), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, reason);
}

START_TEST(test_config_round_trip)
{
	struct ipc_config c = good_config();
	struct ipc_msg m;
	const char *why;

	ck_assert_int_eq(ipc_send(sp[0], IPC_CONFIG, 7, &c, sizeof(c), NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sp[1], &m, IPC_SUPERVISOR, IPC_WORKER, &why), 1);
	ck_assert_uint_eq(m.hdr.type, IPC_CONFIG);
	ck_assert_uint_eq(m.hdr.seq, 7);
	ck_assert_int_eq(m.nfds, 0);
	ck_assert_mem_eq(&m.u.config, &c, sizeof(c));
	ck_assert_str_eq(ipc_type_name(m.hdr.type), "IPC_CONFIG");
	ipc_msg_clear(&m);
	for (size_t i = 0; i < sizeof(m.u.config.psk); i++)
		ck_assert_uint_eq(m.u.config.psk[i], 0);
}
END_TEST

START_TEST(test_fd_passing)
{
	struct ipc_tun t = { .ifname = "gt-site-42", .mtu = 1500 };
	struct ipc_msg m;
	const char *why;
	int p[2];
	char c = 0;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_send(sp[0], IPC_TUN, 1, &t, sizeof(t), &p[0], 1), 0);
	close(p[0]);
	ck_assert_int_eq(ipc_recv(sp[1], &m, IPC_SUPERVISOR, IPC_WORKER, &why), 1);
	ck_assert_int_eq(m.nfds, 1);
	ck_assert_str_eq(m.u.tun.ifname, "gt-site-42");
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(read(m.fds[0], &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	close(p[1]);
	ipc_msg_clear(&m);
	ck_assert_int_eq(m.nfds, 0);
}
END_TEST

START_TEST(test_worker_messages)
{
	struct ipc_path_stats ps;
	struct ipc_msg m;
	const char *why;

	memset(&ps, 0, sizeof(ps));
	ps.local.family = AF_INET;
	ps.local.port = 5000;
	inet_pton(AF_INET, "198.18.0.1", ps.local.ip);
	ps.state = IPC_PATH_UP;
	ps.ok = 1;
	ps.mtu = 1472;
	ps.rtt_us = 12000;
	ck_assert_int_eq(ipc_send(sp[1], IPC_PATH_STATS, 3, &ps, sizeof(ps), NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sp[0], &m, IPC_WORKER, IPC_SUPERVISOR, &why), 1);
	ck_assert_mem_eq(&m.u.path_stats, &ps, sizeof(ps));
	ck_assert_int_eq(ipc_send(sp[1], IPC_STATS_END, 4, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sp[0], &m, IPC_WORKER, IPC_SUPERVISOR, &why), 1);
	ck_assert_uint_eq(m.hdr.type, IPC_STATS_END);
}
END_TEST

START_TEST(test_wrong_direction)
{
	struct ipc_config c = good_config();

	/* a worker may not send configuration, and the supervisor may not send READY */
	ck_assert_int_eq(ipc_send(sp[1], IPC_CONFIG, 0, &c, sizeof(c), NULL, 0), 0);
	expect_refused(sp[0], IPC_WORKER, IPC_SUPERVISOR, "type not allowed on this route");
	struct ipc_ready r = { .pid = 1 };
	ck_assert_int_eq(ipc_send(sp[0], IPC_READY, 0, &r, sizeof(r), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "type not allowed on this route");
}
END_TEST

START_TEST(test_bad_header)
{
	struct ipc_config c = good_config();

	send_raw(sp[0], IPC_VERSION + 1, IPC_CONFIG, &c, sizeof(c), sizeof(c));
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad version");
	send_raw(sp[0], IPC_VERSION, IPC_TYPE_MAX, &c, sizeof(c), sizeof(c));
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "unknown type");
	send_raw(sp[0], IPC_VERSION, IPC_NONE, NULL, 0, 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "unknown type");
	send_raw(sp[0], IPC_VERSION, IPC_CONFIG, &c, sizeof(c) - 1, sizeof(c) - 1);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad length");
	send_raw(sp[0], IPC_VERSION, IPC_CONFIG, &c, sizeof(c), sizeof(c) + 1);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad length");
	ck_assert_int_eq(send(sp[0], "abc", 3, 0), 3);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "short header");
}
END_TEST

START_TEST(test_descriptors_checked_and_never_leaked)
{
	struct ipc_tun t = { .ifname = "tun0", .mtu = 1500 };
	struct ipc_config c = good_config();
	int before = open_fds();
	int p[2];

	/* TUN without its descriptor */
	send_raw(sp[0], IPC_VERSION, IPC_TUN, &t, sizeof(t), sizeof(t));
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad number of descriptors");

	/* CONFIG with a descriptor it should not carry: refused, and the fd is closed */
	ck_assert_int_eq(pipe(p), 0);
	uint8_t buf[sizeof(struct ipc_hdr) + sizeof(c)];
	struct ipc_hdr h = { .version = IPC_VERSION, .type = IPC_CONFIG, .len = sizeof(c) };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &c, sizeof(c));
	union {
		struct cmsghdr a;
		char b[CMSG_SPACE(sizeof(int))];
	} cb;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b,
		             .msg_controllen = sizeof(cb.b) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
	ck_assert_int_ge(sendmsg(sp[0], &mh, 0), 0);
	close(p[0]);
	close(p[1]);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad number of descriptors");
	ck_assert_int_eq(open_fds(), before);

	/* ipc_send refuses to build such messages at all */
	errno = 0;
	ck_assert_int_eq(ipc_send(sp[0], IPC_TUN, 0, &t, sizeof(t), NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ipc_send(sp[0], IPC_CONFIG, 0, &c, sizeof(c) - 4, NULL, 0), -1);
}
END_TEST

START_TEST(test_bad_payloads)
{
	struct ipc_config c;

	c = good_config();
	strcpy(c.name, "Site-42"); /* names are [a-z0-9-] */
	ck_assert_int_eq(ipc_send(sp[0], IPC_CONFIG, 0, &c, sizeof(c), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");

	c = good_config();
	memset(c.name, 'a', sizeof(c.name)); /* no NUL */
	ck_assert_int_eq(ipc_send(sp[0], IPC_CONFIG, 0, &c, sizeof(c), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");

	c = good_config();
	c.role = IPC_ROLE_CLIENT; /* a client must be told its dialect */
	ck_assert_int_eq(ipc_send(sp[0], IPC_CONFIG, 0, &c, sizeof(c), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");

	c = good_config();
	c.uid = 0; /* a worker never runs as root */
	ck_assert_int_eq(ipc_send(sp[0], IPC_CONFIG, 0, &c, sizeof(c), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");

	c = good_config();
	c.kxtimeout_ms = 0;
	ck_assert_int_eq(ipc_send(sp[0], IPC_CONFIG, 0, &c, sizeof(c), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");

	struct ipc_path p;
	memset(&p, 0, sizeof(p));
	p.local.family = AF_INET;
	p.state = IPC_PATH_UP;
	ck_assert_int_eq(ipc_send(sp[0], IPC_PATH, 0, &p, sizeof(p), NULL, 0), 0);
	struct ipc_msg m;
	const char *why;
	ck_assert_int_eq(ipc_recv(sp[1], &m, IPC_SUPERVISOR, IPC_WORKER, &why), 1);

	p.state = 4;
	ck_assert_int_eq(ipc_send(sp[0], IPC_PATH, 0, &p, sizeof(p), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");
	p.state = IPC_PATH_UP;
	p.rate_mode = 3;
	ck_assert_int_eq(ipc_send(sp[0], IPC_PATH, 0, &p, sizeof(p), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");
	p.rate_mode = IPC_RATE_AUTO;
	p.state = IPC_PATH_UP;
	p.local.ip[10] = 1; /* IPv4 with bytes beyond the address */
	ck_assert_int_eq(ipc_send(sp[0], IPC_PATH, 0, &p, sizeof(p), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");
	p.local.ip[10] = 0;
	p.remote.family = AF_INET6; /* mixed families */
	ck_assert_int_eq(ipc_send(sp[0], IPC_PATH, 0, &p, sizeof(p), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");

	/* the words of `set delay` */
	for (unsigned d = IPC_DELAY_LOW; d <= IPC_DELAY_AUTO; d++)
		ck_assert_uint_eq(ipc_delay_from_name(ipc_delay_name(d)), d);
	ck_assert_str_eq(ipc_delay_name(IPC_DELAY_AUTO), "auto");
	ck_assert_ptr_null(ipc_delay_name(IPC_DELAY_UNCHANGED));
	ck_assert_ptr_null(ipc_delay_name(IPC_DELAY_AUTO + 1));
	ck_assert_uint_eq(ipc_delay_from_name("fast"), IPC_DELAY_UNCHANGED);

	struct ipc_conf cf = { .tos = -1, .delay = IPC_DELAY_EVEN };
	ck_assert_int_eq(ipc_send(sp[0], IPC_SET_CONF, 0, &cf, sizeof(cf), NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sp[1], &m, IPC_SUPERVISOR, IPC_WORKER, &why), 1);
	ck_assert_uint_eq(m.u.conf.delay, IPC_DELAY_EVEN);
	cf.delay = IPC_DELAY_AUTO + 1;
	ck_assert_int_eq(ipc_send(sp[0], IPC_SET_CONF, 0, &cf, sizeof(cf), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");
	cf.delay = IPC_DELAY_UNCHANGED;
	cf.tos = 256;
	ck_assert_int_eq(ipc_send(sp[0], IPC_SET_CONF, 0, &cf, sizeof(cf), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "bad payload");

	struct ipc_path_event e;
	memset(&e, 0, sizeof(e));
	e.kind = 99;
	ck_assert_int_eq(ipc_send(sp[1], IPC_PATH_EVENT, 0, &e, sizeof(e), NULL, 0), 0);
	expect_refused(sp[0], IPC_WORKER, IPC_SUPERVISOR, "bad payload");

	struct ipc_result res = { .type = IPC_PATH, .error = -5 };
	ck_assert_int_eq(ipc_send(sp[1], IPC_RESULT, 0, &res, sizeof(res), NULL, 0), 0);
	expect_refused(sp[0], IPC_WORKER, IPC_SUPERVISOR, "bad payload");

	struct ipc_status st;
	memset(&st, 0, sizeof(st));
	st.role = IPC_ROLE_CLIENT; /* ifname empty */
	ck_assert_int_eq(ipc_send(sp[1], IPC_STATUS, 0, &st, sizeof(st), NULL, 0), 0);
	expect_refused(sp[0], IPC_SUPERVISOR, IPC_CTL, "bad payload");
	strcpy(st.ifname, "tun0");
	ck_assert_int_eq(ipc_send(sp[1], IPC_STATUS, 0, &st, sizeof(st), NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sp[0], &m, IPC_SUPERVISOR, IPC_CTL, &why), 1);

	struct ipc_mtu mt = { .mtu = 70000 };
	ck_assert_int_eq(ipc_send(sp[1], IPC_MTU_REQ, 0, &mt, sizeof(mt), NULL, 0), 0);
	expect_refused(sp[0], IPC_WORKER, IPC_SUPERVISOR, "bad payload");
}
END_TEST

START_TEST(test_oversized_is_truncated_and_refused)
{
	uint8_t big[sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD + 64];
	struct ipc_hdr h = { .version = IPC_VERSION, .type = IPC_CONFIG,
		             .len = IPC_MAX_PAYLOAD + 64 };

	memset(big, 0, sizeof(big));
	memcpy(big, &h, sizeof(h));
	ck_assert_int_eq(send(sp[0], big, sizeof(big), 0), (ssize_t)sizeof(big));
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "truncated message or too many descriptors");
}
END_TEST

START_TEST(test_end_of_file)
{
	struct ipc_msg m;
	const char *why;

	close(sp[0]);
	ck_assert_int_eq(ipc_recv(sp[1], &m, IPC_SUPERVISOR, IPC_WORKER, &why), 0);
	sp[0] = dup(sp[1]); /* keep teardown simple */
}
END_TEST

static const enum ipc_party parties[] = { IPC_SUPERVISOR, IPC_WORKER, IPC_CTL };

/* The routes each type may travel, written out here independently of the decoder's table. */
static int
expected_route(unsigned type, enum ipc_party from, enum ipc_party to)
{
	int s2w = from == IPC_SUPERVISOR && to == IPC_WORKER;
	int w2s = from == IPC_WORKER && to == IPC_SUPERVISOR;
	int c2s = from == IPC_CTL && to == IPC_SUPERVISOR;
	int s2c = from == IPC_SUPERVISOR && to == IPC_CTL;

	switch (type) {
	case IPC_CONFIG: case IPC_TUN: case IPC_SOCKET: case IPC_START: case IPC_MTU_SET:
		return s2w;
	case IPC_PATH: case IPC_SET_CONF: case IPC_STATS_REQ:
		return s2w || c2s;
	case IPC_READY: case IPC_MTU_REQ: case IPC_PATH_EVENT: case IPC_EVENTS_LOST:
		return w2s;
	case IPC_STATS: case IPC_PATH_STATS: case IPC_STATS_END: case IPC_RESULT:
		return w2s || s2c;
	case IPC_STATUS:
		return s2c;
	default:
		return 0;
	}
}

/* For each receiving party, every type from every other party (and from itself): refused on
 * the route check exactly when the type may not travel that route. */
START_TEST(test_routes_per_party)
{
	for (unsigned type = IPC_CONFIG; type < IPC_TYPE_MAX; type++) {
		for (size_t f = 0; f < 3; f++) {
			for (size_t t = 0; t < 3; t++) {
				struct ipc_hdr h = { .version = IPC_VERSION, .type = (uint16_t)type,
					             .len = 0 };
				uint8_t buf[sizeof(h)];
				struct ipc_msg m;
				const char *why = NULL;
				memcpy(buf, &h, sizeof(h));
				int r = ipc_decode(&m, buf, sizeof(buf), 0, parties[f], parties[t], &why);
				int allowed = expected_route(type, parties[f], parties[t]);
				ck_assert_int_eq(ipc_route_ok(type, parties[f], parties[t]), allowed);
				if (!allowed) {
					ck_assert_int_eq(r, -1);
					ck_assert_str_eq(why, "type not allowed on this route");
				} else if (r) {
					/* past the route check: only the length or payload can be wrong */
					ck_assert_str_ne(why, "type not allowed on this route");
				}
			}
		}
	}
	/* a party talking to itself, or the worker and ctl directly, has no route at all */
	for (unsigned type = IPC_CONFIG; type < IPC_TYPE_MAX; type++) {
		ck_assert(!ipc_route_ok(type, IPC_WORKER, IPC_CTL));
		ck_assert(!ipc_route_ok(type, IPC_CTL, IPC_WORKER));
		for (size_t i = 0; i < 3; i++)
			ck_assert(!ipc_route_ok(type, parties[i], parties[i]));
	}
}
END_TEST

/* The same over a socket, one wrong sender per receiving party. */
START_TEST(test_wrong_party_refused_on_the_wire)
{
	struct ipc_config c = good_config();
	struct ipc_ready r = { .pid = 1 };
	struct ipc_status st;
	struct ipc_msg m;
	const char *why;

	memset(&st, 0, sizeof(st));
	strcpy(st.ifname, "tun0");
	st.role = IPC_ROLE_SERVER;
	/* the worker refuses IPC_STATUS (only a supervisor sends it, and only to ctl) */
	ck_assert_int_eq(ipc_send(sp[0], IPC_STATUS, 0, &st, sizeof(st), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_WORKER, "type not allowed on this route");
	/* the supervisor refuses IPC_CONFIG from ctl, and IPC_READY from ctl */
	ck_assert_int_eq(ipc_send(sp[1], IPC_CONFIG, 0, &c, sizeof(c), NULL, 0), 0);
	expect_refused(sp[0], IPC_CTL, IPC_SUPERVISOR, "type not allowed on this route");
	ck_assert_int_eq(ipc_send(sp[1], IPC_READY, 0, &r, sizeof(r), NULL, 0), 0);
	expect_refused(sp[0], IPC_CTL, IPC_SUPERVISOR, "type not allowed on this route");
	/* ... but takes IPC_STATS_REQ from ctl */
	ck_assert_int_eq(ipc_send(sp[1], IPC_STATS_REQ, 0, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sp[0], &m, IPC_CTL, IPC_SUPERVISOR, &why), 1);
	/* ctl refuses IPC_PATH_EVENT (a worker's, for the supervisor only) and takes IPC_STATUS */
	struct ipc_path_event e = { .kind = IPC_EV_PATH_UP };
	ck_assert_int_eq(ipc_send(sp[0], IPC_PATH_EVENT, 0, &e, sizeof(e), NULL, 0), 0);
	expect_refused(sp[1], IPC_SUPERVISOR, IPC_CTL, "type not allowed on this route");
	ck_assert_int_eq(ipc_send(sp[0], IPC_STATUS, 0, &st, sizeof(st), NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sp[1], &m, IPC_SUPERVISOR, IPC_CTL, &why), 1);
}
END_TEST

static int
config_accepted(const struct ipc_config *c)
{
	struct ipc_msg m;
	const char *why;

	ck_assert_int_eq(ipc_send(sp[0], IPC_CONFIG, 0, c, sizeof(*c), NULL, 0), 0);
	int r = ipc_recv(sp[1], &m, IPC_SUPERVISOR, IPC_WORKER, &why);
	if (r == 1)
		ipc_msg_clear(&m);
	return r == 1;
}

static int
conf_accepted(const struct ipc_conf *c)
{
	struct ipc_msg m;
	const char *why;

	ck_assert_int_eq(ipc_send(sp[0], IPC_SET_CONF, 0, c, sizeof(*c), NULL, 0), 0);
	int r = ipc_recv(sp[1], &m, IPC_SUPERVISOR, IPC_WORKER, &why);
	if (r == 1)
		ck_assert_mem_eq(&m.u.conf, c, sizeof(*c));
	return r == 1;
}

START_TEST(test_settings_bounds)
{
	struct ipc_config c = good_config();

	c.delay = IPC_DELAY_LOW;
	c.delay_spread_ms = IPC_SPREAD_MAX_MS;
	c.mtu_max = IPC_MTU_CAP_MIN;
	ck_assert(config_accepted(&c));
	c.mtu_max = IPC_MTU_CAP_MAX;
	ck_assert(config_accepted(&c));
	c.mtu_max = 0;
	ck_assert(config_accepted(&c));
	c.mtu_max = IPC_MTU_CAP_MIN - 1;
	ck_assert(!config_accepted(&c));
	c.mtu_max = IPC_MTU_CAP_MAX + 1;
	ck_assert(!config_accepted(&c));
	c.mtu_max = 0;
	c.delay_spread_ms = IPC_SPREAD_MAX_MS + 1;
	ck_assert(!config_accepted(&c));
	c.delay_spread_ms = 0;
	c.delay = IPC_DELAY_AUTO + 1;
	ck_assert(!config_accepted(&c));
	c.delay = IPC_DELAY_AUTO;
	c.keepalive_ms = IPC_TIMER_MAX_MS + 1;
	ck_assert(!config_accepted(&c));
	c.keepalive_ms = IPC_TIMER_MAX_MS;
	ck_assert(config_accepted(&c));

	struct ipc_conf cf = { .tos = -1 };
	ck_assert(conf_accepted(&cf));
	cf.cipher = IPC_CIPHER_PREF_CHACHA;
	cf.delay_spread_ms = 1;
	cf.mtu_max = IPC_MTU_CAP_NONE;
	cf.kxtimeout_ms = IPC_TIMER_MAX_MS;
	ck_assert(conf_accepted(&cf));
	cf.cipher = IPC_CIPHER_PREF_CHACHA + 1;
	ck_assert(!conf_accepted(&cf));
	cf.cipher = IPC_CIPHER_PREF_AEGIS;
	cf.mtu_max = IPC_MTU_CAP_MIN - 1;
	ck_assert(!conf_accepted(&cf));
	cf.mtu_max = IPC_MTU_CAP_MAX + 1;
	ck_assert(!conf_accepted(&cf));
	cf.mtu_max = IPC_MTU_CAP_MAX;
	ck_assert(conf_accepted(&cf));
	cf.delay_spread_ms = IPC_SPREAD_MAX_MS + 1;
	ck_assert(!conf_accepted(&cf));
	cf.delay_spread_ms = IPC_SPREAD_MAX_MS;
	ck_assert(conf_accepted(&cf));
	cf.kxtimeout_ms = IPC_TIMER_MAX_MS + 1;
	ck_assert(!conf_accepted(&cf));
	cf.kxtimeout_ms = 0;
	cf.timetolerance_ms = IPC_TIMER_MAX_MS + 1;
	ck_assert(!conf_accepted(&cf));
	cf.timetolerance_ms = 0;
	cf.tos = -2; /* any negative value: unchanged */
	ck_assert(conf_accepted(&cf));
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("ipc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_round_trip);
	tcase_add_test(tc, test_fd_passing);
	tcase_add_test(tc, test_worker_messages);
	tcase_add_test(tc, test_wrong_direction);
	tcase_add_test(tc, test_bad_header);
	tcase_add_test(tc, test_descriptors_checked_and_never_leaked);
	tcase_add_test(tc, test_bad_payloads);
	tcase_add_test(tc, test_oversized_is_truncated_and_refused);
	tcase_add_test(tc, test_end_of_file);
	tcase_add_test(tc, test_routes_per_party);
	tcase_add_test(tc, test_wrong_party_refused_on_the_wire);
	tcase_add_test(tc, test_settings_bounds);
	suite_add_tcase(s, tc);
	return s;
}
