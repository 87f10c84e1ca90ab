/* A simulated network for engine tests: a client and a server engine joined by up to
 * SIM_PATHS paths, each a pair of one-way links with delay, seeded random loss, a rate (a queue
 * draining at that rate, tail-dropped beyond SIM_QUEUE_MAX_US), an MTU limit (larger datagrams
 * are dropped, as a DF send fails) and a cut switch. One fake clock; the loop jumps to the next
 * delivery, engine deadline or traffic tick. No sockets, no threads, deterministic. */
#ifndef GT_TESTS_ENGINE_SIM_H
#define GT_TESTS_ENGINE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/engine.h"

#define SIM_PATHS 4
#define SIM_T0 UINT64_C(43550139959520)  /* a live-looking T48 time */
#define SIM_QUEUE_MAX_US 200000
#define SIM_CLIENT 0
#define SIM_SERVER 1

struct sim_link {
	uint64_t delay;      /* us */
	uint32_t loss_ppm;   /* random loss, parts per million */
	uint64_t rate;       /* bytes/s, 0: unlimited */
	unsigned mtu;        /* IP MTU: larger datagrams (UDP payload + 28, IPv6 + 48) are dropped */
	bool cut;
	uint64_t busy_until; /* the rate queue */
	uint64_t sent, delivered, dropped;
	uint64_t dropped_data;   /* data datagrams among the dropped */
};

struct sim_path {
	bool used;
	struct mud_addr client;  /* client local address */
	struct mud_addr nat;     /* how the server sees the client */
	struct mud_addr server;
	struct sim_link up, down; /* client->server, server->client */
};

/* Called for each datagram put on a link (dir SIM_CLIENT: sent by the client). Return false to
 * drop it. May record it. */
typedef bool sim_tap_fn(void *ctx, int dir, int path, const uint8_t *data, size_t len);

/* Called for each packet an engine hands to its TUN. */
typedef void sim_tun_fn(void *ctx, int side, const uint8_t *pkt, size_t len);

struct sim_flight;

struct sim_gen {
	bool on;
	uint64_t pps;       /* packets per second */
	size_t size;        /* IP packet size */
	uint64_t start;     /* sim time of packet 0 */
	uint64_t made;      /* packets generated */
	uint64_t sent, unreachable, blocked; /* blocked: engine_send() said EAGAIN */
	bool waiting;       /* the last send was refused: wait for the engine's deadline */
};

struct sim {
	struct engine *e[2];
	uint64_t off[2];     /* engine clock = sim now + off */
	uint64_t now;        /* sim clock (us) */
	uint64_t deadline[2];
	struct sim_path path[SIM_PATHS];
	uint64_t rng;
	uint64_t erng[2];    /* random state of each engine (engine_config.random_ctx) */
	struct sim_flight **heap;
	size_t nheap, capheap;
	uint64_t seq;
	struct sim_gen gen[2];
	sim_tap_fn *tap;
	void *tap_ctx;
	sim_tun_fn *tun;
	void *tun_ctx;
	/* What each side's TUN received from generated traffic. */
	uint64_t tun_pkts[2], tun_bytes[2];
	uint64_t tun_last_seq[2];
	uint64_t tun_reorder[2];  /* packets whose sequence went backwards */
	uint64_t tun_lat_sum[2], tun_lat_n[2]; /* one-way latency of generated packets, us */
	uint64_t events[2][16];   /* by engine_event_type */
	uint64_t key_rotations[2];
	unsigned last_mtu_event[2];
	unsigned spins;
	uint64_t stalls;          /* loops forced forward: an engine deadline that never passes */
};

/* Random bytes from a seeded generator: pass as engine_config.random with a uint64_t state. */
void sim_random(void *ctx, uint8_t *buf, size_t len);

void sim_init(struct sim *s, uint64_t seed);
/* Frees both engines and everything in flight. */
void sim_free(struct sim *s);

/* The engines must be created by the test (any config) and put in s->e[]. */

/* A path i with client address 192.0.2.(1+i):5000, server 198.51.100.7:5000, symmetric links
 * of the given one-way delay and no loss, unlimited rate and MTU 1500. */
struct sim_path *sim_add_path(struct sim *s, int i, uint64_t delay);
/* The same over IPv6: client 2001:db8::(1+i), server 2001:db8::7 (an IPv6 datagram larger than
 * the MTU gets through fragmented unless it asks for ENGINE_TX_DONTFRAG). */
struct sim_path *sim_add_path6(struct sim *s, int i, uint64_t delay);

/* Configures the client path for sim path i (state, rates tx/rx in bytes/s). */
void sim_client_path(struct sim *s, int i, enum engine_state state, uint64_t tx, uint64_t rx);

/* Runs the network for us of sim time. */
void sim_run(struct sim *s, uint64_t us);

/* Runs until cond(s, ctx) holds or us pass. Returns true when it held. */
bool sim_run_until(struct sim *s, uint64_t us, bool (*cond)(struct sim *, void *), void *ctx);

/* Generated traffic from side: pps IPv4 packets of size bytes carrying a sequence number. */
void sim_traffic(struct sim *s, int side, uint64_t pps, size_t size);
void sim_traffic_stop(struct sim *s, int side);

/* Puts a datagram on the wire towards the other side of `from`, delivered at now + delay of the
 * path's link (bypassing loss, cut and MTU). */
void sim_inject(struct sim *s, int from, int path, const uint8_t *data, size_t len);

/* Delivers one datagram to side `to` right now, as if it came from path, and returns what
 * engine_recv() said. */
int sim_deliver_now(struct sim *s, int to, int path, const uint8_t *data, size_t len);

/* Builds a valid IPv4/UDP packet of size bytes carrying seq. */
void sim_ip_packet(uint8_t *buf, size_t size, uint64_t seq);
/* The sequence number of such a packet, or UINT64_MAX. */
uint64_t sim_ip_seq(const uint8_t *buf, size_t size);

/* Info about path i of side (matched by addresses); false if the engine has no such path. */
bool sim_path_info(struct sim *s, int side, int i, struct engine_path_info *out);

#endif
