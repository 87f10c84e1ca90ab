/* The SQLite store's clients: add, get, list, set, del, rotate-key, import. Every change checks
 * everything first, then writes inside one transaction with its audit row; any refusal rolls the
 * transaction back, so the file is left as it was. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"
#include "store_sqlite_int.h"
#include "validate.h"

#define ERRLEN STORE_ERR_SIZE

/* A client's subnets as parsed prefixes, and those of every other client (with owners). */
struct others {
	size_t n;
	struct cidr *cidr;
	char (*owner)[STORE_NAME_SIZE];
};

static void
others_free(struct others *o)
{
	free(o->cidr);
	free(o->owner);
	memset(o, 0, sizeof(*o));
}

static int
others_load(struct store *st, int64_t self, struct others *o, char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st,
	                          "SELECT s.cidr, c.name FROM subnets s JOIN clients c "
	                          "ON c.id = s.client_id WHERE s.client_id <> ?",
	                          err, errlen);
	size_t cap = 0;
	int rc;

	memset(o, 0, sizeof(*o));
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, self);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char text[STORE_CIDR_SIZE];
		if (o->n == cap) {
			cap = cap ? cap * 2 : 64;
			struct cidr *c = realloc(o->cidr, cap * sizeof(*c));
			if (c)
				o->cidr = c;
			char(*w)[STORE_NAME_SIZE] = realloc(o->owner, cap * sizeof(*w));
			if (w)
				o->owner = w;
			if (!c || !w) {
				sqlite3_finalize(s);
				others_free(o);
				return st_fail(err, errlen, ENOMEM, "out of memory");
			}
		}
		st_col_text(s, 0, text, sizeof(text));
		if (cidr_parse(text, &o->cidr[o->n], NULL, 0))
			continue; /* the schema keeps these normalised; skip rather than trust */
		st_col_text(s, 1, o->owner[o->n], sizeof(o->owner[0]));
		o->n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		others_free(o);
		return st_dberr(st, err, errlen);
	}
	return 0;
}

/* The name of the client other than self that holds value in column (port or uid), "" if none.
 * Returns -1 on a database error. */
static int
held_by(struct store *st, const char *sql, int64_t value, int64_t self, char *owner, size_t size,
        char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st, sql, err, errlen);

	if (!s)
		return -1;
	owner[0] = '\0';
	sqlite3_bind_int64(s, 1, value);
	sqlite3_bind_int64(s, 2, self);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		st_col_text(s, 0, owner, size);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : st_dberr(st, err, errlen);
}

static const char SQL_PORT_HOLDER[] = "SELECT name FROM clients WHERE port = ? AND id <> ?";
static const char SQL_UID_HOLDER[] = "SELECT name FROM clients WHERE uid = ? AND id <> ?";

/* The first value in lo..hi no client holds. At most (clients + 1) probes: pigeonhole. */
static int
first_free(struct store *st, const char *sql, const char *what, uint64_t lo, uint64_t hi,
           uint64_t *out, char *err, size_t errlen)
{
	char owner[STORE_NAME_SIZE];

	for (uint64_t v = lo; v <= hi; v++) {
		if (held_by(st, sql, (int64_t)v, 0, owner, sizeof(owner), err, errlen))
			return -1;
		if (!owner[0]) {
			*out = v;
			return 0;
		}
	}
	return st_fail(err, errlen, ENOSPC, "%s %llu-%llu is exhausted", what, (unsigned long long)lo,
	               (unsigned long long)hi);
}

static int
alloc_pair(struct store *st, const char *pooltext, struct client *c, char *err, size_t errlen)
{
	struct cidr pool, srv, cli;
	sqlite3_stmt *s;

	if (validate_pool(pooltext, &pool, err, errlen))
		return -1;
	s = st_prep(st, "SELECT 1 FROM clients WHERE tunnel_server = ? OR tunnel_client = ?", err,
	            errlen);
	if (!s)
		return -1;
	for (uint64_t k = 0; cidr_pool_pair(&pool, k, &srv, &cli) == 0; k++) {
		cidr_format_addr(&srv, c->tunnel_server, sizeof(c->tunnel_server));
		cidr_format_addr(&cli, c->tunnel_client, sizeof(c->tunnel_client));
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, c->tunnel_server, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, c->tunnel_client, -1, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			sqlite3_finalize(s);
			c->tunnel_prefix = pool.family == 4 ? 31 : 127;
			return 0;
		}
		if (rc != SQLITE_ROW) {
			sqlite3_finalize(s);
			return st_dberr(st, err, errlen);
		}
	}
	sqlite3_finalize(s);
	c->tunnel_server[0] = c->tunnel_client[0] = '\0';
	return st_fail(err, errlen, ENOSPC, "tunnel-pool %s is exhausted", pooltext);
}

