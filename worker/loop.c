#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "offload.h"
#include "util/log.h"

#define RX_SLOTS UDP_BATCH_MAX
#define SEG_MAX 128                  /* segments of one TUN super-packet we handle */
#define SEG_STRIDE 1536              /* room per segment (TUN MTU at most 1500) */
#define TX_ARENA (256 * 1024)        /* sealed datagrams waiting for one sendmmsg */
#define TX_ENTRIES UDP_BATCH_MAX
#define TUNQ_MAX 256                 /* decrypted packets coalesced per TUN flush */
#define TUN_READ_BUDGET 64           /* TUN frames per wake-up */
#define UDP_READ_BUDGET 8            /* recvmmsg calls per wake-up */

enum { EV_TUN = 0, EV_IPC = 1, EV_SOCK = 2 };

struct worker_buffers {
	/* receive */
	struct udp_rx rx[RX_SLOTS];
	uint8_t *rxmem;
	/* TUN read: one frame, then its segments */
	uint8_t frame[TUN_FRAME_MAX];
	uint8_t segmem[SEG_MAX * SEG_STRIDE];
	struct offload_buf seg[SEG_MAX];
	size_t nseg, seg_next;       /* segments read and not yet sealed: seg[seg_next..nseg) */
	/* send */
	uint8_t tx[TX_ARENA];
	size_t tx_used;
	struct udp_tx txe[TX_ENTRIES];
	int txsock[TX_ENTRIES];
	int txpath[TX_ENTRIES];
	unsigned ntx;
	/* packets for the TUN */
	uint8_t tunq_mem[TUNQ_MAX * 1500];
	struct offload_pkt tunq[TUNQ_MAX];
	size_t ntunq, tunq_used;
	uint8_t coalesce[TUNQ_MAX * 1500 + TUNQ_MAX * (OFFLOAD_VNET_LEN + 64)];
	struct offload_out cout[TUNQ_MAX];
};

static volatile sig_atomic_t worker_quit;

static void
on_signal(int sig)
{
	(void)sig;
	worker_quit = 1;
}

