/* The control channel's messages (in the manner of OpenBSD imsg), between three parties:
 * supervisor <-> worker (one SOCK_SEQPACKET pair per tunnel) and ctl <-> supervisor (gtctl, or the
 * hand-run `gt-worker show|path|set` talking to `gt-worker bind`, which plays the supervisor).
 *
 * One message = one SOCK_SEQPACKET datagram: a fixed header, a fixed-size payload whose struct
 * depends on the type, and for some types file descriptors (SCM_RIGHTS). Both ends run the same
 * build (the supervisor fork+execs gt-worker), so payloads are host-ABI structs with fixed-width
 * fields and explicit padding; the header carries IPC_VERSION so a mismatch is refused, never
 * misread. Every receiver checks the version, the type, the direction (who may send it), the
 * exact payload length, the number of descriptors and the payload's own invariants (enum ranges,
 * NUL-terminated strings, bounds) before it looks at the contents, and fails closed. The
 * direction check is a per-type table of the routes (sender -> receiver) it may travel.
 *
 * A spawned worker finds the channel on fd IPC_WORKER_FD. It never blocks on it: see
 * shared/ipc/outq.h for what it does when the supervisor does not read (events are never lost
 * silently; stats are coalesced).
 *
 * Key change: there is no message to replace the pre-shared key. The supervisor kills the
 * worker (SIGTERM) and spawns a new one with the new key in IPC_CONFIG; the peers' sessions
 * re-key on the new worker's first exchange. */
#ifndef GT_IPC_IPC_H
#define GT_IPC_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

#define IPC_VERSION 2
#define IPC_WORKER_FD 3
#define IPC_MAX_PAYLOAD 512
#define IPC_MAX_FDS 2
#define IPC_NAME_SIZE 33 /* client names: 1..32 characters of [a-z0-9-] and a NUL */
#define IPC_IFNAME_SIZE 16

struct ipc_hdr {
	uint16_t version;
	uint16_t type;
	uint32_t len; /* payload bytes after the header */
	uint32_t seq; /* sender's counter, for logs */
	uint32_t reserved;
};

enum ipc_type {
	IPC_NONE = 0,
	/* supervisor -> worker (S>W); ctl -> supervisor (C>S) where marked */
	IPC_CONFIG,    /* struct ipc_config: first message, once */
	IPC_TUN,       /* struct ipc_tun + the TUN fd */
	IPC_SOCKET,    /* struct ipc_socket + a bound UDP socket */
	IPC_PATH,      /* struct ipc_path: add or change a path (client role); also C>S */
	IPC_START,     /* no payload: configuration complete; sandbox and run */
	IPC_SET_CONF,  /* struct ipc_conf: live settings (glorytun `set` and more); also C>S */
	IPC_STATS_REQ, /* no payload: answer with IPC_STATS, IPC_PATH_STATS..., IPC_STATS_END;
	                * also C>S */
	IPC_MTU_SET,   /* struct ipc_mtu: the TUN MTU the supervisor applied */
	/* worker -> supervisor (W>S); supervisor -> ctl (S>C) where marked */
	IPC_READY,      /* struct ipc_ready: running, sandboxed */
	IPC_MTU_REQ,    /* struct ipc_mtu: please set the TUN MTU */
	IPC_PATH_EVENT, /* struct ipc_path_event */
	IPC_STATS,      /* struct ipc_stats; also S>C */
	IPC_PATH_STATS, /* struct ipc_path_stats, one per path; also S>C */
	IPC_STATS_END,  /* no payload; also S>C */
	IPC_RESULT,     /* struct ipc_result: the outcome of IPC_PATH or IPC_SET_CONF; also S>C */
	IPC_STATUS,     /* struct ipc_status: S>C only, the answer to `show` */
	IPC_EVENTS_LOST, /* struct ipc_events_lost: W>S, events were dropped; a snapshot follows */
	IPC_TYPE_MAX
};

/* The three parties. A message is accepted only on a route its type may travel:
 * supervisor -> worker, worker -> supervisor, ctl -> supervisor, supervisor -> ctl. */
enum ipc_party { IPC_SUPERVISOR = 1, IPC_WORKER = 2, IPC_CTL = 3 };

enum ipc_role { IPC_ROLE_SERVER = 1, IPC_ROLE_CLIENT = 2 };
enum ipc_dialect { IPC_DIALECT_AUTO = 0, IPC_DIALECT_V1 = 1, IPC_DIALECT_MASTER = 2 };
enum ipc_path_state { IPC_PATH_DOWN = 1, IPC_PATH_BACKUP = 2, IPC_PATH_UP = 3 };
enum ipc_cipher { IPC_CIPHER_CHACHA20POLY1305 = 0, IPC_CIPHER_AEGIS256 = 1 };

