#include "supervisor_link.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/log.h"

static void
snapshot(struct ipc_outq *q, void *ctx);

int
sup_link_init(struct worker *w)
{
	ipc_outq_init(&w->out, w->ipc, snapshot, w);
	w->ipc_interest = EPOLLIN;
	if (w->ipc < 0)
		return 0;
	int fl = fcntl(w->ipc, F_GETFL);
	return fl == -1 || fcntl(w->ipc, F_SETFL, fl | O_NONBLOCK) == -1 ? -1 : 0;
}

void
sup_link_ready(struct worker *w, uint32_t features)
{
	struct ipc_ready ready = { .pid = (uint32_t)getpid(), .features = features };
	ipc_outq_reply(&w->out, IPC_READY, &ready, sizeof(ready));
}

unsigned
worker_tun_mtu(unsigned engine_mtu, unsigned cap)
{
	return cap && engine_mtu > cap ? cap : engine_mtu;
}

/* Asks for the TUN MTU when the engine's or the cap changed what it should be. */
static void
update_mtu(struct worker *w)
{
	unsigned want = worker_tun_mtu(w->engine_mtu, w->mtu_max);

	if (want && want != w->mtu) {
		w->mtu = want;
		log_info("tunnel mtu %u", want);
		ipc_outq_mtu(&w->out, want);
	}
}

static void
queue_event(struct worker *w, const struct ipc_path_event *pe)
{
	if (ipc_outq_event(&w->out, IPC_PATH_EVENT, pe, sizeof(*pe)) && w->out.lost == 1)
		log_warnx("the supervisor does not read: events dropped until it resyncs");
}

static uint8_t
path_event_kind(enum engine_event_type t)
{
	switch (t) {
	case ENGINE_EV_PATH_NEW: return IPC_EV_PATH_NEW;
	case ENGINE_EV_PATH_GONE: return IPC_EV_PATH_GONE;
	case ENGINE_EV_PATH_UP: return IPC_EV_PATH_UP;
	default: return IPC_EV_PATH_DOWN;
	}
}

/* The word of the log line: "new", "gone", "up", "down". */
static const char *
path_event_word(uint8_t kind)
{
	static const char *const words[] = {
		[IPC_EV_PATH_UP] = "up", [IPC_EV_PATH_DOWN] = "down",
		[IPC_EV_PATH_NEW] = "new", [IPC_EV_PATH_GONE] = "gone",
	};
	return words[kind];
}

void
sup_link_report_events(struct worker *w)
{
	struct engine_event ev;
	char la[MUD_ADDR_STRLEN], ra[MUD_ADDR_STRLEN];

	while (engine_next_event(w->engine, &ev)) {
		struct ipc_path_event pe;
		memset(&pe, 0, sizeof(pe));
		pe.local = ev.local;
		pe.remote = ev.remote;
		mud_addr_format(&ev.local, ' ', la, sizeof(la));
		mud_addr_format(&ev.remote, ' ', ra, sizeof(ra));
		switch (ev.type) {
		case ENGINE_EV_PATH_NEW:
		case ENGINE_EV_PATH_GONE:
		case ENGINE_EV_PATH_UP:
		case ENGINE_EV_PATH_DOWN:
			pe.kind = path_event_kind(ev.type);
			log_info("path %s -> %s: %s", la, ra, path_event_word(pe.kind));
			break;
		case ENGINE_EV_KEY_ROTATED:
			log_debug("session key rotated (%s)", aead_name((enum aead_cipher)ev.value));
			pe.kind = IPC_EV_KEY_ROTATED;
			break;
		case ENGINE_EV_DIALECT:
			log_info("peer speaks the %s dialect", mud_dialect_name((enum mud_dialect)ev.value));
			pe.kind = IPC_EV_DIALECT;
			pe.value = ev.value == MUD_MASTER ? IPC_DIALECT_MASTER : IPC_DIALECT_V1;
			break;
		case ENGINE_EV_MTU:
			w->engine_mtu = (unsigned)ev.value;
			update_mtu(w);
			continue;
		case ENGINE_EV_BAD:
			log_debug("bad packet from %s: %s", ra, engine_bad_name(ev.reason));
			continue;
		default:
			continue;
		}
		queue_event(w, &pe);
	}
}

