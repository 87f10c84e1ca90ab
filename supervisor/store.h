/* The provisioning store: clients, their keys, subnets, ports, tunnel pairs, path policies,
 * shaping, engine settings, the concentrator's settings and an audit trail (docs/store.md).
 *
 * One small interface with plain structs in and out, so that another engine (PostgreSQL) can
 * replace the SQLite file without touching callers. Every change is one transaction that also
 * writes an audit row; a refused change leaves the store exactly as it was. Functions return 0,
 * or -1 with errno set and one line (no newline) in err:
 *   EINVAL bad input, EEXIST name/port/subnet taken, ENOENT no such client,
 *   ENOSPC a pool (ports, tunnel pairs, uids) is exhausted, EIO the database failed. */
#ifndef GT_SUPERVISOR_STORE_H
#define GT_SUPERVISOR_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 1
#define STORE_NAME_SIZE 33   /* 1..32 characters of [a-z0-9-] and a NUL */
#define STORE_CIDR_SIZE 50
#define STORE_ADDR_SIZE 46
#define STORE_HOST_SIZE 254
#define STORE_KEY_SIZE 32
#define STORE_SUBNETS_MAX 32
#define STORE_PATHS_MAX 32
#define STORE_ERR_SIZE 256

struct store;

/* One of the site's links, as its `path` command takes it. */
struct store_path {
	char name[STORE_NAME_SIZE];
	char addr[STORE_ADDR_SIZE]; /* the site's local address, "" when the site picks it */
	uint8_t rate_fixed;         /* 1 fixed, 0 auto */
	uint8_t backup;             /* 1: a backup path */
	uint8_t loss_limit;         /* percent, 1..100 (0 in a spec: 100) */
	uint32_t beat_ms;           /* 1..3600000 (0 in a spec: 100) */
	uint64_t tx_rate, rx_rate;  /* bytes/s, 0 unset */
};

/* What an operator gives for `client add` / `set` / `import`. Fields whose STORE_F_ bit is not in
 * `given` are allocated or defaulted by add and left alone by set. */
enum {
	STORE_F_SUBNETS = 1 << 0,
	STORE_F_PORT = 1 << 1,
	STORE_F_CIPHER = 1 << 2,
	STORE_F_DELAY = 1 << 3,
	STORE_F_RATE = 1 << 4,
	STORE_F_CEIL = 1 << 5,
	STORE_F_KEY = 1 << 6,
	STORE_F_PATHS = 1 << 7,
};

struct client_spec {
	char name[STORE_NAME_SIZE + 1]; /* one byte more, so an over-long name is seen, not cut */
	unsigned given;                 /* STORE_F_* */
	size_t nsubnets;
	char subnets[STORE_SUBNETS_MAX][STORE_CIDR_SIZE];
	uint16_t port;
	uint8_t cipher;                 /* enum ipc_cipher */
	uint8_t delay;                  /* enum ipc_delay: LOW, EVEN or AUTO */
	uint64_t rate, ceil;            /* bytes/s, 0 unset */
	uint8_t key[STORE_KEY_SIZE];
	size_t npaths;
	struct store_path paths[STORE_PATHS_MAX];
};

/* A client as stored. Holds its key: wipe it (sodium_memzero) when done. */
struct client {
	int64_t id;
	char name[STORE_NAME_SIZE];
	size_t nsubnets;
	char subnets[STORE_SUBNETS_MAX][STORE_CIDR_SIZE]; /* normalised; IPv4 first, then by text */
	uint16_t port;
	uint32_t uid;                                       /* its worker's */
	char tunnel_server[STORE_ADDR_SIZE];                /* the pair, no prefix */
	char tunnel_client[STORE_ADDR_SIZE];
	uint8_t tunnel_prefix;                              /* 31 or 127 */
	uint8_t cipher, delay;
	uint64_t rate, ceil;
	uint8_t key[STORE_KEY_SIZE];
	int64_t key_created_at;                             /* when the key in use was set */
	int64_t key_rotated_at;                             /* the last rotation, 0 if none */
	unsigned key_rotations;                             /* older keys kept */
	int64_t created_at, updated_at;
	size_t npaths;
	struct store_path paths[STORE_PATHS_MAX];
};

struct store_settings {
	char public_address[STORE_HOST_SIZE]; /* "" until set */
	uint16_t port_min, port_max;
	char tunnel_pool[STORE_CIDR_SIZE];
	uint32_t uid_min, uid_max;
};

struct audit_entry {
	int64_t id, at;
	char actor[65];
	char action[24];  /* "client add", "client set", "client del", "client rotate-key",
	                     "client import", "settings set" */
	char subject[STORE_NAME_SIZE + 16];
	char detail[512];
};

/* Opens (creating and migrating as needed) the store at path; ":memory:" for a private one.
 * NULL on failure, with the reason in err. */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *st);

/* Who the following changes are recorded as (e.g. "uid 0 pid 412"); default "gt-supervisor". */
void store_set_actor(struct store *st, const char *actor);
/* The clock for timestamps (tests); NULL restores time(). */
void store_set_clock(struct store *st, int64_t (*now)(void *arg), void *arg);

/* Adds a client; out (may be NULL) receives it with what was allocated. */
int store_client_add(struct store *st, const struct client_spec *spec, struct client *out,
                     char *err, size_t errlen);
int store_client_get(struct store *st, const char *name, struct client *out, char *err,
                     size_t errlen);
/* Calls cb for every client in name order; stops and returns cb's value if it is not 0. The
 * client is only valid during the call. */
int store_client_list(struct store *st, int (*cb)(const struct client *c, void *arg), void *arg,
                      char *err, size_t errlen);
/* Changes what spec->given names on the client spec->name. */
int store_client_set(struct store *st, const struct client_spec *spec, struct client *out,
                     char *err, size_t errlen);
int store_client_del(struct store *st, const char *name, char *err, size_t errlen);
/* A new key: key (32 bytes) when not NULL, random otherwise. The old one is kept as history. */
int store_client_rotate_key(struct store *st, const char *name, const uint8_t *key,
                            struct client *out, char *err, size_t errlen);
/* Adds n clients in one transaction: all or none. On failure *failed (may be NULL) is the index
 * of the spec refused, and err says why. */
int store_import(struct store *st, const struct client_spec *specs, size_t n, size_t *failed,
                 char *err, size_t errlen);

int store_settings_get(struct store *st, struct store_settings *out, char *err, size_t errlen);
/* key: public-address, port-range (A-B), tunnel-pool (CIDR) or uid-range (A-B). A range or pool
 * that would leave out what clients already hold is refused. */
int store_settings_set(struct store *st, const char *key, const char *value, char *err,
                       size_t errlen);

/* Calls cb for every audit entry with id > after, oldest first; stops as store_client_list. */
int store_audit_list(struct store *st, int64_t after,
                     int (*cb)(const struct audit_entry *e, void *arg), void *arg, char *err,
                     size_t errlen);

#endif
