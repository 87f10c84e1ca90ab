#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "offload.h"
#include "supervisor_link.h"
#include "util/log.h"

#define RX_SLOTS UDP_BATCH_MAX
#define SEG_MAX 128                  /* segments of one TUN super-packet we handle */
#define SEG_STRIDE 1536              /* room per segment (TUN MTU at most 1500) */
#define TX_ARENA (256 * 1024)        /* sealed datagrams waiting for one sendmmsg */
#define TX_ENTRIES UDP_BATCH_MAX
#define TUNQ_MAX 256                 /* decrypted packets coalesced per TUN flush */
#define TUN_READ_BUDGET 64           /* TUN frames per wake-up */
#define UDP_READ_BUDGET 8            /* recvmmsg calls per wake-up */

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
	uint8_t coalesce[TUNQ_MAX * 1500 + TUNQ_MAX * (VNET_HDR_LEN + 64)];
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
	if (epoll_add(w->epfd, w->tun.fd, EPOLLIN, WORKER_EV_TUN) == -1)
		goto fail;
	if (w->ipc >= 0 && epoll_add(w->epfd, w->ipc, EPOLLIN, WORKER_EV_IPC) == -1)
		goto fail;
	for (int i = 0; i < w->nsock; i++) {
		if (epoll_add(w->epfd, w->sock[i].fd, EPOLLIN, WORKER_EV_SOCK + (uint32_t)i) == -1)
			goto fail;
		if (sock_bound_get(w->sock[i].fd, &w->bound[i]))
			goto fail;
	}
	if (sup_link_init(w))
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
	int si = sock_pick(w->bound, w->nsock, local, remote);

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

/* ---- the loop ---- */

static void
tun_poll(struct worker *w, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.u32 = WORKER_EV_TUN };
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
		sup_link_report_events(w);
		tx_flush(w);
		if (sup_link_flush(w)) {
			ret = -1;
			break;
		}

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
			if (tag >= WORKER_EV_SOCK) {
				if (pump_udp(w, (int)(tag - WORKER_EV_SOCK), now))
					ret = -1;
			} else if (tag == WORKER_EV_IPC) {
				if ((evs[i].events & EPOLLIN) && sup_link_read(w, now)) {
					ret = -1;
					w->stop = true;
				} else if (!(evs[i].events & EPOLLIN) &&
				           (evs[i].events & (EPOLLHUP | EPOLLERR))) {
					log_info("the supervisor's channel closed, stopping");
					w->stop = true;
				}
				/* EPOLLOUT: the flush at the top of the loop */
			}
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.u32 == WORKER_EV_TUN && !w->tun_paused && pump_tun(w, now))
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
	sup_link_flush(w); /* what the socket takes now; never wait */
	return ret;
}
