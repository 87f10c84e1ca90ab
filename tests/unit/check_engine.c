/* The protocol engine (shared/proto/engine*.c) in scenarios over a simulated network
 * (engine_sim.c): handshakes and data in both dialects and both ciphers, key rotation over
 * hours, path failure and backup, MTU discovery, rejection of bad datagrams, resequencing, and
 * the reference's exchange vectors. Tests named *_improvement check a compatible improvement of
 * docs/protocol.md section 11 and would fail against the reference's behaviour. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/keyx.h"
#include "proto/engine.h"
#include "proto/wire.h"
#include "engine_sim.h"
#include "support/suite.h"

#define MS UINT64_C(1000)
#define SEC UINT64_C(1000000)
#define MIN (60 * SEC)

static const uint8_t test_psk[32] = {
	0x89, 0x89, 0xa5, 0x75, 0x20, 0x45, 0x6d, 0x84, 0x61, 0x81, 0x54, 0x12, 0xee, 0xd4, 0xb5, 0x30,
	0x45, 0x0b, 0xb7, 0xe3, 0x99, 0xd4, 0x8e, 0xb0, 0x6e, 0x2f, 0x77, 0xe9, 0xf7, 0x95, 0x71, 0xba,
};

struct setup {
	enum mud_dialect dialect;
	bool aes;          /* both sides allow AEGIS-256 */
	bool server_reseq; /* default true */
	bool no_server_reseq;
	uint32_t reseq_capacity;
	bool reseq_all_paths; /* delay even */
	bool delay_low;       /* delay low; neither: the default, auto */
};

static struct engine *
make_engine(struct sim *s, int side, const struct setup *o)
{
	struct engine_config c;

	engine_config_default(&c);
	c.role = side == SIM_CLIENT ? ENGINE_CLIENT : ENGINE_SERVER;
	c.dialect = o->dialect;
	memcpy(c.psk, test_psk, sizeof(c.psk));
	c.aes = o->aes;
	c.random = sim_random;
	c.random_ctx = &s->erng[side];
	if (side == SIM_SERVER && o->no_server_reseq)
		c.reseq = false;
	c.reseq_capacity = o->reseq_capacity;
	if (o->reseq_all_paths)
		c.delay = ENGINE_DELAY_EVEN;
	else if (o->delay_low)
		c.delay = ENGINE_DELAY_LOW;
	struct engine *e = engine_new(&c);
	ck_assert_ptr_nonnull(e);
	return e;
}

static void
setup_pair(struct sim *s, const struct setup *o, uint64_t seed)
{
	sim_init(s, seed);
	s->erng[0] = seed * 3 + 1;
	s->erng[1] = seed * 7 + 2;
	s->e[SIM_CLIENT] = make_engine(s, SIM_CLIENT, o);
	s->e[SIM_SERVER] = make_engine(s, SIM_SERVER, o);
}

static struct engine_path_info
info_of(struct sim *s, int side, int path)
{
	struct engine_path_info pi;

	ck_assert_msg(sim_path_info(s, side, path, &pi), "side %d has no path %d", side, path);
	return pi;
}

static struct engine_path_info
info_of_engine(struct engine *e, int index)
{
	struct engine_path_info pi[ENGINE_PATH_MAX];
	int n = engine_paths(e, pi, ENGINE_PATH_MAX);

	for (int i = 0; i < n; i++)
		if (pi[i].index == index)
			return pi[i];
	ck_abort_msg("no path %d", index);
	return pi[0];
}

static struct engine_info
einfo(struct sim *s, int side)
{
	struct engine_info i;

	engine_info(s->e[side], &i);
	return i;
}

/* Runs traffic from both sides for us and checks everything sent got through. */
static void
check_traffic(struct sim *s, uint64_t pps, size_t size, uint64_t us)
{
	uint64_t rx0[2] = {s->tun_pkts[0], s->tun_pkts[1]};
	uint64_t tx0[2] = {s->gen[0].sent, s->gen[1].sent};

	sim_traffic(s, SIM_CLIENT, pps, size);
	sim_traffic(s, SIM_SERVER, pps, size);
	sim_run(s, us);
	sim_traffic_stop(s, SIM_CLIENT);
	sim_traffic_stop(s, SIM_SERVER);
	sim_run(s, 500 * MS);
	for (int side = 0; side < 2; side++) {
		uint64_t sent = s->gen[side].sent - tx0[side];
		uint64_t got = s->tun_pkts[1 - side] - rx0[1 - side];
		ck_assert_msg(sent >= pps * us / SEC * 9 / 10, "side %d sent only %llu", side,
		              (unsigned long long)sent);
		ck_assert_msg(got == sent, "side %d: sent %llu, peer got %llu", side,
		              (unsigned long long)sent, (unsigned long long)got);
	}
}

/* ---- Handshake and data: both dialects, both ciphers ---- */

START_TEST(test_handshake_and_data)
{
	struct setup o = {.dialect = _i & 1 ? MUD_MASTER : MUD_V1, .aes = (_i & 2) != 0};
	struct sim s;

	setup_pair(&s, &o, 100 + (uint64_t)_i);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);

	struct engine_path_info c = info_of(&s, SIM_CLIENT, 0), v = info_of(&s, SIM_SERVER, 0);
	ck_assert(c.ok && c.running && c.active);
	ck_assert(v.ok && v.running && !v.active);
	ck_assert_uint_eq(c.mtu, 1472);
	ck_assert_uint_eq(v.mtu, 1472);
	ck_assert_uint_eq(v.tx_rate, 1000000); /* the client's rx rate */
	ck_assert(mud_addr_equal(&c.pub, &s.path[0].client)); /* how the server sees us */
	ck_assert(mud_addr_equal(&v.pub, &s.path[0].server));
	ck_assert_uint_eq(einfo(&s, SIM_CLIENT).mtu, 1450);
	ck_assert_uint_eq(einfo(&s, SIM_SERVER).mtu, 1450);
	ck_assert_uint_eq(s.last_mtu_event[SIM_CLIENT], 1450);
	ck_assert_uint_eq(s.last_mtu_event[SIM_SERVER], 1450);
	ck_assert(einfo(&s, SIM_SERVER).dialect_known);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).dialect, o.dialect);
	ck_assert_msg(c.rtt >= 19 * MS && c.rtt < 25 * MS, "rtt %llu", (unsigned long long)c.rtt);

	check_traffic(&s, 200, 1000, 2 * SEC);

	enum aead_cipher want = o.aes && aead_aegis256_available() ? AEAD_AEGIS256
	                                                           : AEAD_CHACHA20POLY1305;
	for (int side = 0; side < 2; side++) {
		struct engine_info i = einfo(&s, side);
		ck_assert_msg(i.keyed, "side %d still sends with the PSK", side);
		ck_assert_int_eq(i.cipher, want);
		ck_assert_uint_ge(i.rotations, 1);
		for (int b = 0; b < ENGINE_BAD_NR; b++)
			ck_assert_msg(i.bad[b].count == 0, "side %d: %s %llu", side,
			              engine_bad_name(b), (unsigned long long)i.bad[b].count);
	}
	ck_assert_uint_eq(s.stalls, 0);
	sim_free(&s);
}
END_TEST

/* ---- Key rotation ---- */

/* Low-rate traffic both ways across every rotation (from 5 s before the hour to 1 min after):
 * the client's new public key goes out within a beat of its rotation. Each hour must bring
 * exactly one new session key on both sides, and every packet must get through. */
static void
rotation_hours(struct sim *s, int hours)
{
	uint64_t prev[2] = {einfo(s, 0).rotations, einfo(s, 1).rotations};

	for (int h = 1; h <= hours; h++) {
		/* The client made its first pair at sim time 0. */
		uint64_t hour = (uint64_t)h * 60 * MIN;
		uint64_t rx0[2] = {s->tun_pkts[0], s->tun_pkts[1]};
		uint64_t tx0[2] = {s->gen[0].sent, s->gen[1].sent};

		sim_run(s, hour - 5 * SEC - s->now);
		sim_traffic(s, SIM_CLIENT, 20, 200);
		sim_traffic(s, SIM_SERVER, 20, 200);
		sim_run(s, hour + 1 * MIN - s->now);
		sim_traffic_stop(s, SIM_CLIENT);
		sim_traffic_stop(s, SIM_SERVER);
		sim_run(s, 1 * SEC);
		for (int side = 0; side < 2; side++) {
			uint64_t r = einfo(s, side).rotations;
			uint64_t sent = s->gen[side].sent - tx0[side];
			ck_assert_msg(r == prev[side] + 1, "hour %d side %d: rotations %llu -> %llu", h,
			              side, (unsigned long long)prev[side], (unsigned long long)r);
			prev[side] = r;
			ck_assert_uint_ge(sent, 20 * 65 - 2);
			ck_assert_uint_eq(s->tun_pkts[1 - side] - rx0[1 - side], sent);
		}
	}
}

/* The server's first pair is made when the path comes up, here 10 s after the client's: with
 * the reference's rules (4.4) the client's rotation then reaches a server whose pair is 10 s too
 * young to be replaced, and the rotation is lost. */
static void
rotation_setup(struct sim *s, enum mud_dialect d, uint64_t seed)
{
	struct setup o = {.dialect = d, .aes = true};

	setup_pair(s, &o, seed);
	sim_add_path(s, 0, 15 * MS);
	s->path[0].up.cut = true;
	sim_client_path(s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(s, 10 * SEC);
	s->path[0].up.cut = false;
	sim_run(s, 3 * SEC);
	check_traffic(s, 50, 500, 2 * SEC);
	ck_assert_uint_eq(einfo(s, SIM_CLIENT).rotations, 1);
	ck_assert_uint_eq(einfo(s, SIM_SERVER).rotations, 1);
}

START_TEST(test_rotation_one_hour)
{
	struct sim s;

	rotation_setup(&s, MUD_V1, 7);
	rotation_hours(&s, 1);
	ck_assert_uint_eq(s.stalls, 0);
	sim_free(&s);
}
END_TEST

/* The reference skips every other period here: each hour brings a new key, in both dialects. */
START_TEST(test_rotation_many_hours_improvement)
{
	struct sim s;

	rotation_setup(&s, _i ? MUD_MASTER : MUD_V1, 8);
	rotation_hours(&s, 6);
	sim_free(&s);
}
END_TEST

/* ---- Paths: failure, backup ---- */

static void
cut(struct sim *s, int path, bool on)
{
	s->path[path].up.cut = on;
	s->path[path].down.cut = on;
}

static uint64_t
data_dropped(struct sim *s)
{
	uint64_t n = 0;

	for (int i = 0; i < SIM_PATHS; i++)
		n += s->path[i].up.dropped_data + s->path[i].down.dropped_data;
	return n;
}

/* Runs for us; returns how many data datagrams the network dropped meanwhile. */
static uint64_t
window_loss(struct sim *s, uint64_t us)
{
	uint64_t d0 = data_dropped(s);

	sim_run(s, us);
	return data_dropped(s) - d0;
}

START_TEST(test_path_cut_failover)
{
	struct setup o = {.dialect = _i ? MUD_MASTER : MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 11);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 20 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 2000000, 2000000);
	sim_client_path(&s, 1, ENGINE_STATE_UP, 2000000, 2000000);
	sim_run(&s, 3 * SEC);
	sim_traffic(&s, SIM_CLIENT, 500, 1000);
	sim_traffic(&s, SIM_SERVER, 500, 1000);
	ck_assert_uint_eq(window_loss(&s, 2 * SEC), 0);

	/* From 300 ms after the cut on, nothing more is sent on the dead path, both ways. */
	cut(&s, 0, true);
	sim_run(&s, 300 * MS);
	uint64_t tx0 = s.gen[0].sent + s.gen[1].sent;
	ck_assert_uint_eq(window_loss(&s, 2 * SEC), 0);
	ck_assert_uint_ge(s.gen[0].sent + s.gen[1].sent - tx0, 1900);
	ck_assert(!info_of(&s, SIM_CLIENT, 0).ok);
	ck_assert(info_of(&s, SIM_CLIENT, 1).ok);
	ck_assert(!info_of(&s, SIM_SERVER, 0).ok);
	sim_free(&s);
}
END_TEST

