/* The SQLite store: opening, migrations, the concentrator's settings and the audit trail.
 * Clients are in store_sqlite_client.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_sqlite.h"
#include "store_sqlite_int.h"
#include "validate.h"

/* Steps after version 1: version N + 1 is one more entry here (and schema.sql updated to the
 * same result, with its user_version raised). */
static const struct store_migration migrations[] = {
	{ NULL },
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]) - 1)

_Static_assert(NMIGRATIONS + 1 == STORE_SCHEMA_VERSION, "one migration step per version after 1");

int
st_fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = e;
	return -1;
}

static int
db_fail(sqlite3 *db, char *err, size_t errlen)
{
	return st_fail(err, errlen, EIO, "database: %s", sqlite3_errmsg(db));
}

int
st_dberr(struct store *st, char *err, size_t errlen)
{
	return db_fail(st->db, err, errlen);
}

sqlite3_stmt *
st_prep(struct store *st, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		st_dberr(st, err, errlen);
		return NULL;
	}
	return s;
}

int
st_exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_dberr(st, err, errlen);
	return 0;
}

int
st_begin(struct store *st, char *err, size_t errlen)
{
	return st_exec(st, "BEGIN IMMEDIATE", err, errlen);
}

int
st_commit(struct store *st, char *err, size_t errlen)
{
	if (st_exec(st, "COMMIT", err, errlen)) {
		st_rollback(st);
		return -1;
	}
	return 0;
}

void
st_rollback(struct store *st)
{
	int e = errno;

	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	errno = e;
}

int64_t
st_now(struct store *st)
{
	return st->now ? st->now(st->now_arg) : (int64_t)time(NULL);
}

void
st_col_text(sqlite3_stmt *s, int col, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, size, "%s", t ? (const char *)t : "");
}

int
st_audit(struct store *st, const char *action, const char *subject, const char *detail,
         char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st,
	                          "INSERT INTO audit (at, actor, action, subject, detail) "
	                          "VALUES (?, ?, ?, ?, ?)",
	                          err, errlen);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, st_now(st));
	sqlite3_bind_text(s, 2, st->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : st_dberr(st, err, errlen);
}

/* One integer from a statement without parameters. */
static int
db_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int rc = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Runs sql in a transaction that must end at version want. */
static int
apply_step(sqlite3 *db, const char *sql, int64_t want, char *err, size_t errlen)
{
	int64_t v = -1;
	char set[48];

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, err, errlen);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	/* a step need not set its version: the target is known, so set it here */
	snprintf(set, sizeof(set), "PRAGMA user_version = %lld", (long long)want);
	if (sqlite3_exec(db, set, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (db_int(db, "PRAGMA user_version", &v) || v != want)
		goto fail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	db_fail(db, err, errlen);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	errno = EIO;
	return -1;
}

int
store_sqlite_migrate(sqlite3 *db, const char *schema, const struct store_migration *steps,
                     size_t nsteps, char *err, size_t errlen)
{
	int64_t version, tables, want = (int64_t)nsteps + 1;

	if (db_int(db, "PRAGMA user_version", &version) ||
	    db_int(db, "SELECT count(*) FROM sqlite_master", &tables))
		return db_fail(db, err, errlen);
	if (version == 0 && tables > 0)
		return st_fail(err, errlen, EINVAL,
		               "database has tables but no schema version: not a gt store");
	if (version > want)
		return st_fail(err, errlen, EINVAL,
		               "database is schema version %lld, this program knows up to %lld",
		               (long long)version, (long long)want);
	if (version == 0) {
		/* schema.sql sets its own user_version; it must be the one the steps lead to */
		int64_t got = -1;
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			return db_fail(db, err, errlen);
		if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
			db_fail(db, err, errlen);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			errno = EIO;
			return -1;
		}
		if (db_int(db, "PRAGMA user_version", &got) || got != want) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return st_fail(err, errlen, EINVAL,
			               "schema.sql is version %lld, this program expects %lld",
			               (long long)got, (long long)want);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			db_fail(db, err, errlen);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			errno = EIO;
			return -1;
		}
		return 0;
	}
	for (int64_t v = version; v < want; v++) {
		char why[STORE_ERR_SIZE];
		if (apply_step(db, steps[v - 1].sql, v + 1, why, sizeof(why)))
			return st_fail(err, errlen, EIO, "migration to version %lld: %s",
			               (long long)(v + 1), why);
	}
	return 0;
}

