/* The SQLite store's allocation: what other clients hold (ports, uids, tunnel pairs,
 * subnets) and the first free value of a range or pool. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"
#include "store_sqlite_int.h"
#include "validate.h"

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
others_load(struct store *st, int64_t self, struct others *o, char *err,
            size_t errlen)
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
held_by(struct store *st, const char *sql, int64_t value, int64_t self, char *owner,
        size_t size, char *err, size_t errlen)
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
int
st_first_free(struct store *st, int uid, const char *what, uint64_t lo, uint64_t hi,
              uint64_t *out, char *err, size_t errlen)
{
	const char *sql = uid ? SQL_UID_HOLDER : SQL_PORT_HOLDER;
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

int
st_alloc_pair(struct store *st, const char *pooltext, struct client *c, char *err,
              size_t errlen)
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


/* What other clients hold: the port and the subnets. */
int
st_check_others(struct store *st, const struct client *c, char *err, size_t errlen)
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