static int
client_id(struct store *st, const char *name, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st, "SELECT id FROM clients WHERE name = ?", err, errlen);

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : st_dberr(st, err, errlen);
}

/* Checks spec->name: a valid name, and not cut short in its buffer. */
static int
check_name(const struct client_spec *spec, char *err, size_t errlen)
{
	char name[STORE_NAME_SIZE + 2];

	if (strnlen(spec->name, sizeof(spec->name)) == sizeof(spec->name)) {
		memcpy(name, spec->name, sizeof(spec->name));
		name[sizeof(spec->name)] = '\0';
		return validate_name("client", name, err, errlen);
	}
	return validate_name("client", spec->name, err, errlen);
}

/* Copies the fields spec gives into c, checked and normalised; subnets and paths are checked
 * against each other and the pool here, against other clients by check_others(). */
static int
apply_spec(const struct client_spec *spec, const struct store_settings *set, struct client *c,
           char *err, size_t errlen)
{
	if (spec->given & STORE_F_SUBNETS) {
		struct cidr mine[STORE_SUBNETS_MAX], pool;
		if (spec->nsubnets == 0 || spec->nsubnets > STORE_SUBNETS_MAX)
			return st_fail(err, errlen, EINVAL, "client %s needs 1 to %d subnets", c->name,
			               STORE_SUBNETS_MAX);
		if (validate_pool(set->tunnel_pool, &pool, err, errlen))
			return -1;
		for (size_t i = 0; i < spec->nsubnets; i++) {
			char sub[STORE_CIDR_SIZE + 1];
			memcpy(sub, spec->subnets[i], STORE_CIDR_SIZE);
			sub[STORE_CIDR_SIZE] = '\0'; /* an unterminated entry is refused as too long */
			if (validate_subnet(sub, &mine[i], err, errlen))
				return -1;
			cidr_format(&mine[i], c->subnets[i], sizeof(c->subnets[i]));
			long j = cidr_find_overlap(&mine[i], mine, i);
			if (j >= 0)
				return st_fail(err, errlen, EINVAL, "subnet %s overlaps %s of %s",
				               c->subnets[i], c->subnets[j], c->name);
			if (cidr_overlap(&mine[i], &pool))
				return st_fail(err, errlen, EINVAL, "subnet %s overlaps the tunnel-pool %s",
				               c->subnets[i], set->tunnel_pool);
		}
		c->nsubnets = spec->nsubnets;
	}
	if (spec->given & STORE_F_PORT) {
		if (spec->port < set->port_min || spec->port > set->port_max)
			return st_fail(err, errlen, EINVAL, "port %u is outside the port-range %u-%u",
			               spec->port, set->port_min, set->port_max);
		c->port = spec->port;
	}
	if (spec->given & STORE_F_CIPHER) {
		if (!validate_cipher_name(spec->cipher))
			return st_fail(err, errlen, EINVAL, "cipher %u is not aegis256 or chacha20poly1305",
			               spec->cipher);
		c->cipher = spec->cipher;
	}
	if (spec->given & STORE_F_DELAY) {
		if (spec->delay == IPC_DELAY_UNCHANGED || !ipc_delay_name(spec->delay))
			return st_fail(err, errlen, EINVAL, "delay %u is not low, even or auto",
			               spec->delay);
		c->delay = spec->delay;
	}
	if (spec->given & STORE_F_RATE)
		c->rate = spec->rate;
	if (spec->given & STORE_F_CEIL)
		c->ceil = spec->ceil;
	if (validate_shaping(c->rate, c->ceil, err, errlen))
		return -1;
	if (spec->given & STORE_F_KEY)
		memcpy(c->key, spec->key, sizeof(c->key));
	if (spec->given & STORE_F_PATHS) {
		if (spec->npaths > STORE_PATHS_MAX)
			return st_fail(err, errlen, EINVAL, "client %s has more than %d paths", c->name,
			               STORE_PATHS_MAX);
		for (size_t i = 0; i < spec->npaths; i++) {
			const struct store_path *p = &spec->paths[i];
			struct store_path *o = &c->paths[i];
			char name[STORE_NAME_SIZE + 1], addr[STORE_ADDR_SIZE + 1];
			memcpy(name, p->name, sizeof(p->name));
			name[sizeof(p->name)] = '\0';
			if (validate_name("path", name, err, errlen))
				return -1;
			for (size_t j = 0; j < i; j++)
				if (!strcmp(c->paths[j].name, p->name))
					return st_fail(err, errlen, EINVAL, "path %s is given twice", p->name);
			memset(o, 0, sizeof(*o));
			memcpy(o->name, p->name, sizeof(o->name));
			memcpy(addr, p->addr, sizeof(p->addr));
			addr[sizeof(p->addr)] = '\0';
			if (addr[0] &&
			    validate_addr("path address", addr, o->addr, sizeof(o->addr), err, errlen))
				return -1;
			if (p->rate_fixed > 1 || p->backup > 1)
				return st_fail(err, errlen, EINVAL, "path %s: rate_fixed and backup are 0 or 1",
				               p->name);
			if (p->loss_limit > 100)
				return st_fail(err, errlen, EINVAL, "path %s: loss limit %u%% is above 100%%",
				               p->name, p->loss_limit);
			if (p->beat_ms > 3600000)
				return st_fail(err, errlen, EINVAL, "path %s: beat %u ms is above one hour",
				               p->name, p->beat_ms);
			if (p->tx_rate > INT64_MAX || p->rx_rate > INT64_MAX)
				return st_fail(err, errlen, EINVAL, "path %s: rate is too large", p->name);
			o->rate_fixed = p->rate_fixed;
			o->backup = p->backup;
			o->loss_limit = p->loss_limit ? p->loss_limit : 100;
			o->beat_ms = p->beat_ms ? p->beat_ms : 100;
			o->tx_rate = p->tx_rate;
			o->rx_rate = p->rx_rate;
		}
		c->npaths = spec->npaths;
	}
	return 0;
}

