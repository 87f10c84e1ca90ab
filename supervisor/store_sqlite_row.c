/* The SQLite store's rows of one client: reading a struct client from its tables and writing
 * one back. Callers hold the transaction. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipc/ipc.h"
#include "store_sqlite_int.h"
#include "validate.h"

int
st_client_id(struct store *st, const char *name, int64_t *id, char *err, size_t errlen)
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

int
st_step_done(struct store *st, sqlite3_stmt *s, char *err, size_t errlen)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : st_dberr(st, err, errlen);
}

int
st_write_subnets(struct store *st, const struct client *c, char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st, "DELETE FROM subnets WHERE client_id = ?", err, errlen);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->id);
	if (st_step_done(st, s, err, errlen))
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
		if (st_step_done(st, s, err, errlen))
			return -1;
	}
	return 0;
}

int
st_write_paths(struct store *st, const struct client *c, char *err, size_t errlen)
{
	sqlite3_stmt *s = st_prep(st, "DELETE FROM paths WHERE client_id = ?", err, errlen);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->id);
	if (st_step_done(st, s, err, errlen))
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
		if (st_step_done(st, s, err, errlen))
			return -1;
	}
	return 0;
}

/* Retires the key in use (if any) and makes key the one in use. */
int
st_write_key(struct store *st, int64_t id, const uint8_t *key, char *err,
             size_t errlen)
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
	if (st_step_done(st, s, err, errlen))
		return -1;
	s = st_prep(st, "INSERT INTO keys (client_id, key, created_at) VALUES (?, ?, ?)", err,
	            errlen);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, key, STORE_KEY_SIZE, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return st_step_done(st, s, err, errlen);
}

/* INSERT (c->id == 0, then set) or UPDATE the clients row. */
int
st_write_client_row(struct store *st, struct client *c, char *err, size_t errlen)
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
	if (st_step_done(st, s, err, errlen))
		return -1;
	if (!c->id)
		c->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
st_read_client(struct store *st, int64_t id, struct client *c, char *err,
               size_t errlen)
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