struct store *
store_open(const char *path, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	if (!st) {
		st_fail(err, errlen, ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(st->actor, sizeof(st->actor), "gt-supervisor");
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		st_fail(err, errlen, EIO, "database %s: %s", path,
		        st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite3_busy_timeout(st->db, 5000) != SQLITE_OK ||
	    st_exec(st, "PRAGMA foreign_keys = ON", err, errlen) ||
	    st_exec(st, "PRAGMA journal_mode = WAL", err, errlen) ||
	    st_exec(st, "PRAGMA synchronous = NORMAL", err, errlen))
		goto fail;
	int64_t fk = 0;
	if (db_int(st->db, "PRAGMA foreign_keys", &fk) || fk != 1) {
		st_fail(err, errlen, EIO, "database: foreign keys cannot be enabled");
		goto fail;
	}
	if (store_sqlite_migrate(st->db, store_schema_sql, migrations, NMIGRATIONS, err, errlen))
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st);
}

sqlite3 *
store_sqlite_db(struct store *st)
{
	return st->db;
}

void
store_set_actor(struct store *st, const char *actor)
{
	validate_quote(st->actor, sizeof(st->actor), actor && *actor ? actor : "gt-supervisor");
}

void
store_set_clock(struct store *st, int64_t (*now)(void *arg), void *arg)
{
	st->now = now;
	st->now_arg = arg;
}

int
store_settings_get(struct store *st, struct store_settings *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st,
	                          "SELECT public_address, port_min, port_max, tunnel_pool, uid_min, "
	                          "uid_max FROM settings WHERE id = 1",
	                          err, errlen);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? st_fail(err, errlen, EIO, "database: no settings row")
		                         : st_dberr(st, err, errlen);
	}
	memset(out, 0, sizeof(*out));
	st_col_text(s, 0, out->public_address, sizeof(out->public_address));
	out->port_min = (uint16_t)sqlite3_column_int(s, 1);
	out->port_max = (uint16_t)sqlite3_column_int(s, 2);
	st_col_text(s, 3, out->tunnel_pool, sizeof(out->tunnel_pool));
	out->uid_min = (uint32_t)sqlite3_column_int64(s, 4);
	out->uid_max = (uint32_t)sqlite3_column_int64(s, 5);
	sqlite3_finalize(s);
	return 0;
}

/* Refuses a range of column that leaves out a value a client holds. */
static int
range_keeps(struct store *st, const char *what, int uid, uint64_t lo, uint64_t hi, char *err,
            size_t errlen)
{
	const char *sql = uid ? "SELECT name, uid FROM clients WHERE uid NOT BETWEEN ? AND ? "
	                        "ORDER BY uid LIMIT 1"
	                      : "SELECT name, port FROM clients WHERE port NOT BETWEEN ? AND ? "
	                        "ORDER BY port LIMIT 1";
	sqlite3_stmt *s = st_prep(st, sql, err, errlen);
	char name[STORE_NAME_SIZE];

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)lo);
	sqlite3_bind_int64(s, 2, (int64_t)hi);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		st_col_text(s, 0, name, sizeof(name));
		long long v = sqlite3_column_int64(s, 1);
		sqlite3_finalize(s);
		return st_fail(err, errlen, EINVAL, "%s %llu-%llu leaves out %s %lld of %s", what,
		               (unsigned long long)lo, (unsigned long long)hi, uid ? "uid" : "port", v,
		               name);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : st_dberr(st, err, errlen);
}