START_TEST(test_backup_takes_over_and_hands_back)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 12);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 2000000, 2000000);
	sim_client_path(&s, 1, ENGINE_STATE_BACKUP, 2000000, 2000000);
	sim_run(&s, 3 * SEC);
	ck_assert(info_of(&s, SIM_CLIENT, 1).ok);
	ck_assert(!info_of(&s, SIM_CLIENT, 1).running);
	ck_assert_int_eq(info_of(&s, SIM_SERVER, 1).state, ENGINE_STATE_BACKUP);

	sim_traffic(&s, SIM_CLIENT, 500, 1000);
	sim_traffic(&s, SIM_SERVER, 500, 1000);
	uint64_t b0 = s.path[1].up.delivered + s.path[1].down.delivered;
	ck_assert_uint_eq(window_loss(&s, 2 * SEC), 0);
	uint64_t b1 = s.path[1].up.delivered + s.path[1].down.delivered;
	ck_assert_msg(b1 - b0 < 20, "backup carried %llu datagrams", (unsigned long long)(b1 - b0));

	cut(&s, 0, true);
	sim_run(&s, 300 * MS);
	ck_assert(info_of(&s, SIM_CLIENT, 1).running);
	ck_assert_uint_eq(window_loss(&s, 2 * SEC), 0);
	b0 = s.path[1].up.delivered + s.path[1].down.delivered;
	ck_assert_uint_ge(b0 - b1, 1500);

	cut(&s, 0, false);
	sim_run(&s, 2 * SEC);
	ck_assert(info_of(&s, SIM_CLIENT, 0).running);
	ck_assert(!info_of(&s, SIM_CLIENT, 1).running);
	b0 = s.path[1].up.delivered + s.path[1].down.delivered;
	uint64_t a0 = s.path[0].up.delivered + s.path[0].down.delivered;
	ck_assert_uint_eq(window_loss(&s, 2 * SEC), 0);
	b1 = s.path[1].up.delivered + s.path[1].down.delivered;
	uint64_t a1 = s.path[0].up.delivered + s.path[0].down.delivered;
	ck_assert_msg(b1 - b0 < 20, "backup still carried %llu", (unsigned long long)(b1 - b0));
	ck_assert_uint_ge(a1 - a0, 1900);
	sim_free(&s);
}
END_TEST

/* The reference sends nothing on an idle backup path, so the server forgets it after 60 s and
 * a dead backup is found only at failover. */
START_TEST(test_backup_probed_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 13);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 2000000, 2000000);
	sim_client_path(&s, 1, ENGINE_STATE_BACKUP, 2000000, 2000000);
	sim_run(&s, 3 * MIN);
	struct engine_path_info pi;
	ck_assert(sim_path_info(&s, SIM_SERVER, 1, &pi));
	ck_assert(info_of(&s, SIM_CLIENT, 1).ok);
	/* A dead backup is known before it is needed. */
	cut(&s, 1, true);
	sim_run(&s, 10 * SEC);
	ck_assert(!info_of(&s, SIM_CLIENT, 1).ok);
	ck_assert(info_of(&s, SIM_CLIENT, 0).running);
	cut(&s, 1, false);
	sim_run(&s, 3 * SEC);
	ck_assert(info_of(&s, SIM_CLIENT, 1).ok);
	sim_free(&s);
}
END_TEST

/* ---- MTU ---- */

START_TEST(test_mtu_discovery)
{
	struct setup o = {.dialect = _i ? MUD_MASTER : MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 21);
	sim_add_path(&s, 0, 5 * MS);
	s.path[0].up.mtu = s.path[0].down.mtu = 1400;
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 10 * SEC);
	ck_assert_uint_eq(info_of(&s, SIM_CLIENT, 0).mtu, 1372);
	ck_assert_uint_eq(info_of(&s, SIM_SERVER, 0).mtu, 1372);
	ck_assert_uint_eq(einfo(&s, SIM_CLIENT).mtu, 1350);
	ck_assert_uint_eq(einfo(&s, SIM_SERVER).mtu, 1350);
	ck_assert_uint_eq(s.last_mtu_event[SIM_CLIENT], 1350);
	ck_assert_uint_eq(s.last_mtu_event[SIM_SERVER], 1350);
	check_traffic(&s, 100, 1350, 1 * SEC);
	sim_free(&s);
}
END_TEST

/* The reference never probes a confirmed path again: a later, smaller path MTU black-holes
 * large packets while small control messages keep the path OK. */
START_TEST(test_mtu_reprobe_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 22);
	sim_add_path(&s, 0, 5 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 2000000, 2000000);
	sim_run(&s, 3 * SEC);
	ck_assert_uint_eq(einfo(&s, SIM_CLIENT).mtu, 1450);
	s.path[0].up.mtu = s.path[0].down.mtu = 1400;
	sim_traffic(&s, SIM_CLIENT, 300, 1400);
	sim_run(&s, 40 * SEC);
	sim_traffic_stop(&s, SIM_CLIENT);
	sim_run(&s, 5 * SEC);
	ck_assert_uint_eq(info_of(&s, SIM_CLIENT, 0).mtu, 1372);
	ck_assert_uint_eq(s.last_mtu_event[SIM_CLIENT], 1350);
	ck_assert_uint_eq(s.last_mtu_event[SIM_SERVER], 1350);
	sim_free(&s);
}
END_TEST

/* ---- Bad datagrams ---- */

struct capture {
	uint8_t data[8][MUD_PKT_MAX];
	size_t len[8];
	int n;
	bool want_ctl, want_data;
};

static bool
capture_tap(void *ctx, int dir, int path, const uint8_t *data, size_t len)
{
	struct capture *c = ctx;

	(void)path;
	if (dir != SIM_CLIENT || c->n == 8)
		return true;
	bool ctl = data[0] & 1;
	if ((ctl && c->want_ctl) || (!ctl && c->want_data && len > 100)) {
		memcpy(c->data[c->n], data, len);
		c->len[c->n++] = len;
		if (ctl)
			c->want_ctl = false;
		else
			c->want_data = false;
	}
	return true;
}

static uint64_t
bad(struct sim *s, int side, enum engine_bad_reason r)
{
	return einfo(s, side).bad[r].count;
}

START_TEST(test_bad_datagrams_rejected)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct capture cap = {.want_ctl = true, .want_data = true};
	struct sim s;
	uint8_t buf[MUD_PKT_MAX];

	setup_pair(&s, &o, 31);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	s.tap = capture_tap;
	s.tap_ctx = &cap;
	check_traffic(&s, 100, 500, 1 * SEC);
	ck_assert_int_eq(cap.n, 2);
	int ic = cap.data[0][0] & 1 ? 0 : 1, id = 1 - ic;
	uint64_t tun = s.tun_pkts[SIM_SERVER];

	/* Replayed data and control, from the same and from a new source port. */
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, cap.data[id], cap.len[id]), ENGINE_RX_DROP);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, cap.data[ic], cap.len[ic]), ENGINE_RX_DROP);
	s.path[0].nat.port = 6000;
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, cap.data[id], cap.len[id]), ENGINE_RX_DROP);
	s.path[0].nat.port = 5000;
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_REPLAY), 3);

	/* Truncated: too short to be anything, too short for its kind (no AEAD work, not counted
	 * as decrypt as the reference does for control), too long, and cut short with a time
	 * field already seen (stale: no AEAD work either). */
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, cap.data[id], 22), ENGINE_RX_DROP);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_SIZE), 1);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, cap.data[ic], 146), ENGINE_RX_DROP);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_SIZE), 2);
	uint8_t big[MUD_PKT_MAX + 1];
	memcpy(big, cap.data[id], cap.len[id]);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, big, sizeof(big)), ENGINE_RX_DROP);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_SIZE), 3);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, cap.data[id], cap.len[id] - 7),
	                 ENGINE_RX_DROP);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_REPLAY), 4);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_DECRYPT), 0);

	/* Forged: one bit flipped in the ciphertext, in the tag, in the time field of a data
	 * packet the server never received, and in the tag of a fresh control message. */
	uint8_t ip[100], fresh[MUD_PKT_MAX];
	struct engine_tx tx;
	sim_ip_packet(ip, sizeof(ip), 7);
	int fn = engine_send(s.e[SIM_CLIENT], s.now + s.off[SIM_CLIENT], fresh, sizeof(fresh), ip,
	                     sizeof(ip), &tx);
	ck_assert_int_gt(fn, 0);
	memcpy(buf, fresh, (size_t)fn);
	buf[30] ^= 4;
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, (size_t)fn), ENGINE_RX_DROP);
	memcpy(buf, fresh, (size_t)fn);
	buf[fn - 1] ^= 0x80;
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, (size_t)fn), ENGINE_RX_DROP);
	memcpy(buf, fresh, (size_t)fn);
	buf[1] ^= 2;
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, (size_t)fn), ENGINE_RX_DROP);
	uint8_t msg[MUD_MSG_SIZE];
	struct mud_ctl m = {.state = 3, .beat = 100000, .loss_limit = 255,
	                    .addr = s.path[0].server};
	ck_assert_int_eq(mud_ctl_encode(msg, &m, MUD_V1), 0);
	uint64_t snow = s.now + s.off[SIM_SERVER];
	int n = mud_ctl_seal(buf, sizeof(buf), msg, 147, mud_t48(snow + 1 * SEC), test_psk);
	ck_assert_int_eq(n, 147);
	buf[146] ^= 0x80;
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, 147), ENGINE_RX_DROP);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_DECRYPT), 4);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_REPLAY), 4);

	/* Out of tolerance: a valid control message from 11 minutes ago. */
	n = mud_ctl_seal(buf, sizeof(buf), msg, 147, mud_t48(snow - 11 * MIN), test_psk);
	ck_assert_int_eq(n, 147);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, 147), ENGINE_RX_DROP);
	n = mud_ctl_seal(buf, sizeof(buf), msg, 147, mud_t48(snow + 11 * MIN), test_psk);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, 147), ENGINE_RX_DROP);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_DIFFTIME), 2);

	/* Wrong key: a control message and a data packet under another PSK. */
	uint8_t other[32];
	memset(other, 0x5a, sizeof(other));
	n = mud_ctl_seal(buf, sizeof(buf), msg, 147, mud_t48(snow + 2 * SEC), other);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, 147), ENGINE_RX_DROP);
	sim_ip_packet(ip, sizeof(ip), 1);
	n = mud_data_seal(buf, sizeof(buf), ip, sizeof(ip), mud_t48(snow + 2 * SEC),
	                  AEAD_CHACHA20POLY1305, other);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, (size_t)n), ENGINE_RX_DROP);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_DECRYPT), 6);

	/* A control message of neither dialect (byte 6 = 7), under the right PSK. */
	m.state = 7;
	ck_assert_int_eq(mud_ctl_encode(msg, &m, MUD_V1), 0);
	mud_ctl_seal(buf, sizeof(buf), msg, 147, mud_t48(snow + 3 * SEC), test_psk);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, 147), ENGINE_RX_DROP);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_DIALECT), 1);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_KEYX), 0);

	/* Nothing of it reached the TUN, and the tunnel still works. */
	ck_assert_uint_eq(s.tun_pkts[SIM_SERVER], tun);
	s.tap = NULL;
	check_traffic(&s, 100, 500, 1 * SEC);
	sim_free(&s);
}
END_TEST

/* A small-order public key (section 4.2) is rejected with keyx and gets no answer. */
START_TEST(test_keyx_rejected)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;
	uint8_t msg[MUD_MSG_SIZE], buf[MUD_PKT_MAX];

	setup_pair(&s, &o, 32);
	sim_add_path(&s, 0, 10 * MS);
	struct mud_ctl m = {.state = 3, .beat = 100000, .loss_limit = 255, .fixed_rate = 1,
	                    .mtu = 1472, .addr = s.path[0].server};
	m.pkey[0] = 1; /* u = 1: small order */
	ck_assert_int_eq(mud_ctl_encode(msg, &m, MUD_V1), 0);
	mud_ctl_seal(buf, sizeof(buf), msg, 147, mud_t48(s.off[SIM_SERVER]), test_psk);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, 147), ENGINE_RX_CONTROL);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_KEYX), 1);
	struct engine_dgram d;
	ck_assert(!engine_next_datagram(s.e[SIM_SERVER], &d));
	sim_free(&s);
}
END_TEST

/* ---- Improvements ---- */

/* The reference stamps every packet sent in one 2-us slot alike (one nonce, one key). */
START_TEST(test_timestamps_unique_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;
	uint8_t ip[200], dg[MUD_PKT_MAX];
	struct engine_tx tx;

	setup_pair(&s, &o, 41);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 100000000, 100000000);
	sim_run(&s, 3 * SEC);
	sim_ip_packet(ip, sizeof(ip), 0);
	uint64_t now = s.now + s.off[SIM_CLIENT], prev = 0;
	int sent = 0;
	for (int i = 0; i < 200; i++) {
		int n = engine_send(s.e[SIM_CLIENT], now, dg, sizeof(dg), ip, sizeof(ip), &tx);
		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		uint64_t t = mud_pkt_time(dg);
		ck_assert_uint_eq(t & 1, 0);
		if (i)
			ck_assert_uint_eq(t, prev + 2);
		prev = t;
		sent++;
	}
	ck_assert_int_ge(sent, 16);
	/* Time running ahead of the clock is bounded. */
	uint64_t ahead = 0;
	for (int i = 0; i < 2000000 && ahead <= ENGINE_AHEAD_MAX_US; i++) {
		int n = engine_send(s.e[SIM_CLIENT], now, dg, sizeof(dg), ip, sizeof(ip), &tx);
		if (n < 0)
			break;
		ahead = mud_t48_diff(mud_pkt_time(dg), mud_t48(now));
	}
	ck_assert_uint_le(ahead, ENGINE_AHEAD_MAX_US);
	sim_free(&s);
}
END_TEST

/* 700 packets/s of 1200 bytes over a 10 ms and a 60 ms path of 500 kB/s each, from the very
 * first packet of an idle tunnel, then again after a pause: _i = 0, our server sees no
 * reordering at all, the 60 ms path being known from its control messages and waited for before
 * it carries data (reseq_all_paths); _i = 1, the reference's behaviour (no buffer) does. */
