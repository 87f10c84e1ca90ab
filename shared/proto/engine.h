/* The sans-I/O mud protocol engine: one tunnel, both roles, both dialects (docs/protocol.md).
 *
 * The engine owns no socket, no clock and no log. The caller (the worker) gives it the time,
 * the datagrams it received with their local and remote addresses, and the IP packets read from
 * the TUN; it drains what the engine produced: datagrams to send, packets for the TUN and
 * events. All memory is allocated in engine_new(); nothing allocates afterwards.
 *
 * Time. `now` is the caller's T48 clock in microseconds (docs/protocol.md section 5: wall-clock
 * us at start-up plus the monotonic clock, mod 2^48); the engine masks it. It must not go backwards
 * (a step back is ignored). The masked value is only used on the wire; timers, the resequencer
 * and the scheduler run on an unwrapped 64-bit line that follows it, so the 2^48 wrap (next on
 * 2032-06-08) changes nothing, and T48 time 0 is a time like any other.
 *
 * Loop, per wake-up:
 *	for each received datagram: engine_recv(e, now, &local, &remote, buf, len);
 *	for each TUN packet while engine_send() does not fail with EAGAIN: send the datagram;
 *	deadline = engine_update(e, now);
 *	drain engine_next_datagram(), engine_next_tun(), engine_next_event();
 *	sleep until deadline (or I/O).
 * engine_update() must also run after a batch of engine_recv() calls: the state of the paths
 * (OK, rates, the chosen preference level) is recomputed there, as the reference does on every
 * loop iteration.
 *
 * Wire ceiling. The nonce of a data packet is its 2-us send timestamp, so one key carries at most
 * 500 000 packets/s in each direction. The engine keeps the timestamps of its data strictly
 * increasing (a tie with the previous one is bumped by 2 us), and those of its control messages
 * too, separately (their flag bit, part of the nonce, sets them apart), so no nonce is ever
 * reused under one key. Under a burst faster than the ceiling, data timestamps run ahead of the
 * clock; engine_send() refuses (EAGAIN, engine_update() gives the time to retry) once the next
 * one would be more than ENGINE_AHEAD_MAX_US (or half the time tolerance, if less) ahead of now.
 * Control messages are never refused and never inherit that lead: the peer's RTT and rate
 * samples, and ours, are taken from their time fields (ours against the real send time).
 *
 * Roles. A client declares its paths (engine_path_set()) towards the server, initiates control
 * exchanges, runs MTU discovery and drives key rotation; a server learns paths from the client's
 * fresh initiations and only answers. A client speaks the dialect of its configuration; a server
 * classifies each control message (docs/protocol.md B.3), answers it in its own layout, and applies
 * the semantics of the last accepted dialect (B.4) to the tunnel.
 *
 * Compatible improvements over the reference (docs/protocol.md section 11), none visible to a stock
 * peer: strictly increasing timestamps, which also skip values the peer used under the shared
 * PSK; an anti-replay window per receive key and one for control messages (a message older than
 * the window is still taken when it carries a public key never seen: a peer that restarted with
 * a lagging clock); only fresh, authenticated initiations create or change a server path, a
 * server path carries data only once an echo answered one of its replies, a datagram whose time
 * field was taken already is dropped before any decryption and without an event, and a
 * client creates no path from received datagrams and ignores initiations; a client re-derives its
 * session key after its own key pair changes, answers an unprompted server key change with a new
 * pair, and a server answers each new client key with a new pair, so a key rotation never skips
 * a period and master's server-side rotation bug is harmless; a client notices a dead path after
 * two unanswered initiations and an RTO (the reference waits for five), a server after 2.5 beats
 * of silence on a path that carried data; standby paths (0.3.4 backup, or master pref above the
 * current one) keep being probed at standby_beat so their liveness is known before a failover;
 * path MTU discovery asks for don't-fragment on every datagram (IPv6 too, ENGINE_TX_DONTFRAG) and
 * re-probes a path whose confirmed size stops getting through; received data is resequenced by
 * sender timestamp (reseq.h), waiting from the start for every path selected for data
 * (engine_delay); data goes on the path of earliest arrival within its rate, in bursts
 * (sched.h), and while the tunnel carries data a client initiates at every beat on all the paths
 * selected for data, not only on those carrying it, so the server keeps them all usable.
 */
#ifndef GT_PROTO_ENGINE_H
#define GT_PROTO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"
#include "proto/wire.h"