/* What other clients hold: the port and the subnets. */
static int
check_others(struct store *st, const struct client *c, char *err, size_t errlen)
{
	char owner[STORE_NAME_SIZE];
	struct others o;

	if (held_by(st, SQL_PORT_HOLDER, c->port, c->id, owner, sizeof(owner), err, errlen))
		return -1;
	if (owner[0])
		return st_fail(err, errlen, EEXIST, "port %u is in use by %s", c->port, owner);
	if (others_load(st, c->id, &o, err, errlen))
		return -1;
	for (size_t i = 0; i < c->nsubnets; i++) {
		struct cidr mine;
		if (cidr_parse(c->subnets[i], &mine, err, errlen)) {
			others_free(&o);
			return -1;
		}
		long j = cidr_find_overlap(&mine, o.cidr, o.n);
		if (j >= 0) {
			char theirs[STORE_CIDR_SIZE];
			cidr_format(&o.cidr[j], theirs, sizeof(theirs));
			st_fail(err, errlen, EEXIST, "subnet %s overlaps %s of %s", c->subnets[i], theirs,
			        o.owner[j]);
			others_free(&o);
			return -1;
		}
	}
	others_free(&o);
	return 0;
}

static int
step_done(struct store *st, sqlite3_stmt *s, char *err, size_t errlen)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : st_dberr(st, err, errlen);
}

static int
write_subnets(struct store *st, const struct client *c, char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st, "DELETE FROM subnets WHERE client_id = ?", err, errlen);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->id);
	if (step_done(st, s, err, errlen))
		return -1;
	for (size_t i = 0; i < c->nsubnets; i++) {
		struct cidr x;
		if (cidr_parse(c->subnets[i], &x, err, errlen))
			return -1;
		s = st_prep(st, "INSERT INTO subnets (client_id, family, prefix, cidr) VALUES (?, ?, ?, ?)",
		            err, errlen);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, c->id);
		sqlite3_bind_int(s, 2, x.family);
		sqlite3_bind_int(s, 3, (int)x.prefix);
		sqlite3_bind_text(s, 4, c->subnets[i], -1, SQLITE_STATIC);
		if (step_done(st, s, err, errlen))
			return -1;
	}
	return 0;
}