static int
epoll_add(int epfd, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int
worker_init(struct worker *w)
{
	struct sigaction sa;

	w->b = calloc(1, sizeof(*w->b));
	if (!w->b)
		return -1;
	size_t slot = 2048;
	for (int i = 0; i < w->nsock; i++)
		if (w->sock[i].features & UDP_F_GRO)
			slot = UDP_RX_GRO_BUFSIZE;
	w->b->rxmem = malloc(slot * RX_SLOTS);
	if (!w->b->rxmem)
		goto fail;
	for (int i = 0; i < RX_SLOTS; i++) {
		w->b->rx[i].buf = w->b->rxmem + slot * (size_t)i;
		w->b->rx[i].size = slot;
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd == -1)
		goto fail;
	if (epoll_add(w->epfd, w->tun.fd, EPOLLIN, EV_TUN) == -1)
		goto fail;
	if (w->ipc >= 0 && epoll_add(w->epfd, w->ipc, EPOLLIN, EV_IPC) == -1)
		goto fail;
	for (int i = 0; i < w->nsock; i++)
		if (epoll_add(w->epfd, w->sock[i].fd, EPOLLIN, EV_SOCK + (uint32_t)i) == -1)
			goto fail;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
fail:
	worker_free(w);
	return -1;
}

void
worker_free(struct worker *w)
{
	if (w->b) {
		free(w->b->rxmem);
		free(w->b);
		w->b = NULL;
	}
	if (w->epfd > 0)
		close(w->epfd);
	w->epfd = -1;
}

/* The socket for a datagram: one bound to its local address, else one of its family, else a
 * dual-stack one. */
static int
sock_for(const struct worker *w, const struct mud_addr *remote)
{
	for (int i = 0; i < w->nsock; i++)
		if (w->sock[i].family == remote->family)
			return i;
	for (int i = 0; i < w->nsock; i++)
		if (w->sock[i].features & UDP_F_DUALSTACK)
			return i;
	return -1;
}

/* ---- sending ---- */

static void
tx_flush(struct worker *w)
{
	struct worker_buffers *b = w->b;
	unsigned i = 0;

	while (i < b->ntx) {
		/* one udp_send per run of entries on the same socket */
		unsigned j = i + 1;
		while (j < b->ntx && b->txsock[j] == b->txsock[i])
			j++;
		struct udp_sock *s = &w->sock[b->txsock[i]];
		int r = udp_send(s, &b->txe[i], j - i);
		if (r < 0)
			r = 0;
		for (unsigned k = i; k < j; k++) {
			struct udp_tx *t = &b->txe[k];
			size_t n = t->gso_size ? (t->len + t->gso_size - 1) / t->gso_size : 1;
			if (t->gso_size && n > 1)
				w->stats.gso_runs++;
			if (k < i + (unsigned)r && !t->error)
				w->stats.udp_tx += n;
			else
				w->stats.udp_tx_drop += n;
		}
		i = j;
	}
	b->ntx = 0;
	b->tx_used = 0;
}

/* Appends a sealed datagram (already written at b->tx + b->tx_used) to the batch: it joins the
 * previous entry as a GSO run when it follows it on the same path with the same size. */
static void
tx_append(struct worker *w, size_t len, const struct mud_addr *local, const struct mud_addr *remote,
          int tos, bool confirm, int path)
{
	struct worker_buffers *b = w->b;
	const uint8_t *buf = b->tx + b->tx_used;
	int si = sock_for(w, remote);

	if (si < 0) {
		w->stats.udp_tx_drop++;
		return;
	}
	b->tx_used += len;
	if (b->ntx > 0) {
		struct udp_tx *p = &b->txe[b->ntx - 1];
		size_t seg = p->gso_size ? p->gso_size : p->len;
		bool last_short = p->gso_size && p->len % p->gso_size;
		if (!confirm && !p->confirm && path >= 0 && b->txpath[b->ntx - 1] == path &&
		    b->txsock[b->ntx - 1] == si && p->buf + p->len == buf && len <= seg &&
		    !last_short && (w->sock[si].features & UDP_F_GSO) &&
		    p->len / seg < UDP_GSO_MAX_SEGS && p->len + len <= 65000) {
			p->gso_size = (uint16_t)seg;
			p->len += len;
			return;
		}
	}
	if (b->ntx == TX_ENTRIES) {
		/* cannot happen: callers flush before the batch is full */
		w->stats.udp_tx_drop++;
		return;
	}
	struct udp_tx *t = &b->txe[b->ntx];
	memset(t, 0, sizeof(*t));
	t->local = *local;
	t->remote = *remote;
	t->buf = buf;
	t->len = len;
	t->tos = (uint8_t)tos;
	t->confirm = confirm;
	b->txsock[b->ntx] = si;
	b->txpath[b->ntx] = path;
	b->ntx++;
}

static bool
tx_room(const struct worker *w)
{
	return w->b->ntx < TX_ENTRIES && TX_ARENA - w->b->tx_used >= MUD_PKT_MAX;
}

/* Queues the engine's control datagrams (initiations, answers). */
static void
drain_datagrams(struct worker *w)
{
	struct engine_dgram d;

	while (engine_next_datagram(w->engine, &d)) {
		if (!tx_room(w))
			tx_flush(w);
		memcpy(w->b->tx + w->b->tx_used, d.data, d.len);
		tx_append(w, d.len, &d.local, &d.remote, d.tos, d.flags & ENGINE_TX_CONFIRM, -1);
	}
}

/* Seals pending TUN segments; false when the engine paces (EAGAIN): the rest stay pending. */
static bool
send_segments(struct worker *w, uint64_t now)
{
	struct worker_buffers *b = w->b;

	while (b->seg_next < b->nseg) {
		struct offload_buf *s = &b->seg[b->seg_next];
		struct engine_tx tx;

		if (!tx_room(w))
			tx_flush(w);
		int n = engine_send(w->engine, now, b->tx + b->tx_used, TX_ARENA - b->tx_used, s->data,
		                    s->len, &tx);
		if (n < 0) {
			if (errno == EAGAIN)
				return false;
			w->stats.tun_rx_drop++; /* no path, not IP, too big */
			b->seg_next++;
			continue;
		}
		tx_append(w, (size_t)n, &tx.local, &tx.remote, tx.tos, false, tx.path);
		b->seg_next++;
	}
	b->nseg = b->seg_next = 0;
	return true;
}

/* Reads one TUN frame into segments. Returns 1, 0 when the TUN is empty, -1 on error. */
static int
tun_read_frame(struct worker *w)
{
	struct worker_buffers *b = w->b;
	ssize_t n = tun_read(&w->tun, b->frame, sizeof(b->frame));

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	w->stats.tun_rx++;
	b->nseg = b->seg_next = 0;
	if (!w->tun.vnet_len) {
		if ((size_t)n > SEG_STRIDE) {
			w->stats.tun_rx_drop++;
			return 1;
		}
		memcpy(b->segmem, b->frame, (size_t)n);
		b->seg[0] = (struct offload_buf){ b->segmem, SEG_STRIDE, (size_t)n };
		b->nseg = 1;
		return 1;
	}
	struct virtio_net_hdr vh;
	if (offload_vnet_get(&vh, b->frame, (size_t)n)) {
		w->stats.tun_rx_drop++;
		return 1;
	}
	for (size_t i = 0; i < SEG_MAX; i++)
		b->seg[i] = (struct offload_buf){ b->segmem + i * SEG_STRIDE, SEG_STRIDE, 0 };
	int k = offload_split(&vh, b->frame + w->tun.vnet_len, (size_t)n - w->tun.vnet_len, b->seg,
	                      SEG_MAX);
	if (k <= 0) {
		w->stats.tun_rx_drop++;
		return 1;
	}
	b->nseg = (size_t)k;
	return 1;
}

/* Moves TUN frames into the tunnel until the TUN is empty, the budget is spent or the engine
 * paces. */
static int
pump_tun(struct worker *w, uint64_t now)
{
	for (int i = 0; i < TUN_READ_BUDGET; i++) {
		if (!send_segments(w, now)) {
			w->tun_paused = true;
			break;
		}
		int r = tun_read_frame(w);
		if (r < 0) {
			log_warn("tun read");
			return -1;
		}
		if (r == 0)
			break;
	}
	if (!w->tun_paused && !send_segments(w, now))
		w->tun_paused = true;
	engine_send_flush(w->engine);
	return 0;
}

/* ---- receiving ---- */

static void
tunq_flush(struct worker *w)
{
	struct worker_buffers *b = w->b;

	if (!b->ntunq)
		return;
	if (!w->tun.vnet_len) {
		for (size_t i = 0; i < b->ntunq; i++) {
			if (tun_write(&w->tun, b->tunq[i].data, b->tunq[i].len) < 0)
				w->stats.tun_tx_drop++;
			else
				w->stats.tun_tx++;
		}
	} else {
		unsigned flags = (w->tun.offloads & (TUN_OFF_USO4 | TUN_OFF_USO6)) ? OFFLOAD_COALESCE_UDP
		                                                                  : 0;
		int n = offload_coalesce(b->tunq, b->ntunq, flags, b->coalesce, sizeof(b->coalesce),
		                         b->cout, TUNQ_MAX);
		if (n < 0) {
			w->stats.tun_tx_drop += b->ntunq;
		} else {
			for (int i = 0; i < n; i++) {
				if (tun_write(&w->tun, b->cout[i].data, b->cout[i].len) < 0)
					w->stats.tun_tx_drop += b->cout[i].count;
				else
					w->stats.tun_tx += b->cout[i].count;
				if (b->cout[i].count > 1)
					w->stats.coalesced += b->cout[i].count;
			}
		}
	}
	b->ntunq = 0;
	b->tunq_used = 0;
}

/* Copies the engine's packets for the TUN into the coalescing queue. */
static void
drain_tun(struct worker *w)
{
	struct worker_buffers *b = w->b;
	const uint8_t *pkt;
	size_t len;

	while (engine_next_tun(w->engine, &pkt, &len)) {
		if (len > 1500) {
			w->stats.tun_tx_drop++;
			continue;
		}
		if (b->ntunq == TUNQ_MAX)
			tunq_flush(w);
		uint8_t *dst = b->tunq_mem + b->tunq_used;
		memcpy(dst, pkt, len);
		b->tunq[b->ntunq++] = (struct offload_pkt){ dst, len };
		b->tunq_used += len;
	}
}

static int
pump_udp(struct worker *w, int si, uint64_t now)
{
	struct worker_buffers *b = w->b;

	for (int round = 0; round < UDP_READ_BUDGET; round++) {
		int n = udp_recv(&w->sock[si], b->rx, RX_SLOTS);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			log_warn("udp receive");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct udp_rx *rx = &b->rx[i];
			if (rx->flags & (UDP_RX_TRUNC | UDP_RX_CTRUNC))
				continue;
			size_t segs = udp_rx_segments(rx);
			size_t step = segs > 1 ? rx->gso_size : rx->len;
			if (segs > 1)
				w->stats.gro_runs++;
			for (size_t k = 0; k < segs; k++) {
				size_t off = k * step;
				size_t len = rx->len - off < step ? rx->len - off : step;
				engine_recv(w->engine, now, &rx->local, &rx->remote, rx->buf + off, len);
				w->stats.udp_rx++;
				drain_tun(w);
			}
		}
		if (n < RX_SLOTS)
			break;
	}
	tunq_flush(w);
	return 0;
}

