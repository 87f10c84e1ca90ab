/* Arbitrary bytes through the wire layer (shared/proto/wire.c, addr.c): as a received datagram
 * (pre-check, open with the vectors' PSK, classify, decode) and as a plaintext (decode in both
 * dialects, re-encode, seal and reopen). Aborts on any broken invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/addr.h"
#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The psk of the test vectors, so that the seed packets authenticate. */
static const uint8_t psk[MUD_KEY_SIZE] = {
	0x89, 0x89, 0xa5, 0x75, 0x20, 0x45, 0x6d, 0x84, 0x61, 0x81, 0x54, 0x12, 0xee, 0xd4, 0xb5, 0x30,
	0x45, 0x0b, 0xb7, 0xe3, 0x99, 0xd4, 0x8e, 0xb0, 0x6e, 0x2f, 0x77, 0xe9, 0xf7, 0x95, 0x71, 0xba,
};

#define CHECK(x) do { if (!(x)) abort(); } while (0)

/* decode -> encode must give back the same 125 bytes (every byte belongs to one field), and
 * decoding those again the same struct. */
static void
codec_stable(const uint8_t *msg, size_t len)
{
	uint8_t out[MUD_MSG_SIZE], out2[MUD_MSG_SIZE];
	struct mud_ctl a, b;
	int d;

	for (d = MUD_V1; d <= MUD_MASTER; d++) {
		if (mud_ctl_decode(&a, msg, len, (enum mud_dialect)d) == -1) {
			CHECK(len < MUD_MSG_SIZE);
			continue;
		}
		CHECK(a.sent_time < MUD_T48_LIMIT && a.beat < MUD_T48_LIMIT);
		CHECK(a.addr.family == AF_INET || a.addr.family == AF_INET6);
		CHECK(mud_ctl_encode(out, &a, (enum mud_dialect)d) == 0);
		CHECK(memcmp(out, msg, MUD_MSG_SIZE) == 0);
		CHECK(mud_ctl_decode(&b, out, sizeof(out), (enum mud_dialect)d) == 0);
		CHECK(mud_ctl_encode(out2, &b, (enum mud_dialect)d) == 0);
		CHECK(memcmp(out, out2, sizeof(out)) == 0);
		CHECK(mud_addr_equal(&a.addr, &b.addr));
	}
	d = mud_ctl_classify(msg, len);
	if (len < MUD_MSG_SIZE)
		CHECK(d == -1);
	else if (msg[6] <= 1)
		CHECK(d == MUD_MASTER);
	else if (msg[6] <= 3)
		CHECK(d == MUD_V1);
	else
		CHECK(d == -1);
	CHECK(d < 0 || mud_ctl_decode(&a, msg, len, (enum mud_dialect)d) == 0);
}

/* As a received datagram. */
static void
as_datagram(const uint8_t *pkt, size_t size)
{
	static uint8_t out[MUD_PKT_MAX];
	int kind = mud_precheck(pkt, size), n;

	if (size >= MUD_TIME_SIZE)
		(void)mud_time_ok(UINT64_C(43550139959520), mud_pkt_time(pkt),
		    MUD_TIME_TOLERANCE_DEFAULT);
	n = mud_ctl_open(out, sizeof(out), pkt, size, psk);
	if (n >= 0) {
		CHECK(kind == MUD_KIND_CTL && (size_t)n == size - MUD_OVERHEAD);
		CHECK(n >= MUD_MSG_SIZE);
		codec_stable(out, (size_t)n);
	}
	for (int c = AEAD_CHACHA20POLY1305; c <= AEAD_AEGIS256; c++) {
		n = mud_open(out, sizeof(out), pkt, size, (enum aead_cipher)c, psk);
		if (n >= 0) {
			CHECK(kind >= 0 && (size_t)n == size - MUD_OVERHEAD);
			(void)mud_ip_valid(out, (size_t)n);
		}
	}
}

/* As a plaintext: seal it as data and as a control message, then reopen. */
static void
as_plaintext(const uint8_t *msg, size_t len)
{
	static uint8_t pkt[MUD_PKT_MAX], out[MUD_PKT_MAX];
	uint64_t now = len >= 6 ? mud_read48(msg) : 0;
	struct mud_addr a;
	uint8_t w[MUD_ADDR_WIRE_SIZE];
	char s[MUD_ADDR_STRLEN];
	int n;

	codec_stable(msg, len);
	(void)mud_ip_valid(msg, len);

	if (len >= MUD_ADDR_WIRE_SIZE) {
		mud_addr_decode(&a, msg);
		CHECK(mud_addr_encode(w, &a) == 0 && memcmp(w, msg, sizeof(w)) == 0);
		CHECK(mud_addr_format(&a, '.', s, sizeof(s)) > 0);
	}

	for (int c = AEAD_CHACHA20POLY1305; c <= AEAD_AEGIS256; c++) {
		n = mud_data_seal(pkt, sizeof(pkt), msg, len, now, (enum aead_cipher)c, psk);
		if (n < 0) {
			CHECK(len == 0 || len > MUD_DATA_MAX ||
			    (c == AEAD_AEGIS256 && !aead_aegis256_available()));
			continue;
		}
		CHECK((size_t)n == len + MUD_OVERHEAD && mud_precheck(pkt, (size_t)n) == MUD_KIND_DATA);
		CHECK(mud_open(pkt + MUD_TIME_SIZE, len, pkt, (size_t)n, (enum aead_cipher)c, psk) ==
		    (int)len);
		CHECK(memcmp(pkt + MUD_TIME_SIZE, msg, len) == 0);
	}

	if (len >= MUD_MSG_SIZE) {
		/* The size of the datagram comes from the input too (bytes past the message). */
		size_t size = len > MUD_MSG_SIZE ? (size_t)msg[MUD_MSG_SIZE] * 6 : 0;

		n = mud_ctl_seal(pkt, sizeof(pkt), msg, size, now, psk);
		if (size > MUD_PKT_MAX) {
			CHECK(n == -1);
			return;
		}
		CHECK(n == (int)(size > MUD_CTL_MIN ? size : MUD_CTL_MIN));
		CHECK(mud_precheck(pkt, (size_t)n) == MUD_KIND_CTL);
		CHECK(mud_pkt_time(pkt) == (mud_t48(now) | 1));
		CHECK(mud_ctl_open(out, sizeof(out), pkt, (size_t)n, psk) == n - MUD_OVERHEAD);
		CHECK(memcmp(out, msg, MUD_MSG_SIZE) == 0);
		for (int i = MUD_MSG_SIZE; i < n - MUD_OVERHEAD; i++)
			CHECK(out[i] == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		CHECK(aead_init() == 0);
		ready = 1;
	}
	as_datagram(data, size);
	as_plaintext(data, size);
	return 0;
}