static uint8_t
ipc_state(enum engine_state s)
{
	switch (s) {
	case ENGINE_STATE_DOWN: return IPC_PATH_DOWN;
	case ENGINE_STATE_BACKUP: return IPC_PATH_BACKUP;
	default: return IPC_PATH_UP;
	}
}

static uint8_t
ipc_delay_of(enum engine_delay d)
{
	switch (d) {
	case ENGINE_DELAY_LOW: return IPC_DELAY_LOW;
	case ENGINE_DELAY_EVEN: return IPC_DELAY_EVEN;
	default: return IPC_DELAY_AUTO;
	}
}

static void
path_stats_of(struct ipc_path_stats *ps, const struct engine_path_info *p)
{
	memset(ps, 0, sizeof(*ps));
	ps->local = p->local;
	ps->remote = p->remote;
	ps->public_addr = p->pub;
	ps->state = ipc_state(p->state);
	ps->ok = p->ok;
	ps->fixed_rate = p->fixed_rate;
	ps->loss_limit = p->loss_limit;
	ps->tx_loss = (uint8_t)(p->tx_loss > 255 ? 255 : p->tx_loss);
	ps->rx_loss = (uint8_t)(p->rx_loss > 255 ? 255 : p->rx_loss);
	ps->pref = p->pref;
	ps->mtu = p->mtu;
	ps->rtt_us = p->rtt;
	ps->rttvar_us = p->rttvar;
	ps->beat_ms = p->beat / 1000;
	ps->tx_rate = p->tx_rate;
	ps->rx_rate = p->rx_rate;
	ps->tx_packets = p->tx_packets;
	ps->rx_packets = p->rx_packets;
	ps->tx_bytes = p->tx_bytes;
	ps->rx_bytes = p->rx_bytes;
}

/* The session's state as the supervisor sees it: taken when it can be sent (the newest). */
static void
snapshot(struct ipc_outq *q, void *ctx)
{
	struct worker *w = ctx;
	struct engine_info info;
	struct engine_path_info paths[ENGINE_PATH_MAX];
	struct ipc_stats st;

	engine_info(w->engine, &info);
	int n = engine_paths(w->engine, paths, ENGINE_PATH_MAX);
	if (n > ENGINE_PATH_MAX)
		n = ENGINE_PATH_MAX;
	memset(&st, 0, sizeof(st));
	st.tx_packets = w->stats.udp_tx;
	st.rx_packets = w->stats.udp_rx;
	for (int i = 0; i < n; i++) {
		st.tx_bytes += paths[i].tx_bytes;
		st.rx_bytes += paths[i].rx_bytes;
	}
	st.bad_decrypt = info.bad[ENGINE_BAD_DECRYPT].count;
	st.bad_decrypt_from = info.bad[ENGINE_BAD_DECRYPT].addr;
	st.bad_difftime = info.bad[ENGINE_BAD_DIFFTIME].count;
	st.bad_difftime_from = info.bad[ENGINE_BAD_DIFFTIME].addr;
	st.bad_keyx = info.bad[ENGINE_BAD_KEYX].count;
	st.bad_keyx_from = info.bad[ENGINE_BAD_KEYX].addr;
	st.bad_replay = info.bad[ENGINE_BAD_REPLAY].count;
	st.bad_dialect = info.bad[ENGINE_BAD_DIALECT].count;
	st.mtu = worker_tun_mtu(info.mtu, w->mtu_max);
	st.cipher = info.cipher == AEAD_AEGIS256 ? IPC_CIPHER_AEGIS256 : IPC_CIPHER_CHACHA20POLY1305;
	st.dialect = info.dialect == MUD_MASTER ? IPC_DIALECT_MASTER : IPC_DIALECT_V1;
	st.npaths = (uint8_t)n;
	st.delay = ipc_delay_of(engine_delay(w->engine));
	ipc_outq_snap_add(q, IPC_STATS, &st, sizeof(st));
	for (int i = 0; i < n; i++) {
		struct ipc_path_stats ps;
		path_stats_of(&ps, &paths[i]);
		ipc_outq_snap_add(q, IPC_PATH_STATS, &ps, sizeof(ps));
	}
	ipc_outq_snap_add(q, IPC_STATS_END, NULL, 0);
}