#define ENGINE_PATH_MAX 32
#define ENGINE_AHEAD_MAX_US UINT64_C(1000000) /* how far send timestamps may run ahead */

#define ENGINE_SEC UINT64_C(1000000)
#define ENGINE_MIN (60 * ENGINE_SEC)

enum engine_role {
	ENGINE_CLIENT = 0,
	ENGINE_SERVER = 1,
};

/* Path states as on the wire (0.3.4 state byte; master: UP and DOWN, learned paths are
 * passive). */
enum engine_state {
	ENGINE_STATE_EMPTY = 0,
	ENGINE_STATE_DOWN = 1,
	ENGINE_STATE_BACKUP = 2,
	ENGINE_STATE_UP = 3,
};

/* Fills buf with len random bytes (key pairs). */
typedef void engine_random_fn(void *ctx, uint8_t *buf, size_t len);

/* What received data waits for before it goes to the TUN in the sender's order. LOW: the paths
 * that carried data lately (latency first: at light load everything takes the fastest path and
 * arrives with its delay; the first packets a path carries after a pause may come late). EVEN:
 * every path selected for data, known from its control messages, so a flow's delay does not
 * change with the load (TCP's slow start sees from its first packet the RTT it will have at full
 * rate) at the price of the delay spread for light traffic. AUTO: EVEN for the running paths at
 * most delay_auto_spread slower than the fastest, LOW for the others (a satellite link does not
 * hold a fibre's light traffic back). */
enum engine_delay { ENGINE_DELAY_LOW = 0, ENGINE_DELAY_EVEN = 1, ENGINE_DELAY_AUTO = 2 };

struct engine_config {
	enum engine_role role;
	enum mud_dialect dialect;  /* client: the dialect it speaks; server: the initial guess */
	uint8_t psk[MUD_KEY_SIZE];
	bool aes;                  /* AEGIS-256 allowed (advertised only if the CPU has it) */
	uint64_t kxtimeout;        /* us; client key-pair lifetime (default 60 min) */
	uint64_t time_tolerance;   /* us (default 10 min) */
	uint64_t keepalive;        /* us (default 25 s) */
	int tos;                   /* IP_TOS / IPV6_TCLASS for every datagram (default 192) */
	uint64_t standby_beat;     /* us; initiation interval on standby paths (default 1 s) */
	uint64_t replay_span;      /* us; anti-replay window span (default 1 s) */
	bool reseq;                /* resequence received data (default on) */
	uint32_t reseq_hold_max;   /* us; longest wait for an earlier packet (default 200 ms) */
	uint32_t reseq_capacity;   /* packets the resequencer holds (0: 2048) */
	enum engine_delay delay;   /* what received data waits for (default ENGINE_DELAY_AUTO) */
	uint32_t delay_auto_spread; /* us; AUTO waits for running paths at most this much slower
	                            * (one way, RTT/2) than the fastest (default 30 ms) */
	engine_random_fn *random;  /* default: libsodium randombytes_buf */
	void *random_ctx;
};

/* Defaults above, role client, dialect 0.3.4, aes allowed, PSK all zero: the one source of the
 * tunnel's defaults (engine_new() takes them for zero fields, the worker's front-end from here). */
void engine_config_default(struct engine_config *c);

struct engine;

/* Returns NULL with errno EINVAL (bad config) or ENOMEM. */
struct engine *engine_new(const struct engine_config *c);
void engine_free(struct engine *e);

/* ---- Path commands (glorytun `path`, section 10 and B.6) ---- */

enum engine_rate_mode {
	ENGINE_RATE_UNCHANGED = 0,
	ENGINE_RATE_FIXED = 1,
	ENGINE_RATE_AUTO = 2,
};

/* Zero fields mean "unchanged", as in glorytun. */
struct engine_path_conf {
	struct mud_addr local;     /* local IP and the bound port (the path's identity) */
	struct mud_addr remote;    /* the server's address and port */
	enum engine_state state;   /* UP / BACKUP / DOWN creates or changes; 0 modifies only */
	uint64_t tx_max_rate;      /* bytes/s */
	uint64_t rx_max_rate;      /* bytes/s, advertised to the server in max_rate */
	uint64_t beat;             /* us */
	enum engine_rate_mode rate_mode;
	uint8_t loss_limit;        /* 1..255 (255: no limit) */
	bool set_pref;             /* master: pref given */
	uint8_t pref;              /* master: 0 (most preferred) .. 255 */
};