/* ---- events, IPC ---- */

static void
ipc_out(struct worker *w, enum ipc_type type, const void *payload, size_t len)
{
	if (w->ipc < 0)
		return;
	if (ipc_send(w->ipc, type, w->ipc_seq++, payload, len, NULL, 0) == -1)
		log_warn("ipc send %s", ipc_type_name(type));
}

static void
drain_events(struct worker *w)
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
			log_info("path %s -> %s: new", la, ra);
			pe.kind = IPC_EV_PATH_NEW;
			break;
		case ENGINE_EV_PATH_GONE:
			log_info("path %s -> %s: gone", la, ra);
			pe.kind = IPC_EV_PATH_GONE;
			break;
		case ENGINE_EV_PATH_UP:
			log_info("path %s -> %s: up", la, ra);
			pe.kind = IPC_EV_PATH_UP;
			break;
		case ENGINE_EV_PATH_DOWN:
			log_info("path %s -> %s: down", la, ra);
			pe.kind = IPC_EV_PATH_DOWN;
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
			if (ev.value && ev.value != w->mtu) {
				struct ipc_mtu m = { .mtu = (uint32_t)ev.value };
				w->mtu = (unsigned)ev.value;
				log_info("tunnel mtu %u", w->mtu);
				ipc_out(w, IPC_MTU_REQ, &m, sizeof(m));
			}
			continue;
		case ENGINE_EV_BAD:
			log_debug("bad packet from %s: %s", ra, engine_bad_name(ev.reason));
			continue;
		default:
			continue;
		}
		ipc_out(w, IPC_PATH_EVENT, &pe, sizeof(pe));
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

