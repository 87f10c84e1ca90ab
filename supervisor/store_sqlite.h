/* What the SQLite store keeps to itself and its tests: the embedded schema, the migration steps
 * and the database handle. Callers of the store use store.h only. */
#ifndef GT_SUPERVISOR_STORE_SQLITE_H
#define GT_SUPERVISOR_STORE_SQLITE_H

#include <sqlite3.h>
#include <stddef.h>

#include "store.h"

/* schema.sql as one NUL-terminated string (generated from the file at build time). */
extern const char store_schema_sql[];

/* One step: SQL that takes a database from version i + 1 to i + 2 (steps[0]: 1 -> 2). */
struct store_migration {
	const char *sql;
};

/* Brings db to version nsteps + 1: an empty database (user_version 0, no tables) gets schema,
 * which must leave user_version at nsteps + 1; an older one gets the steps it lacks, each in its
 * own transaction that also sets user_version. A newer database, or tables without a version,
 * is refused. A failing step rolls back and leaves the database at the version before it. */
int store_sqlite_migrate(sqlite3 *db, const char *schema, const struct store_migration *steps,
                         size_t nsteps, char *err, size_t errlen);

/* The handle behind st (tests read and serialize it). */
sqlite3 *store_sqlite_db(struct store *st);

#endif