/* Client only (a server answers EINVAL, as glorytun). Creates the path when state is UP or
 * BACKUP and it does not exist; DOWN never creates. A state change restarts MTU discovery.
 * Returns 0, or -1 with errno EINVAL (server, families differ, bad state), ENOENT (no such path
 * and no state to create it), ENOSPC (32 paths). */
int engine_path_set(struct engine *e, uint64_t now, const struct engine_path_conf *c);

/* glorytun `set`: 0 keeps a value; tos < 0 keeps it. */
void engine_set_timers(struct engine *e, uint64_t kxtimeout, uint64_t time_tolerance,
                       uint64_t keepalive, int tos);

/* Received data's delay (an addition to glorytun `set`; enum engine_delay above). Takes effect
 * at once. Returns -1 with errno EINVAL for an unknown mode. */
int engine_set_delay(struct engine *e, enum engine_delay d);
enum engine_delay engine_delay(const struct engine *e);

/* ---- Input ---- */

enum engine_rx {
	ENGINE_RX_DROP = 0,    /* dropped (counted in engine_bad where the reference counts) */
	ENGINE_RX_DATA = 1,    /* data: its plaintext is queued for the TUN (maybe after resequencing) */
	ENGINE_RX_CONTROL = 2, /* control message processed (an answer may be queued) */
};

/* One received datagram (UDP payload). local is the destination address from packet info with
 * the bound port; remote the source. Never modifies dgram. */
enum engine_rx engine_recv(struct engine *e, uint64_t now, const struct mud_addr *local,
                           const struct mud_addr *remote, const uint8_t *dgram, size_t len);

/* Where an engine_send() datagram goes. */
struct engine_tx {
	struct mud_addr local;   /* source address to set with packet info */
	struct mud_addr remote;  /* destination */
	unsigned flags;          /* ENGINE_TX_* */
	int tos;
	int path;                /* path index: consecutive sends with one index form a burst */
};

#define ENGINE_TX_CONFIRM 0x1  /* pass MSG_CONFIRM (replies and echoes) */
#define ENGINE_TX_DONTFRAG 0x2 /* never fragment: IP_PMTUDISC_PROBE / IPV6_DONTFRAG */

/* Seals one IP packet of len bytes into dgram (capacity cap >= len + 22) and chooses its path.
 * ip may be dgram + MUD_TIME_SIZE (sealed in place). Returns the datagram size, or -1 with errno:
 * EAGAIN (paced out or timestamps too far ahead: retry at the engine_update() deadline),
 * ENETUNREACH (no usable path: drop), EINVAL (not a valid IPv4/IPv6 packet, section 10),
 * EMSGSIZE (len over 1478 or cap too small). */
int engine_send(struct engine *e, uint64_t now, uint8_t *dgram, size_t cap, const uint8_t *ip,
                size_t len, struct engine_tx *tx);

/* The next engine_send() starts a new burst (call at the end of a TUN read batch). */
void engine_send_flush(struct engine *e);

/* Timers: initiations, key rotation, cleanup, path states, resequencing. Returns the next
 * deadline on the T48 clock (at most 1 s ahead; now when something is due already, e.g. packets
 * the TUN queue had no room for). */
uint64_t engine_update(struct engine *e, uint64_t now);

/* ---- Output (pull; every pointer is valid until the next call of the same function) ---- */

struct engine_dgram {
	const uint8_t *data;
	size_t len;
	struct mud_addr local, remote;
	unsigned flags;          /* ENGINE_TX_* */
	int tos;
	int path;
};

/* Next datagram to send (control messages and answers). Returns false when none is left. */
bool engine_next_datagram(struct engine *e, struct engine_dgram *out);

/* Next packet for the TUN. Returns false when none is left. */
bool engine_next_tun(struct engine *e, const uint8_t **pkt, size_t *len);

enum engine_event_type {
	ENGINE_EV_PATH_NEW = 1,  /* a path was created (server: learned) */
	ENGINE_EV_PATH_GONE,     /* a path was deleted (cleanup or command) */
	ENGINE_EV_PATH_UP,       /* a path became usable (OK) */
	ENGINE_EV_PATH_DOWN,     /* a path stopped being usable */
	ENGINE_EV_KEY_ROTATED,   /* a new session key is in use (value: its cipher) */
	ENGINE_EV_MTU,           /* the tunnel MTU changed (value: TUN MTU, 0 = unknown) */
	ENGINE_EV_BAD,           /* a datagram was rejected (reason) */
	ENGINE_EV_DIALECT,       /* server: the tunnel's dialect changed (value: enum mud_dialect) */
};