START_TEST(test_resequencing_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true, .no_server_reseq = _i == 1,
	                  .reseq_all_paths = true};
	struct sim s;

	setup_pair(&s, &o, 51);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 60 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 500000, 500000);
	sim_client_path(&s, 1, ENGINE_STATE_UP, 500000, 500000);
	sim_run(&s, 3 * SEC);
	uint64_t p0 = s.path[1].up.delivered;
	for (int round = 0; round < 2; round++) {
		sim_traffic(&s, SIM_CLIENT, 700, 1200);
		sim_run(&s, 2 * SEC);
		sim_traffic_stop(&s, SIM_CLIENT);
		sim_run(&s, 5 * SEC); /* long enough for the paths to go idle */
		if (_i == 1)
			continue;
		ck_assert_msg(s.tun_reorder[SIM_SERVER] == 0, "round %d: %llu reordered", round,
		              (unsigned long long)s.tun_reorder[SIM_SERVER]);
	}
	ck_assert_uint_ge(s.path[1].up.delivered - p0, 1000); /* both paths carried data */
	ck_assert_uint_eq(s.tun_pkts[SIM_SERVER], s.gen[SIM_CLIENT].sent);
	if (_i == 1)
		ck_assert_uint_gt(s.tun_reorder[SIM_SERVER], 100);
	sim_free(&s);
}
END_TEST

/* 100 packets/s of 200 bytes from the client for 3 s: their mean one-way latency to the
 * server's TUN. */
static uint64_t
light_traffic_latency(struct sim *s)
{
	s->tun_lat_sum[SIM_SERVER] = s->tun_lat_n[SIM_SERVER] = 0;
	sim_traffic(s, SIM_CLIENT, 100, 200);
	sim_run(s, 3 * SEC);
	sim_traffic_stop(s, SIM_CLIENT);
	sim_run(s, 1 * SEC);
	ck_assert_uint_ge(s->tun_lat_n[SIM_SERVER], 250);
	return s->tun_lat_sum[SIM_SERVER] / s->tun_lat_n[SIM_SERVER];
}

/* Low delay trades the first packets of a path that starts carrying data (they may come late
 * once) for latency: 100 small packets/s over a 10 ms and a 60 ms path all go on the fast path,
 * and with delay low (_i = 0) they reach the server's TUN in about 10 ms; waiting for every path
 * selected for data (_i = 1, delay even) holds each for the 50 ms spread; so does even set on a
 * running engine (_i = 2), and setting it back to low (_i = 3) returns to 10 ms. The default,
 * auto (_i = 4), does not wait for a path 50 ms slower than the fastest. */
START_TEST(test_resequencing_keeps_low_latency)
{
	struct setup o = {.dialect = MUD_V1, .aes = true, .reseq_all_paths = _i == 1,
	                  .delay_low = _i == 0};
	struct sim s;

	setup_pair(&s, &o, 52);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 60 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 500000, 500000);
	sim_client_path(&s, 1, ENGINE_STATE_UP, 500000, 500000);
	sim_run(&s, 3 * SEC);
	ck_assert_int_eq(engine_delay(s.e[SIM_SERVER]), _i == 0   ? ENGINE_DELAY_LOW
	                                                : _i == 1 ? ENGINE_DELAY_EVEN
	                                                          : ENGINE_DELAY_AUTO);
	if (_i == 2 || _i == 3) {
		ck_assert_int_eq(engine_set_delay(s.e[SIM_SERVER], ENGINE_DELAY_EVEN), 0);
		ck_assert_int_eq(engine_delay(s.e[SIM_SERVER]), ENGINE_DELAY_EVEN);
	}
	if (_i == 3) {
		sim_traffic(&s, SIM_CLIENT, 100, 200);
		sim_run(&s, 1 * SEC);
		sim_traffic_stop(&s, SIM_CLIENT);
		sim_run(&s, 1 * SEC);
		ck_assert_int_eq(engine_set_delay(s.e[SIM_SERVER], ENGINE_DELAY_LOW), 0);
	}
	errno = 0;
	ck_assert_int_eq(engine_set_delay(s.e[SIM_CLIENT], (enum engine_delay)7), -1);
	ck_assert_int_eq(errno, EINVAL);
	uint64_t mean = light_traffic_latency(&s);
	if (_i == 0 || _i == 3 || _i == 4)
		ck_assert_msg(mean < 15 * MS, "mean latency %llu us", (unsigned long long)mean);
	else
		ck_assert_msg(mean > 40 * MS, "mean latency %llu us", (unsigned long long)mean);
	sim_free(&s);
}
END_TEST

/* Delay auto waits for the running paths at most 30 ms slower than the fastest, not for the
 * others: light traffic over paths of 10, 30 and 150 ms one way all takes the 10 ms path and
 * reaches the TUN after about 30 ms (the 150 ms path does not hold it back); with delay even it
 * waits for the 150 ms path, with low it comes in 10 ms. */
START_TEST(test_delay_auto_waits_for_near_paths)
{
	struct setup o = {.dialect = MUD_V1, .aes = true, .reseq_all_paths = _i == 1,
	                  .delay_low = _i == 2};
	struct sim s;

	setup_pair(&s, &o, 53);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 30 * MS);
	sim_add_path(&s, 2, 150 * MS);
	for (int i = 0; i < 3; i++)
		sim_client_path(&s, i, ENGINE_STATE_UP, 500000, 500000);
	sim_run(&s, 5 * SEC);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(info_of(&s, SIM_CLIENT, i).ok, "path %d not ok", i);
	uint64_t mean = light_traffic_latency(&s);
	if (_i == 0)
		ck_assert_msg(mean > 25 * MS && mean < 45 * MS, "mean latency %llu us",
		              (unsigned long long)mean);
	else if (_i == 1)
		ck_assert_msg(mean > 130 * MS, "mean latency %llu us", (unsigned long long)mean);
	else
		ck_assert_msg(mean < 15 * MS, "mean latency %llu us", (unsigned long long)mean);
	sim_free(&s);
}
END_TEST

/* A download of 840 kB/s over two 500 kB/s paths while the client only sends 50 small packets/s
 * (think TCP ACKs), all on the fastest path: the server needs the second path too, so it must
 * stay usable on the server. With initiations only every keepalive (25 s) on the path the
 * client sent no data on, the server's relative rule (section 6.4 step 4) took it for dead and
 * the download was held to one path. */
START_TEST(test_download_uses_every_path)
{
	struct setup o = {.dialect = _i ? MUD_MASTER : MUD_V1, .aes = true, .reseq_all_paths = true};
	struct sim s;

	setup_pair(&s, &o, 77);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 60 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 500000, 500000);
	sim_client_path(&s, 1, ENGINE_STATE_UP, 500000, 500000);
	sim_run(&s, 3 * SEC);
	sim_traffic(&s, SIM_CLIENT, 50, 100);
	sim_run(&s, 5 * SEC);
	uint64_t d1 = s.path[1].down.delivered;
	sim_traffic(&s, SIM_SERVER, 700, 1200);
	sim_run(&s, 5 * SEC);
	sim_traffic_stop(&s, SIM_SERVER);
	sim_traffic_stop(&s, SIM_CLIENT);
	sim_run(&s, 1 * SEC);
	ck_assert_msg(s.gen[SIM_SERVER].sent >= 3500 - 5, "server sent %llu of 3500",
	              (unsigned long long)s.gen[SIM_SERVER].sent);
	ck_assert_uint_eq(s.tun_pkts[SIM_CLIENT], s.gen[SIM_SERVER].sent);
	ck_assert_uint_ge(s.path[1].down.delivered - d1, 1000);
	ck_assert_uint_eq(s.tun_reorder[SIM_CLIENT], 0);
	ck_assert_uint_eq(s.tun_reorder[SIM_SERVER], 0);
	ck_assert(info_of(&s, SIM_SERVER, 1).ok);
	sim_free(&s);
}
END_TEST

/* Cross-path reordering of hundreds of ms is accepted once, a second copy never. */
START_TEST(test_replay_window_reordering_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct capture cap = {0};
	struct sim s;
	uint8_t ip[300], dg[32][MUD_PKT_MAX];
	size_t len[32];
	struct engine_tx tx;

	(void)cap;
	setup_pair(&s, &o, 42);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 10000000, 10000000);
	sim_run(&s, 3 * SEC);
	check_traffic(&s, 100, 300, 1 * SEC);
	/* 32 packets sent 10 ms apart, delivered newest first (310 ms of reordering). */
	for (int i = 0; i < 32; i++) {
		sim_ip_packet(ip, sizeof(ip), 1000 + (uint64_t)i);
		int n = engine_send(s.e[SIM_CLIENT], s.now + s.off[SIM_CLIENT] + (uint64_t)i * 10 * MS,
		                    dg[i], sizeof(dg[i]), ip, sizeof(ip), &tx);
		ck_assert_int_gt(n, 0);
		len[i] = (size_t)n;
	}
	s.now += 320 * MS;
	for (int i = 31; i >= 0; i--)
		ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, dg[i], len[i]), ENGINE_RX_DATA);
	for (int i = 0; i < 32; i++)
		ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, dg[i], len[i]), ENGINE_RX_DROP);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_REPLAY), 32);
	sim_free(&s);
}
END_TEST

/* A replayed initiation from another source creates no path (the reference creates one, and
 * its mtu and rate would make it carry traffic); a fresh one from a new source (NAT rebinding)
 * does, and the old path is forgotten after a minute. */
START_TEST(test_fresh_initiation_creates_path_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct capture cap = {.want_ctl = true};
	struct sim s;

	setup_pair(&s, &o, 43);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	s.tap = capture_tap;
	s.tap_ctx = &cap;
	sim_run(&s, 30 * SEC); /* a keepalive initiation */
	s.tap = NULL;
	ck_assert_int_eq(cap.n, 1);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).npaths, 1);
	s.path[0].nat.port = 40000;
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, cap.data[0], cap.len[0]), ENGINE_RX_DROP);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).npaths, 1);
	ck_assert_uint_eq(bad(&s, SIM_SERVER, ENGINE_BAD_REPLAY), 1);

	/* The NAT really moved: the client's next initiation teaches the server the new port. */
	sim_traffic(&s, SIM_CLIENT, 50, 200);
	sim_traffic(&s, SIM_SERVER, 50, 200);
	sim_run(&s, 2 * SEC);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).npaths, 2);
	struct engine_path_info pi;
	ck_assert(sim_path_info(&s, SIM_SERVER, 0, &pi));
	ck_assert(pi.ok);
	ck_assert_uint_eq(pi.remote.port, 40000);
	struct engine_path_info ci = info_of(&s, SIM_CLIENT, 0);
	ck_assert(mud_addr_equal(&ci.pub, &s.path[0].nat));
	sim_traffic_stop(&s, SIM_CLIENT);
	sim_traffic_stop(&s, SIM_SERVER);
	sim_run(&s, 100 * MS);
	check_traffic(&s, 50, 200, 1 * SEC);
	sim_run(&s, 61 * SEC);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).npaths, 1);
	sim_free(&s);
}
END_TEST

/* ---- Replayed datagrams move no path (docs/protocol.md) ---- */

/* Captures the client's latest initiation and latest data packet over 100 bytes. */
struct replay_capture {
	uint8_t init[MUD_PKT_MAX], data[MUD_PKT_MAX];
	size_t init_len, data_len;
};

static bool
replay_tap(void *ctx, int dir, int path, const uint8_t *data, size_t len)
{
	struct replay_capture *c = ctx;
	uint8_t plain[MUD_PKT_MAX];
	struct mud_ctl m;

	(void)path;
	if (dir != SIM_CLIENT)
		return true;
	if (!(data[0] & 1)) {
		if (len > 100) {
			memcpy(c->data, data, len);
			c->data_len = len;
		}
		return true;
	}
	int n = mud_ctl_open(plain, sizeof(plain), data, len, test_psk);
	if (n > 0 && mud_ctl_decode(&m, plain, (size_t)n, MUD_V1) == 0 &&
	    !m.sent_time) {
		memcpy(c->init, data, len);
		c->init_len = len;
	}
	return true;
}

/* A datagram to the server from the client's address on path 0 with source port `port`: a
 * third host spoofing the site (the sim has no route back to that port). */
static int
deliver_spoofed(struct sim *s, uint16_t port, const uint8_t *data, size_t len)
{
	struct mud_addr from = s->path[0].nat;

	from.port = port;
	return engine_recv(s->e[SIM_SERVER], s->now + s->off[SIM_SERVER], &s->path[0].server, &from,
	                   data, len);
}

static void
replay_setup(struct sim *s, struct replay_capture *cap, uint64_t seed)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};

	setup_pair(s, &o, seed);
	sim_add_path(s, 0, 10 * MS);
	sim_client_path(s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(s, 3 * SEC);
	memset(cap, 0, sizeof(*cap));
	s->tap = replay_tap;
	s->tap_ctx = cap;
	check_traffic(s, 100, 500, 1 * SEC);
	s->tap = NULL;
	sim_run(s, 50 * MS); /* the captured ones have arrived: copies are replays */
	ck_assert_uint_gt(cap->init_len, 0);
	ck_assert_uint_gt(cap->data_len, 0);
}

/* A captured data packet and a captured initiation, replayed within the windows from a new
 * source port and from the original address, cost a lookup and a drop: no path, no event, no
 * TUN delivery, no change to the path's counters and no AEAD work; only the replay counter
 * moves. The reference creates a path (and makes it usable) and delivers the data again; before
 * this change the engine already dropped them, but after decrypting them and with an event
 * each. Older than the windows they may be decrypted (a key other than the one that opened
 * them, the restarted-peer rule for control) but change nothing either. */