static int
write_paths(struct store *st, const struct client *c, char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st, "DELETE FROM paths WHERE client_id = ?", err, errlen);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->id);
	if (step_done(st, s, err, errlen))
		return -1;
	for (size_t i = 0; i < c->npaths; i++) {
		const struct store_path *p = &c->paths[i];
		s = st_prep(st,
		            "INSERT INTO paths (client_id, name, addr, rate_fixed, tx_rate, rx_rate, "
		            "backup, beat_ms, loss_limit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		            err, errlen);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, c->id);
		sqlite3_bind_text(s, 2, p->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, p->addr, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, p->rate_fixed);
		sqlite3_bind_int64(s, 5, (int64_t)p->tx_rate);
		sqlite3_bind_int64(s, 6, (int64_t)p->rx_rate);
		sqlite3_bind_int(s, 7, p->backup);
		sqlite3_bind_int64(s, 8, p->beat_ms);
		sqlite3_bind_int(s, 9, p->loss_limit);
		if (step_done(st, s, err, errlen))
			return -1;
	}
	return 0;
}

/* Retires the key in use (if any) and makes key the one in use. */
static int
write_key(struct store *st, int64_t id, const uint8_t *key, char *err, size_t errlen)
{
	int64_t now = st_now(st);
	sqlite3_stmt *s = st_prep(st,
	                          "UPDATE keys SET rotated_at = ? WHERE client_id = ? "
	                          "AND rotated_at IS NULL",
	                          err, errlen);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, id);
	if (step_done(st, s, err, errlen))
		return -1;
	s = st_prep(st, "INSERT INTO keys (client_id, key, created_at) VALUES (?, ?, ?)", err,
	            errlen);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, key, STORE_KEY_SIZE, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return step_done(st, s, err, errlen);
}

/* INSERT (c->id == 0, then set) or UPDATE the clients row. */
static int
write_client_row(struct store *st, struct client *c, char *err, size_t errlen)
{
	const char *ins = "INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, "
	                  "tunnel_prefix, rate, ceil, cipher, delay, created_at, updated_at) "
	                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
	const char *upd = "UPDATE clients SET name = ?1, port = ?2, uid = ?3, tunnel_server = ?4, "
	                  "tunnel_client = ?5, tunnel_prefix = ?6, rate = ?7, ceil = ?8, "
	                  "cipher = ?9, delay = ?10, updated_at = ?12 WHERE id = ?13";
	sqlite3_stmt *s = st_prep(st, c->id ? upd : ins, err, errlen);

	if (!s)
		return -1;
	c->updated_at = st_now(st);
	if (!c->id)
		c->created_at = c->updated_at;
	sqlite3_bind_text(s, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, c->port);
	sqlite3_bind_int64(s, 3, c->uid);
	sqlite3_bind_text(s, 4, c->tunnel_server, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, c->tunnel_client, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, c->tunnel_prefix);
	sqlite3_bind_int64(s, 7, (int64_t)c->rate);
	sqlite3_bind_int64(s, 8, (int64_t)c->ceil);
	sqlite3_bind_text(s, 9, validate_cipher_name(c->cipher), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, ipc_delay_name(c->delay), -1, SQLITE_STATIC);
	if (!c->id)
		sqlite3_bind_int64(s, 11, c->created_at);
	sqlite3_bind_int64(s, 12, c->updated_at);
	if (c->id)
		sqlite3_bind_int64(s, 13, c->id);
	if (step_done(st, s, err, errlen))
		return -1;
	if (!c->id)
		c->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* "port 5000 uid 200000 tunnel 100.64.0.0-100.64.0.1 subnets a,b cipher x delay y rate r ceil
 * c paths n": what the audit trail says of a client (never its key). */
static void
describe(const struct client *c, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "port %u uid %u tunnel %s-%s subnets ", c->port,
	                            c->uid, c->tunnel_server, c->tunnel_client);
	for (size_t i = 0; i < c->nsubnets && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "", c->subnets[i]);
	if (n < size)
		snprintf(out + n, size - n, " cipher %s delay %s rate %llu ceil %llu paths %zu",
		         validate_cipher_name(c->cipher), ipc_delay_name(c->delay),
		         (unsigned long long)c->rate, (unsigned long long)c->ceil, c->npaths);
}

