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
 * against each other and the pool here, against other clients by st_check_others(). */
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
	if (st_client_id(st, c->name, &id, err, errlen))
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
		if (st_first_free(st, 0, "port-range", set.port_min, set.port_max, &v, err,
		               errlen))
			return -1;
		c->port = (uint16_t)v;
	}
	if (st_check_others(st, c, err, errlen))
		return -1;
	if (st_first_free(st, 1, "uid-range", set.uid_min, set.uid_max, &v, err, errlen))
		return -1;
	c->uid = (uint32_t)v;
	if (st_alloc_pair(st, set.tunnel_pool, c, err, errlen))
		return -1;
	if (!(spec->given & STORE_F_KEY))
		randombytes_buf(c->key, sizeof(c->key));
	describe(c, detail, sizeof(detail));
	if (st_write_client_row(st, c, err, errlen) || st_write_key(st, c->id, c->key, err, errlen) ||
	    st_write_subnets(st, c, err, errlen) || st_write_paths(st, c, err, errlen) ||
	    st_audit(st, action, c->name, detail, err, errlen))
		return -1;
	return st_read_client(st, c->id, c, err, errlen);
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
	char why[STORE_ERR_SIZE];
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

	if (st_client_id(st, name, id, err, errlen))
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
	return st_read_client(st, id, out, err, errlen);
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
		if (st_read_client(st, sqlite3_column_int64(s, 0), c, err, errlen)) {
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
	if (find(st, spec->name, &id, err, errlen) || st_read_client(st, id, c, err, errlen) ||
	    store_settings_get(st, &set, err, errlen) || apply_spec(spec, &set, c, err, errlen) ||
	    st_check_others(st, c, err, errlen))
		goto fail;
	describe_set(spec->given, c, detail, sizeof(detail));
	if (st_write_client_row(st, c, err, errlen) ||
	    ((spec->given & STORE_F_KEY) && st_write_key(st, c->id, c->key, err, errlen)) ||
	    ((spec->given & STORE_F_SUBNETS) && st_write_subnets(st, c, err, errlen)) ||
	    ((spec->given & STORE_F_PATHS) && st_write_paths(st, c, err, errlen)) ||
	    st_audit(st, "client set", c->name, detail, err, errlen) ||
	    st_read_client(st, id, c, err, errlen) || st_commit(st, err, errlen))
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
	if (st_step_done(st, s, err, errlen) ||
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
	if (find(st, name, &id, err, errlen) || st_write_key(st, id, fresh, err, errlen))
		goto fail;
	snprintf(detail, sizeof(detail), "%s key", key ? "given" : "random");
	if (st_audit(st, "client rotate-key", name, detail, err, errlen) ||
	    st_read_client(st, id, c, err, errlen) || st_commit(st, err, errlen))
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