START_TEST(test_replay_moves_nothing_improvement)
{
	struct replay_capture cap;
	struct sim s;
	struct engine_event ev;
	const uint8_t *pkt;
	size_t plen;

	replay_setup(&s, &cap, 48);
	struct engine_info i0 = einfo(&s, SIM_SERVER);
	struct engine_path_info p0 = info_of(&s, SIM_SERVER, 0);
	uint16_t ports[2] = {40000, s.path[0].nat.port};

	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(deliver_spoofed(&s, ports[k], cap.data, cap.data_len), ENGINE_RX_DROP);
		ck_assert_int_eq(deliver_spoofed(&s, ports[k], cap.init, cap.init_len), ENGINE_RX_DROP);
	}
	struct engine_info i1 = einfo(&s, SIM_SERVER);
	struct engine_path_info p1 = info_of(&s, SIM_SERVER, 0);
	ck_assert_int_eq(i1.npaths, 1);
	ck_assert_uint_eq(i1.bad[ENGINE_BAD_REPLAY].count, i0.bad[ENGINE_BAD_REPLAY].count + 4);
	ck_assert_uint_eq(i1.aead_opens, i0.aead_opens);
	ck_assert(!engine_next_event(s.e[SIM_SERVER], &ev));
	ck_assert(!engine_next_tun(s.e[SIM_SERVER], &pkt, &plen));
	ck_assert_uint_eq(p1.rx_packets, p0.rx_packets);
	ck_assert_uint_eq(p1.rx_bytes, p0.rx_bytes);
	ck_assert_uint_eq(p1.tx_packets, p0.tx_packets);
	for (int r = 0; r < ENGINE_BAD_NR; r++)
		if (r != ENGINE_BAD_REPLAY)
			ck_assert_uint_eq(i1.bad[r].count, i0.bad[r].count);

	/* Later, when the captures are older than the windows: still nothing. */
	sim_run(&s, 3 * SEC);
	i0 = einfo(&s, SIM_SERVER);
	ck_assert_int_eq(deliver_spoofed(&s, 40001, cap.data, cap.data_len), ENGINE_RX_DROP);
	ck_assert_int_eq(deliver_spoofed(&s, 40001, cap.init, cap.init_len), ENGINE_RX_DROP);
	i1 = einfo(&s, SIM_SERVER);
	ck_assert_int_eq(i1.npaths, 1);
	ck_assert_uint_eq(i1.bad[ENGINE_BAD_REPLAY].count, i0.bad[ENGINE_BAD_REPLAY].count + 2);
	ck_assert(!engine_next_event(s.e[SIM_SERVER], &ev));
	check_traffic(&s, 100, 500, 1 * SEC);
	sim_free(&s);
}
END_TEST

/* A restarted server has empty windows: the first replayed initiation it gets cannot be told
 * from a fresh one and makes a path. That path still carries nothing: it never turns usable,
 * since no echo ever answers the replies sent to an address where nobody listens. The
 * reference, and this engine before, made it usable and sent data to nowhere. */
START_TEST(test_replay_after_restart_carries_nothing_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct replay_capture cap;
	struct sim s;

	replay_setup(&s, &cap, 49);
	engine_free(s.e[SIM_SERVER]);
	s.erng[SIM_SERVER] += 1000;
	s.e[SIM_SERVER] = make_engine(&s, SIM_SERVER, &o);
	ck_assert_int_eq(deliver_spoofed(&s, 40000, cap.init, cap.init_len), ENGINE_RX_CONTROL);
	sim_traffic(&s, SIM_SERVER, 200, 500);
	sim_traffic(&s, SIM_CLIENT, 200, 500);
	uint64_t tx = 0;
	bool ever_ok = false;
	for (int t = 0; t < 40; t++) {
		struct engine_path_info pi[ENGINE_PATH_MAX];
		int n = engine_paths(s.e[SIM_SERVER], pi, ENGINE_PATH_MAX);
		for (int i = 0; i < n; i++) {
			if (pi[i].remote.port != 40000)
				continue;
			ever_ok |= pi[i].ok;
			tx = pi[i].tx_packets;
		}
		sim_run(&s, 50 * MS);
	}
	sim_traffic_stop(&s, SIM_SERVER);
	sim_traffic_stop(&s, SIM_CLIENT);
	sim_run(&s, 500 * MS);
	ck_assert(!ever_ok);
	ck_assert_uint_eq(tx, 1); /* the reply to the replayed initiation, nothing more */
	ck_assert(info_of(&s, SIM_SERVER, 0).ok);
	check_traffic(&s, 100, 500, 1 * SEC);
	sim_free(&s);
}
END_TEST

/* Datagrams whose size condemns them are counted and never reach the AEAD; one that could be
 * genuine is tried (the counter works). */
START_TEST(test_garbage_costs_no_aead_improvement)
{
	struct replay_capture cap;
	struct sim s;
	uint8_t buf[MUD_PKT_MAX];

	replay_setup(&s, &cap, 50);
	struct engine_info i0 = einfo(&s, SIM_SERVER);
	uint64_t snow = mud_t48(s.now + s.off[SIM_SERVER]);
	size_t sizes[] = {23, 30, MUD_OVERHEAD + MUD_IP_MIN - 1};

	memcpy(buf, cap.data, cap.data_len);
	mud_write48(buf, snow + 2 * SEC); /* a fresh time field: only its size condemns it */
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, sizes[k]), ENGINE_RX_DROP);
	memcpy(buf, cap.init, cap.init_len);
	mud_write48(buf, (snow + 2 * SEC) | 1);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, 23), ENGINE_RX_DROP);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, MUD_CTL_MIN - 1), ENGINE_RX_DROP);
	struct engine_info i1 = einfo(&s, SIM_SERVER);
	ck_assert_uint_eq(i1.bad[ENGINE_BAD_SIZE].count, i0.bad[ENGINE_BAD_SIZE].count + 5);
	ck_assert_uint_eq(i1.aead_opens, i0.aead_opens);
	ck_assert_uint_eq(i1.bad[ENGINE_BAD_DECRYPT].count, i0.bad[ENGINE_BAD_DECRYPT].count);

	/* The smallest possible data packet and control message are tried. */
	memcpy(buf, cap.data, cap.data_len);
	mud_write48(buf, snow + 4 * SEC);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, MUD_OVERHEAD + MUD_IP_MIN),
	                 ENGINE_RX_DROP);
	memcpy(buf, cap.init, cap.init_len);
	mud_write48(buf, (snow + 4 * SEC) | 1);
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, buf, MUD_CTL_MIN), ENGINE_RX_DROP);
	i1 = einfo(&s, SIM_SERVER);
	ck_assert_uint_gt(i1.aead_opens, i0.aead_opens + 1);
	ck_assert_uint_eq(i1.bad[ENGINE_BAD_DECRYPT].count, i0.bad[ENGINE_BAD_DECRYPT].count + 2);
	check_traffic(&s, 100, 500, 1 * SEC);
	sim_free(&s);
}
END_TEST

/* A client ignores initiations (a stock server never sends one). */
START_TEST(test_client_ignores_initiation)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;
	uint8_t msg[MUD_MSG_SIZE], buf[MUD_PKT_MAX];

	setup_pair(&s, &o, 44);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	struct engine_path_info before = info_of(&s, SIM_CLIENT, 0);
	struct mud_ctl m = {.state = 2, .beat = 5000, .loss_limit = 1, .mtu = 600, .max_rate = 7,
	                    .addr = s.path[0].client};
	m.pkey[0] = 9;
	mud_ctl_encode(msg, &m, MUD_V1);
	mud_ctl_seal(buf, sizeof(buf), msg, 147, mud_t48(s.now + s.off[SIM_CLIENT]), test_psk);
	sim_deliver_now(&s, SIM_CLIENT, 0, buf, 147);
	struct engine_dgram d;
	ck_assert(!engine_next_datagram(s.e[SIM_CLIENT], &d));
	struct engine_path_info after = info_of(&s, SIM_CLIENT, 0);
	ck_assert_uint_eq(after.mtu, before.mtu);
	ck_assert_uint_eq(after.beat, before.beat);
	ck_assert_uint_eq(after.loss_limit, before.loss_limit);
	ck_assert_int_eq(after.state, ENGINE_STATE_UP);
	check_traffic(&s, 50, 200, 1 * SEC);
	sim_free(&s);
}
END_TEST

/* Counts the data datagrams the client sends on each path. */
static bool
count_data_tap(void *ctx, int dir, int path, const uint8_t *data, size_t len)
{
	uint64_t *n = ctx;

	(void)len;
	if (dir == SIM_CLIENT && !(data[0] & 1))
		n[path]++;
	return true;
}

/* At low load every packet takes the path of least delay (the reference spreads them at random
 * in proportion to the rates, so half would take the 60 ms path). */
START_TEST(test_sched_low_delay_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;
	uint64_t n[SIM_PATHS] = {0};

	setup_pair(&s, &o, 45);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 60 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_client_path(&s, 1, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	s.tap = count_data_tap;
	s.tap_ctx = n;
	sim_traffic(&s, SIM_CLIENT, 100, 500);
	sim_run(&s, 2 * SEC);
	s.tap = NULL;
	uint64_t data0 = n[0], data1 = n[1];
	ck_assert_uint_ge(data0, 200);
	ck_assert_msg(data1 < 5, "%llu datagrams on the slow path", (unsigned long long)data1);
	sim_free(&s);
}
END_TEST

static bool
count_link_bytes_tap(void *ctx, int dir, int path, const uint8_t *data, size_t len)
{
	uint64_t *n = ctx;

	(void)data;
	if (dir == SIM_CLIENT)
		n[path] += len;
	return true;
}

/* A saturated path is paced in the bytes its link spends: datagrams plus 28 bytes of IPv4 and
 * UDP headers each (48 over IPv6), so a path set to its link's rate does not overdrive it. The
 * reference counts the UDP payload only: 2.7% over with IPv4 and 1000-byte packets, 4.6% with
 * IPv6. */
START_TEST(test_pacing_counts_headers_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;
	uint64_t n[SIM_PATHS] = {0};
	const uint64_t rate = 250000; /* bytes/s */
	const uint64_t hdr = _i ? 48 : 28;

	setup_pair(&s, &o, 47);
	if (_i)
		sim_add_path6(&s, 0, 10 * MS);
	else
		sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, rate, rate);
	sim_run(&s, 3 * SEC);
	sim_traffic(&s, SIM_CLIENT, 500, 1000); /* 2x the path's rate */
	sim_run(&s, 1 * SEC);
	s.tap = count_link_bytes_tap;
	s.tap_ctx = n;
	uint64_t sent0 = s.path[0].up.sent;
	sim_run(&s, 4 * SEC);
	s.tap = NULL;
	uint64_t dgrams = s.path[0].up.sent - sent0;
	uint64_t link = n[0] + dgrams * hdr;
	ck_assert_msg(link <= 4 * rate * 101 / 100 && link >= 4 * rate * 97 / 100,
	              "%llu link bytes in 4 s at %llu bytes/s (%llu datagrams)",
	              (unsigned long long)link, (unsigned long long)rate,
	              (unsigned long long)dgrams);
	sim_traffic_stop(&s, SIM_CLIENT);
	sim_free(&s);
}
END_TEST

/* IPv6 path MTU discovery: don't-fragment is asked for on every datagram, so the search finds
 * what the path really carries (1400 - 48 = 1352). The reference sets nothing for IPv6 and would
 * settle on 1472 through local fragmentation. */
START_TEST(test_mtu_ipv6_dontfrag_improvement)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 46);
	sim_add_path6(&s, 0, 5 * MS);
	s.path[0].up.mtu = s.path[0].down.mtu = 1400;
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 10 * SEC);
	ck_assert_uint_eq(info_of(&s, SIM_CLIENT, 0).mtu, 1352);
	ck_assert_uint_eq(info_of(&s, SIM_SERVER, 0).mtu, 1352);
	ck_assert_uint_eq(einfo(&s, SIM_SERVER).mtu, 1330);
	check_traffic(&s, 100, 1330, 1 * SEC);
	sim_free(&s);
}
END_TEST

/* The replay windows must not lock out a peer that restarts with a clock behind the one it had
 * (within the tolerance): its first message carries a public key never seen, which no replay
 * can. */
START_TEST(test_peer_restart_clock_behind)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 47);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	check_traffic(&s, 100, 300, 1 * SEC);
	int side = _i ? SIM_SERVER : SIM_CLIENT;
	engine_free(s.e[side]);
	s.erng[side] += 1000;
	s.off[side] -= 30 * SEC;
	s.e[side] = make_engine(&s, side, &o);
	if (side == SIM_CLIENT)
		sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	ck_assert(info_of(&s, SIM_CLIENT, 0).ok);
	ck_assert(info_of(&s, SIM_SERVER, 0).ok);
	/* The client speaks first: the survivor still sends under the old session's key. */
	sim_traffic(&s, SIM_CLIENT, 100, 300);
	sim_run(&s, 300 * MS);
	sim_traffic_stop(&s, SIM_CLIENT);
	sim_run(&s, 100 * MS);
	check_traffic(&s, 100, 300, 1 * SEC);
	sim_free(&s);
}
END_TEST

