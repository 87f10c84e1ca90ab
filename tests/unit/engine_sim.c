/* The simulated network of engine_sim.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "proto/wire.h"
#include "engine_sim.h"

struct sim_flight {
	uint64_t at;
	uint64_t seq;    /* FIFO among equal times */
	int to;          /* SIM_CLIENT or SIM_SERVER */
	int path;
	size_t len;
	uint8_t data[];
};

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void
sim_random(void *ctx, uint8_t *buf, size_t len)
{
	uint64_t *st = ctx;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)splitmix(st);
}

void
sim_init(struct sim *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->rng = seed;
	s->now = 0;
	s->off[SIM_CLIENT] = SIM_T0;
	s->off[SIM_SERVER] = SIM_T0;
}

void
sim_free(struct sim *s)
{
	for (size_t i = 0; i < s->nheap; i++)
		free(s->heap[i]);
	free(s->heap);
	engine_free(s->e[0]);
	engine_free(s->e[1]);
	memset(s, 0, sizeof(*s));
}

/* ---- In-flight datagrams: a binary heap on (at, seq) ---- */

static bool
before(const struct sim_flight *a, const struct sim_flight *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void
heap_push(struct sim *s, struct sim_flight *f)
{
	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? 2 * s->capheap : 256;
		s->heap = realloc(s->heap, s->capheap * sizeof(*s->heap));
		if (!s->heap)
			abort();
	}
	size_t i = s->nheap++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!before(f, s->heap[up]))
			break;
		s->heap[i] = s->heap[up];
		i = up;
	}
	s->heap[i] = f;
}