/* "changed rate,ceil; now port ...": what a set changed, then the client as it is after. */
static void
describe_set(unsigned given, const struct client *c, char *out, size_t size)
{
	static const char *const words[] = { "subnets", "port", "cipher", "delay",
		                             "rate",    "ceil", "key",    "paths" };
	size_t n = (size_t)snprintf(out, size, "changed");

	_Static_assert(STORE_F_SUBNETS == 1 << 0 && STORE_F_PATHS == 1 << 7, "words[] follows STORE_F_*");

	for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]) && n < size; i++)
		if (given & (1u << i))
			n += (size_t)snprintf(out + n, size - n, "%s%s", n == 7 ? " " : ",", words[i]);
	if (n + 6 < size) {
		memcpy(out + n, "; now ", 7);
		describe(c, out + n + 6, size - n - 6);
	}
}

static int
read_client(struct store *st, int64_t id, struct client *c, char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st,
	                          "SELECT name, port, uid, tunnel_server, tunnel_client, "
	                          "tunnel_prefix, rate, ceil, cipher, delay, created_at, updated_at "
	                          "FROM clients WHERE id = ?",
	                          err, errlen);
	char word[24];
	unsigned v;
	int rc;

	if (!s)
		return -1;
	memset(c, 0, sizeof(*c));
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? st_fail(err, errlen, ENOENT, "client id %lld is gone",
		                                   (long long)id)
		                         : st_dberr(st, err, errlen);
	}
	c->id = id;
	st_col_text(s, 0, c->name, sizeof(c->name));
	c->port = (uint16_t)sqlite3_column_int(s, 1);
	c->uid = (uint32_t)sqlite3_column_int64(s, 2);
	st_col_text(s, 3, c->tunnel_server, sizeof(c->tunnel_server));
	st_col_text(s, 4, c->tunnel_client, sizeof(c->tunnel_client));
	c->tunnel_prefix = (uint8_t)sqlite3_column_int(s, 5);
	c->rate = (uint64_t)sqlite3_column_int64(s, 6);
	c->ceil = (uint64_t)sqlite3_column_int64(s, 7);
	st_col_text(s, 8, word, sizeof(word));
	c->cipher = validate_cipher(word, &v, NULL, 0) ? IPC_CIPHER_AEGIS256 : (uint8_t)v;
	st_col_text(s, 9, word, sizeof(word));
	c->delay = (uint8_t)ipc_delay_from_name(word);
	c->created_at = sqlite3_column_int64(s, 10);
	c->updated_at = sqlite3_column_int64(s, 11);
	sqlite3_finalize(s);

	s = st_prep(st, "SELECT key, created_at, (SELECT count(*) - 1 FROM keys WHERE client_id = ?1) "
	                "FROM keys WHERE client_id = ?1 AND rotated_at IS NULL",
	            err, errlen);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == STORE_KEY_SIZE) {
		memcpy(c->key, sqlite3_column_blob(s, 0), STORE_KEY_SIZE);
		c->key_created_at = sqlite3_column_int64(s, 1);
		c->key_rotations = (unsigned)sqlite3_column_int(s, 2);
		c->key_rotated_at = c->key_rotations ? c->key_created_at : 0;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? st_fail(err, errlen, EIO, "client %s has no key", c->name)
		                         : st_dberr(st, err, errlen);

	s = st_prep(st, "SELECT cidr FROM subnets WHERE client_id = ? ORDER BY family, cidr", err,
	            errlen);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && c->nsubnets < STORE_SUBNETS_MAX)
		st_col_text(s, 0, c->subnets[c->nsubnets++], sizeof(c->subnets[0]));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return st_dberr(st, err, errlen);

	s = st_prep(st,
	            "SELECT name, addr, rate_fixed, tx_rate, rx_rate, backup, beat_ms, loss_limit "
	            "FROM paths WHERE client_id = ? ORDER BY name",
	            err, errlen);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && c->npaths < STORE_PATHS_MAX) {
		struct store_path *p = &c->paths[c->npaths++];
		st_col_text(s, 0, p->name, sizeof(p->name));
		st_col_text(s, 1, p->addr, sizeof(p->addr));
		p->rate_fixed = (uint8_t)sqlite3_column_int(s, 2);
		p->tx_rate = (uint64_t)sqlite3_column_int64(s, 3);
		p->rx_rate = (uint64_t)sqlite3_column_int64(s, 4);
		p->backup = (uint8_t)sqlite3_column_int(s, 5);
		p->beat_ms = (uint32_t)sqlite3_column_int64(s, 6);
		p->loss_limit = (uint8_t)sqlite3_column_int(s, 7);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return st_dberr(st, err, errlen);
	return 0;
}