void
worker_send_stats(struct worker *w)
{
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
	st.mtu = info.mtu;
	st.cipher = info.cipher == AEAD_AEGIS256 ? IPC_CIPHER_AEGIS256 : IPC_CIPHER_CHACHA20POLY1305;
	st.dialect = info.dialect == MUD_MASTER ? IPC_DIALECT_MASTER : IPC_DIALECT_V1;
	st.npaths = (uint8_t)n;
	switch (engine_delay(w->engine)) {
	case ENGINE_DELAY_LOW:
		st.delay = IPC_DELAY_LOW;
		break;
	case ENGINE_DELAY_EVEN:
		st.delay = IPC_DELAY_EVEN;
		break;
	default:
		st.delay = IPC_DELAY_AUTO;
	}
	ipc_out(w, IPC_STATS, &st, sizeof(st));
	for (int i = 0; i < n; i++) {
		struct engine_path_info *p = &paths[i];
		struct ipc_path_stats ps;
		memset(&ps, 0, sizeof(ps));
		ps.local = p->local;
		ps.remote = p->remote;
		ps.public_addr = p->pub;
		ps.state = ipc_state(p->state);
		ps.ok = p->ok;
		ps.fixed_rate = p->fixed_rate;
		ps.loss_limit = p->loss_limit;
		ps.tx_loss = (uint8_t)(p->tx_loss > 255 ? 255 : p->tx_loss);
		ps.rx_loss = (uint8_t)(p->rx_loss > 255 ? 255 : p->rx_loss);
		ps.pref = p->pref;
		ps.mtu = p->mtu;
		ps.rtt_us = p->rtt;
		ps.rttvar_us = p->rttvar;
		ps.beat_ms = p->beat / 1000;
		ps.tx_rate = p->tx_rate;
		ps.rx_rate = p->rx_rate;
		ps.tx_packets = p->tx_packets;
		ps.rx_packets = p->rx_packets;
		ps.tx_bytes = p->tx_bytes;
		ps.rx_bytes = p->rx_bytes;
		ipc_out(w, IPC_PATH_STATS, &ps, sizeof(ps));
	}
	ipc_out(w, IPC_STATS_END, NULL, 0);
}