/* ---- Master semantics (B.4) on our server, and its dialect detection ---- */

/* pref replaces BACKUP: the most preferred usable paths carry the data, and the server
 * follows the prefs it learned. */
START_TEST(test_master_pref_failover)
{
	struct setup o = {.dialect = MUD_MASTER, .aes = false};
	struct sim s;

	setup_pair(&s, &o, 61);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 2000000, 2000000);
	sim_client_path(&s, 1, ENGINE_STATE_UP, 2000000, 2000000);
	struct engine_path_conf pc = {.local = s.path[1].client, .remote = s.path[1].server,
	                              .set_pref = true, .pref = 1};
	ck_assert_int_eq(engine_path_set(s.e[SIM_CLIENT], s.off[SIM_CLIENT], &pc), 0);
	sim_run(&s, 3 * SEC);
	ck_assert_uint_eq(info_of(&s, SIM_SERVER, 1).pref, 1);
	ck_assert(!info_of(&s, SIM_SERVER, 1).running);
	ck_assert(info_of(&s, SIM_CLIENT, 1).ok && !info_of(&s, SIM_CLIENT, 1).running);
	sim_traffic(&s, SIM_CLIENT, 500, 1000);
	sim_traffic(&s, SIM_SERVER, 500, 1000);
	uint64_t b0 = s.path[1].up.delivered + s.path[1].down.delivered;
	ck_assert_uint_eq(window_loss(&s, 2 * SEC), 0);
	ck_assert_uint_lt(s.path[1].up.delivered + s.path[1].down.delivered - b0, 20);
	cut(&s, 0, true);
	sim_run(&s, 300 * MS);
	ck_assert_uint_eq(window_loss(&s, 2 * SEC), 0);
	ck_assert(info_of(&s, SIM_SERVER, 1).running);
	cut(&s, 0, false);
	sim_run(&s, 2 * SEC);
	ck_assert(info_of(&s, SIM_CLIENT, 0).running && !info_of(&s, SIM_CLIENT, 1).running);
	ck_assert(info_of(&s, SIM_SERVER, 0).running && !info_of(&s, SIM_SERVER, 1).running);
	sim_free(&s);
}
END_TEST

/* Loss in both directions (B.4 item 3): the client loses 30 % of what it sends. Its own
 * transmit loss makes its path lossy in both dialects; a master server also reads the loss the
 * client reports, a 0.3.4 server does not. */
START_TEST(test_loss_limit_both_directions)
{
	struct setup o = {.dialect = _i ? MUD_MASTER : MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 62);
	sim_add_path(&s, 0, 5 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 5000000, 5000000);
	struct engine_path_conf pc = {.local = s.path[0].client, .remote = s.path[0].server,
	                              .loss_limit = 25};
	ck_assert_int_eq(engine_path_set(s.e[SIM_CLIENT], s.off[SIM_CLIENT], &pc), 0);
	sim_run(&s, 3 * SEC);
	s.path[0].up.loss_ppm = 300000;
	sim_traffic(&s, SIM_CLIENT, 1000, 200);
	sim_run(&s, 5 * SEC);
	struct engine_path_info c = info_of(&s, SIM_CLIENT, 0), v = info_of(&s, SIM_SERVER, 0);
	ck_assert_msg(c.tx_loss > 50 && c.tx_loss < 110, "client tx loss %llu",
	              (unsigned long long)c.tx_loss);
	ck_assert(!c.ok);
	ck_assert_uint_eq(v.rx_loss, c.tx_loss);
	ck_assert_uint_lt(v.tx_loss, 25);
	ck_assert_int_eq(v.ok, !_i);
	sim_free(&s);
}
END_TEST

static bool
count_ctl_tap(void *ctx, int dir, int path, const uint8_t *data, size_t len)
{
	uint64_t *n = ctx;

	(void)len;
	if (dir == SIM_CLIENT && path == 0 && (data[0] & 1))
		(*n)++;
	return true;
}

/* Degraded retry (B.4 item 5) and cleanup delay (item 6). */
START_TEST(test_dialect_timers)
{
	struct setup o = {.dialect = _i ? MUD_MASTER : MUD_V1, .aes = true};
	struct sim s;
	uint64_t n = 0;

	setup_pair(&s, &o, 63);
	sim_add_path(&s, 0, 5 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	/* With data flowing the dead path is noticed within a few beats. */
	sim_traffic(&s, SIM_CLIENT, 100, 200);
	sim_run(&s, 1 * SEC);
	cut(&s, 0, true);
	sim_run(&s, 5 * SEC);
	ck_assert_uint_ge(info_of(&s, SIM_CLIENT, 0).unanswered, 5);
	s.tap = count_ctl_tap;
	s.tap_ctx = &n;
	sim_run(&s, 10 * SEC);
	s.tap = NULL;
	/* 0.3.4 retries every 10 beats, master every beat. */
	if (_i)
		ck_assert_msg(n >= 95 && n <= 101, "%llu initiations", (unsigned long long)n);
	else
		ck_assert_msg(n >= 9 && n <= 11, "%llu initiations", (unsigned long long)n);
	/* The server forgets the silent path after 60 s (0.3.4) or 5 min (master). */
	sim_run(&s, 60 * SEC);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).npaths, _i ? 1 : 0);
	sim_run(&s, 4 * MIN);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).npaths, 0);
	sim_free(&s);
}
END_TEST

/* MTU lower bound (B.4 item 4): a 1000-byte path is usable by a master client (972), never by a
 * 0.3.4 one (its search stops at 1302). */
START_TEST(test_mtu_lower_bound)
{
	struct setup o = {.dialect = _i ? MUD_MASTER : MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 64);
	sim_add_path(&s, 0, 5 * MS);
	s.path[0].up.mtu = s.path[0].down.mtu = 1000;
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 15 * SEC);
	if (_i) {
		ck_assert_uint_eq(info_of(&s, SIM_CLIENT, 0).mtu, 972);
		ck_assert_uint_eq(info_of(&s, SIM_SERVER, 0).mtu, 972);
		ck_assert_uint_eq(einfo(&s, SIM_SERVER).mtu, 950);
		check_traffic(&s, 100, 900, 1 * SEC);
	} else {
		ck_assert_uint_eq(info_of(&s, SIM_CLIENT, 0).mtu, 0);
		ck_assert(!info_of(&s, SIM_CLIENT, 0).ok);
	}
	sim_free(&s);
}
END_TEST

/* One server engine: a 0.3.4 client, then a master client on the same port (an upgrade). The
 * server notices, answers each message in its layout, and keeps working. */
START_TEST(test_server_dialect_switch)
{
	struct setup o1 = {.dialect = MUD_V1, .aes = true}, o2 = {.dialect = MUD_MASTER, .aes = true};
	struct sim s;

	setup_pair(&s, &o1, 65);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	check_traffic(&s, 100, 500, 1 * SEC);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).dialect, MUD_V1);
	uint64_t ev = s.events[SIM_SERVER][ENGINE_EV_DIALECT];

	engine_free(s.e[SIM_CLIENT]);
	s.erng[SIM_CLIENT] = 999;
	s.e[SIM_CLIENT] = make_engine(&s, SIM_CLIENT, &o2);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).dialect, MUD_MASTER);
	/* Until the new client's data proves it holds the new key, the server sends under the
	 * old session's key, which the new client cannot read: let the client speak first. */
	sim_traffic(&s, SIM_CLIENT, 100, 500);
	sim_run(&s, 500 * MS);
	sim_traffic_stop(&s, SIM_CLIENT);
	sim_run(&s, 100 * MS);
	ck_assert_uint_eq(s.events[SIM_SERVER][ENGINE_EV_DIALECT], ev + 1);
	ck_assert(info_of(&s, SIM_CLIENT, 0).ok);
	ck_assert_int_eq(info_of(&s, SIM_SERVER, 0).dialect, MUD_MASTER);
	check_traffic(&s, 100, 500, 1 * SEC);
	sim_free(&s);
}
END_TEST

/* Clocks 9 minutes apart work (within the 10 min tolerance); 11 minutes do not. */
START_TEST(test_time_tolerance)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 66);
	s.off[SIM_SERVER] += (_i ? 11 : 9) * MIN;
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 3 * SEC);
	if (!_i) {
		ck_assert(info_of(&s, SIM_CLIENT, 0).ok);
		check_traffic(&s, 100, 500, 1 * SEC);
	} else {
		ck_assert(!info_of(&s, SIM_CLIENT, 0).ok);
		ck_assert_int_eq(einfo(&s, SIM_SERVER).npaths, 0);
		ck_assert_uint_gt(bad(&s, SIM_SERVER, ENGINE_BAD_DIFFTIME), 5);
	}
	sim_free(&s);
}
END_TEST

/* ---- Clock: timestamps ahead of the clock, the T48 wrap ---- */

/* Data stamps may run up to a second ahead of the clock under a burst faster than the 500 000
 * packets/s of the wire ceiling. Sends n data packets from side at its current now and throws
 * the datagrams away (the burst only has to move the stamps). */
static void
burst(struct sim *s, int side, int n)
{
	uint8_t ip[40], dg[MUD_PKT_MAX];
	struct engine_tx tx;

	sim_ip_packet(ip, sizeof(ip), 0);
	for (int i = 0; i < n; i++) {
		int r = engine_send(s->e[side], s->now + s->off[side], dg, sizeof(dg), ip,
		                    sizeof(ip), &tx);
		if (r <= 0) /* not ck_assert: Check logs every assertion that passes */
			ck_abort_msg("side %d send %d failed: %d", side, i, errno);
	}
}

/* How far side's data stamps are ahead of its clock. */
static uint64_t
stamps_ahead(struct sim *s, int side)
{
	uint8_t ip[40], dg[MUD_PKT_MAX];
	struct engine_tx tx;
	uint64_t now = s->now + s->off[side];

	sim_ip_packet(ip, sizeof(ip), 0);
	ck_assert_int_gt(engine_send(s->e[side], now, dg, sizeof(dg), ip, sizeof(ip), &tx), 0);
	return mud_t48_diff(mud_pkt_time(dg), mud_t48(now));
}

static void
check_rtt(struct sim *s, int side, uint64_t lo, uint64_t hi)
{
	struct engine_path_info pi = info_of(s, side, 0);

	ck_assert_msg(pi.rtt >= lo && pi.rtt <= hi && pi.rttvar <= hi - lo,
	              "side %d at %llu ms: rtt %llu us, rttvar %llu us", side,
	              (unsigned long long)(s->now / MS), (unsigned long long)pi.rtt,
	              (unsigned long long)pi.rttvar);
}

/* Both sides burst at about 600 000 packets/s for 1.5 s while the control exchanges go on: the
 * RTT each side measures stays the path's 20 ms. The reference stamps control messages from the
 * same clock as data; our stamps ran ahead and the RTT of an answer to a message stamped ahead
 * wrapped to 2^48 us. */
START_TEST(test_rtt_with_stamps_ahead)
{
	struct setup o = {.dialect = _i ? MUD_MASTER : MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 71);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, UINT64_C(10000000000), UINT64_C(10000000000));
	sim_run(&s, 3 * SEC);
	check_rtt(&s, SIM_CLIENT, 19 * MS, 21 * MS);
	check_rtt(&s, SIM_SERVER, 19 * MS, 21 * MS);
	burst(&s, SIM_CLIENT, 200000);
	burst(&s, SIM_SERVER, 200000);
	for (int ms = 0; ms < 1500; ms++) {
		burst(&s, SIM_CLIENT, 600);
		burst(&s, SIM_SERVER, 600);
		sim_run(&s, 1 * MS);
		if (ms % 50 == 0) {
			check_rtt(&s, SIM_CLIENT, 19 * MS, 21 * MS);
			check_rtt(&s, SIM_SERVER, 19 * MS, 21 * MS);
		}
	}
	ck_assert_uint_ge(stamps_ahead(&s, SIM_CLIENT), 500 * MS);
	ck_assert_uint_ge(stamps_ahead(&s, SIM_SERVER), 500 * MS);
	sim_run(&s, 2 * SEC);
	check_rtt(&s, SIM_CLIENT, 19 * MS, 21 * MS);
	check_rtt(&s, SIM_SERVER, 19 * MS, 21 * MS);
	ck_assert(info_of(&s, SIM_CLIENT, 0).ok);
	ck_assert(info_of(&s, SIM_SERVER, 0).ok);
	ck_assert_uint_eq(s.stalls, 0);
	sim_free(&s);
}
END_TEST

/* Four paths of 2 us (a veth pair): the initiations of one update leave in one instant, so
 * their time fields, kept strictly increasing, are 2, 4 and 6 us ahead of the clock, more than
 * the RTT. Taken against the stamp, the RTT went negative and wrapped to 2^48 us; taken against
 * the real send time it is exact. */
START_TEST(test_rtt_tiny_paths)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 78);
	for (int i = 0; i < SIM_PATHS; i++) {
		sim_add_path(&s, i, 2);
		sim_client_path(&s, i, ENGINE_STATE_UP, 1000000, 1000000);
	}
	sim_run(&s, 3 * SEC);
	check_traffic(&s, 200, 500, 1 * SEC);
	for (int side = 0; side < 2; side++) {
		for (int i = 0; i < SIM_PATHS; i++) {
			struct engine_path_info pi = info_of(&s, side, i);
			ck_assert_msg(pi.rtt == 4 && pi.rttvar <= 2, "side %d path %d: rtt %llu us, "
			              "rttvar %llu us", side, i, (unsigned long long)pi.rtt,
			              (unsigned long long)pi.rttvar);
			ck_assert(pi.ok);
		}
	}
	sim_free(&s);
}
END_TEST

