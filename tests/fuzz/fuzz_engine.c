/* The protocol engine on arbitrary input: a client and a server engine with a fixed PSK and a
 * fixed random source, driven by a script of records:
 *
 *	op 0 mod 4: a datagram to the server   [op][path][len lo][len hi][len bytes]
 *	op 1 mod 4: a datagram to the client   (same layout)
 *	op 2 mod 4: time passes                [op][ms lo][ms hi]: both engines update, and each
 *	            one's datagrams are delivered to the other (the script can run real exchanges);
 *	            bit 3 of op set: first move the delay mode (low, even, auto) of the client,
 *	            or of the server if bit 4 is set too, to the next one
 *	op 3 mod 4: a TUN packet to send       [op][size/6]: from the client if bit 2 of op is
 *	            clear, else from the server; delivered to the other side
 *
 * path (mod 4) picks the client's address: two IPv4, one IPv4 on another port, one IPv6 (so
 * that mixed families are tried). A datagram's len is capped by what is left of the input. The
 * corpus holds scripts recorded from the simulated network of the unit tests.
 *
 * Both engines resequence, in small buffers (they fill up and overflow). Checked after every
 * step: engine_update()'s deadline is at most 1 s ahead, and no RTT estimate exceeds 5 s. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/engine.h"
#include "proto/wire.h"

#define T0 UINT64_C(43550139959520)

static void
fuzz_random(void *ctx, uint8_t *buf, size_t len)
{
	uint64_t *st = ctx;

	for (size_t i = 0; i < len; i++) {
		*st = *st * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
		buf[i] = (uint8_t)(*st >> 56);
	}
}

static struct mud_addr
addr4(uint8_t last, uint16_t port)
{
	struct mud_addr a = {.family = AF_INET, .port = port};

	a.ip[0] = 192;
	a.ip[1] = 0;
	a.ip[2] = 2;
	a.ip[3] = last;
	return a;
}

static struct mud_addr
client_addr(unsigned path)
{
	struct mud_addr a;

	switch (path % 4) {
	case 0:
		return addr4(1, 5000);
	case 1:
		return addr4(2, 5000);
	case 2:
		return addr4(1, 6000);
	default:
		a = (struct mud_addr){.family = AF_INET6, .port = 5000};
		a.ip[0] = 0x20;
		a.ip[1] = 0x01;
		a.ip[2] = 0x0d;
		a.ip[3] = 0xb8;
		a.ip[15] = 7;
		return a;
	}
}

static struct mud_addr
server_addr(void)
{
	struct mud_addr a = {.family = AF_INET, .port = 5000};

	a.ip[0] = 198;
	a.ip[1] = 51;
	a.ip[2] = 100;
	a.ip[3] = 7;
	return a;
}

static struct engine *
make(enum engine_role role, uint64_t *rng)
{
	struct engine_config c;

	engine_config_default(&c);
	c.role = role;
	memset(c.psk, 0x42, sizeof(c.psk));
	c.random = fuzz_random;
	c.random_ctx = rng;
	c.replay_span = 100000;
	c.reseq_capacity = role == ENGINE_CLIENT ? 8 : 32;
	return engine_new(&c);
}

/* Datagrams of one engine to the other; returns how many. */
static int
deliver(struct engine *from, struct engine *to, uint64_t now)
{
	struct engine_dgram d;
	int n = 0;

	while (engine_next_datagram(from, &d)) {
		engine_recv(to, now, &d.remote, &d.local, d.data, d.len);
		n++;
	}
	return n;
}

static void
update(struct engine *e, uint64_t now)
{
	uint64_t dl = engine_update(e, now);

	if (mud_t48_diff(dl, mud_t48(now)) > ENGINE_SEC + 2)
		__builtin_trap();
}

static void
drain(struct engine *e)
{
	struct engine_path_info pi[ENGINE_PATH_MAX];
	struct engine_event ev;
	const uint8_t *pkt;
	size_t len;
	int n = engine_paths(e, pi, ENGINE_PATH_MAX);

	for (int i = 0; i < n && i < ENGINE_PATH_MAX; i++)
		if (pi[i].rtt > 5 * ENGINE_SEC || pi[i].rttvar > 5 * ENGINE_SEC)
			__builtin_trap();

	while (engine_next_tun(e, &pkt, &len))
		;
	while (engine_next_event(e, &ev))
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t rng[2] = {1, 2};
	struct engine *c = make(ENGINE_CLIENT, &rng[0]);
	struct engine *s = make(ENGINE_SERVER, &rng[1]);
	struct mud_addr srv = server_addr();
	uint64_t now = T0;
	size_t i = 0;

	if (!c || !s)
		goto out;
	for (unsigned p = 0; p < 2; p++) {
		struct engine_path_conf pc = {
			.local = client_addr(p),
			.remote = srv,
			.state = p ? ENGINE_STATE_BACKUP : ENGINE_STATE_UP,
			.tx_max_rate = 1000000,
			.rx_max_rate = 1000000,
		};
		engine_path_set(c, now, &pc);
	}
	while (i < size) {
		uint8_t op = data[i++];

		switch (op % 4) {
		case 0:
		case 1: {
			if (size - i < 3)
				goto out;
			struct mud_addr ca = client_addr(data[i]);
			size_t len = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;
			i += 3;
			if (len > size - i)
				len = size - i;
			if (op % 4 == 0)
				engine_recv(s, now, &srv, &ca, data + i, len);
			else
				engine_recv(c, now, &ca, &srv, data + i, len);
			i += len;
			break;
		}
		case 2: {
			if (size - i < 2)
				goto out;
			now += ((uint64_t)data[i] | (uint64_t)data[i + 1] << 8) * 1000;
			i += 2;
			if (op & 8) {
				struct engine *e = op & 16 ? s : c;
				engine_set_delay(e, (enum engine_delay)((engine_delay(e) + 1) % 3));
			}
			update(c, now);
			update(s, now);
			for (int round = 0; round < 4; round++)
				if (!deliver(c, s, now) + !deliver(s, c, now) == 2)
					break;
			break;
		}
		default: {
			uint8_t ip[255 * 6], dg[MUD_PKT_MAX];
			struct engine_tx tx;
			if (size - i < 1)
				goto out;
			size_t len = (size_t)data[i++] * 6;
			if (len < 20)
				len = 20;
			memset(ip, 0, len);
			ip[0] = 0x45;
			ip[2] = (uint8_t)(len >> 8);
			ip[3] = (uint8_t)len;
			struct engine *from = op & 4 ? s : c, *to = op & 4 ? c : s;
			int n = engine_send(from, now, dg, sizeof(dg), ip, len, &tx);
			if (n > 0)
				engine_recv(to, now, &tx.remote, &tx.local, dg, (size_t)n);
			break;
		}
		}
		drain(c);
		drain(s);
	}
out:
	engine_free(c);
	engine_free(s);
	return 0;
}
