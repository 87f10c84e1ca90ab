/* The engine's core: its state (struct engine and the per-path state), the clock, send stamps,
 * events, bad-datagram counters and the output queues. Every other engine file builds on it and
 * it calls none of them; not for users of engine.h.
 *
 * Layers, each calling only the ones below it:
 *	engine.c                    public API: creation, receive and send dispatch, update
 *	engine_path.c               path table, commands, per-path update
 *	engine_ctl.c                control messages
 *	engine_keys.c engine_mtu.c engine_rate.c
 *	engine_core.c               this file's functions */
#ifndef GT_PROTO_ENGINE_CORE_H
#define GT_PROTO_ENGINE_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "crypto/keyx.h"
#include "proto/engine.h"
#include "proto/replay.h"
#include "proto/reseq.h"
#include "proto/sched.h"
#include "proto/wire.h"

#define ENGINE_MSEC UINT64_C(1000)
#define ENGINE_SENT_MAX 5             /* unanswered messages before a path degrades */
#define ENGINE_BEAT_DEFAULT (100 * ENGINE_MSEC)
#define ENGINE_UPDATE_MAX ENGINE_SEC /* longest sleep engine_update() allows */

#define ENGINE_DGRAM_RING 128
#define ENGINE_TUN_RING 512
#define ENGINE_EVENT_RING 256
#define ENGINE_RESEQ_CAPACITY 2048
#define ENGINE_SEEN_KEYS 8
#define ENGINE_SENT_TRACK 8           /* answerable control messages remembered per path */
#define ENGINE_RTT_MAX (5 * ENGINE_SEC) /* longer RTT samples are taken for garbage */

/* The level a path is selected at: lower first. 0.3.4 BACKUP paths sit above every master
 * pref, so both dialects share one rule (see engine_path.c). */
#define ENGINE_LEVEL_BACKUP 0x100
#define ENGINE_LEVEL_NONE 0xffff

/* One key slot (section 4.1) with the replay window of the data received under it. */
struct engine_slot {
	uint8_t enc[MUD_KEY_SIZE];
	uint8_t dec[MUD_KEY_SIZE];
	enum aead_cipher cipher;
	bool is_psk;                  /* holds the PSK: checks replays in the PSK slot's window */
	struct replay *rp;
};

struct engine_keys {
	struct keyx_pair pair;
	bool have_pair;
	uint64_t pair_time;           /* when the pair was made (mono) */
	bool pair_derived;            /* client: next was derived with the current pair */
	uint64_t pair_ts;             /* last control timestamp sent before the pair was made */
	bool pair_ts_valid;
	uint8_t remote[MUD_PKEY_SIZE];/* stored remote public key, zero at start */
	uint8_t seen[ENGINE_SEEN_KEYS][MUD_PKEY_SIZE]; /* remote keys derived from, newest last */
	unsigned nseen;
	struct engine_slot psk, current, next, last;
	bool use_next;                /* client: send with next */
	bool keyed;                   /* current is a session key */
	unsigned rotations;
};

struct engine_rtt {
	uint64_t val, var;
	uint64_t min, min_at; /* least sample of the last ENGINE_RTT_MIN_WINDOW, and when */
	bool setup;
};

/* The least RTT is the path's propagation delay without the queues our own traffic builds (as
 * BBR's min_rtt); it is forgotten after this long, so a longer route is learnt. */
#define ENGINE_RTT_MIN_WINDOW (10 * ENGINE_SEC)

/* Path MTU discovery state (section 7), UDP sizes. */
struct engine_mtu {
	unsigned min, max, probe, last;
	unsigned ok;                  /* confirmed size for local use, 0 if none */
	unsigned wire;                /* server: raw mtu field of the last initiation (echoed) */
	/* Re-probing (client): a confirmed size that stops getting through. */
	uint64_t verify_time;         /* last full-size check sent or passed (mono) */
	unsigned verify_sent;         /* full-size checks unanswered since the last one passed */
	bool verify_next;             /* the next initiation is a full-size check */
	bool small_answered;          /* a small message was answered since the last check */
};

/* The previous measurement snapshot of section 3.6. tx_time and rx_time are the two time
 * fields (ours and the peer's); tx_at is when our message really left (mono). */
struct engine_snap {
	uint64_t tx_time, rx_time, tx_at;
	uint64_t tx_bytes, rx_bytes, tx_total, rx_total;
	uint64_t tx_acc, rx_acc;
	bool set;
};

/* A control message we sent that the peer may answer, by its time field: the stamp may run a
 * little ahead of the clock, so RTT samples are taken against the real send time. */
struct engine_sent {
	uint64_t ts;                  /* time field, flag bit cleared */
	uint64_t at;                  /* mono time it was sent, 0: unused */
};