/* After a burst the data stamps are ahead and catch up with the clock. An auto-rate path must
 * keep its rate: tx_dt, the time between two of our answered messages, is the real one. With
 * control messages stamped in the data sequence the initiations sent while the stamps catch up
 * were 2 us apart on the wire, and section 8.1 read that as queueing (rx_dt > tx_dt): the rate
 * fell to a few kB/s. */
START_TEST(test_auto_rate_after_burst)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;
	const uint64_t rate = UINT64_C(10000000000);

	setup_pair(&s, &o, 72);
	sim_add_path(&s, 0, 10 * MS);
	struct engine_path_conf c = {
		.local = s.path[0].client,
		.remote = s.path[0].server,
		.state = ENGINE_STATE_UP,
		.tx_max_rate = rate,
		.rx_max_rate = rate,
		.rate_mode = ENGINE_RATE_AUTO,
	};
	ck_assert_int_eq(engine_path_set(s.e[SIM_CLIENT], s.now + s.off[SIM_CLIENT], &c), 0);
	sim_run(&s, 3 * SEC);
	ck_assert_uint_eq(info_of(&s, SIM_CLIENT, 0).tx_rate, rate);
	for (int i = 0; i < 20; i++) {
		burst(&s, SIM_CLIENT, 60000);
		sim_run(&s, 100 * MS);
		struct engine_path_info pi = info_of(&s, SIM_CLIENT, 0);
		ck_assert_msg(pi.tx_rate == rate, "burst %d: rate %llu", i,
		              (unsigned long long)pi.tx_rate);
		ck_assert(pi.ok);
	}
	sim_free(&s);
}
END_TEST

/* Both clocks cross 2^48 (2032-06-08 for wall-clock time) in the middle of traffic over a
 * 10 ms and a 60 ms path: resequencing, pacing and timers go on as if nothing happened. The
 * resequencer and the scheduler want a monotonic clock; given the masked T48 one they saw it
 * jump back by 2^48 us, dropped their estimates and let reordered packets through. */
START_TEST(test_t48_wrap_traffic)
{
	struct setup o = {.dialect = _i ? MUD_MASTER : MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 73);
	s.off[SIM_CLIENT] = MUD_T48_LIMIT - 6 * SEC;
	s.off[SIM_SERVER] = MUD_T48_LIMIT - 6 * SEC + 1234567;
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 60 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 500000, 500000);
	sim_client_path(&s, 1, ENGINE_STATE_UP, 500000, 500000);
	sim_run(&s, 3 * SEC);
	sim_traffic(&s, SIM_CLIENT, 700, 1200);
	sim_traffic(&s, SIM_SERVER, 700, 1200);
	sim_run(&s, 1 * SEC); /* warm-up */
	uint64_t r0[2] = {s.tun_reorder[0], s.tun_reorder[1]};
	uint64_t d0[2] = {s.path[0].up.delivered, s.path[1].up.delivered};
	uint64_t g0[2] = {s.gen[0].sent, s.gen[1].sent};
	uint64_t b0[2] = {s.gen[0].blocked, s.gen[1].blocked};
	sim_run(&s, 4 * SEC); /* the wraps come at 6 s and 4.8 s */
	for (int side = 0; side < 2; side++) {
		ck_assert_msg(s.tun_reorder[side] == r0[side], "side %d: %llu reordered", side,
		              (unsigned long long)(s.tun_reorder[side] - r0[side]));
		ck_assert_uint_ge(s.gen[side].sent - g0[side], 700 * 4 - 10);
		ck_assert_uint_le(s.gen[side].blocked - b0[side], (700 * 4) / 2);
	}
	ck_assert_uint_ge(s.path[0].up.delivered - d0[0], 1000);
	ck_assert_uint_ge(s.path[1].up.delivered - d0[1], 500);
	sim_traffic_stop(&s, SIM_CLIENT);
	sim_traffic_stop(&s, SIM_SERVER);
	sim_run(&s, 1 * SEC);
	for (int side = 0; side < 2; side++) {
		ck_assert_uint_eq(s.tun_pkts[1 - side], s.gen[side].sent);
		for (int i = 0; i < 2; i++) {
			struct engine_path_info pi = info_of(&s, side, i);
			ck_assert(pi.ok);
			uint64_t lo = (i ? 115 : 19) * MS, hi = (i ? 140 : 30) * MS;
			ck_assert_msg(pi.rtt >= lo && pi.rtt <= hi, "side %d path %d rtt %llu",
			              side, i, (unsigned long long)pi.rtt);
		}
	}
	ck_assert_int_eq(einfo(&s, SIM_SERVER).npaths, 2);
	ck_assert_uint_eq(s.events[SIM_SERVER][ENGINE_EV_PATH_GONE], 0);
	ck_assert_uint_eq(s.stalls, 0);
	sim_free(&s);
}
END_TEST

/* T48 time 0 comes once every 8.9 years, and is a time like any other: a server path whose
 * last datagram came at 0 is not taken for one that never heard anything (and deleted), and a
 * client initiation sent at 0 is not taken for none (and sent again on every update). */
START_TEST(test_t48_zero_is_a_time)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;
	uint8_t ip[100], dg[MUD_PKT_MAX];
	struct engine_tx tx;
	struct engine_dgram d;

	setup_pair(&s, &o, 74);
	s.off[SIM_CLIENT] = MUD_T48_LIMIT - 40 * SEC;
	s.off[SIM_SERVER] = MUD_T48_LIMIT - 40 * SEC;
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 1000000, 1000000);
	sim_run(&s, 10 * SEC);
	ck_assert(info_of(&s, SIM_SERVER, 0).ok);

	/* A data packet reaches the server at T48 0. */
	s.now = 40 * SEC - 10 * MS;
	sim_ip_packet(ip, sizeof(ip), 1);
	int n = engine_send(s.e[SIM_CLIENT], s.now + s.off[SIM_CLIENT], dg, sizeof(dg), ip,
	                    sizeof(ip), &tx);
	ck_assert_int_gt(n, 0);
	s.now = 40 * SEC;
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, dg, (size_t)n), ENGINE_RX_DATA);
	s.now += 10 * MS;
	engine_update(s.e[SIM_SERVER], s.now + s.off[SIM_SERVER]);
	ck_assert_int_eq(einfo(&s, SIM_SERVER).npaths, 1);
	struct engine_event ev;
	while (engine_next_event(s.e[SIM_SERVER], &ev))
		ck_assert_int_ne(ev.type, ENGINE_EV_PATH_GONE);

	/* The client's keepalive falls due at T48 0: one initiation. */
	while (engine_next_datagram(s.e[SIM_CLIENT], &d))
		;
	uint64_t t0 = MUD_T48_LIMIT;
	s.now = t0 - s.off[SIM_CLIENT] + 30 * SEC;
	s.off[SIM_CLIENT] -= 30 * SEC; /* 30 s pass for the client only, ending at T48 0 */
	int sent = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t dl = engine_update(s.e[SIM_CLIENT], t0);
		while (engine_next_datagram(s.e[SIM_CLIENT], &d))
			sent++;
		if (i)
			ck_assert_msg(dl != mud_t48(t0), "update %d: deadline now", i);
	}
	ck_assert_int_eq(sent, 1);
	sim_free(&s);
}
END_TEST

/* Data stamps run ahead of the clock by at most half the time tolerance (if under 2 s), so a
 * peer with the same tolerance takes them. */
START_TEST(test_stamps_ahead_within_tolerance)
{
	struct setup o = {.dialect = MUD_V1, .aes = true};
	struct sim s;
	uint8_t ip[40], dg[MUD_PKT_MAX];
	struct engine_tx tx;
	int n = 0, len = 0;

	setup_pair(&s, &o, 75);
	engine_set_timers(s.e[SIM_CLIENT], 0, 500 * MS, 0, -1);
	engine_set_timers(s.e[SIM_SERVER], 0, 500 * MS, 0, -1);
	sim_add_path(&s, 0, 10 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, UINT64_C(10000000000), UINT64_C(10000000000));
	sim_run(&s, 3 * SEC);
	sim_ip_packet(ip, sizeof(ip), 7);
	uint64_t now = s.now + s.off[SIM_CLIENT];
	for (;;) {
		int r = engine_send(s.e[SIM_CLIENT], now, dg, sizeof(dg), ip, sizeof(ip), &tx);
		if (r < 0)
			break;
		len = r;
		n++;
	}
	ck_assert_int_eq(errno, EAGAIN);
	uint64_t ahead = mud_t48_diff(mud_pkt_time(dg), mud_t48(now));
	ck_assert_msg(ahead <= 250 * MS, "%d sent, the last %llu us ahead", n,
	              (unsigned long long)ahead);
	ck_assert_int_ge(n, 100000);
	s.now += 10 * MS;
	ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, 0, dg, (size_t)len), ENGINE_RX_DATA);
	sim_free(&s);
}
END_TEST

/* Reads what side's TUN queue holds (up to max packets), checking the order. */
static int
read_tun(struct sim *s, int side, int max, uint64_t *last, uint64_t *reordered)
{
	const uint8_t *pkt;
	size_t len;
	int n = 0;

	while (n < max && engine_next_tun(s->e[side], &pkt, &len)) {
		uint64_t seq = sim_ip_seq(pkt, len);
		if (*last != UINT64_MAX && seq < *last)
			(*reordered)++;
		*last = seq;
		n++;
	}
	return n;
}

/* A resequencer of 64 slots fills up while the TUN queue is full, then the TUN queue gets some
 * room and more packets come: the packets held are released first, in order, and the new one
 * waits its turn. The engine used to pass a packet the resequencer had no slot for straight to
 * the TUN, ahead of the older ones it held. */
START_TEST(test_reseq_full_keeps_order)
{
	struct setup o = {.dialect = MUD_V1, .aes = true, .reseq_capacity = 64};
	struct sim s;
	uint8_t ip[100], dg[MUD_PKT_MAX];
	struct engine_tx tx;
	uint64_t last = UINT64_MAX, reordered = 0;
	int got = 0;

	setup_pair(&s, &o, 76);
	sim_add_path(&s, 0, 10 * MS);
	sim_add_path(&s, 1, 60 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 100000000, 100000000);
	sim_client_path(&s, 1, ENGINE_STATE_UP, 100000000, 100000000);
	sim_run(&s, 3 * SEC);
	/* Packet 0 comes over the 60 ms path, the others over the 10 ms one: they wait for the
	 * slow path, the buffer overflows into the TUN queue, which nobody reads. */
	for (int i = 0; i < 600; i++) {
		if (i == 580)
			got += read_tun(&s, SIM_SERVER, 10, &last, &reordered);
		sim_ip_packet(ip, sizeof(ip), (uint64_t)i);
		int n = engine_send(s.e[SIM_CLIENT], s.now + s.off[SIM_CLIENT], dg, sizeof(dg), ip,
		                    sizeof(ip), &tx);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(sim_deliver_now(&s, SIM_SERVER, i == 0, dg, (size_t)n),
		                 ENGINE_RX_DATA);
		s.now += 10;
	}
	for (int k = 0; k < 50; k++) {
		s.now += 10 * MS;
		engine_update(s.e[SIM_SERVER], s.now + s.off[SIM_SERVER]);
		got += read_tun(&s, SIM_SERVER, 100000, &last, &reordered);
	}
	uint64_t lost = einfo(&s, SIM_SERVER).tun_lost;
	ck_assert_msg(reordered == 0, "%llu reordered", (unsigned long long)reordered);
	ck_assert_uint_eq((uint64_t)got + lost, 600);
	ck_assert_uint_le(lost, 20); /* what found both the TUN queue and the buffer full */
	ck_assert_int_ge(got, 580);
	sim_free(&s);
}
END_TEST

/* ---- A client against a scripted server ---- */

struct fake_server {
	struct engine *c;
	struct keyx_pair pair;
	uint64_t now;
	struct mud_addr local, remote; /* the client's */
	uint64_t rx_bytes, rx_total, tx_bytes, tx_total;
	uint8_t client_key[32];
	int answered;
};