static void
reply_result(struct worker *w, enum ipc_type type, int error)
{
	struct ipc_result r = { .type = (uint16_t)type, .error = error };
	ipc_outq_reply(&w->out, IPC_RESULT, &r, sizeof(r));
}

int
worker_apply_path(struct engine *e, uint64_t now, const struct ipc_path *p)
{
	struct engine_path_conf c;

	memset(&c, 0, sizeof(c));
	c.local = p->local;
	c.remote = p->remote;
	c.state = (enum engine_state)p->state;
	c.tx_max_rate = p->tx_rate;
	c.rx_max_rate = p->rx_rate;
	c.beat = p->beat_ms * 1000;
	c.rate_mode = (enum engine_rate_mode)p->rate_mode;
	c.loss_limit = p->loss_limit;
	c.set_pref = p->set_pref;
	c.pref = p->pref;
	return engine_path_set(e, now, &c) ? errno : 0;
}

int
worker_apply_conf(struct worker *w, const struct ipc_conf *c)
{
	engine_set_timers(w->engine, c->kxtimeout_ms * 1000, c->timetolerance_ms * 1000,
	                  c->keepalive_ms * 1000, c->tos);
	if (c->delay != IPC_DELAY_UNCHANGED)
		engine_set_delay(w->engine, c->delay == IPC_DELAY_LOW    ? ENGINE_DELAY_LOW
		                            : c->delay == IPC_DELAY_EVEN ? ENGINE_DELAY_EVEN
		                                                         : ENGINE_DELAY_AUTO);
	if (c->delay_spread_ms)
		engine_set_delay_spread(w->engine, c->delay_spread_ms * 1000);
	if (c->cipher != IPC_CIPHER_PREF_UNCHANGED)
		engine_set_aes(w->engine, c->cipher == IPC_CIPHER_PREF_AEGIS);
	if (c->mtu_max) {
		w->mtu_max = c->mtu_max == IPC_MTU_CAP_NONE ? 0 : c->mtu_max;
		update_mtu(w);
	}
	return 0;
}

int
sup_link_read(struct worker *w, uint64_t now)
{
	struct ipc_msg m;
	const char *why;
	int r = ipc_recv(w->ipc, &m, IPC_SUPERVISOR, IPC_WORKER, &why);

	if (r == 0) {
		log_info("supervisor closed the channel, stopping");
		w->stop = true;
		return 0;
	}
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (why)
			log_warnx("bad message from the supervisor: %s", why);
		else
			log_warn("ipc receive");
		return -1;
	}
	switch (m.hdr.type) {
	case IPC_PATH:
		reply_result(w, IPC_PATH, worker_apply_path(w->engine, now, &m.u.path));
		break;
	case IPC_SET_CONF:
		reply_result(w, IPC_SET_CONF, worker_apply_conf(w, &m.u.conf));
		break;
	case IPC_STATS_REQ:
		ipc_outq_want_snapshot(&w->out);
		break;
	case IPC_MTU_SET:
		if (m.u.mtu.error)
			log_warnx("the supervisor could not set mtu %u: %s", m.u.mtu.mtu,
			          strerror(m.u.mtu.error));
		break;
	default:
		/* configuration messages come once, before IPC_START */
		log_warnx("unexpected %s from the supervisor", ipc_type_name(m.hdr.type));
		ipc_msg_clear(&m);
		return -1;
	}
	ipc_msg_clear(&m);
	return 0;
}

int
sup_link_flush(struct worker *w)
{
	if (w->ipc < 0)
		return 0;
	if (ipc_outq_pending(&w->out) && ipc_outq_flush(&w->out) < 0) {
		log_warn("ipc send");
		return -1;
	}
	uint32_t want = (ipc_outq_can_reply(&w->out) ? EPOLLIN : 0) |
	                (ipc_outq_pending(&w->out) ? EPOLLOUT : 0);
	if (want != w->ipc_interest && w->epfd >= 0) {
		struct epoll_event ev = { .events = want, .data.u32 = WORKER_EV_IPC };
		if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->ipc, &ev) == -1)
			return -1;
		w->ipc_interest = want;
	}
	return 0;
}
