#include "ipc/ipc.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

_Static_assert(sizeof(struct ipc_hdr) == 16, "ipc_hdr layout");
_Static_assert(sizeof(struct ipc_config) == 120, "ipc_config layout");
_Static_assert(sizeof(struct ipc_conf) == 40, "ipc_conf layout");
_Static_assert(sizeof(struct ipc_path) == 72, "ipc_path layout");
_Static_assert(sizeof(struct ipc_status) == 68, "ipc_status layout");
_Static_assert(sizeof(struct ipc_path_stats) <= IPC_MAX_PAYLOAD, "ipc_path_stats size");
_Static_assert(sizeof(struct ipc_stats) <= IPC_MAX_PAYLOAD, "ipc_stats size");

typedef int (*ipc_check_fn)(const struct ipc_msg *msg);

/* Routes, one bit each. */
#define S2W 0x1u /* supervisor -> worker */
#define W2S 0x2u /* worker -> supervisor */
#define C2S 0x4u /* ctl -> supervisor */
#define S2C 0x8u /* supervisor -> ctl */

struct ipc_kind {
	const char *name;
	size_t size;        /* exact payload length */
	int nfds;           /* exact number of descriptors */
	unsigned routes;    /* the routes it may travel */
	ipc_check_fn check; /* payload invariants, or NULL */
};

static int
addr_ok(const struct mud_addr *a, int may_be_unset)
{
	static const uint8_t zero[12];

	switch (a->family) {
	case 0:
		return may_be_unset;
	case AF_INET:
		return !memcmp(a->ip + 4, zero, sizeof(zero));
	case AF_INET6:
		return 1;
	default:
		return 0;
	}
}

/* A NUL within the array, and at least `min` characters before it. */
static int
str_ok(const char *s, size_t size, size_t min)
{
	size_t n = strnlen(s, size);
	return n < size && n >= min;
}

