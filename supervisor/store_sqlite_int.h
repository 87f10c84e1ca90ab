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
int st_fail(char *err, size_t errlen, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
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

#endif