static struct sim_flight *
heap_pop(struct sim *s)
{
	struct sim_flight *top = s->heap[0];
	struct sim_flight *last = s->heap[--s->nheap];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct sim_flight *cur = last;

		if (l < s->nheap && before(s->heap[l], cur)) {
			m = l;
			cur = s->heap[l];
		}
		if (r < s->nheap && before(s->heap[r], cur))
			m = r;
		if (m == i)
			break;
		s->heap[i] = s->heap[m];
		i = m;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* ---- Paths ---- */

struct sim_path *
sim_add_path(struct sim *s, int i, uint64_t delay)
{
	struct sim_path *p = &s->path[i];
	uint8_t c[4] = {192, 0, 2, (uint8_t)(1 + i)};
	uint8_t v[4] = {198, 51, 100, 7};

	memset(p, 0, sizeof(*p));
	p->used = true;
	p->client = (struct mud_addr){.family = AF_INET, .port = 5000};
	memcpy(p->client.ip, c, 4);
	p->nat = p->client;
	p->server = (struct mud_addr){.family = AF_INET, .port = 5000};
	memcpy(p->server.ip, v, 4);
	p->up.delay = p->down.delay = delay;
	p->up.mtu = p->down.mtu = 1500;
	return p;
}

struct sim_path *
sim_add_path6(struct sim *s, int i, uint64_t delay)
{
	struct sim_path *p = sim_add_path(s, i, delay);
	uint8_t c[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = (uint8_t)(1 + i)};
	uint8_t v[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};

	p->client = (struct mud_addr){.family = AF_INET6, .port = 5000};
	memcpy(p->client.ip, c, 16);
	p->nat = p->client;
	p->server = (struct mud_addr){.family = AF_INET6, .port = 5000};
	memcpy(p->server.ip, v, 16);
	return p;
}

void
sim_client_path(struct sim *s, int i, enum engine_state state, uint64_t tx, uint64_t rx)
{
	struct engine_path_conf c = {
		.local = s->path[i].client,
		.remote = s->path[i].server,
		.state = state,
		.tx_max_rate = tx,
		.rx_max_rate = rx,
	};

	if (engine_path_set(s->e[SIM_CLIENT], s->now + s->off[SIM_CLIENT], &c))
		abort();
}

static int
path_of(struct sim *s, int from, const struct mud_addr *local, const struct mud_addr *remote)
{
	for (int i = 0; i < SIM_PATHS; i++) {
		struct sim_path *p = &s->path[i];

		if (!p->used)
			continue;
		if (from == SIM_CLIENT && mud_addr_equal(&p->client, local) &&
		    mud_addr_equal(&p->server, remote))
			return i;
		if (from == SIM_SERVER && mud_addr_equal(&p->server, local) &&
		    mud_addr_equal(&p->nat, remote))
			return i;
	}
	return -1;
}

static void
enqueue(struct sim *s, int to, int path, uint64_t at, const uint8_t *data, size_t len)
{
	struct sim_flight *f = malloc(sizeof(*f) + len);

	if (!f)
		abort();
	f->at = at;
	f->seq = s->seq++;
	f->to = to;
	f->path = path;
	f->len = len;
	memcpy(f->data, data, len);
	heap_push(s, f);
}

/* A datagram sent by side `from` on (local, remote). */
static void
transmit(struct sim *s, int from, const struct mud_addr *local, const struct mud_addr *remote,
         const uint8_t *data, size_t len, unsigned flags)
{
	int i = path_of(s, from, local, remote);

	if (i < 0)
		return; /* no route */
	struct sim_link *l = from == SIM_CLIENT ? &s->path[i].up : &s->path[i].down;
	l->sent++;
	if (s->tap && !s->tap(s->tap_ctx, from, i, data, len)) {
		l->dropped++;
		return;
	}
	/* The link MTU is an IP MTU: add the IP and UDP headers. Without don't-fragment an IPv6
	 * datagram is fragmented by the sender and gets through (IPv4 sockets always set DF). */
	size_t ip_len = len + (local->family == AF_INET6 ? 48 : 28);
	bool df = local->family != AF_INET6 || (flags & ENGINE_TX_DONTFRAG);
	if (l->cut || (l->mtu && ip_len > l->mtu && df) ||
	    (l->loss_ppm && splitmix(&s->rng) % 1000000 < l->loss_ppm)) {
		l->dropped++;
		if (!(data[0] & 1))
			l->dropped_data++;
		return;
	}
	uint64_t at = s->now;
	if (l->rate) {
		uint64_t start = l->busy_until > s->now ? l->busy_until : s->now;
		if (start - s->now > SIM_QUEUE_MAX_US) {
			l->dropped++;
			if (!(data[0] & 1))
				l->dropped_data++;
			return;
		}
		l->busy_until = start + (len * 1000000 + l->rate - 1) / l->rate;
		at = l->busy_until;
	}
	enqueue(s, 1 - from, i, at + l->delay, data, len);
}

void
sim_inject(struct sim *s, int from, int path, const uint8_t *data, size_t len)
{
	struct sim_link *l = from == SIM_CLIENT ? &s->path[path].up : &s->path[path].down;

	enqueue(s, 1 - from, path, s->now + l->delay, data, len);
}

int
sim_deliver_now(struct sim *s, int to, int path, const uint8_t *data, size_t len)
{
	struct sim_path *p = &s->path[path];

	if (to == SIM_SERVER)
		return engine_recv(s->e[to], s->now + s->off[to], &p->server, &p->nat, data, len);
	return engine_recv(s->e[to], s->now + s->off[to], &p->client, &p->server, data, len);
}

/* ---- Traffic ---- */

/* An IPv4/UDP header with a correct total length; the sequence number follows it. */
void
sim_ip_packet(uint8_t *buf, size_t size, uint64_t seq)
{
	memset(buf, 0, size);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(size >> 8);
	buf[3] = (uint8_t)size;
	buf[8] = 64;
	buf[9] = 17;
	if (size >= 36)
		memcpy(buf + 28, &seq, sizeof(seq));
}

uint64_t
sim_ip_seq(const uint8_t *buf, size_t size)
{
	uint64_t seq;

	if (size < 36 || buf[0] != 0x45)
		return UINT64_MAX;
	memcpy(&seq, buf + 28, sizeof(seq));
	return seq;
}

void
sim_traffic(struct sim *s, int side, uint64_t pps, size_t size)
{
	struct sim_gen *g = &s->gen[side];

	g->on = true;
	g->pps = pps;
	g->size = size;
	g->start = s->now;
	g->made = 0;
	g->waiting = false;
	s->tun_last_seq[1 - side] = 0; /* a new stream: its numbers start again */
}

void
sim_traffic_stop(struct sim *s, int side)
{
	s->gen[side].on = false;
}

static uint64_t
gen_next(const struct sim_gen *g)
{
	return g->start + g->made * 1000000 / g->pps;
}

static void
generate(struct sim *s, int side)
{
	struct sim_gen *g = &s->gen[side];
	uint8_t ip[MUD_PKT_MAX], dg[MUD_PKT_MAX];
	struct engine_tx tx;

	if (!g->on)
		return;
	while (gen_next(g) <= s->now) {
		sim_ip_packet(ip, g->size, g->made);
		int n = engine_send(s->e[side], s->now + s->off[side], dg, sizeof(dg), ip, g->size,
		                    &tx);
		if (n < 0 && errno == EAGAIN) {
			g->blocked++;
			g->waiting = true;
			break; /* stays in the "TUN" until the engine can take it */
		}
		g->waiting = false;
		g->made++;
		if (n < 0) {
			g->unreachable++;
			continue;
		}
		g->sent++;
		transmit(s, side, &tx.local, &tx.remote, dg, (size_t)n, tx.flags);
	}
	engine_send_flush(s->e[side]);
}

/* ---- Loop ---- */

static void
drain(struct sim *s, int side)
{
	struct engine *e = s->e[side];
	struct engine_dgram d;
	struct engine_event ev;
	const uint8_t *pkt;
	size_t len;

	while (engine_next_datagram(e, &d))
		transmit(s, side, &d.local, &d.remote, d.data, d.len, d.flags);
	while (engine_next_tun(e, &pkt, &len)) {
		uint64_t seq = sim_ip_seq(pkt, len);
		s->tun_pkts[side]++;
		s->tun_bytes[side] += len;
		if (seq != UINT64_MAX) {
			const struct sim_gen *g = &s->gen[1 - side];
			if (s->tun_pkts[side] > 1 && seq < s->tun_last_seq[side])
				s->tun_reorder[side]++;
			s->tun_last_seq[side] = seq;
			/* latency from the packet's scheduled generation time */
			uint64_t born = g->pps ? g->start + seq * 1000000 / g->pps : s->now;
			if (born <= s->now) {
				s->tun_lat_sum[side] += s->now - born;
				s->tun_lat_n[side]++;
			}
		}
		if (s->tun)
			s->tun(s->tun_ctx, side, pkt, len);
	}
	while (engine_next_event(e, &ev)) {
		if (ev.type < 16)
			s->events[side][ev.type]++;
		if (ev.type == ENGINE_EV_KEY_ROTATED)
			s->key_rotations[side]++;
		if (ev.type == ENGINE_EV_MTU)
			s->last_mtu_event[side] = (unsigned)ev.value;
	}
}

static void
update(struct sim *s, int side)
{
	uint64_t off = s->off[side];
	uint64_t now = s->now + off;
	uint64_t dl = engine_update(s->e[side], now);
	uint64_t ahead = mud_t48_diff(dl, mud_t48(now));

	/* The deadline is on the engine's T48 clock; it is never far ahead. */
	s->deadline[side] = s->now + (ahead > 10 * ENGINE_SEC ? 0 : ahead);
	drain(s, side);
}

static void
step(struct sim *s, uint64_t end)
{
	uint64_t t = end;

	for (int i = 0; i < 2; i++) {
		if (s->e[i] && s->deadline[i] < t)
			t = s->deadline[i];
		/* A refused generator tries again at every step, but only the engine's deadline
		 * (which says when a send can succeed) or some other event makes one. */
		if (s->gen[i].on && !s->gen[i].waiting && gen_next(&s->gen[i]) < t)
			t = gen_next(&s->gen[i]);
	}
	if (s->nheap && s->heap[0]->at < t)
		t = s->heap[0]->at;
	if (t > s->now) {
		s->now = t;
		s->spins = 0;
	} else if (++s->spins > 1000) {
		/* An engine keeps asking for now without progress: note it and move on. */
		s->stalls++;
		s->now++;
		s->spins = 0;
	}

	while (s->nheap && s->heap[0]->at <= s->now) {
		struct sim_flight *f = heap_pop(s);
		struct sim_path *p = &s->path[f->path];
		struct sim_link *l = f->to == SIM_SERVER ? &p->up : &p->down;

		l->delivered++;
		sim_deliver_now(s, f->to, f->path, f->data, f->len);
		free(f);
	}
	for (int i = 0; i < 2; i++) {
		if (!s->e[i])
			continue;
		generate(s, i);
		update(s, i);
	}
}

void
sim_run(struct sim *s, uint64_t us)
{
	uint64_t end = s->now + us;

	for (int i = 0; i < 2; i++)
		if (s->e[i])
			update(s, i);
	while (s->now < end)
		step(s, end);
}

bool
sim_run_until(struct sim *s, uint64_t us, bool (*cond)(struct sim *, void *), void *ctx)
{
	uint64_t end = s->now + us;

	for (int i = 0; i < 2; i++)
		if (s->e[i])
			update(s, i);
	while (!cond(s, ctx)) {
		if (s->now >= end)
			return false;
		step(s, end);
	}
	return true;
}

bool
sim_path_info(struct sim *s, int side, int i, struct engine_path_info *out)
{
	struct engine_path_info info[ENGINE_PATH_MAX];
	int n = engine_paths(s->e[side], info, ENGINE_PATH_MAX);
	const struct sim_path *p = &s->path[i];

	for (int k = 0; k < n && k < ENGINE_PATH_MAX; k++) {
		bool match = side == SIM_CLIENT
		    ? mud_addr_equal(&info[k].local, &p->client) && mud_addr_equal(&info[k].remote, &p->server)
		    : mud_addr_equal(&info[k].local, &p->server) && mud_addr_equal(&info[k].remote, &p->nat);
		if (match) {
			*out = info[k];
			return true;
		}
	}
	return false;
}