/* Adds one client inside the caller's transaction. */
static int
insert_client(struct store *st, const struct client_spec *spec, const char *action,
              struct client *c, char *err, size_t errlen)
{
	struct store_settings set;
	char detail[1024];
	int64_t id;
	uint64_t v;

	memset(c, 0, sizeof(*c));
	if (check_name(spec, err, errlen))
		return -1;
	memcpy(c->name, spec->name, sizeof(c->name));
	if (client_id(st, c->name, &id, err, errlen))
		return -1;
	if (id)
		return st_fail(err, errlen, EEXIST, "client %s exists", c->name);
	if (!(spec->given & STORE_F_SUBNETS))
		return st_fail(err, errlen, EINVAL, "client %s needs at least one subnet", c->name);
	if (store_settings_get(st, &set, err, errlen))
		return -1;
	c->cipher = IPC_CIPHER_AEGIS256;
	c->delay = IPC_DELAY_AUTO;
	if (apply_spec(spec, &set, c, err, errlen))
		return -1;
	if (!(spec->given & STORE_F_PORT)) {
		if (first_free(st, SQL_PORT_HOLDER, "port-range", set.port_min, set.port_max, &v, err,
		               errlen))
			return -1;
		c->port = (uint16_t)v;
	}
	if (check_others(st, c, err, errlen))
		return -1;
	if (first_free(st, SQL_UID_HOLDER, "uid-range", set.uid_min, set.uid_max, &v, err, errlen))
		return -1;
	c->uid = (uint32_t)v;
	if (alloc_pair(st, set.tunnel_pool, c, err, errlen))
		return -1;
	if (!(spec->given & STORE_F_KEY))
		randombytes_buf(c->key, sizeof(c->key));
	describe(c, detail, sizeof(detail));
	if (write_client_row(st, c, err, errlen) || write_key(st, c->id, c->key, err, errlen) ||
	    write_subnets(st, c, err, errlen) || write_paths(st, c, err, errlen) ||
	    st_audit(st, action, c->name, detail, err, errlen))
		return -1;
	return read_client(st, c->id, c, err, errlen);
}

int
store_client_add(struct store *st, const struct client_spec *spec, struct client *out, char *err,
                 size_t errlen)
{
	struct client *c = malloc(sizeof(*c));

	if (!c)
		return st_fail(err, errlen, ENOMEM, "out of memory");
	if (st_begin(st, err, errlen) || insert_client(st, spec, "client add", c, err, errlen) ||
	    st_commit(st, err, errlen)) {
		st_rollback(st);
		sodium_memzero(c, sizeof(*c));
		free(c);
		return -1;
	}
	if (out)
		*out = *c;
	sodium_memzero(c, sizeof(*c));
	free(c);
	return 0;
}

int
store_import(struct store *st, const struct client_spec *specs, size_t n, size_t *failed,
             char *err, size_t errlen)
{
	struct client *c = malloc(sizeof(*c));
	char why[ERRLEN];
	int ret = 0;

	if (!c)
		return st_fail(err, errlen, ENOMEM, "out of memory");
	if (st_begin(st, err, errlen)) {
		free(c);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (insert_client(st, &specs[i], "client import", c, why, sizeof(why))) {
			int e = errno;
			if (failed)
				*failed = i;
			st_fail(err, errlen, e, "%s", why);
			ret = -1;
			break;
		}
	}
	if (ret == 0 && st_commit(st, err, errlen))
		ret = -1;
	if (ret)
		st_rollback(st);
	sodium_memzero(c, sizeof(*c));
	free(c);
	return ret;
}

static int
find(struct store *st, const char *name, int64_t *id, char *err, size_t errlen)
{
	char q[48];

	if (client_id(st, name, id, err, errlen))
		return -1;
	if (!*id) {
		validate_quote(q, sizeof(q), name);
		return st_fail(err, errlen, ENOENT, "no client %s", q);
	}
	return 0;
}

int
store_client_get(struct store *st, const char *name, struct client *out, char *err,
                 size_t errlen)
{
	int64_t id;

	if (find(st, name, &id, err, errlen))
		return -1;
	return read_client(st, id, out, err, errlen);
}

