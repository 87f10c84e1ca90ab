/* The store on in-memory SQLite: the schema's own constraints, allocation of ports, tunnel
 * pairs and uids (and their exhaustion), refusals that leave the database byte-identical,
 * import all-or-none, key rotation times, cascades, the audit trail, settings, and migrations. */
#define _GNU_SOURCE /* strcasestr */
#include <check.h>
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../supervisor/store.h"
#include "../../supervisor/store_sqlite.h"
#include "ipc/ipc.h"
#include "support/suite.h"

static struct store *st;
static char err[STORE_ERR_SIZE];
static int64_t clock_now;

static int64_t
fake_now(void *arg)
{
	(void)arg;
	return clock_now;
}

static void
setup(void)
{
	ck_assert_int_eq(sodium_init() >= 0, 1);
	st = store_open(":memory:", err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	clock_now = 1000;
	store_set_clock(st, fake_now, NULL);
	store_set_actor(st, "tester");
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
}

static sqlite3 *
db(void)
{
	return store_sqlite_db(st);
}

/* One integer from SQL on the store's database (tests only: fixed text, no input). */
static int64_t
q_int(const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(db(), sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The whole database as bytes: equal images mean nothing changed. */
struct image {
	unsigned char *p;
	sqlite3_int64 n;
};

static struct image
snap(void)
{
	struct image im;

	im.p = sqlite3_serialize(db(), "main", &im.n, 0);
	ck_assert_ptr_nonnull(im.p);
	return im;
}

static void
assert_same(struct image before, const char *what)
{
	struct image after = snap();

	ck_assert_msg(after.n == before.n && memcmp(after.p, before.p, (size_t)after.n) == 0,
	              "%s changed the database", what);
	sqlite3_free(after.p);
}

static struct client_spec *
spec(const char *name, const char *sub1, const char *sub2)
{
	static struct client_spec s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	if (sub1) {
		s.given |= STORE_F_SUBNETS;
		snprintf(s.subnets[s.nsubnets++], STORE_CIDR_SIZE, "%s", sub1);
	}
	if (sub2)
		snprintf(s.subnets[s.nsubnets++], STORE_CIDR_SIZE, "%s", sub2);
	return &s;
}

static void
add_ok(struct client_spec *s, struct client *out)
{
	ck_assert_msg(store_client_add(st, s, out, err, sizeof(err)) == 0, "%s: %s", s->name, err);
}

static void
set_ok(const char *key, const char *value)
{
	ck_assert_msg(store_settings_set(st, key, value, err, sizeof(err)) == 0, "%s %s: %s", key,
	              value, err);
}

static void
assert_one_line(void)
{
	ck_assert_uint_gt(strlen(err), 0);
	ck_assert_ptr_null(strchr(err, '\n'));
}

/* --- schema ------------------------------------------------------------------------------- */

START_TEST(test_open_version_and_pragmas)
{
	ck_assert_int_eq(q_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(q_int("PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM settings"), 1);

	char path[] = "/tmp/gt-store-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(path); /* store_open creates it */
	struct store *f = store_open(path, err, sizeof(err));
	ck_assert_msg(f != NULL, "%s", err);
	sqlite3_stmt *s;
	ck_assert_int_eq(sqlite3_prepare_v2(store_sqlite_db(f), "PRAGMA journal_mode", -1, &s, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	ck_assert_int_eq(store_client_add(f, spec("site-1", "10.1.0.0/24", NULL), NULL, err,
	                                  sizeof(err)),
	                 0);
	store_close(f);
	/* reopened: the schema is not applied twice, the client is still there */
	f = store_open(path, err, sizeof(err));
	ck_assert_msg(f != NULL, "%s", err);
	struct client c;
	ck_assert_int_eq(store_client_get(f, "site-1", &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.subnets[0], "10.1.0.0/24");
	store_close(f);
	char side[sizeof(path) + 8];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}
END_TEST

/* Each statement must be refused by the schema itself. */
START_TEST(test_schema_constraints)
{
	const char *ok = "INSERT INTO clients (id, name, port, uid, tunnel_server, tunnel_client, "
	                 "tunnel_prefix, created_at, updated_at) VALUES "
	                 "(1, 'site-1', 5000, 200000, '100.64.0.0', '100.64.0.1', 31, 1, 1);"
	                 "INSERT INTO keys (client_id, key, created_at) VALUES (1, zeroblob(32), 1);"
	                 "INSERT INTO subnets VALUES (1, 4, 24, '10.1.0.0/24');"
	                 "INSERT INTO paths (client_id, name) VALUES (1, 'wan1');"
	                 "INSERT INTO clients (id, name, port, uid, tunnel_server, tunnel_client, "
	                 "tunnel_prefix, created_at, updated_at) VALUES "
	                 "(2, 'site-0', 5002, 200002, '100.64.0.4', '100.64.0.5', 31, 1, 1);";
	const char *bad[] = {
		/* names */
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('site-1', 5001, 200001, '100.64.0.2', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('Site', 5001, 200001, '100.64.0.2', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('', 5001, 200001, '100.64.0.2', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('abcdefghijklmnopqrstuvwxyz0123456', 5001, 200001, "
		"'100.64.0.2', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('a''b', 5001, 200001, '100.64.0.2', '100.64.0.3', 31, 1, 1)",
		/* ports, uids, pairs */
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('site-2', 5000, 200001, '100.64.0.2', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('site-2', 0, 200001, '100.64.0.2', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('site-2', 65536, 200001, '100.64.0.2', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('site-2', 5001, 200000, '100.64.0.2', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('site-2', 5001, 0, '100.64.0.2', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('site-2', 5001, 200001, '100.64.0.1', '100.64.0.3', 31, 1, 1)",
		"INSERT INTO clients (name, port, uid, tunnel_server, tunnel_client, tunnel_prefix, "
		"created_at, updated_at) VALUES ('site-2', 5001, 200001, '100.64.0.2', '100.64.0.3', 30, 1, 1)",
		"UPDATE clients SET tunnel_server = '100.64.0.1' WHERE id = 2",
		"UPDATE clients SET tunnel_client = '100.64.0.0' WHERE id = 2",
		"UPDATE clients SET tunnel_client = tunnel_server WHERE id = 2",
		/* shaping and engine words */
		"UPDATE clients SET rate = 100, ceil = 50",
		"UPDATE clients SET rate = -1",
		"UPDATE clients SET cipher = 'rot13'",
		"UPDATE clients SET delay = 'fast'",
		/* keys: 32 bytes, one in use */
		"INSERT INTO keys (client_id, key, created_at) VALUES (1, zeroblob(31), 1)",
		"INSERT INTO keys (client_id, key, created_at) VALUES (1, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1)",
		"INSERT INTO keys (client_id, key, created_at) VALUES (1, zeroblob(32), 2)",
		"INSERT INTO keys (client_id, key, created_at) VALUES (9, zeroblob(32), 2)",
		/* subnets */
		"INSERT INTO subnets VALUES (1, 4, 24, '10.1.0.0/24')",
		"INSERT INTO subnets VALUES (1, 4, 16, '10.2.0.0/24')",
		"INSERT INTO subnets VALUES (1, 4, 0, '0.0.0.0/0')",
		"INSERT INTO subnets VALUES (1, 4, 33, '10.2.0.0/33')",
		"INSERT INTO subnets VALUES (1, 4, 64, 'fd00::/64')",
		"INSERT INTO subnets VALUES (1, 6, 24, '10.2.0.0/24')",
		"INSERT INTO subnets VALUES (9, 4, 24, '10.3.0.0/24')",
		/* paths */
		"INSERT INTO paths (client_id, name) VALUES (1, 'wan1')",
		"INSERT INTO paths (client_id, name) VALUES (1, 'WAN 2')",
		"INSERT INTO paths (client_id, name, loss_limit) VALUES (1, 'wan2', 101)",
		"INSERT INTO paths (client_id, name, beat_ms) VALUES (1, 'wan2', 0)",
		"INSERT INTO paths (client_id, name, backup) VALUES (1, 'wan2', 2)",
		"INSERT INTO paths (client_id, name, addr) VALUES (1, 'wan2', '1.2.3.4; rm')",
		/* settings: one row, ranges in order */
		"INSERT INTO settings (id) VALUES (2)",
		"UPDATE settings SET port_min = 6000, port_max = 5000",
		"UPDATE settings SET uid_min = 0",
		"UPDATE settings SET public_address = 'a b'",
		/* audit */
		"INSERT INTO audit (at, actor, action, subject) VALUES (1, 'x', 'drop', 'y')",
		"INSERT INTO audit (at, actor, action, subject) VALUES (1, '', 'client add', 'y')",
	};

	ck_assert_int_eq(sqlite3_exec(db(), ok, NULL, NULL, NULL), SQLITE_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct image im = snap();
		ck_assert_msg(sqlite3_exec(db(), bad[i], NULL, NULL, NULL) != SQLITE_OK,
		              "the schema accepted: %s", bad[i]);
		ck_assert_int_eq(sqlite3_extended_errcode(db()) & 0xff, SQLITE_CONSTRAINT);
		assert_same(im, bad[i]);
		sqlite3_free(im.p);
	}
	/* and the row the store would write is fine: the store reads it */
	struct client c;
	ck_assert_msg(store_client_get(st, "site-1", &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(c.port, 5000);
	ck_assert_uint_eq(c.npaths, 1);
	ck_assert_uint_eq(c.paths[0].beat_ms, 100);
	ck_assert_uint_eq(c.paths[0].loss_limit, 100);
}
END_TEST

/* --- allocation --------------------------------------------------------------------------- */

START_TEST(test_add_allocates_and_defaults)
{
	struct client a, b, g;
	uint8_t zero[32] = { 0 };

	add_ok(spec("site-1", "10.1.0.0/24", "FD00:1::/64"), &a);
	add_ok(spec("site-2", "10.2.0.0/24", NULL), &b);
	ck_assert_uint_eq(a.port, 5000);
	ck_assert_uint_eq(b.port, 5001);
	ck_assert_uint_eq(a.uid, 200000);
	ck_assert_uint_eq(b.uid, 200001);
	ck_assert_str_eq(a.tunnel_server, "100.64.0.0");
	ck_assert_str_eq(a.tunnel_client, "100.64.0.1");
	ck_assert_str_eq(b.tunnel_server, "100.64.0.2");
	ck_assert_str_eq(b.tunnel_client, "100.64.0.3");
	ck_assert_uint_eq(a.tunnel_prefix, 31);
	ck_assert_uint_eq(a.cipher, IPC_CIPHER_AEGIS256);
	ck_assert_uint_eq(a.delay, IPC_DELAY_AUTO);
	ck_assert_uint_eq(a.nsubnets, 2);
	ck_assert_str_eq(a.subnets[0], "10.1.0.0/24");
	ck_assert_str_eq(a.subnets[1], "fd00:1::/64"); /* normalised */
	ck_assert(memcmp(a.key, zero, 32) != 0);
	ck_assert(memcmp(a.key, b.key, 32) != 0);
	ck_assert_int_eq(a.key_created_at, 1000);
	ck_assert_int_eq(a.key_rotated_at, 0);
	ck_assert_int_eq(a.created_at, 1000);

	ck_assert_int_eq(store_client_get(st, "site-1", &g, err, sizeof(err)), 0);
	ck_assert_int_eq(g.id, a.id);
	ck_assert_str_eq(g.name, "site-1");
	ck_assert_uint_eq(g.port, a.port);
	ck_assert_uint_eq(g.uid, a.uid);
	ck_assert_str_eq(g.tunnel_client, a.tunnel_client);
	ck_assert_mem_eq(g.key, a.key, 32);
	ck_assert_uint_eq(g.nsubnets, 2);
	ck_assert_str_eq(g.subnets[1], a.subnets[1]);
	ck_assert_int_eq(store_client_get(st, "site-9", &g, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err, "no client site-9");
	sodium_memzero(&a, sizeof(a));
}
END_TEST

START_TEST(test_add_given_values)
{
	struct client_spec *s = spec("site-7", "10.7.0.0/16", NULL);
	struct client c;

	s->given |= STORE_F_PORT | STORE_F_CIPHER | STORE_F_DELAY | STORE_F_RATE | STORE_F_CEIL |
	            STORE_F_KEY | STORE_F_PATHS;
	s->port = 5999;
	s->cipher = IPC_CIPHER_CHACHA20POLY1305;
	s->delay = IPC_DELAY_LOW;
	s->rate = 1250000;
	s->ceil = 2500000;
	for (int i = 0; i < 32; i++)
		s->key[i] = (uint8_t)i;
	s->npaths = 2;
	snprintf(s->paths[0].name, sizeof(s->paths[0].name), "wan1");
	snprintf(s->paths[0].addr, sizeof(s->paths[0].addr), "192.0.2.20");
	s->paths[0].rate_fixed = 1;
	s->paths[0].tx_rate = 1250000;
	s->paths[0].rx_rate = 625000;
	s->paths[0].beat_ms = 250;
	s->paths[0].loss_limit = 20;
	snprintf(s->paths[1].name, sizeof(s->paths[1].name), "lte");
	s->paths[1].backup = 1;
	add_ok(s, &c);
	ck_assert_uint_eq(c.port, 5999);
	ck_assert_uint_eq(c.cipher, IPC_CIPHER_CHACHA20POLY1305);
	ck_assert_uint_eq(c.delay, IPC_DELAY_LOW);
	ck_assert_uint_eq(c.rate, 1250000);
	ck_assert_uint_eq(c.ceil, 2500000);
	ck_assert_mem_eq(c.key, s->key, 32);
	ck_assert_uint_eq(c.npaths, 2);
	/* by name */
	ck_assert_str_eq(c.paths[0].name, "lte");
	ck_assert_uint_eq(c.paths[0].backup, 1);
	ck_assert_uint_eq(c.paths[0].beat_ms, 100);
	ck_assert_uint_eq(c.paths[0].loss_limit, 100);
	ck_assert_str_eq(c.paths[0].addr, "");
	ck_assert_str_eq(c.paths[1].name, "wan1");
	ck_assert_str_eq(c.paths[1].addr, "192.0.2.20");
	ck_assert_uint_eq(c.paths[1].rate_fixed, 1);
	ck_assert_uint_eq(c.paths[1].tx_rate, 1250000);
	ck_assert_uint_eq(c.paths[1].rx_rate, 625000);
	ck_assert_uint_eq(c.paths[1].beat_ms, 250);
	ck_assert_uint_eq(c.paths[1].loss_limit, 20);
	/* the next client gets the first free port, not 5999 + 1 */
	add_ok(spec("site-8", "10.8.0.0/16", NULL), &c);
	ck_assert_uint_eq(c.port, 5000);
}
END_TEST

START_TEST(test_allocation_reuses_gaps)
{
	struct client a, b, c, d;

	add_ok(spec("a", "10.1.0.0/24", NULL), &a);
	add_ok(spec("b", "10.2.0.0/24", NULL), &b);
	add_ok(spec("c", "10.3.0.0/24", NULL), &c);
	ck_assert_int_eq(store_client_del(st, "b", err, sizeof(err)), 0);
	add_ok(spec("d", "10.2.0.0/24", NULL), &d);
	ck_assert_uint_eq(d.port, b.port);
	ck_assert_uint_eq(d.uid, b.uid);
	ck_assert_str_eq(d.tunnel_server, b.tunnel_server);
	ck_assert_str_eq(d.tunnel_client, b.tunnel_client);
	ck_assert(memcmp(d.key, b.key, 32) != 0);
}
END_TEST

START_TEST(test_exhaustion)
{
	struct client c;
	struct image im;

	set_ok("port-range", "6000-6001");
	add_ok(spec("a", "10.1.0.0/24", NULL), &c);
	add_ok(spec("b", "10.2.0.0/24", NULL), &c);
	im = snap();
	ck_assert_int_eq(store_client_add(st, spec("c", "10.3.0.0/24", NULL), &c, err, sizeof(err)),
	                 -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_str_eq(err, "port-range 6000-6001 is exhausted");
	assert_same(im, "ports exhausted");
	sqlite3_free(im.p);

	set_ok("port-range", "6000-6999");
	add_ok(spec("c", "10.3.0.0/24", NULL), &c);
	ck_assert_uint_eq(c.port, 6002);
}
END_TEST

START_TEST(test_exhaustion_uids_and_pairs)
{
	struct client c;
	struct image im;

	set_ok("uid-range", "70000-70000");
	set_ok("tunnel-pool", "100.64.9.0/30");
	add_ok(spec("a", "10.1.0.0/24", NULL), &c);
	ck_assert_uint_eq(c.uid, 70000);
	im = snap();
	ck_assert_int_eq(store_client_add(st, spec("b", "10.2.0.0/24", NULL), &c, err, sizeof(err)),
	                 -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_str_eq(err, "uid-range 70000-70000 is exhausted");
	assert_same(im, "uids exhausted");
	sqlite3_free(im.p);

	set_ok("uid-range", "70000-70009");
	add_ok(spec("b", "10.2.0.0/24", NULL), &c);
	ck_assert_str_eq(c.tunnel_server, "100.64.9.2");
	ck_assert_str_eq(c.tunnel_client, "100.64.9.3");
	im = snap();
	ck_assert_int_eq(store_client_add(st, spec("c", "10.3.0.0/24", NULL), &c, err, sizeof(err)),
	                 -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_str_eq(err, "tunnel-pool 100.64.9.0/30 is exhausted");
	assert_same(im, "pairs exhausted");
	sqlite3_free(im.p);
}
END_TEST

START_TEST(test_ipv6_pool)
{
	struct client a, b;

	set_ok("tunnel-pool", "FD00:99::/64");
	add_ok(spec("a", "10.1.0.0/24", NULL), &a);
	add_ok(spec("b", "10.2.0.0/24", NULL), &b);
	ck_assert_str_eq(a.tunnel_server, "fd00:99::");
	ck_assert_str_eq(a.tunnel_client, "fd00:99::1");
	ck_assert_str_eq(b.tunnel_server, "fd00:99::2");
	ck_assert_str_eq(b.tunnel_client, "fd00:99::3");
	ck_assert_uint_eq(a.tunnel_prefix, 127);
	/* a pool that leaves out the pairs in use is refused */
	struct image im = snap();
	ck_assert_int_eq(store_settings_set(st, "tunnel-pool", "100.64.0.0/16", err, sizeof(err)),
	                 -1);
	ck_assert_str_eq(err, "tunnel-pool 100.64.0.0/16 leaves out tunnel address fd00:99:: of a");
	assert_same(im, "pool change");
	sqlite3_free(im.p);
}
END_TEST

/* --- refusals ----------------------------------------------------------------------------- */

struct refusal {
	const char *name, *sub1, *sub2;
	int errnum;
	const char *msg; /* NULL: any one line */
};

START_TEST(test_refused_adds_change_nothing)
{
	struct client c;
	static const struct refusal cases[] = {
		{ "site-1", "10.9.0.0/24", NULL, EEXIST, "client site-1 exists" },
		{ "site-2", "10.42.0.0/16", NULL, EEXIST, "subnet 10.42.0.0/16 overlaps 10.42.0.0/24 of site-1" },
		{ "site-2", "10.42.0.128/25", NULL, EEXIST, "subnet 10.42.0.128/25 overlaps 10.42.0.0/24 of site-1" },
		{ "site-2", "10.9.0.0/24", "fd00:42:1::/48", EEXIST, "subnet fd00:42:1::/48 overlaps fd00:42::/32 of site-1" },
		{ "site-2", "fd00::/16", NULL, EEXIST, "subnet fd00::/16 overlaps fd00:42::/32 of site-1" },
		{ "site-2", "10.9.0.0/16", "10.9.1.0/24", EINVAL, "subnet 10.9.1.0/24 overlaps 10.9.0.0/16 of site-2" },
		{ "site-2", "10.9.0.1/24", NULL, EINVAL, "\"10.9.0.1/24\" has host bits set (the network is 10.9.0.0/24)" },
		{ "site-2", "10.9.0.0/33", NULL, EINVAL, "\"10.9.0.0/33\" has a bad prefix length" },
		{ "site-2", "0.0.0.0/0", NULL, EINVAL, "subnet 0.0.0.0/0 would route every address to one client" },
		{ "site-2", "100.64.3.0/24", NULL, EINVAL, "subnet 100.64.3.0/24 overlaps the tunnel-pool 100.64.0.0/16" },
		{ "site-2", NULL, NULL, EINVAL, "client site-2 needs at least one subnet" },
		{ "Site-2", "10.9.0.0/24", NULL, EINVAL, "client name \"Site-2\" has a character other than a-z, 0-9 and -" },
		{ "", "10.9.0.0/24", NULL, EINVAL, "client name is empty" },
		{ "abcdefghijklmnopqrstuvwxyz0123456", "10.9.0.0/24", NULL, EINVAL, NULL },
		{ "x'; DROP TABLE clients; --", "10.9.0.0/24", NULL, EINVAL, NULL },
		{ "site-2", "10.9.0.0/24'); DELETE FROM subnets; --", NULL, EINVAL, NULL },
		{ "site\"2", "10.9.0.0/24", NULL, EINVAL, NULL },
	};

	add_ok(spec("site-1", "10.42.0.0/24", "fd00:42::/32"), &c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct refusal *r = &cases[i];
		struct image im = snap();
		errno = 0;
		ck_assert_msg(store_client_add(st, spec(r->name, r->sub1, r->sub2), &c, err,
		                               sizeof(err)) == -1,
		              "case %zu accepted", i);
		ck_assert_msg(errno == r->errnum, "case %zu: errno %d (%s)", i, errno, err);
		assert_one_line();
		if (r->msg)
			ck_assert_str_eq(err, r->msg);
		assert_same(im, r->name);
		sqlite3_free(im.p);
	}
	ck_assert_int_eq(q_int("SELECT count(*) FROM clients"), 1);
}
END_TEST

START_TEST(test_refused_fields_change_nothing)
{
	struct client c;
	struct client_spec *s;
	struct image im;

	add_ok(spec("site-1", "10.42.0.0/24", NULL), &c);
	im = snap();

	s = spec("site-2", "10.9.0.0/24", NULL);
	s->given |= STORE_F_PORT;
	s->port = 5000;
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_eq(err, "port 5000 is in use by site-1");
	s->port = 7000;
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "port 7000 is outside the port-range 5000-5999");

	s = spec("site-2", "10.9.0.0/24", NULL);
	s->given |= STORE_F_RATE | STORE_F_CEIL;
	s->rate = 2000;
	s->ceil = 1000;
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "ceil 1000 is below rate 2000");

	s = spec("site-2", "10.9.0.0/24", NULL);
	s->given |= STORE_F_CIPHER;
	s->cipher = 9;
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);
	s = spec("site-2", "10.9.0.0/24", NULL);
	s->given |= STORE_F_DELAY;
	s->delay = IPC_DELAY_UNCHANGED;
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);

	s = spec("site-2", "10.9.0.0/24", NULL);
	s->given |= STORE_F_PATHS;
	s->npaths = 2;
	strcpy(s->paths[0].name, "wan1");
	strcpy(s->paths[1].name, "wan1");
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "path wan1 is given twice");
	strcpy(s->paths[1].name, "wan2");
	strcpy(s->paths[1].addr, "1.2.3.4'--");
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "path address \"1.2.3.4'--\" is not an IP address");
	s->paths[1].addr[0] = '\0';
	s->paths[1].loss_limit = 101;
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "path wan2: loss limit 101% is above 100%");

	/* a name that fills its buffer without a NUL is refused, not read past */
	s = spec("site-2", "10.9.0.0/24", NULL);
	memset(s->name, 'a', sizeof(s->name));
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);
	assert_one_line();
	/* as is a subnet entry that fills its buffer */
	s = spec("site-2", "10.9.0.0/24", NULL);
	memset(s->subnets[0], '1', STORE_CIDR_SIZE);
	ck_assert_int_eq(store_client_add(st, s, &c, err, sizeof(err)), -1);
	assert_one_line();

	/* set, del, rotate on a client that does not exist; set with nothing to change */
	s = spec("site-9", "10.9.0.0/24", NULL);
	ck_assert_int_eq(store_client_set(st, s, &c, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err, "no client site-9");
	ck_assert_int_eq(store_client_del(st, "site-9", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no client site-9");
	ck_assert_int_eq(store_client_rotate_key(st, "x'--", NULL, &c, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(store_client_set(st, spec("site-1", NULL, NULL), &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "client set site-1: nothing to change");

	/* settings */
	ck_assert_int_eq(store_settings_set(st, "colour", "red", err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	                 "setting \"colour\" is not public-address, port-range, tunnel-pool or uid-range");
	ck_assert_int_eq(store_settings_set(st, "port-range", "6000-6999", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "port-range 6000-6999 leaves out port 5000 of site-1");
	ck_assert_int_eq(store_settings_set(st, "uid-range", "1-10", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "uid-range 1-10 leaves out uid 200000 of site-1");
	ck_assert_int_eq(store_settings_set(st, "uid-range", "0-10", err, sizeof(err)), -1);
	ck_assert_int_eq(store_settings_set(st, "tunnel-pool", "10.0.0.0/8", err, sizeof(err)), -1);
	ck_assert_int_eq(store_settings_set(st, "tunnel-pool", "10.42.0.0/30", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "tunnel-pool 10.42.0.0/30 leaves out tunnel address 100.64.0.0 of site-1");
	ck_assert_int_eq(store_settings_set(st, "tunnel-pool", "0.0.0.0/1", err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_eq(err, "tunnel-pool 0.0.0.0/1 overlaps subnet 10.42.0.0/24 of site-1");
	ck_assert_int_eq(store_settings_set(st, "public-address", "a'; DROP TABLE settings", err,
	                                    sizeof(err)),
	                 -1);
	assert_one_line();
	assert_same(im, "refused fields");
	sqlite3_free(im.p);
}
END_TEST

START_TEST(test_refused_set_changes_nothing)
{
	struct client a, b;
	struct client_spec *s;
	struct image im;

	add_ok(spec("site-1", "10.1.0.0/24", NULL), &a);
	add_ok(spec("site-2", "10.2.0.0/24", NULL), &b);
	im = snap();
	s = spec("site-2", "10.1.0.0/16", NULL);
	ck_assert_int_eq(store_client_set(st, s, &b, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "subnet 10.1.0.0/16 overlaps 10.1.0.0/24 of site-1");
	s = spec("site-2", NULL, NULL);
	s->given = STORE_F_PORT;
	s->port = a.port;
	ck_assert_int_eq(store_client_set(st, s, &b, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "port 5000 is in use by site-1");
	s = spec("site-2", NULL, NULL);
	s->given = STORE_F_RATE | STORE_F_CEIL;
	s->rate = 10;
	s->ceil = 5;
	ck_assert_int_eq(store_client_set(st, s, &b, err, sizeof(err)), -1);
	assert_same(im, "refused set");
	sqlite3_free(im.p);
}
END_TEST

START_TEST(test_sql_in_free_text_is_stored_as_text)
{
	struct client c;
	const char *actor = "x'); DROP TABLE clients; --";
	int found = 0;

	store_set_actor(st, actor);
	add_ok(spec("site-1", "10.1.0.0/24", NULL), &c);
	ck_assert_int_eq(q_int("SELECT count(*) FROM clients"), 1);
	sqlite3_stmt *s;
	ck_assert_int_eq(sqlite3_prepare_v2(db(), "SELECT actor FROM audit", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		found += !strcmp((const char *)sqlite3_column_text(s, 0), actor);
	sqlite3_finalize(s);
	ck_assert_int_eq(found, 1);
}
END_TEST

/* --- import ------------------------------------------------------------------------------- */

START_TEST(test_import_all_or_none)
{
	struct client_spec *v = calloc(4, sizeof(*v));
	struct image im;
	size_t failed = 99;

	ck_assert_ptr_nonnull(v);
	v[0] = *spec("site-1", "10.1.0.0/24", NULL);
	v[1] = *spec("site-2", "10.2.0.0/24", "fd00:2::/48");
	v[2] = *spec("site-3", "10.3.0.0/24", NULL);
	v[3] = *spec("site-4", "10.2.0.0/16", NULL); /* overlaps site-2, added just before */
	im = snap();
	ck_assert_int_eq(store_import(st, v, 4, &failed, err, sizeof(err)), -1);
	ck_assert_uint_eq(failed, 3);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_eq(err, "subnet 10.2.0.0/16 overlaps 10.2.0.0/24 of site-2");
	assert_same(im, "refused import");
	ck_assert_int_eq(q_int("SELECT count(*) FROM clients"), 0);

	/* two entries with one name */
	v[3] = *spec("site-1", "10.4.0.0/24", NULL);
	ck_assert_int_eq(store_import(st, v, 4, &failed, err, sizeof(err)), -1);
	ck_assert_uint_eq(failed, 3);
	ck_assert_str_eq(err, "client site-1 exists");
	assert_same(im, "refused import");
	sqlite3_free(im.p);

	v[3] = *spec("site-4", "10.4.0.0/24", NULL);
	ck_assert_msg(store_import(st, v, 4, &failed, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(q_int("SELECT count(*) FROM clients"), 4);
	ck_assert_int_eq(q_int("SELECT count(DISTINCT port) FROM clients"), 4);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = 'client import'"), 4);
	ck_assert_int_eq(q_int("SELECT count(*) FROM keys"), 4);
	free(v);
}
END_TEST

/* --- keys, set, del ----------------------------------------------------------------------- */

START_TEST(test_rotate_key_times)
{
	struct client a, r, g;
	uint8_t given[32];

	add_ok(spec("site-1", "10.1.0.0/24", NULL), &a);
	clock_now = 5000;
	ck_assert_int_eq(store_client_rotate_key(st, "site-1", NULL, &r, err, sizeof(err)), 0);
	ck_assert(memcmp(a.key, r.key, 32) != 0);
	ck_assert_int_eq(r.created_at, 1000);
	ck_assert_int_eq(r.key_created_at, 5000);
	ck_assert_int_eq(r.key_rotated_at, 5000);
	ck_assert_uint_eq(r.key_rotations, 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM keys"), 2);
	ck_assert_int_eq(q_int("SELECT rotated_at FROM keys WHERE created_at = 1000"), 5000);
	ck_assert_int_eq(q_int("SELECT count(*) FROM keys WHERE rotated_at IS NULL"), 1);

	clock_now = 9000;
	memset(given, 0xab, sizeof(given));
	ck_assert_int_eq(store_client_rotate_key(st, "site-1", given, &r, err, sizeof(err)), 0);
	ck_assert_mem_eq(r.key, given, 32);
	ck_assert_uint_eq(r.key_rotations, 2);
	ck_assert_int_eq(store_client_get(st, "site-1", &g, err, sizeof(err)), 0);
	ck_assert_mem_eq(g.key, given, 32);
	ck_assert_int_eq(g.key_rotated_at, 9000);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = 'client rotate-key'"), 2);
}
END_TEST

START_TEST(test_set_changes_what_is_given)
{
	struct client a, b;
	struct client_spec *s;

	add_ok(spec("site-1", "10.1.0.0/24", NULL), &a);
	clock_now = 2000;
	s = spec("site-1", "10.1.0.0/16", "fd00:1::/64");
	s->given |= STORE_F_PORT | STORE_F_CIPHER | STORE_F_RATE | STORE_F_CEIL;
	s->port = 5500;
	s->cipher = IPC_CIPHER_CHACHA20POLY1305;
	s->rate = 100;
	s->ceil = 200;
	ck_assert_msg(store_client_set(st, s, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(b.port, 5500);
	ck_assert_uint_eq(b.nsubnets, 2);
	ck_assert_str_eq(b.subnets[0], "10.1.0.0/16"); /* its own old /24 is not an overlap */
	ck_assert_str_eq(b.subnets[1], "fd00:1::/64");
	ck_assert_uint_eq(b.cipher, IPC_CIPHER_CHACHA20POLY1305);
	ck_assert_uint_eq(b.delay, IPC_DELAY_AUTO);
	ck_assert_uint_eq(b.uid, a.uid);
	ck_assert_str_eq(b.tunnel_server, a.tunnel_server);
	ck_assert_mem_eq(b.key, a.key, 32);
	ck_assert_int_eq(b.created_at, 1000);
	ck_assert_int_eq(b.updated_at, 2000);
	ck_assert_int_eq(q_int("SELECT count(*) FROM subnets"), 2);

	s = spec("site-1", NULL, NULL);
	s->given = STORE_F_DELAY;
	s->delay = IPC_DELAY_EVEN;
	ck_assert_int_eq(store_client_set(st, s, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.delay, IPC_DELAY_EVEN);
	ck_assert_uint_eq(b.rate, 100);
	ck_assert_uint_eq(b.nsubnets, 2);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = 'client set' AND detail "
	                       "LIKE 'changed subnets,port,cipher,rate,ceil; now port 5500 %'"),
	                 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = 'client set' AND detail "
	                       "LIKE 'changed delay; now port 5500 % delay even %'"),
	                 1);
}
END_TEST

START_TEST(test_delete_cascades)
{
	struct client a, b;
	struct client_spec *s = spec("site-1", "10.1.0.0/24", "fd00:1::/64");

	s->given |= STORE_F_PATHS;
	s->npaths = 1;
	strcpy(s->paths[0].name, "wan1");
	add_ok(s, &a);
	add_ok(spec("site-2", "10.2.0.0/24", NULL), &b);
	ck_assert_int_eq(store_client_rotate_key(st, "site-1", NULL, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM keys"), 3);
	ck_assert_int_eq(store_client_del(st, "site-1", err, sizeof(err)), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM clients"), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM keys"), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM subnets"), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM paths"), 0);
	sqlite3_stmt *fk;
	ck_assert_int_eq(sqlite3_prepare_v2(db(), "PRAGMA foreign_key_check", -1, &fk, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(fk), SQLITE_DONE);
	sqlite3_finalize(fk);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = 'client del' "
	                       "AND subject = 'site-1' AND detail = 'port 5000 uid 200000'"),
	                 1);
	/* the freed subnet can be taken by another client */
	add_ok(spec("site-3", "10.1.0.0/24", NULL), &a);
}
END_TEST

/* --- audit, list, settings ---------------------------------------------------------------- */

struct seen {
	int n;
	char lines[16][256];
	int stop_at;
};

static int
audit_cb(const struct audit_entry *e, void *arg)
{
	struct seen *s = arg;

	snprintf(s->lines[s->n], sizeof(s->lines[0]), "%lld %s %s %s", (long long)e->at, e->actor,
	         e->action, e->subject);
	s->n++;
	return s->n == s->stop_at ? 42 : 0;
}

static int
hex_in_detail(const struct audit_entry *e, void *arg)
{
	char hex[65];
	const uint8_t *key = arg;

	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	ck_assert_ptr_null(strcasestr(e->detail, hex));
	return 0;
}

START_TEST(test_audit_rows)
{
	struct client a;
	struct seen s = { .stop_at = -1 };
	struct client_spec *sp;

	add_ok(spec("site-1", "10.1.0.0/24", NULL), &a);
	clock_now = 1100;
	store_set_actor(st, "uid 0 pid 7");
	set_ok("public-address", "192.0.2.1");
	sp = spec("site-1", NULL, NULL);
	sp->given = STORE_F_RATE;
	sp->rate = 1000;
	ck_assert_int_eq(store_client_set(st, sp, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(store_client_rotate_key(st, "site-1", NULL, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(store_client_del(st, "site-1", err, sizeof(err)), 0);
	/* a refusal writes nothing */
	ck_assert_int_eq(store_client_del(st, "site-1", err, sizeof(err)), -1);

	ck_assert_int_eq(store_audit_list(st, 0, audit_cb, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s.n, 5);
	ck_assert_str_eq(s.lines[0], "1000 tester client add site-1");
	ck_assert_str_eq(s.lines[1], "1100 uid 0 pid 7 settings set public-address");
	ck_assert_str_eq(s.lines[2], "1100 uid 0 pid 7 client set site-1");
	ck_assert_str_eq(s.lines[3], "1100 uid 0 pid 7 client rotate-key site-1");
	ck_assert_str_eq(s.lines[4], "1100 uid 0 pid 7 client del site-1");
	ck_assert_int_eq(store_audit_list(st, 0, hex_in_detail, a.key, err, sizeof(err)), 0);

	/* after an id, and stopping early */
	struct seen t = { .stop_at = 2 };
	ck_assert_int_eq(store_audit_list(st, 2, audit_cb, &t, err, sizeof(err)), 42);
	ck_assert_int_eq(t.n, 2);
	ck_assert_str_eq(t.lines[0], "1100 uid 0 pid 7 client set site-1");
}
END_TEST

static int
list_cb(const struct client *c, void *arg)
{
	struct seen *s = arg;

	snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s %u", c->name, c->port);
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

START_TEST(test_list)
{
	struct client c;
	struct seen s = { .stop_at = -1 };

	ck_assert_int_eq(store_client_list(st, list_cb, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s.n, 0);
	add_ok(spec("zeta", "10.1.0.0/24", NULL), &c);
	add_ok(spec("alpha", "10.2.0.0/24", NULL), &c);
	add_ok(spec("mid", "10.3.0.0/24", NULL), &c);
	ck_assert_int_eq(store_client_list(st, list_cb, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.lines[0], "alpha 5001");
	ck_assert_str_eq(s.lines[1], "mid 5002");
	ck_assert_str_eq(s.lines[2], "zeta 5000");
	struct seen t = { .stop_at = 1 };
	ck_assert_int_eq(store_client_list(st, list_cb, &t, err, sizeof(err)), 7);
	ck_assert_int_eq(t.n, 1);
}
END_TEST

START_TEST(test_settings)
{
	struct store_settings s;

	ck_assert_int_eq(store_settings_get(st, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s.public_address, "");
	ck_assert_uint_eq(s.port_min, 5000);
	ck_assert_uint_eq(s.port_max, 5999);
	ck_assert_str_eq(s.tunnel_pool, "100.64.0.0/16");
	ck_assert_uint_eq(s.uid_min, 200000);
	ck_assert_uint_eq(s.uid_max, 200999);

	set_ok("public-address", "2001:DB8::0:1");
	set_ok("port-range", "7000-7100");
	set_ok("tunnel-pool", "FD00:AB::/64");
	set_ok("uid-range", "300000-300010");
	ck_assert_int_eq(store_settings_get(st, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s.public_address, "2001:db8::1");
	ck_assert_uint_eq(s.port_min, 7000);
	ck_assert_uint_eq(s.port_max, 7100);
	ck_assert_str_eq(s.tunnel_pool, "fd00:ab::/64");
	ck_assert_uint_eq(s.uid_min, 300000);
	ck_assert_uint_eq(s.uid_max, 300010);
	set_ok("public-address", "vpn.example.net");
	ck_assert_int_eq(store_settings_get(st, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s.public_address, "vpn.example.net");
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = 'settings set' "
	                       "AND subject = 'port-range' AND detail = '5000-5999 -> 7000-7100'"),
	                 1);

	struct client c;
	add_ok(spec("a", "10.1.0.0/24", NULL), &c);
	ck_assert_uint_eq(c.port, 7000);
	ck_assert_uint_eq(c.uid, 300000);
	/* ranges that still hold every client are fine */
	set_ok("port-range", "7000-7000");
	set_ok("tunnel-pool", "fd00:ab::/127");
}
END_TEST

/* --- migrations --------------------------------------------------------------------------- */

static int64_t
raw_int(sqlite3 *d, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(d, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* An older schema: clients without the delay column, at version 1. */
static const char OLD_V1[] = "CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
                             "INSERT INTO clients (name) VALUES ('site-1'), ('site-2');"
                             "PRAGMA user_version = 1;";
static const char NEW_V3[] = "CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
                             " delay TEXT NOT NULL DEFAULT 'auto', rate INTEGER NOT NULL DEFAULT 0);"
                             "PRAGMA user_version = 3;";
static const struct store_migration STEPS[] = {
	{ "ALTER TABLE clients ADD COLUMN delay TEXT NOT NULL DEFAULT 'auto';" },
	{ "ALTER TABLE clients ADD COLUMN rate INTEGER NOT NULL DEFAULT 0;" },
};

START_TEST(test_migrate_older_schema_forward)
{
	sqlite3 *d;

	ck_assert_int_eq(sqlite3_open(":memory:", &d), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(d, OLD_V1, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_msg(store_sqlite_migrate(d, NEW_V3, STEPS, 2, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(raw_int(d, "PRAGMA user_version"), 3);
	ck_assert_int_eq(raw_int(d, "SELECT count(*) FROM clients WHERE delay = 'auto' AND rate = 0"), 2);
	/* migrating again is a no-op */
	ck_assert_int_eq(store_sqlite_migrate(d, NEW_V3, STEPS, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(raw_int(d, "PRAGMA user_version"), 3);
	sqlite3_close(d);

	/* an empty database gets the full schema */
	ck_assert_int_eq(sqlite3_open(":memory:", &d), SQLITE_OK);
	ck_assert_int_eq(store_sqlite_migrate(d, NEW_V3, STEPS, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(raw_int(d, "PRAGMA user_version"), 3);
	ck_assert_int_eq(raw_int(d, "SELECT count(*) FROM pragma_table_info('clients') "
	                            "WHERE name IN ('delay', 'rate')"),
	                 2);
	sqlite3_close(d);
}
END_TEST

START_TEST(test_migrate_failing_step_stops_there)
{
	static const struct store_migration bad[] = {
		{ "ALTER TABLE clients ADD COLUMN delay TEXT NOT NULL DEFAULT 'auto';" },
		{ "ALTER TABLE clients ADD COLUMN rate INTEGER; ALTER TABLE nowhere ADD COLUMN x;" },
	};
	sqlite3 *d;

	ck_assert_int_eq(sqlite3_open(":memory:", &d), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(d, OLD_V1, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(store_sqlite_migrate(d, NEW_V3, bad, 2, err, sizeof(err)), -1);
	ck_assert_int_eq(strncmp(err, "migration to version 3: ", 24), 0);
	assert_one_line();
	/* step 1 -> 2 stays, step 2 -> 3 left nothing behind */
	ck_assert_int_eq(raw_int(d, "PRAGMA user_version"), 2);
	ck_assert_int_eq(raw_int(d, "SELECT count(*) FROM pragma_table_info('clients') "
	                            "WHERE name = 'rate'"),
	                 0);
	sqlite3_close(d);
}
END_TEST

START_TEST(test_migrate_refuses_strangers)
{
	sqlite3 *d;

	/* newer than the program */
	ck_assert_int_eq(sqlite3_open(":memory:", &d), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(d, "CREATE TABLE t (a); PRAGMA user_version = 4;", NULL, NULL,
	                              NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(store_sqlite_migrate(d, NEW_V3, STEPS, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "database is schema version 4, this program knows up to 3");
	sqlite3_close(d);
	/* tables but no version */
	ck_assert_int_eq(sqlite3_open(":memory:", &d), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(d, "CREATE TABLE t (a)", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(store_sqlite_migrate(d, NEW_V3, STEPS, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "database has tables but no schema version: not a gt store");
	sqlite3_close(d);
	/* a schema that does not reach the version the steps lead to */
	ck_assert_int_eq(sqlite3_open(":memory:", &d), SQLITE_OK);
	ck_assert_int_eq(store_sqlite_migrate(d, OLD_V1, STEPS, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "schema.sql is version 1, this program expects 3");
	ck_assert_int_eq(raw_int(d, "SELECT count(*) FROM sqlite_master"), 0);
	sqlite3_close(d);
}
END_TEST

/* The real schema: the embedded text is version STORE_SCHEMA_VERSION and opens from empty. */
START_TEST(test_embedded_schema)
{
	sqlite3 *d;

	ck_assert_ptr_nonnull(strstr(store_schema_sql, "CREATE TABLE clients"));
	ck_assert_int_eq(sqlite3_open(":memory:", &d), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(d, store_schema_sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(raw_int(d, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	sqlite3_close(d);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("sqlite");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_version_and_pragmas);
	tcase_add_test(tc, test_schema_constraints);
	tcase_add_test(tc, test_add_allocates_and_defaults);
	tcase_add_test(tc, test_add_given_values);
	tcase_add_test(tc, test_allocation_reuses_gaps);
	tcase_add_test(tc, test_exhaustion);
	tcase_add_test(tc, test_exhaustion_uids_and_pairs);
	tcase_add_test(tc, test_ipv6_pool);
	tcase_add_test(tc, test_refused_adds_change_nothing);
	tcase_add_test(tc, test_refused_fields_change_nothing);
	tcase_add_test(tc, test_refused_set_changes_nothing);
	tcase_add_test(tc, test_sql_in_free_text_is_stored_as_text);
	tcase_add_test(tc, test_import_all_or_none);
	tcase_add_test(tc, test_rotate_key_times);
	tcase_add_test(tc, test_set_changes_what_is_given);
	tcase_add_test(tc, test_delete_cascades);
	tcase_add_test(tc, test_audit_rows);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_migrate_older_schema_forward);
	tcase_add_test(tc, test_migrate_failing_step_stops_there);
	tcase_add_test(tc, test_migrate_refuses_strangers);
	tcase_add_test(tc, test_embedded_schema);
	suite_add_tcase(s, tc);
	return s;
}