/* Refuses a pool that leaves out a client's pair or overlaps a client's subnet. */
static int
pool_keeps(struct store *st, const struct cidr *pool, const char *text, char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st, "SELECT name, tunnel_server, tunnel_client FROM clients", err,
	                          errlen);
	char name[STORE_NAME_SIZE], a[STORE_ADDR_SIZE];
	struct cidr c;
	int rc;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int col = 1; col <= 2; col++) {
			st_col_text(s, col, a, sizeof(a));
			if (cidr_parse(a, &c, NULL, 0) || !cidr_contains(pool, &c)) {
				st_col_text(s, 0, name, sizeof(name));
				sqlite3_finalize(s);
				return st_fail(err, errlen, EINVAL,
				               "tunnel-pool %s leaves out tunnel address %s of %s", text, a,
				               name);
			}
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return st_dberr(st, err, errlen);
	s = st_prep(st, "SELECT s.cidr, c.name FROM subnets s JOIN clients c ON c.id = s.client_id",
	            err, errlen);
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char cidr[STORE_CIDR_SIZE];
		st_col_text(s, 0, cidr, sizeof(cidr));
		if (!cidr_parse(cidr, &c, NULL, 0) && cidr_overlap(pool, &c)) {
			st_col_text(s, 1, name, sizeof(name));
			sqlite3_finalize(s);
			return st_fail(err, errlen, EEXIST, "tunnel-pool %s overlaps subnet %s of %s", text,
			               cidr, name);
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : st_dberr(st, err, errlen);
}

int
store_settings_set(struct store *st, const char *key, const char *value, char *err,
                   size_t errlen)
{
	struct store_settings old;
	char norm[STORE_HOST_SIZE], detail[512], q[48];
	uint64_t lo = 0, hi = 0;
	struct cidr pool;
	sqlite3_stmt *s = NULL;
	const char *oldtext = "";
	char oldrange[48];

	if (st_begin(st, err, errlen))
		return -1;
	if (store_settings_get(st, &old, err, errlen))
		goto fail;
	if (!strcmp(key, "public-address")) {
		if (validate_public_address(value, norm, sizeof(norm), err, errlen))
			goto fail;
		oldtext = old.public_address;
		s = st_prep(st, "UPDATE settings SET public_address = ? WHERE id = 1", err, errlen);
		if (s)
			sqlite3_bind_text(s, 1, norm, -1, SQLITE_STATIC);
	} else if (!strcmp(key, "port-range")) {
		if (validate_range("port-range", value, 1, 65535, &lo, &hi, err, errlen) ||
		    range_keeps(st, "port-range", 0, lo, hi, err, errlen))
			goto fail;
		snprintf(oldrange, sizeof(oldrange), "%u-%u", old.port_min, old.port_max);
		oldtext = oldrange;
		s = st_prep(st, "UPDATE settings SET port_min = ?, port_max = ? WHERE id = 1", err,
		            errlen);
	} else if (!strcmp(key, "uid-range")) {
		if (validate_range("uid-range", value, 1, 4294967294u, &lo, &hi, err, errlen) ||
		    range_keeps(st, "uid-range", 1, lo, hi, err, errlen))
			goto fail;
		snprintf(oldrange, sizeof(oldrange), "%u-%u", old.uid_min, old.uid_max);
		oldtext = oldrange;
		s = st_prep(st, "UPDATE settings SET uid_min = ?, uid_max = ? WHERE id = 1", err,
		            errlen);
	} else if (!strcmp(key, "tunnel-pool")) {
		if (validate_pool(value, &pool, err, errlen))
			goto fail;
		cidr_format(&pool, norm, sizeof(norm));
		if (pool_keeps(st, &pool, norm, err, errlen))
			goto fail;
		oldtext = old.tunnel_pool;
		s = st_prep(st, "UPDATE settings SET tunnel_pool = ? WHERE id = 1", err, errlen);
		if (s)
			sqlite3_bind_text(s, 1, norm, -1, SQLITE_STATIC);
	} else {
		validate_quote(q, sizeof(q), key);
		st_fail(err, errlen, EINVAL,
		        "setting \"%s\" is not public-address, port-range, tunnel-pool or uid-range", q);
		goto fail;
	}
	if (!s)
		goto fail;
	if (lo || hi) {
		sqlite3_bind_int64(s, 1, (int64_t)lo);
		sqlite3_bind_int64(s, 2, (int64_t)hi);
		snprintf(norm, sizeof(norm), "%llu-%llu", (unsigned long long)lo, (unsigned long long)hi);
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		st_dberr(st, err, errlen);
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	snprintf(detail, sizeof(detail), "%s -> %s", oldtext, norm);
	if (st_audit(st, "settings set", key, detail, err, errlen) || st_commit(st, err, errlen))
		goto fail;
	return 0;
fail:
	sqlite3_finalize(s);
	st_rollback(st);
	return -1;
}

int
store_audit_list(struct store *st, int64_t after,
                 int (*cb)(const struct audit_entry *e, void *arg), void *arg, char *err,
                 size_t errlen)
{
	sqlite3_stmt *s = st_prep(st,
	                          "SELECT id, at, actor, action, subject, detail FROM audit "
	                          "WHERE id > ? ORDER BY id",
	                          err, errlen);
	struct audit_entry e;
	int rc, ret = 0;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.id = sqlite3_column_int64(s, 0);
		e.at = sqlite3_column_int64(s, 1);
		st_col_text(s, 2, e.actor, sizeof(e.actor));
		st_col_text(s, 3, e.action, sizeof(e.action));
		st_col_text(s, 4, e.subject, sizeof(e.subject));
		st_col_text(s, 5, e.detail, sizeof(e.detail));
		if ((ret = cb(&e, arg)) != 0)
			break;
	}
	sqlite3_finalize(s);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? 0 : st_dberr(st, err, errlen);
}