enum engine_bad_reason {
	ENGINE_BAD_DECRYPT = 0,  /* no key authenticates it */
	ENGINE_BAD_DIFFTIME,     /* outside the time tolerance (master: clocksync) */
	ENGINE_BAD_KEYX,         /* the peer's public key was rejected */
	ENGINE_BAD_REPLAY,       /* already seen, or older than the window (no event: counted only) */
	ENGINE_BAD_DIALECT,      /* control message of neither dialect (B.3) */
	ENGINE_BAD_SIZE,         /* too short or too long for its kind: under 42 bytes for data (no
	                          * IP packet), 147 for control, over 1500 (the reference drops
	                          * them silently, or counts short control as decrypt) */
	ENGINE_BAD_FILTER,       /* data that is not a valid IP packet (section 10 filter) */
	ENGINE_BAD_NR,
};

struct engine_event {
	enum engine_event_type type;
	int path;                 /* path index or -1 */
	struct mud_addr local, remote;
	enum engine_bad_reason reason;
	uint64_t value;
};

bool engine_next_event(struct engine *e, struct engine_event *out);

/* ---- Queries (show) ---- */

struct engine_path_info {
	int index;
	enum engine_state state;
	bool ok;                  /* usable */
	bool running;             /* usable and selected for data (not standby) */
	bool active;              /* this side initiates on it */
	enum mud_dialect dialect;
	struct mud_addr local, remote, pub; /* pub: how the peer sees us (unset if unknown) */
	unsigned mtu;             /* confirmed UDP size, 0 if none */
	unsigned probe;           /* MTU probe size in progress, 0 if none */
	uint64_t rtt, rttvar;     /* us */
	bool fixed_rate;
	uint8_t loss_limit, pref;
	uint64_t beat;            /* us */
	uint64_t tx_rate, tx_max_rate, tx_loss, tx_packets, tx_bytes;
	uint64_t rx_rate, rx_loss, rx_packets, rx_bytes; /* rx_rate: the configured rx rate */
	unsigned unanswered;
};

/* Copies up to max paths (table order). Returns how many exist. */
int engine_paths(const struct engine *e, struct engine_path_info *out, int max);

struct engine_bad_stat {
	uint64_t count;
	uint64_t time;            /* now of the last one */
	struct mud_addr addr;     /* its source */
};

struct engine_info {
	enum engine_role role;
	enum mud_dialect dialect;   /* configured (client) or last detected (server) */
	bool dialect_known;
	unsigned mtu;               /* tunnel MTU for the TUN: min confirmed UDP size - 22, or 0 */
	bool aes;                   /* AEGIS-256 advertised */
	enum aead_cipher cipher;    /* cipher of the key now used to send */
	bool keyed;                 /* a session key (not the PSK) is in use */
	unsigned rotations;         /* session keys put in use so far */
	uint64_t rate;              /* rate sum of the paths carrying data */
	int npaths;
	struct engine_bad_stat bad[ENGINE_BAD_NR];
	uint64_t events_lost;       /* events dropped on a full queue */
	uint64_t datagrams_lost;    /* control datagrams dropped on a full queue */
	uint64_t tun_lost;          /* TUN packets dropped on a full queue */
	uint64_t aead_opens;        /* AEAD verifications tried on received datagrams */
	uint64_t copies;            /* data datagrams also sent on a stand-in path (idle failover) */
};

void engine_info(const struct engine *e, struct engine_info *out);

const char *engine_bad_name(enum engine_bad_reason r); /* "decrypt", "difftime", ... */

/* ---- Live settings added for the supervisor (IPC_SET_CONF) ---- */

/* The AUTO delay's spread (engine_config.delay_auto_spread, us); takes effect at once. */
void engine_set_delay_spread(struct engine *e, uint32_t spread);
uint32_t engine_delay_spread(const struct engine *e);

/* Whether AEGIS-256 is allowed (engine_config.aes; still only where the CPU has it). Takes
 * effect at the next key exchange: the current session key keeps its cipher. */
void engine_set_aes(struct engine *e, bool aes);
bool engine_aes(const struct engine *e);

#endif
