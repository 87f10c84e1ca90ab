/* Shared by the files of the SQLite store: the struct behind struct store and small helpers.
 * Every statement binds its values: no SQL text is ever built from input. */
#ifndef GT_SUPERVISOR_STORE_SQLITE_INT_H
#define GT_SUPERVISOR_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"

struct store {
	sqlite3 *db;
	char actor[65];
	int64_t (*now)(void *arg);
	void *now_arg;
};

/* Writes one line into err, sets errno to e, returns -1. */
int st_fail(char *err, size_t errlen, int e, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* "database: <sqlite's message>", errno EIO. */
int st_dberr(struct store *st, char *err, size_t errlen);
/* A prepared statement, or NULL with err written. */
sqlite3_stmt *st_prep(struct store *st, const char *sql, char *err, size_t errlen);
/* Runs sql (no parameters, no rows: BEGIN, COMMIT, ROLLBACK). */
int st_exec(struct store *st, const char *sql, char *err, size_t errlen);
/* BEGIN IMMEDIATE / COMMIT; st_rollback keeps errno. */
int st_begin(struct store *st, char *err, size_t errlen);
int st_commit(struct store *st, char *err, size_t errlen);
void st_rollback(struct store *st);
int64_t st_now(struct store *st);
/* Appends one audit row (inside the caller's transaction). */
int st_audit(struct store *st, const char *action, const char *subject, const char *detail,
             char *err, size_t errlen);
/* Copies a text column into out (size bytes, cut if longer). */
void st_col_text(sqlite3_stmt *s, int col, char *out, size_t size);

/* store_sqlite_row.c: one client's rows. */
/* The id of the client name, 0 if none. */
int st_client_id(struct store *st, const char *name, int64_t *id, char *err, size_t errlen);
int st_read_client(struct store *st, int64_t id, struct client *c, char *err, size_t errlen);
/* INSERT (c->id == 0; sets c->id and created_at) or UPDATE the clients row; sets updated_at. */
int st_write_client_row(struct store *st, struct client *c, char *err, size_t errlen);
/* Retires the key in use (if any) and makes key (32 bytes) the one in use. */
int st_write_key(struct store *st, int64_t id, const uint8_t *key, char *err, size_t errlen);
/* Replace the client's subnets / paths with those in c. */
int st_write_subnets(struct store *st, const struct client *c, char *err, size_t errlen);
int st_write_paths(struct store *st, const struct client *c, char *err, size_t errlen);
/* Steps s to its end and finalizes it. */
int st_step_done(struct store *st, sqlite3_stmt *s, char *err, size_t errlen);

/* store_sqlite_alloc.c: what other clients hold. */
/* The lowest port (uid = 0) or uid (uid = 1) in lo..hi that no client holds; ENOSPC when none;
 * what names the range in the message. */
int st_first_free(struct store *st, int uid, const char *what, uint64_t lo, uint64_t hi,
                  uint64_t *out, char *err, size_t errlen);
/* The first pair of the pool no client holds, into c's tunnel fields; ENOSPC when none. */
int st_alloc_pair(struct store *st, const char *pool, struct client *c, char *err, size_t errlen);
/* Refuses c's port or subnets if a client other than c->id holds the port or an overlapping
 * subnet (EEXIST). */
int st_check_others(struct store *st, const struct client *c, char *err, size_t errlen);

#endif