int
store_client_list(struct store *st, int (*cb)(const struct client *c, void *arg), void *arg,
                  char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st, "SELECT id FROM clients ORDER BY name", err, errlen);
	struct client *c = malloc(sizeof(*c));
	int rc, ret = 0;

	if (!s || !c) {
		sqlite3_finalize(s);
		free(c);
		return s ? st_fail(err, errlen, ENOMEM, "out of memory") : -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_client(st, sqlite3_column_int64(s, 0), c, err, errlen)) {
			ret = -1;
			break;
		}
		if ((ret = cb(c, arg)) != 0)
			break;
	}
	sqlite3_finalize(s);
	sodium_memzero(c, sizeof(*c));
	free(c);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? 0 : st_dberr(st, err, errlen);
}

int
store_client_set(struct store *st, const struct client_spec *spec, struct client *out, char *err,
                 size_t errlen)
{
	struct client *c = malloc(sizeof(*c));
	struct store_settings set;
	char detail[1024];
	int64_t id;

	if (!c)
		return st_fail(err, errlen, ENOMEM, "out of memory");
	if (check_name(spec, err, errlen))
		goto fail;
	if (!spec->given) {
		st_fail(err, errlen, EINVAL, "client set %s: nothing to change", spec->name);
		goto fail;
	}
	if (st_begin(st, err, errlen))
		goto fail;
	if (find(st, spec->name, &id, err, errlen) || read_client(st, id, c, err, errlen) ||
	    store_settings_get(st, &set, err, errlen) || apply_spec(spec, &set, c, err, errlen) ||
	    check_others(st, c, err, errlen))
		goto fail;
	describe_set(spec->given, c, detail, sizeof(detail));
	if (write_client_row(st, c, err, errlen) ||
	    ((spec->given & STORE_F_KEY) && write_key(st, c->id, c->key, err, errlen)) ||
	    ((spec->given & STORE_F_SUBNETS) && write_subnets(st, c, err, errlen)) ||
	    ((spec->given & STORE_F_PATHS) && write_paths(st, c, err, errlen)) ||
	    st_audit(st, "client set", c->name, detail, err, errlen) ||
	    read_client(st, id, c, err, errlen) || st_commit(st, err, errlen))
		goto fail;
	if (out)
		*out = *c;
	sodium_memzero(c, sizeof(*c));
	free(c);
	return 0;
fail:
	st_rollback(st);
	sodium_memzero(c, sizeof(*c));
	free(c);
	return -1;
}

int
store_client_del(struct store *st, const char *name, char *err, size_t errlen)
{
	char detail[128];
	int64_t id;
	sqlite3_stmt *s;

	if (st_begin(st, err, errlen))
		return -1;
	if (find(st, name, &id, err, errlen))
		goto fail;
	s = st_prep(st, "DELETE FROM clients WHERE id = ? RETURNING port, uid", err, errlen);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		st_dberr(st, err, errlen);
		sqlite3_finalize(s);
		goto fail;
	}
	snprintf(detail, sizeof(detail), "port %d uid %lld", sqlite3_column_int(s, 0),
	         (long long)sqlite3_column_int64(s, 1));
	if (step_done(st, s, err, errlen) ||
	    st_audit(st, "client del", name, detail, err, errlen) || st_commit(st, err, errlen))
		goto fail;
	return 0;
fail:
	st_rollback(st);
	return -1;
}

int
store_client_rotate_key(struct store *st, const char *name, const uint8_t *key,
                        struct client *out, char *err, size_t errlen)
{
	uint8_t fresh[STORE_KEY_SIZE];
	struct client *c = malloc(sizeof(*c));
	char detail[64];
	int64_t id;

	if (!c)
		return st_fail(err, errlen, ENOMEM, "out of memory");
	if (key)
		memcpy(fresh, key, sizeof(fresh));
	else
		randombytes_buf(fresh, sizeof(fresh));
	if (st_begin(st, err, errlen))
		goto fail;
	if (find(st, name, &id, err, errlen) || write_key(st, id, fresh, err, errlen))
		goto fail;
	snprintf(detail, sizeof(detail), "%s key", key ? "given" : "random");
	if (st_audit(st, "client rotate-key", name, detail, err, errlen) ||
	    read_client(st, id, c, err, errlen) || st_commit(st, err, errlen))
		goto fail;
	if (out)
		*out = *c;
	sodium_memzero(fresh, sizeof(fresh));
	sodium_memzero(c, sizeof(*c));
	free(c);
	return 0;
fail:
	st_rollback(st);
	sodium_memzero(fresh, sizeof(fresh));
	sodium_memzero(c, sizeof(*c));
	free(c);
	return -1;
}