/* Every time below is on the engine's mono clock (struct engine), never 0 once set. */
struct engine_path {
	bool used;
	uint8_t state;                /* enum engine_state (server: the initiation's state byte) */
	bool active;                  /* this side initiates (client-configured path) */
	enum mud_dialect dialect;     /* layout of the path's messages */
	struct mud_addr local, remote, pub;
	/* Settings: client commands, or the client's last initiation on a server. */
	uint64_t tx_max_rate, rx_max_rate, beat;
	uint8_t fixed_rate, loss_limit, pref;
	/* Status. */
	bool ok, was_ok;              /* usable now / at the previous update */
	bool running;                 /* usable and selected for data */
	bool reported_ok;             /* last PATH_UP/DOWN event sent */
	uint64_t tx_rate, tx_loss, rx_loss;
	uint64_t tx_bytes, tx_total, tx_time;
	uint64_t rx_bytes, rx_total, rx_time;
	uint64_t rx_data_time;        /* last data packet received */
	struct engine_rtt rtt;
	struct engine_snap snap;
	uint64_t msg_time;            /* last initiation sent (client) or received (server) */
	unsigned msg_sent;            /* unanswered counter */
	uint64_t msg_first;           /* client: first initiation since the last answer */
	struct engine_mtu mtu;
	uint64_t idle;                /* activity time: created, data, turned OK */
	bool echoed;                  /* passive: an echo answered one of our replies on it */
	struct engine_sent sent[ENGINE_SENT_TRACK];
	unsigned sent_next;
};

struct engine_ring_dgram {
	uint8_t buf[MUD_PKT_MAX];
	struct engine_dgram meta;
};

struct engine_ring_tun {
	uint8_t buf[MUD_PKT_MAX];
	size_t len;
};

struct engine {
	struct engine_config cfg;
	bool aes;                     /* advertised: allowed and available */
	enum mud_dialect dialect;     /* client: configured; server: last accepted message */
	bool dialect_known;
	/* Clocks. now is the caller's T48 time of the current call (masked), for the wire.
	 * mono is the same instant on an unwrapped 64-bit line that starts at 2^48 + the first
	 * now and advances by the T48 difference between successive calls: every timer, reseq
	 * and sched run on it, so the 2^48 wrap is a non-event and 0 never is a time. */
	uint64_t now;
	uint64_t mono;
	uint64_t raw;                 /* the caller's last now, 48 bits, unmasked */
	bool clock_set;
	uint64_t last_ts;             /* last data timestamp sent, even */
	bool sent_any;
	uint64_t ctl_last_ts;         /* last control timestamp sent, flag bit cleared */
	bool ctl_sent_any;
	struct engine_keys kx;
	struct engine_path path[ENGINE_PATH_MAX];
	uint64_t last_recv;           /* last reception on any path (mono) */
	uint64_t data_time;           /* last data sent or received on any path (mono), 0: none */
	uint64_t copies;              /* data datagrams also sent on a confirmed path (send_copy) */
	uint64_t data_start;          /* first data after a second without any (mono) */
	unsigned level;               /* selected preference level */
	uint64_t rate;                /* rate sum of the running paths */
	unsigned mtu;                 /* tunnel MTU (UDP size), 0 if none */
	struct engine_bad_stat bad[ENGINE_BAD_NR];
	struct replay *ctl_rp;        /* control messages received (PSK, bit 0 set) */
	struct sched *sched;
	struct reseq *reseq;
	uint8_t scratch[MUD_PKT_MAX];
	/* Output rings: head is the next to read, count how many are queued. */
	struct engine_ring_dgram *dq;
	unsigned dq_head, dq_count;
	struct engine_ring_tun *tq;
	unsigned tq_head, tq_count;
	struct engine_event eq[ENGINE_EVENT_RING];
	unsigned eq_head, eq_count;
	bool send_blocked;            /* engine_send() refused since the last update */
	uint64_t aead_opens;          /* AEAD verifications tried on received datagrams */
	uint64_t events_lost, datagrams_lost, tun_lost;
};

/* Internal functions take `now` on the mono clock (e->mono at the current call). */
bool engine_is_client(const struct engine *e);

/* Takes the caller's T48 time at the start of every API call; returns e->mono. */
uint64_t engine_clock_take(struct engine *e, uint64_t now);
/* The T48 time of a mono deadline at or after e->mono. */
uint64_t engine_clock_t48(const struct engine *e, uint64_t t);

uint64_t engine_stamp(struct engine *e, const struct replay *window);
uint64_t engine_ctl_stamp(struct engine *e);
uint64_t engine_stamp_ahead(const struct engine *e);
uint64_t engine_ahead_max(const struct engine *e);

void engine_event(struct engine *e, enum engine_event_type type, int path, uint64_t value);
void engine_bad(struct engine *e, enum engine_bad_reason r, const struct mud_addr *local,
                const struct mud_addr *from);
/* A stale or replayed datagram: counted under ENGINE_BAD_REPLAY, and nothing else (no event: a
 * replay flood costs a lookup and a drop). */
void engine_stale(struct engine *e, const struct mud_addr *from);

struct engine_ring_dgram *engine_dq_push(struct engine *e);
void engine_dq_cancel(struct engine *e);
void engine_tun_push(struct engine *e, const uint8_t *pkt, size_t len);
void engine_reseq_drain(struct engine *e);

int engine_path_index(const struct engine *e, const struct engine_path *p);
void engine_path_tx(struct engine *e, struct engine_path *p, uint64_t now, size_t size);
void engine_data(struct engine *e, uint64_t now);

#endif