static int
check_config(const struct ipc_msg *m)
{
	const struct ipc_config *c = &m->u.config;
	size_t n = strnlen(c->name, sizeof(c->name));

	if (c->role != IPC_ROLE_SERVER && c->role != IPC_ROLE_CLIENT)
		return -1;
	if (c->dialect > IPC_DIALECT_MASTER)
		return -1;
	if (c->dialect == IPC_DIALECT_AUTO && c->role != IPC_ROLE_SERVER)
		return -1;
	if (c->chacha > 1 || !c->kxtimeout_ms || !c->timetolerance_ms || !c->keepalive_ms)
		return -1;
	if (!c->uid || !c->gid || c->sandbox & ~(IPC_SANDBOX_DEBUG | IPC_SANDBOX_DEGRADED))
		return -1;
	if (c->kxtimeout_ms > IPC_TIMER_MAX_MS || c->timetolerance_ms > IPC_TIMER_MAX_MS ||
	    c->keepalive_ms > IPC_TIMER_MAX_MS)
		return -1;
	if (c->delay > IPC_DELAY_AUTO || c->delay_spread_ms > IPC_SPREAD_MAX_MS)
		return -1;
	if (c->mtu_max && (c->mtu_max < IPC_MTU_CAP_MIN || c->mtu_max > IPC_MTU_CAP_MAX))
		return -1;
	if (!str_ok(c->name, sizeof(c->name), 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = c->name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return -1;
	}
	return 0;
}

static int
check_tun(const struct ipc_msg *m)
{
	return str_ok(m->u.tun.ifname, sizeof(m->u.tun.ifname), 1) && m->u.tun.mtu <= 65535 ? 0 : -1;
}

static int
check_socket(const struct ipc_msg *m)
{
	return addr_ok(&m->u.socket.local, 0) ? 0 : -1;
}

static int
check_path(const struct ipc_msg *m)
{
	const struct ipc_path *p = &m->u.path;

	if (!addr_ok(&p->local, 0) || !addr_ok(&p->remote, 1))
		return -1;
	if (p->remote.family && p->remote.family != p->local.family)
		return -1;
	if (p->state > IPC_PATH_UP)
		return -1;
	return p->pref <= 127 && p->set_pref <= 1 && p->rate_mode <= IPC_RATE_AUTO ? 0 : -1;
}

static int
check_conf(const struct ipc_msg *m)
{
	const struct ipc_conf *c = &m->u.conf;

	if (c->kxtimeout_ms > IPC_TIMER_MAX_MS || c->timetolerance_ms > IPC_TIMER_MAX_MS ||
	    c->keepalive_ms > IPC_TIMER_MAX_MS)
		return -1;
	if (c->tos > 255 || c->delay > IPC_DELAY_AUTO || c->cipher > IPC_CIPHER_PREF_CHACHA)
		return -1;
	if (c->mtu_max && c->mtu_max != IPC_MTU_CAP_NONE &&
	    (c->mtu_max < IPC_MTU_CAP_MIN || c->mtu_max > IPC_MTU_CAP_MAX))
		return -1;
	return c->delay_spread_ms <= IPC_SPREAD_MAX_MS ? 0 : -1;
}

static int
check_result(const struct ipc_msg *m)
{
	return m->u.result.type < IPC_TYPE_MAX && m->u.result.error >= 0 ? 0 : -1;
}

static int
check_status(const struct ipc_msg *m)
{
	const struct ipc_status *s = &m->u.status;

	if (!str_ok(s->ifname, sizeof(s->ifname), 1) || !addr_ok(&s->bind, 1) ||
	    !addr_ok(&s->peer, 1))
		return -1;
	if (s->role != IPC_ROLE_SERVER && s->role != IPC_ROLE_CLIENT)
		return -1;
	return s->chacha <= 1 && s->cipher <= IPC_CIPHER_AEGIS256 &&
	               s->dialect <= IPC_DIALECT_MASTER ? 0 : -1;
}

static int
check_mtu(const struct ipc_msg *m)
{
	return m->u.mtu.mtu <= 65535 ? 0 : -1;
}

static int
check_event(const struct ipc_msg *m)
{
	const struct ipc_path_event *e = &m->u.event;

	if (e->kind < IPC_EV_PATH_UP || e->kind > IPC_EV_DIALECT)
		return -1;
	if (!addr_ok(&e->local, 1) || !addr_ok(&e->remote, 1))
		return -1;
	return e->kind != IPC_EV_DIALECT || e->value <= IPC_DIALECT_MASTER ? 0 : -1;
}

static int
check_stats(const struct ipc_msg *m)
{
	const struct ipc_stats *s = &m->u.stats;

	if (!addr_ok(&s->bad_decrypt_from, 1) || !addr_ok(&s->bad_difftime_from, 1) ||
	    !addr_ok(&s->bad_keyx_from, 1))
		return -1;
	return s->cipher <= IPC_CIPHER_AEGIS256 && s->dialect <= IPC_DIALECT_MASTER ? 0 : -1;
}

static int
check_path_stats(const struct ipc_msg *m)
{
	const struct ipc_path_stats *p = &m->u.path_stats;

	if (!addr_ok(&p->local, 1) || !addr_ok(&p->remote, 1) || !addr_ok(&p->public_addr, 1))
		return -1;
	if (p->state < IPC_PATH_DOWN || p->state > IPC_PATH_UP)
		return -1;
	return p->ok <= 1 && p->fixed_rate <= 1 && p->mtu <= 65535 ? 0 : -1;
}

static const struct ipc_kind kinds[IPC_TYPE_MAX] = {
	[IPC_CONFIG] = { "IPC_CONFIG", sizeof(struct ipc_config), 0, S2W, check_config },
	[IPC_TUN] = { "IPC_TUN", sizeof(struct ipc_tun), 1, S2W, check_tun },
	[IPC_SOCKET] = { "IPC_SOCKET", sizeof(struct ipc_socket), 1, S2W, check_socket },
	[IPC_PATH] = { "IPC_PATH", sizeof(struct ipc_path), 0, S2W | C2S, check_path },
	[IPC_START] = { "IPC_START", 0, 0, S2W, NULL },
	[IPC_SET_CONF] = { "IPC_SET_CONF", sizeof(struct ipc_conf), 0, S2W | C2S, check_conf },
	[IPC_STATS_REQ] = { "IPC_STATS_REQ", 0, 0, S2W | C2S, NULL },
	[IPC_MTU_SET] = { "IPC_MTU_SET", sizeof(struct ipc_mtu), 0, S2W, check_mtu },
	[IPC_READY] = { "IPC_READY", sizeof(struct ipc_ready), 0, W2S, NULL },
	[IPC_MTU_REQ] = { "IPC_MTU_REQ", sizeof(struct ipc_mtu), 0, W2S, check_mtu },
	[IPC_PATH_EVENT] = { "IPC_PATH_EVENT", sizeof(struct ipc_path_event), 0, W2S, check_event },
	[IPC_STATS] = { "IPC_STATS", sizeof(struct ipc_stats), 0, W2S | S2C, check_stats },
	[IPC_PATH_STATS] = { "IPC_PATH_STATS", sizeof(struct ipc_path_stats), 0, W2S | S2C,
	                     check_path_stats },
	[IPC_STATS_END] = { "IPC_STATS_END", 0, 0, W2S | S2C, NULL },
	[IPC_RESULT] = { "IPC_RESULT", sizeof(struct ipc_result), 0, W2S | S2C, check_result },
	[IPC_STATUS] = { "IPC_STATUS", sizeof(struct ipc_status), 0, S2C, check_status },
	[IPC_EVENTS_LOST] = { "IPC_EVENTS_LOST", sizeof(struct ipc_events_lost), 0, W2S, NULL },
};

static unsigned
route_bit(enum ipc_party from, enum ipc_party to)
{
	if (from == IPC_SUPERVISOR && to == IPC_WORKER)
		return S2W;
	if (from == IPC_WORKER && to == IPC_SUPERVISOR)
		return W2S;
	if (from == IPC_CTL && to == IPC_SUPERVISOR)
		return C2S;
	if (from == IPC_SUPERVISOR && to == IPC_CTL)
		return S2C;
	return 0; /* worker <-> ctl, or a party talking to itself: no such route */
}

int
ipc_route_ok(unsigned type, enum ipc_party from, enum ipc_party to)
{
	unsigned bit = route_bit(from, to);

	return type < IPC_TYPE_MAX && kinds[type].name && bit && (kinds[type].routes & bit);
}

const char *
ipc_type_name(unsigned type)
{
	if (type >= IPC_TYPE_MAX || !kinds[type].name)
		return "unknown";
	return kinds[type].name;
}

int
ipc_decode(struct ipc_msg *msg, const uint8_t *buf, size_t len, int nfds, enum ipc_party from,
           enum ipc_party to, const char **why)
{
	struct ipc_hdr hdr;
	const struct ipc_kind *k;

	if (len < sizeof(hdr)) {
		*why = "short header";
		return -1;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.version != IPC_VERSION) {
		*why = "bad version";
		return -1;
	}
	if (hdr.type >= IPC_TYPE_MAX || !kinds[hdr.type].name) {
		*why = "unknown type";
		return -1;
	}
	k = &kinds[hdr.type];
	if (!ipc_route_ok(hdr.type, from, to)) {
		*why = "type not allowed on this route";
		return -1;
	}
	if (hdr.len != len - sizeof(hdr) || hdr.len != k->size) {
		*why = "bad length";
		return -1;
	}
	if (nfds != k->nfds) {
		*why = "bad number of descriptors";
		return -1;
	}
	msg->hdr = hdr;
	memset(&msg->u, 0, sizeof(msg->u));
	memcpy(msg->u.raw, buf + sizeof(hdr), hdr.len);
	if (k->check && k->check(msg)) {
		sodium_memzero(&msg->u, sizeof(msg->u));
		*why = "bad payload";
		return -1;
	}
	return 0;
}

int
ipc_send(int sock, enum ipc_type type, uint32_t seq, const void *payload, size_t len,
         const int *fds, int nfds)
{
	struct ipc_hdr hdr = { .version = IPC_VERSION, .type = (uint16_t)type, .len = (uint32_t)len,
		               .seq = seq };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
	} cbuf;
	struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { (void *)payload, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if ((unsigned)type >= IPC_TYPE_MAX || !kinds[type].name || len != kinds[type].size ||
	    nfds != kinds[type].nfds) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t r;
	do {
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	if ((size_t)r != sizeof(hdr) + len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static void
close_fds(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

int
ipc_recv(int sock, struct ipc_msg *msg, enum ipc_party from, enum ipc_party to, const char **why)
{
	uint8_t buf[sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD + 1];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
	} cbuf;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
		             .msg_controllen = sizeof(cbuf.buf) };
	int fds[IPC_MAX_FDS];
	int nfds = 0;
	ssize_t r;

	*why = NULL;
	msg->nfds = 0;
	do {
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;

	/* Collect every descriptor first, so that none leaks whatever is wrong with the message. */
	int extra = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds < IPC_MAX_FDS)
				fds[nfds++] = fd;
			else {
				close(fd);
				extra = 1;
			}
		}
	}
	if (r == 0 && nfds == 0)
		return 0;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC) || extra) {
		*why = "truncated message or too many descriptors";
		goto bad;
	}
	if (ipc_decode(msg, buf, (size_t)r, nfds, from, to, why))
		goto bad;
	memcpy(msg->fds, fds, sizeof(int) * (size_t)nfds);
	msg->nfds = nfds;
	sodium_memzero(buf, sizeof(buf));
	return 1;
bad:
	close_fds(fds, nfds);
	sodium_memzero(buf, sizeof(buf));
	errno = EPROTO;
	return -1;
}

void
ipc_msg_clear(struct ipc_msg *msg)
{
	close_fds(msg->fds, msg->nfds);
	msg->nfds = 0;
	sodium_memzero(&msg->u, sizeof(msg->u));
}

static const char *const delay_names[] = {
	[IPC_DELAY_LOW] = "low",
	[IPC_DELAY_EVEN] = "even",
	[IPC_DELAY_AUTO] = "auto",
};

const char *
ipc_delay_name(unsigned d)
{
	return d < sizeof(delay_names) / sizeof(delay_names[0]) ? delay_names[d] : NULL;
}

enum ipc_delay
ipc_delay_from_name(const char *name)
{
	for (unsigned d = IPC_DELAY_LOW; d <= IPC_DELAY_AUTO; d++)
		if (!strcmp(name, delay_names[d]))
			return (enum ipc_delay)d;
	return IPC_DELAY_UNCHANGED;
}