static void
ipc_result(struct worker *w, enum ipc_type type, int error)
{
	struct ipc_result r = { .type = (uint16_t)type, .error = error };
	ipc_out(w, IPC_RESULT, &r, sizeof(r));
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

static int
handle_ipc(struct worker *w, uint64_t now)
{
	struct ipc_msg m;
	const char *why;
	int r = ipc_recv(w->ipc, &m, IPC_FROM_SUPERVISOR, &why);

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
		ipc_result(w, IPC_PATH, worker_apply_path(w->engine, now, &m.u.path));
		break;
	case IPC_SET_CONF:
		engine_set_timers(w->engine, m.u.conf.kxtimeout_ms * 1000,
		                  m.u.conf.timetolerance_ms * 1000, m.u.conf.keepalive_ms * 1000,
		                  m.u.conf.tos);
		if (m.u.conf.delay != IPC_DELAY_UNCHANGED)
			engine_set_delay(w->engine, m.u.conf.delay == IPC_DELAY_LOW    ? ENGINE_DELAY_LOW
			                            : m.u.conf.delay == IPC_DELAY_EVEN ? ENGINE_DELAY_EVEN
			                                                               : ENGINE_DELAY_AUTO);
		ipc_result(w, IPC_SET_CONF, 0);
		break;
	case IPC_STATS_REQ:
		worker_send_stats(w);
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

/* ---- the loop ---- */

static void
tun_poll(struct worker *w, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.u32 = EV_TUN };
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->tun.fd, &ev);
}

int
worker_run(struct worker *w)
{
	struct epoll_event evs[8];
	uint64_t now = mud_clock_now(&w->clock);
	uint64_t deadline = engine_update(w->engine, now);
	int ret = 0;

	while (!worker_quit && !w->stop) {
		drain_datagrams(w);
		drain_events(w);
		tx_flush(w);

		uint64_t wait = mud_t48_newer(deadline, now) ? mud_t48_diff(deadline, now) : 0;
		struct timespec ts = { (time_t)(wait / 1000000), (long)(wait % 1000000) * 1000 };
		int n = epoll_pwait2(w->epfd, evs, 8, &ts, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("epoll");
			ret = -1;
			break;
		}
		now = mud_clock_now(&w->clock);
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;
			if (tag >= EV_SOCK) {
				if (pump_udp(w, (int)(tag - EV_SOCK), now))
					ret = -1;
			} else if (tag == EV_IPC) {
				if (handle_ipc(w, now)) {
					ret = -1;
					w->stop = true;
				}
			}
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.u32 == EV_TUN && !w->tun_paused && pump_tun(w, now))
				ret = -1;
		if (ret)
			break;

		deadline = engine_update(w->engine, now);
		drain_tun(w);
		tunq_flush(w);
		if (w->tun_paused) {
			/* retry the pending segments; poll the TUN again once they are out */
			if (send_segments(w, now)) {
				w->tun_paused = false;
				tun_poll(w, true);
			} else {
				tun_poll(w, false);
			}
		}
	}
	drain_datagrams(w);
	tx_flush(w);
	return ret;
}