/* Lets time pass on the client and answers its initiations as a stock server would. */
static void
fake_run(struct fake_server *f, uint64_t us)
{
	uint64_t end = f->now + us;
	struct engine_dgram d;
	uint8_t plain[MUD_PKT_MAX], buf[MUD_PKT_MAX];

	while (f->now < end) {
		f->now += 10 * MS;
		engine_update(f->c, f->now);
		while (engine_next_datagram(f->c, &d)) {
			struct mud_ctl m, r;
			int n = mud_ctl_open(plain, sizeof(plain), d.data, d.len, test_psk);
			ck_assert_int_ge(n, MUD_MSG_SIZE);
			ck_assert_int_eq(mud_ctl_decode(&m, plain, (size_t)n, MUD_MASTER), 0);
			f->rx_bytes += d.len;
			f->rx_total++;
			if (m.sent_time)
				continue; /* an echo */
			memcpy(f->client_key, m.pkey, 32);
			r = (struct mud_ctl){
				.sent_time = mud_pkt_time(d.data), .aes = 0, .tx_bytes = f->tx_bytes,
				.tx_total = f->tx_total, .rx_bytes = f->rx_bytes - d.len,
				.rx_total = f->rx_total - 1, .fw_bytes = m.tx_bytes,
				.fw_total = m.tx_total, .beat = m.beat, .mtu = m.mtu,
				.fixed_rate = 1, .loss_limit = 255, .addr = f->local,
			};
			memcpy(r.pkey, f->pair.public, 32);
			n = mud_ctl_build(buf, sizeof(buf), &r, MUD_MASTER, d.len, f->now + 2 * MS, test_psk);
			ck_assert_int_eq(n, (int)d.len);
			f->tx_bytes += d.len;
			f->tx_total++;
			engine_recv(f->c, f->now + 4 * MS, &f->local, &f->remote, buf, (size_t)n);
			f->answered++;
		}
	}
}

/* A master server rotates its pair on a timer and derives nothing from the unchanged client
 * key (B.4 item 1): a stock client then sends under a key the server lacks. Ours answers the
 * new server key with a new pair of its own and derives only once the server has seen it. */
START_TEST(test_client_master_server_rotation_improvement)
{
	struct setup o = {.dialect = MUD_MASTER, .aes = false};
	struct sim s;
	struct fake_server f = {0};
	uint8_t secret[32], ip[100], dg[MUD_PKT_MAX], out[MUD_PKT_MAX];
	uint8_t enc[32], dec[32];
	struct engine_tx tx;

	sim_init(&s, 71);
	s.erng[0] = 71;
	f.c = make_engine(&s, SIM_CLIENT, &o);
	f.now = SIM_T0;
	sim_add_path(&s, 0, 0);
	f.local = s.path[0].client;
	f.remote = s.path[0].server;
	memset(secret, 0x11, sizeof(secret));
	ck_assert_int_eq(keyx_pair_from_secret(&f.pair, secret), 0);
	struct engine_path_conf pc = {.local = f.local, .remote = f.remote,
	                              .state = ENGINE_STATE_UP, .tx_max_rate = 1000000,
	                              .rx_max_rate = 1000000};
	ck_assert_int_eq(engine_path_set(f.c, f.now, &pc), 0);
	fake_run(&f, 3 * SEC);
	ck_assert_uint_eq(info_of_engine(f.c, 0).mtu, 1472);
	uint8_t c1[32];
	memcpy(c1, f.client_key, 32);

	/* The client sends under f(C1, S1), which the server holds. */
	sim_ip_packet(ip, sizeof(ip), 1);
	int n = engine_send(f.c, f.now, dg, sizeof(dg), ip, sizeof(ip), &tx);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(keyx_derive(enc, dec, test_psk, &f.pair, c1), 0);
	ck_assert_int_eq(mud_open(out, sizeof(out), dg, (size_t)n, AEAD_CHACHA20POLY1305, dec),
	                 (int)sizeof(ip));

	/* The server's timer rotation. */
	memset(secret, 0x22, sizeof(secret));
	ck_assert_int_eq(keyx_pair_from_secret(&f.pair, secret), 0);
	fake_run(&f, 2 * SEC);
	ck_assert_msg(memcmp(f.client_key, c1, 32) != 0, "the client kept its key");

	/* The server saw the new client key, derived f(S2, C2); the client sends under it. */
	n = engine_send(f.c, f.now, dg, sizeof(dg), ip, sizeof(ip), &tx);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(keyx_derive(enc, dec, test_psk, &f.pair, f.client_key), 0);
	ck_assert_int_eq(mud_open(out, sizeof(out), dg, (size_t)n, AEAD_CHACHA20POLY1305, dec),
	                 (int)sizeof(ip));
	keyx_clear(&f.pair);
	engine_free(f.c);
}
END_TEST

/* ---- The reference's exchange vectors ---- */

struct fixed_random {
	const uint8_t *bytes;
	size_t len, pos;
};

static void
fixed_random(void *ctx, uint8_t *buf, size_t len)
{
	struct fixed_random *r = ctx;

	for (size_t i = 0; i < len; i++)
		buf[i] = r->bytes[r->pos++ % r->len];
}

struct vec {
	json_t *root, *ex;
	enum mud_dialect d;
	uint8_t *psk, *client_secret, *server_secret, *client_pub, *server_pub, *next_enc, *next_dec;
	uint8_t *pkt[3];
	size_t pkt_len[3];
	uint64_t time[3];
	bool aegis;
	struct mud_addr client, server;
};

static void
vec_load(struct vec *v, int which)
{
	size_t n;

	memset(v, 0, sizeof(*v));
	v->d = which ? MUD_MASTER : MUD_V1;
	v->root = vectors_load(which ? "mud-master.json" : "mud-v1.json");
	v->ex = json_object_get(v->root, "exchange");
	ck_assert_ptr_nonnull(v->ex);
	v->psk = vec_hex(v->ex, "psk", &n);
	v->client_secret = vec_hex(v->ex, "client_secret", &n);
	v->server_secret = vec_hex(v->ex, "server_secret", &n);
	v->client_pub = vec_hex(v->ex, "client_pubkey", &n);
	v->server_pub = vec_hex(v->ex, "server_pubkey", &n);
	v->next_enc = vec_hex(v->ex, "client_next_encrypt", &n);
	v->next_dec = vec_hex(v->ex, "client_next_decrypt", &n);
	v->aegis = strcmp(vec_str(v->ex, "next_cipher"), "aegis256") == 0;
	json_t *steps = json_object_get(v->ex, "steps");
	ck_assert_uint_eq(json_array_size(steps), 3);
	for (int i = 0; i < 3; i++) {
		json_t *st = json_array_get(steps, (size_t)i);
		v->pkt[i] = vec_hex(st, "packet", &v->pkt_len[i]);
		v->time[i] = vec_u64(st, "time");
	}
	/* The initiation addresses the server, the reply the client. */
	ck_assert_int_eq(mud_addr_parse(&v->server, "198.51.100.7", 5000), 0);
	ck_assert_int_eq(mud_addr_parse(&v->client, "192.0.2.1", 5000), 0);
}

static void
vec_free(struct vec *v)
{
	free(v->psk);
	free(v->client_secret);
	free(v->server_secret);
	free(v->client_pub);
	free(v->server_pub);
	free(v->next_enc);
	free(v->next_dec);
	for (int i = 0; i < 3; i++)
		free(v->pkt[i]);
	json_decref(v->root);
}

static struct engine *
vec_engine(struct vec *v, enum engine_role role, struct fixed_random *r)
{
	struct engine_config c;

	engine_config_default(&c);
	c.role = role;
	c.dialect = v->d;
	memcpy(c.psk, v->psk, 32);
	c.aes = true;
	c.random = fixed_random;
	c.random_ctx = r;
	struct engine *e = engine_new(&c);
	ck_assert_ptr_nonnull(e);
	return e;
}

/* A control message as the other side would send it. */
static size_t
vec_ctl(struct vec *v, uint8_t *buf, uint64_t t, uint64_t sent_time, const uint8_t *pkey,
        uint64_t tx, uint64_t txn, uint64_t rx, uint64_t rxn, uint64_t max_rate,
        const struct mud_addr *addr, size_t size)
{
	struct mud_ctl m = {
		.sent_time = sent_time, .state = 3, .aes = 1, .tx_bytes = tx, .tx_total = txn,
		.rx_bytes = rx, .rx_total = rxn, .max_rate = max_rate, .beat = 100000,
		.fixed_rate = 1, .loss_limit = 255, .addr = *addr,
	};

	memcpy(m.pkey, pkey, 32);
	int n = mud_ctl_build(buf, MUD_PKT_MAX, &m, v->d, size, t, v->psk);
	ck_assert_int_eq(n, (int)size);
	return (size_t)n;
}

static void
decode_dgram(struct vec *v, const struct engine_dgram *d, struct mud_ctl *m)
{
	uint8_t plain[MUD_PKT_MAX];
	int n = mud_ctl_open(plain, sizeof(plain), d->data, d->len, v->psk);

	ck_assert_int_ge(n, MUD_MSG_SIZE);
	ck_assert_int_eq(mud_ctl_decode(m, plain, (size_t)n, v->d), 0);
}

/* A server engine meets the reference client's initiation: after the same history (two
 * exchanges of 147 and 1472 bytes), its reply is the reference server's, byte for byte, and it
 * derived the same session key. */
START_TEST(test_vector_exchange_server)
{
	struct vec v;
	struct fixed_random r;
	uint8_t buf[MUD_PKT_MAX];
	struct engine_dgram d;
	struct mud_ctl m;

	vec_load(&v, _i);
	r = (struct fixed_random){.bytes = v.server_secret, .len = 32};
	struct engine *e = vec_engine(&v, ENGINE_SERVER, &r);
	uint64_t t1 = v.time[0] - 1 - 400 * MS;
	uint64_t rtime;

	/* History: initiation 147, reply, echo 147; initiation 1472, reply, echo 1472. */
	size_t n = vec_ctl(&v, buf, t1, 0, v.client_pub, 0, 0, 0, 0, 1250000, &v.server, 147);
	ck_assert_int_eq(engine_recv(e, t1 + 5 * MS, &v.server, &v.client, buf, n), ENGINE_RX_CONTROL);
	ck_assert(engine_next_datagram(e, &d));
	rtime = mud_pkt_time(d.data);
	n = vec_ctl(&v, buf, t1 + 20 * MS, rtime, v.client_pub, 147, 1, 147, 1, 1250000, &v.server, 147);
	ck_assert_int_eq(engine_recv(e, t1 + 25 * MS, &v.server, &v.client, buf, n), ENGINE_RX_CONTROL);
	ck_assert(!engine_next_datagram(e, &d));
	n = vec_ctl(&v, buf, t1 + 100 * MS, 0, v.client_pub, 294, 2, 147, 1, 1250000, &v.server, 1472);
	ck_assert_int_eq(engine_recv(e, t1 + 105 * MS, &v.server, &v.client, buf, n), ENGINE_RX_CONTROL);
	ck_assert(engine_next_datagram(e, &d));
	ck_assert_uint_eq(d.len, 1472);
	rtime = mud_pkt_time(d.data);
	n = vec_ctl(&v, buf, t1 + 120 * MS, rtime, v.client_pub, 1766, 3, 1619, 2, 1250000, &v.server,
	            1472);
	ck_assert_int_eq(engine_recv(e, t1 + 125 * MS, &v.server, &v.client, buf, n), ENGINE_RX_CONTROL);

	/* The vector's initiation, received 10 ms after it was sent. */
	ck_assert_int_eq(engine_recv(e, v.time[1] - 1, &v.server, &v.client, v.pkt[0], v.pkt_len[0]),
	                 ENGINE_RX_CONTROL);
	ck_assert(engine_next_datagram(e, &d));
	ck_assert_uint_eq(d.len, v.pkt_len[1]);
	ck_assert(d.flags & ENGINE_TX_CONFIRM);
	ck_assert(mud_addr_equal(&d.local, &v.server));
	ck_assert(mud_addr_equal(&d.remote, &v.client));
	decode_dgram(&v, &d, &m);
	ck_assert_uint_eq(m.sent_time, v.time[0]);
	ck_assert_uint_eq(m.fw_bytes, 3238);
	ck_assert_uint_eq(m.tx_bytes, 1619);
	ck_assert_uint_eq(m.rx_total, 4);
	/* The reply advertises aes, which needs AES-NI here. */
	if (aead_aegis256_available())
		ck_assert_msg(memcmp(d.data, v.pkt[1], d.len) == 0, "reply differs from the vector");
	else
		ck_assert_uint_eq(m.aes, 0);

	/* The echo is not answered. */
	ck_assert_int_eq(engine_recv(e, v.time[2] + 4 * MS, &v.server, &v.client, v.pkt[2],
	                             v.pkt_len[2]), ENGINE_RX_CONTROL);
	ck_assert(!engine_next_datagram(e, &d));

	/* The client's first data packet under the new key: the server holds client_next_*
	 * swapped, so it decrypts with next and promotes. */
	uint8_t ip[60];
	sim_ip_packet(ip, sizeof(ip), 9);
	int k = mud_data_seal(buf, sizeof(buf), ip, sizeof(ip), v.time[2] + 9 * MS,
	                      v.aegis && aead_aegis256_available() ? AEAD_AEGIS256
	                                                           : AEAD_CHACHA20POLY1305,
	                      v.next_enc);
	ck_assert_int_gt(k, 0);
	ck_assert_int_eq(engine_recv(e, v.time[2] + 10 * MS, &v.server, &v.client, buf, (size_t)k),
	                 ENGINE_RX_DATA);
	struct engine_info info;
	engine_info(e, &info);
	ck_assert_uint_eq(info.rotations, 1);
	ck_assert_int_eq(info.dialect, v.d);
	const uint8_t *pkt;
	size_t len;
	ck_assert(engine_next_tun(e, &pkt, &len));
	ck_assert_uint_eq(len, sizeof(ip));
	ck_assert(memcmp(pkt, ip, len) == 0);
	engine_free(e);
	vec_free(&v);
}
END_TEST

