-- The concentrator's store, schema version 1 (PRAGMA user_version = 1).
--
-- gt-supervisor applies this file to a new database (docs/store.md). The store opens every
-- database with journal_mode=WAL, foreign_keys=ON and a busy timeout; the constraints below hold
-- whatever program writes the file. Times are Unix seconds; rates are bytes per second, 0 when
-- unset. Names are 1..32 characters of [a-z0-9-].

-- The concentrator's own settings: one row.
CREATE TABLE settings (
	id             INTEGER PRIMARY KEY CHECK (id = 1),
	-- what `gtctl client config` tells sites to reach: an IP address or a DNS name
	public_address TEXT NOT NULL DEFAULT ''
	               CHECK (length(public_address) <= 253 AND public_address NOT GLOB '*[^A-Za-z0-9.:-]*'),
	port_min       INTEGER NOT NULL DEFAULT 5000 CHECK (port_min BETWEEN 1 AND 65535),
	port_max       INTEGER NOT NULL DEFAULT 5999 CHECK (port_max BETWEEN port_min AND 65535),
	-- point-to-point pairs (/31 or /127) are taken from this prefix, normalised CIDR
	tunnel_pool    TEXT NOT NULL DEFAULT '100.64.0.0/16' CHECK (tunnel_pool GLOB '*/*'),
	-- each client's worker runs under its own uid from this range (never 0)
	uid_min        INTEGER NOT NULL DEFAULT 200000 CHECK (uid_min BETWEEN 1 AND 4294967294),
	uid_max        INTEGER NOT NULL DEFAULT 200999 CHECK (uid_max BETWEEN uid_min AND 4294967294)
);
INSERT INTO settings (id) VALUES (1);

-- One row per site: its UDP port, worker uid, tunnel pair, shaping and engine settings.
CREATE TABLE clients (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE
	              CHECK (length(name) BETWEEN 1 AND 32 AND name NOT GLOB '*[^a-z0-9-]*'),
	port          INTEGER NOT NULL UNIQUE CHECK (port BETWEEN 1 AND 65535),
	uid           INTEGER NOT NULL UNIQUE CHECK (uid BETWEEN 1 AND 4294967294),
	-- the point-to-point pair: addresses without prefix, normalised
	tunnel_server TEXT NOT NULL UNIQUE CHECK (length(tunnel_server) BETWEEN 2 AND 45),
	tunnel_client TEXT NOT NULL UNIQUE CHECK (length(tunnel_client) BETWEEN 2 AND 45),
	tunnel_prefix INTEGER NOT NULL CHECK (tunnel_prefix IN (31, 127)),
	-- shaping: the HTB class of the client's TUN
	rate          INTEGER NOT NULL DEFAULT 0 CHECK (rate >= 0),
	ceil          INTEGER NOT NULL DEFAULT 0 CHECK (ceil >= 0 AND (ceil = 0 OR ceil >= rate)),
	-- engine settings
	cipher        TEXT NOT NULL DEFAULT 'aegis256' CHECK (cipher IN ('aegis256', 'chacha20poly1305')),
	delay         TEXT NOT NULL DEFAULT 'auto' CHECK (delay IN ('low', 'even', 'auto')),
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	CHECK (tunnel_server <> tunnel_client)
);

-- A tunnel address belongs to one client, in either column (UNIQUE sees one column only).
CREATE TRIGGER clients_pair_insert BEFORE INSERT ON clients
WHEN EXISTS (SELECT 1 FROM clients
             WHERE tunnel_server IN (NEW.tunnel_server, NEW.tunnel_client)
                OR tunnel_client IN (NEW.tunnel_server, NEW.tunnel_client))
BEGIN
	SELECT RAISE(ABORT, 'tunnel address in use');
END;
CREATE TRIGGER clients_pair_update BEFORE UPDATE OF tunnel_server, tunnel_client ON clients
WHEN EXISTS (SELECT 1 FROM clients WHERE id <> OLD.id
             AND (tunnel_server IN (NEW.tunnel_server, NEW.tunnel_client)
                  OR tunnel_client IN (NEW.tunnel_server, NEW.tunnel_client)))
BEGIN
	SELECT RAISE(ABORT, 'tunnel address in use');
END;

-- Every key a client had: the one in use has rotated_at NULL, older ones say when they were
-- replaced. Exactly one key in use per client (the partial unique index).
CREATE TABLE keys (
	id         INTEGER PRIMARY KEY,
	client_id  INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	key        BLOB NOT NULL CHECK (typeof(key) = 'blob' AND length(key) = 32),
	created_at INTEGER NOT NULL,
	rotated_at INTEGER CHECK (rotated_at IS NULL OR rotated_at >= created_at)
);
CREATE UNIQUE INDEX keys_in_use ON keys (client_id) WHERE rotated_at IS NULL;
CREATE INDEX keys_client ON keys (client_id);

-- The prefixes routed to each client, normalised (no host bits). Overlaps between prefixes are
-- refused by the store (a CHECK cannot see other rows); equal prefixes by UNIQUE.
CREATE TABLE subnets (
	client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	family    INTEGER NOT NULL CHECK (family IN (4, 6)),
	prefix    INTEGER NOT NULL
	          CHECK ((family = 4 AND prefix BETWEEN 1 AND 32) OR (family = 6 AND prefix BETWEEN 1 AND 128)),
	cidr      TEXT NOT NULL UNIQUE
	          CHECK (cidr GLOB ('*/' || prefix) AND ((family = 4) = (cidr NOT GLOB '*:*'))),
	PRIMARY KEY (client_id, cidr)
) WITHOUT ROWID;

-- The site's links, as `gtctl client config` gives them to the site's `path` commands.
CREATE TABLE paths (
	client_id  INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 32 AND name NOT GLOB '*[^a-z0-9-]*'),
	-- the site's local address on that link, '' when the site picks it
	addr       TEXT NOT NULL DEFAULT '' CHECK (length(addr) <= 45 AND addr NOT GLOB '*[^0-9a-fA-F.:]*'),
	rate_fixed INTEGER NOT NULL DEFAULT 0 CHECK (rate_fixed IN (0, 1)),
	tx_rate    INTEGER NOT NULL DEFAULT 0 CHECK (tx_rate >= 0),
	rx_rate    INTEGER NOT NULL DEFAULT 0 CHECK (rx_rate >= 0),
	backup     INTEGER NOT NULL DEFAULT 0 CHECK (backup IN (0, 1)),
	beat_ms    INTEGER NOT NULL DEFAULT 100 CHECK (beat_ms BETWEEN 1 AND 3600000),
	loss_limit INTEGER NOT NULL DEFAULT 100 CHECK (loss_limit BETWEEN 1 AND 100),
	PRIMARY KEY (client_id, name)
) WITHOUT ROWID;

-- Every change, written in the change's own transaction. No foreign key: the trail outlives
-- the client. Never holds key material.
CREATE TABLE audit (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
	action  TEXT NOT NULL CHECK (action IN ('client add', 'client set', 'client del',
	                                       'client rotate-key', 'client import', 'settings set')),
	subject TEXT NOT NULL,
	detail  TEXT NOT NULL DEFAULT ''
);

PRAGMA user_version = 1;