struct ipc_config {
	uint32_t tunnel_id; /* the supervisor's client id, for logs */
	uint8_t role;       /* enum ipc_role */
	uint8_t dialect;    /* enum ipc_dialect; AUTO only for servers */
	uint8_t chacha;     /* 1: never advertise AEGIS-256 */
	uint8_t tos;        /* IP_TOS / IPV6_TCLASS of every datagram */
	uint32_t uid, gid;  /* the worker's own unprivileged identity (never 0) */
	uint32_t sandbox;   /* IPC_SANDBOX_* */
	uint32_t pad0;
	uint64_t kxtimeout_ms;
	uint64_t timetolerance_ms;
	uint64_t keepalive_ms;
	uint8_t psk[32];
	char name[IPC_NAME_SIZE];
	uint8_t delay;            /* enum ipc_delay; UNCHANGED: the default (AUTO) */
	uint16_t mtu_max;         /* cap on the TUN MTU asked for; 0: none, else IPC_MTU_CAP_* */
	uint32_t delay_spread_ms; /* AUTO delay's spread; 0: default (30), else 1..IPC_SPREAD_MAX_MS */
};

/* Bounds of the settings (IPC_CONFIG and IPC_SET_CONF), checked on decode. */
#define IPC_TIMER_MAX_MS (7ull * 24 * 3600 * 1000) /* kxtimeout, timetolerance, keepalive */
#define IPC_SPREAD_MAX_MS 1000
#define IPC_MTU_CAP_MIN 576  /* the smallest TUN MTU (the master dialect's 598 - 22) */
#define IPC_MTU_CAP_MAX 1450 /* the largest (1472 - 22) */

#define IPC_SANDBOX_DEBUG 0x1    /* name a forbidden system call instead of dying silently */
#define IPC_SANDBOX_DEGRADED 0x2 /* run even where Landlock or seccomp is missing */

struct ipc_tun {
	char ifname[IPC_IFNAME_SIZE];
	uint32_t mtu; /* the device's MTU now */
	uint32_t pad;
};

struct ipc_socket {
	struct mud_addr local; /* the address and port it is bound to */
};

/* glorytun `path`: zero fields leave the value unchanged. */
struct ipc_path {
	struct mud_addr local;  /* local IP (port 0: the socket's) */
	struct mud_addr remote; /* family 0: the tunnel's default peer */
	uint8_t state;          /* enum ipc_path_state, or 0: change an existing path only */
	uint8_t pref;           /* master dialect: 0..127, when set_pref */
	uint8_t rate_mode;      /* enum ipc_rate_mode */
	uint8_t loss_limit;     /* 1..255, 0 unchanged */
	uint8_t set_pref;
	uint8_t pad[3];
	uint64_t tx_rate;       /* bytes/s */
	uint64_t rx_rate;       /* bytes/s */
	uint64_t beat_ms;
};

enum ipc_rate_mode { IPC_RATE_UNCHANGED = 0, IPC_RATE_FIXED = 1, IPC_RATE_AUTO = 2 };

/* glorytun `set`: zero leaves a value unchanged; tos < 0 too. */
/* Received data's delay (engine_set_delay()). */
enum ipc_delay { IPC_DELAY_UNCHANGED = 0, IPC_DELAY_LOW = 1, IPC_DELAY_EVEN = 2, IPC_DELAY_AUTO = 3 };

/* "low", "even", "auto" (the words of `gt-worker set delay`), or NULL for anything else. */
const char *ipc_delay_name(unsigned d);
/* The delay a word names, or IPC_DELAY_UNCHANGED for another word. */
enum ipc_delay ipc_delay_from_name(const char *name);

/* Cipher preference (IPC_SET_CONF): AEGIS-256 when both ends have it, or ChaCha20-Poly1305 only.
 * Takes effect at the next key exchange (a client's every kxtimeout, or a new session). */
enum ipc_cipher_pref { IPC_CIPHER_PREF_UNCHANGED = 0, IPC_CIPHER_PREF_AEGIS = 1,
	               IPC_CIPHER_PREF_CHACHA = 2 };

/* Live settings: zero leaves a value unchanged; tos < 0 too. All but the key can change live;
 * the key is a restart (above). */
struct ipc_conf {
	uint64_t kxtimeout_ms;     /* 0 or 1..IPC_TIMER_MAX_MS, as the two below */
	uint64_t timetolerance_ms;
	uint64_t keepalive_ms;
	int32_t tos;               /* -1..255 (0 is a value here, < 0 unchanged) */
	uint8_t delay;             /* enum ipc_delay */
	uint8_t cipher;            /* enum ipc_cipher_pref */
	uint16_t mtu_max;          /* 0, IPC_MTU_CAP_MIN..IPC_MTU_CAP_MAX, or 65535: remove the cap */
	uint32_t delay_spread_ms;  /* 0 or 1..IPC_SPREAD_MAX_MS */
	uint32_t pad;
};

#define IPC_MTU_CAP_NONE 65535 /* ipc_conf.mtu_max: remove the cap */

struct ipc_events_lost {
	uint32_t count; /* events dropped since the last IPC_EVENTS_LOST */
	uint32_t pad;
};

struct ipc_result {
	uint16_t type;  /* the request answered */
	uint16_t pad;
	int32_t error;  /* 0 or an errno value */
};