/* A client engine meets the reference server's reply: its echo follows every copy rule of the
 * vector's echo (its own counters differ: its history is shorter), ends the MTU search at 1472,
 * and it derived the same session key. */
START_TEST(test_vector_exchange_client)
{
	struct vec v;
	struct fixed_random r;
	uint8_t buf[MUD_PKT_MAX];
	struct engine_dgram d;
	struct mud_ctl m;
	int aes = aead_aegis256_available();

	vec_load(&v, _i);
	r = (struct fixed_random){.bytes = v.client_secret, .len = 32};
	struct engine *e = vec_engine(&v, ENGINE_CLIENT, &r);
	struct engine_path_conf pc = {
		.local = v.client, .remote = v.server, .state = ENGINE_STATE_UP,
		.tx_max_rate = 1250000, .rx_max_rate = 1250000,
	};
	uint64_t t0 = v.time[0] - 1 - 100 * MS;

	ck_assert_int_eq(engine_path_set(e, t0, &pc), 0);
	engine_update(e, t0);
	ck_assert(engine_next_datagram(e, &d));
	ck_assert_uint_eq(d.len, 147);
	ck_assert(!(d.flags & ENGINE_TX_CONFIRM));
	decode_dgram(&v, &d, &m);
	ck_assert_uint_eq(m.sent_time, 0);
	ck_assert(memcmp(m.pkey, v.client_pub, 32) == 0);
	uint64_t itime = mud_pkt_time(d.data);
	ck_assert_uint_eq(itime, t0 | 1);

	/* A 147-byte reply starts the MTU search. */
	size_t n = vec_ctl(&v, buf, t0 + 5 * MS, itime, v.server_pub, 0, 0, 147, 1, 0, &v.client, 147);
	ck_assert_int_eq(engine_recv(e, t0 + 10 * MS, &v.client, &v.server, buf, n), ENGINE_RX_CONTROL);
	ck_assert(engine_next_datagram(e, &d));
	ck_assert_uint_eq(d.len, 147);
	ck_assert(d.flags & ENGINE_TX_CONFIRM);

	/* One beat later: the probing initiation, at the vector's time. */
	engine_update(e, v.time[0] - 1);
	ck_assert(engine_next_datagram(e, &d));
	ck_assert_uint_eq(d.len, 1472);
	ck_assert_uint_eq(mud_pkt_time(d.data), v.time[0]);
	decode_dgram(&v, &d, &m);
	{
		uint8_t plain[MUD_PKT_MAX];
		struct mud_ctl want;
		int k = mud_ctl_open(plain, sizeof(plain), v.pkt[0], v.pkt_len[0], v.psk);
		ck_assert_int_eq(mud_ctl_decode(&want, plain, (size_t)k, v.d), 0);
		ck_assert_uint_eq(m.sent_time, want.sent_time);
		if (v.d == MUD_V1)
			ck_assert_uint_eq(m.state, want.state);
		ck_assert_uint_eq(m.aes, aes ? want.aes : 0);
		ck_assert(memcmp(m.pkey, want.pkey, 32) == 0);
		ck_assert_uint_eq(m.fw_bytes, want.fw_bytes);
		ck_assert_uint_eq(m.max_rate, want.max_rate);
		ck_assert_uint_eq(m.beat, want.beat);
		ck_assert_uint_eq(m.mtu, want.mtu);
		ck_assert_uint_eq(m.pref, want.pref);
		ck_assert_uint_eq(m.loss, want.loss);
		ck_assert_uint_eq(m.fixed_rate, want.fixed_rate);
		ck_assert_uint_eq(m.loss_limit, want.loss_limit);
		ck_assert(mud_addr_equal(&m.addr, &want.addr));
		ck_assert_uint_eq(m.tx_bytes, 294);
		ck_assert_uint_eq(m.rx_bytes, 147);
	}

	/* The vector's reply, 10 ms later: the echo. */
	ck_assert_int_eq(engine_recv(e, v.time[2] - 1, &v.client, &v.server, v.pkt[1], v.pkt_len[1]),
	                 ENGINE_RX_CONTROL);
	ck_assert(engine_next_datagram(e, &d));
	ck_assert_uint_eq(d.len, v.pkt_len[2]);
	ck_assert_uint_eq(mud_pkt_time(d.data), v.time[2]);
	ck_assert(d.flags & ENGINE_TX_CONFIRM);
	decode_dgram(&v, &d, &m);
	{
		uint8_t plain[MUD_PKT_MAX];
		struct mud_ctl want;
		int k = mud_ctl_open(plain, sizeof(plain), v.pkt[2], v.pkt_len[2], v.psk);
		ck_assert_int_eq(mud_ctl_decode(&want, plain, (size_t)k, v.d), 0);
		ck_assert_uint_eq(m.sent_time, want.sent_time);
		ck_assert_uint_eq(m.fw_bytes, want.fw_bytes);
		ck_assert_uint_eq(m.fw_total, want.fw_total);
		ck_assert_uint_eq(m.mtu, 1472);
		ck_assert_uint_eq(m.mtu, want.mtu);
		ck_assert(memcmp(m.pkey, want.pkey, 32) == 0);
		ck_assert_uint_eq(m.max_rate, want.max_rate);
		ck_assert_uint_eq(m.beat, want.beat);
		ck_assert_uint_eq(m.loss_limit, want.loss_limit);
		ck_assert(mud_addr_equal(&m.addr, &want.addr));
		ck_assert_uint_eq(m.tx_bytes, 294 + 1472);
		ck_assert_uint_eq(m.tx_total, 3);
		ck_assert_uint_eq(m.rx_bytes, 147);
		ck_assert_uint_eq(m.rx_total, 1);
	}

	/* The server's first data packet under the new key (its encrypt key is the client's
	 * next decrypt key): the client promotes. */
	uint8_t ip[60];
	sim_ip_packet(ip, sizeof(ip), 3);
	int k = mud_data_seal(buf, sizeof(buf), ip, sizeof(ip), v.time[2] + 9 * MS,
	                      v.aegis && aes ? AEAD_AEGIS256 : AEAD_CHACHA20POLY1305, v.next_dec);
	ck_assert_int_eq(engine_recv(e, v.time[2] + 20 * MS, &v.client, &v.server, buf, (size_t)k),
	                 ENGINE_RX_DATA);
	struct engine_info info;
	engine_info(e, &info);
	ck_assert_uint_eq(info.rotations, 1);
	ck_assert(info.keyed);
	engine_free(e);
	vec_free(&v);
}
END_TEST

/* The primary path is cut while the tunnel idles (the client then initiates on it only every
 * keepalive, so nothing has noticed), and traffic starts both ways at the cut: the first
 * packets arrive within a few one-way delays, not after the failure detection (the reference:
 * about 500 ms; ours before send_copy() and the resumed-data rule: 135 ms up, 515 ms down). */
START_TEST(test_idle_failover_improvement)
{
	struct setup o = {.dialect = _i ? MUD_MASTER : MUD_V1, .aes = true};
	struct sim s;

	setup_pair(&s, &o, 21);
	sim_add_path(&s, 0, 5 * MS);
	sim_add_path(&s, 1, 5 * MS);
	sim_client_path(&s, 0, ENGINE_STATE_UP, 6000000, 6000000);
	if (o.dialect == MUD_V1) {
		sim_client_path(&s, 1, ENGINE_STATE_BACKUP, 6000000, 6000000);
	} else {
		/* master's wire has no BACKUP state: a backup is a path of a higher pref */
		sim_client_path(&s, 1, ENGINE_STATE_UP, 6000000, 6000000);
		struct engine_path_conf pc = {.local = s.path[1].client,
		                              .remote = s.path[1].server, .set_pref = true, .pref = 1};
		ck_assert_int_eq(engine_path_set(s.e[SIM_CLIENT], s.off[SIM_CLIENT], &pc), 0);
	}
	sim_run(&s, 3 * SEC);
	check_traffic(&s, 100, 100, 1 * SEC);
	uint64_t b0 = s.path[1].up.delivered + s.path[1].down.delivered;
	uint64_t c0 = einfo(&s, SIM_CLIENT).copies;
	check_traffic(&s, 100, 100, 1 * SEC);
	ck_assert_uint_lt(s.path[1].up.delivered + s.path[1].down.delivered - b0, 20);
	ck_assert_uint_eq(einfo(&s, SIM_CLIENT).copies, c0); /* busy: no copies */

	sim_run(&s, 10 * SEC + 37 * MS);
	ck_assert(info_of(&s, SIM_CLIENT, 0).running);
	ck_assert(info_of(&s, SIM_SERVER, 0).running);
	cut(&s, 0, true);
	uint64_t r0[2] = {s.tun_pkts[0], s.tun_pkts[1]};
	sim_traffic(&s, SIM_CLIENT, 100, 100);
	sim_traffic(&s, SIM_SERVER, 100, 100);
	uint64_t up = 0, down = 0;
	for (uint64_t t = 1; t <= 2000 && (!up || !down); t++) {
		sim_run(&s, MS);
		if (!up && s.tun_pkts[SIM_SERVER] > r0[SIM_SERVER])
			up = t;
		if (!down && s.tun_pkts[SIM_CLIENT] > r0[SIM_CLIENT])
			down = t;
	}
	ck_assert_msg(up && up <= 20, "first packet up after %llu ms", (unsigned long long)up);
	ck_assert_msg(down && down <= 60, "first packet down after %llu ms",
	              (unsigned long long)down);
	ck_assert_uint_gt(einfo(&s, SIM_CLIENT).copies, 0);
	/* and from then on nothing is lost */
	uint64_t sent[2] = {s.gen[0].sent, s.gen[1].sent};
	uint64_t got[2] = {s.tun_pkts[0], s.tun_pkts[1]};
	sim_run(&s, SEC);
	sim_traffic_stop(&s, SIM_CLIENT);
	sim_traffic_stop(&s, SIM_SERVER);
	sim_run(&s, 500 * MS);
	for (int side = 0; side < 2; side++)
		ck_assert_uint_ge(s.tun_pkts[1 - side] - got[1 - side], s.gen[side].sent - sent[side]);
	sim_free(&s);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc;

	tc = tcase_create("handshake");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_handshake_and_data, 0, 4);
	tcase_add_test(tc, test_keyx_rejected);
	tcase_add_test(tc, test_bad_datagrams_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, test_vector_exchange_server, 0, 2);
	tcase_add_loop_test(tc, test_vector_exchange_client, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("rotation");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rotation_one_hour);
	tcase_add_loop_test(tc, test_rotation_many_hours_improvement, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("paths");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_path_cut_failover, 0, 2);
	tcase_add_loop_test(tc, test_idle_failover_improvement, 0, 2);
	tcase_add_test(tc, test_backup_takes_over_and_hands_back);
	tcase_add_test(tc, test_backup_probed_improvement);
	suite_add_tcase(s, tc);

	tc = tcase_create("mtu");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_mtu_discovery, 0, 2);
	tcase_add_test(tc, test_mtu_reprobe_improvement);
	suite_add_tcase(s, tc);

	tc = tcase_create("dialects");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_master_pref_failover);
	tcase_add_loop_test(tc, test_loss_limit_both_directions, 0, 2);
	tcase_add_loop_test(tc, test_dialect_timers, 0, 2);
	tcase_add_loop_test(tc, test_mtu_lower_bound, 0, 2);
	tcase_add_test(tc, test_server_dialect_switch);
	tcase_add_loop_test(tc, test_time_tolerance, 0, 2);
	tcase_add_test(tc, test_client_ignores_initiation);
	suite_add_tcase(s, tc);

	tc = tcase_create("improvements");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_replay_window_reordering_improvement);
	tcase_add_test(tc, test_fresh_initiation_creates_path_improvement);
	tcase_add_test(tc, test_replay_moves_nothing_improvement);
	tcase_add_loop_test(tc, test_replay_after_restart_carries_nothing_improvement, 0, 1);
	tcase_add_test(tc, test_garbage_costs_no_aead_improvement);
	tcase_add_test(tc, test_sched_low_delay_improvement);
	tcase_add_test(tc, test_mtu_ipv6_dontfrag_improvement);
	tcase_add_test(tc, test_client_master_server_rotation_improvement);
	tcase_add_loop_test(tc, test_peer_restart_clock_behind, 0, 2);
	tcase_add_test(tc, test_timestamps_unique_improvement);
	tcase_add_loop_test(tc, test_resequencing_improvement, 0, 2);
	tcase_add_loop_test(tc, test_resequencing_keeps_low_latency, 0, 5);
	tcase_add_loop_test(tc, test_delay_auto_waits_for_near_paths, 0, 3);
	tcase_add_loop_test(tc, test_download_uses_every_path, 0, 2);
	tcase_add_loop_test(tc, test_pacing_counts_headers_improvement, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("clock");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_rtt_with_stamps_ahead, 0, 2);
	tcase_add_test(tc, test_rtt_tiny_paths);
	tcase_add_test(tc, test_auto_rate_after_burst);
	tcase_add_loop_test(tc, test_t48_wrap_traffic, 0, 2);
	tcase_add_test(tc, test_t48_zero_is_a_time);
	tcase_add_test(tc, test_stamps_ahead_within_tolerance);
	suite_add_tcase(s, tc);

	tc = tcase_create("reseq");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_reseq_full_keeps_order);
	suite_add_tcase(s, tc);
	return s;
}