struct ipc_status {
	char ifname[IPC_IFNAME_SIZE];
	struct mud_addr bind; /* the socket's address */
	struct mud_addr peer; /* family 0 on a server */
	uint32_t pid;
	uint32_t mtu;         /* the TUN's MTU */
	uint8_t role;         /* enum ipc_role */
	uint8_t chacha;       /* the local preference */
	uint8_t cipher;       /* enum ipc_cipher of the session key in use */
	uint8_t dialect;      /* enum ipc_dialect */
};

struct ipc_mtu {
	uint32_t mtu; /* TUN MTU (the confirmed UDP size minus 22) */
	int32_t error; /* IPC_MTU_SET: 0 or an errno value */
};

struct ipc_ready {
	uint32_t pid;
	uint32_t features; /* IPC_FEAT_* bits: offloads and sandbox layers in force */
};

#define IPC_FEAT_UDP_GSO (1u << 0)
#define IPC_FEAT_UDP_GRO (1u << 1)
#define IPC_FEAT_TUN_VNET (1u << 2)
#define IPC_FEAT_TUN_USO (1u << 3)
#define IPC_FEAT_SECCOMP (1u << 8)
#define IPC_FEAT_LANDLOCK (1u << 9)
#define IPC_FEAT_NO_NEW_PRIVS (1u << 10)
#define IPC_FEAT_SETUID (1u << 11)

enum ipc_path_event_kind { IPC_EV_PATH_UP = 1, IPC_EV_PATH_DOWN = 2, IPC_EV_PATH_NEW = 3,
	                   IPC_EV_PATH_GONE = 4, IPC_EV_KEY_ROTATED = 5, IPC_EV_DIALECT = 6 };

struct ipc_path_event {
	struct mud_addr local;
	struct mud_addr remote;
	uint8_t kind;  /* enum ipc_path_event_kind */
	uint8_t value; /* IPC_EV_DIALECT: enum ipc_dialect; else 0 */
	uint8_t pad[6];
};

struct ipc_stats {
	uint64_t tx_bytes, tx_packets, rx_bytes, rx_packets;
	uint64_t bad_decrypt, bad_difftime, bad_keyx, bad_replay, bad_dialect;
	struct mud_addr bad_decrypt_from, bad_difftime_from, bad_keyx_from;
	uint32_t mtu;
	uint8_t cipher;  /* enum ipc_cipher in use for data */
	uint8_t dialect; /* enum ipc_dialect detected or configured */
	uint8_t npaths;  /* IPC_PATH_STATS messages that follow */
	uint8_t delay;   /* enum ipc_delay in force (LOW, EVEN or AUTO) */
};

struct ipc_path_stats {
	struct mud_addr local, remote, public_addr;
	uint8_t state; /* enum ipc_path_state */
	uint8_t ok;
	uint8_t fixed_rate;
	uint8_t loss_limit;
	uint8_t tx_loss, rx_loss; /* 0..255 */
	uint8_t pref;
	uint8_t pad;
	uint32_t mtu;
	uint32_t pad2;
	uint64_t rtt_us, rttvar_us, beat_ms;
	uint64_t tx_rate, rx_rate;
	uint64_t tx_packets, rx_packets, tx_bytes, rx_bytes;
};

/* A received (or to be sent) message. fds are owned by the receiver after ipc_recv. */
struct ipc_msg {
	struct ipc_hdr hdr;
	union {
		uint8_t raw[IPC_MAX_PAYLOAD];
		struct ipc_config config;
		struct ipc_tun tun;
		struct ipc_socket socket;
		struct ipc_path path;
		struct ipc_conf conf;
		struct ipc_result result;
		struct ipc_status status;
		struct ipc_mtu mtu;
		struct ipc_ready ready;
		struct ipc_path_event event;
		struct ipc_stats stats;
		struct ipc_path_stats path_stats;
		struct ipc_events_lost lost;
	} u;
	int fds[IPC_MAX_FDS];
	int nfds;
};

/* "IPC_CONFIG", ... or "unknown". */
const char *ipc_type_name(unsigned type);

/* Whether a message of this type may go from `from` to `to`. */
int ipc_route_ok(unsigned type, enum ipc_party from, enum ipc_party to);

/* Checks one datagram received by `to` from `from`: header, version, type, route, exact
 * length, number of fds and payload invariants. Copies it into msg (nfds and fds untouched).
 * Returns 0, or -1 with *why set to a static reason ("bad version", ...). */
int ipc_decode(struct ipc_msg *msg, const uint8_t *buf, size_t len, int nfds,
               enum ipc_party from, enum ipc_party to, const char **why);

/* Sends one message with its fds (nfds must match the type). Returns 0, or -1 with errno. */
int ipc_send(int sock, enum ipc_type type, uint32_t seq, const void *payload, size_t len,
             const int *fds, int nfds);

/* Receives and checks one message that `to` gets from `from`. Returns 1 with a message, 0 on
 * end of file, -1 with errno (EAGAIN on a non-blocking socket with nothing waiting; EPROTO for a
 * bad message, *why says why; any fds that came are closed). */
int ipc_recv(int sock, struct ipc_msg *msg, enum ipc_party from, enum ipc_party to,
             const char **why);

/* Closes the message's fds and wipes its payload (it may hold a key). */
void ipc_msg_clear(struct ipc_msg *msg);

#endif
