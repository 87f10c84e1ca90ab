/* The mud wire format (docs/protocol.md sections 1-3, 5, 10, Appendix B) against the reference's
 * vectors in both dialects: codec, framing, filters, T48 arithmetic, addresses. */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/addr.h"
#include "proto/wire.h"
#include "support/suite.h"

static const struct {
	const char *file;
	enum mud_dialect d;
} files[] = {
	{"mud-v1.json", MUD_V1},
	{"mud-master.json", MUD_MASTER},
};

static const char *const ctl_sections[] = {
	"control", "control_probe", "control_ipv6", "control_initiation",
};
#define N_CTL_SECTIONS (sizeof(ctl_sections) / sizeof(ctl_sections[0]))

/* The integer fields of struct mud_ctl, by their vector names. */
static const struct {
	const char *name;
	size_t off, size;
} ints[] = {
#define F(x) {#x, offsetof(struct mud_ctl, x), sizeof(((struct mud_ctl *)0)->x)}
	F(sent_time), F(state), F(aes), F(pref), F(loss), F(fixed_rate), F(loss_limit), F(mtu),
	F(tx_bytes), F(tx_total), F(rx_bytes), F(rx_total), F(fw_bytes), F(fw_total), F(max_rate),
	F(beat),
#undef F
};
#define N_INTS (sizeof(ints) / sizeof(ints[0]))

static int
int_index(const char *name)
{
	for (size_t i = 0; i < N_INTS; i++)
		if (strcmp(ints[i].name, name) == 0)
			return (int)i;
	return -1;
}

static uint64_t
get_int(const struct mud_ctl *c, size_t i)
{
	const uint8_t *p = (const uint8_t *)c + ints[i].off;
	uint64_t v64;
	uint16_t v16;

	switch (ints[i].size) {
	case 1:
		return *p;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	default:
		memcpy(&v64, p, 8);
		return v64;
	}
}

static void
set_int(struct mud_ctl *c, size_t i, uint64_t v)
{
	uint8_t *p = (uint8_t *)c + ints[i].off;
	uint16_t v16 = (uint16_t)v;

	switch (ints[i].size) {
	case 1:
		ck_assert_uint_le(v, 0xff);
		*p = (uint8_t)v;
		break;
	case 2:
		ck_assert_uint_le(v, 0xffff);
		memcpy(p, &v16, 2);
		break;
	default:
		memcpy(p, &v, 8);
	}
}

static void
get_hex_fixed(const json_t *obj, const char *key, uint8_t *out, size_t want)
{
	size_t len;
	uint8_t *b = vec_hex(obj, key, &len);

	ck_assert_uint_eq(len, want);
	memcpy(out, b, len);
	free(b);
}

/* The message a vector describes: its sent_time, every member of fields (an unknown member
 * fails the test), and pkey from fields or from the vector's pubkey. */
static void
expected_ctl(struct mud_ctl *c, const json_t *vec, const json_t *fields)
{
	const char *key, *addr = NULL;
	json_t *val;
	int port = -1;

	ck_assert_ptr_nonnull(fields);
	memset(c, 0, sizeof(*c));
	c->sent_time = vec_u64(vec, "sent_time");
	json_object_foreach((json_t *)fields, key, val) {
		int i = int_index(key);

		if (i >= 0)
			set_int(c, (size_t)i, vec_u64(fields, key));
		else if (strcmp(key, "addr") == 0)
			addr = vec_str(fields, key);
		else if (strcmp(key, "port") == 0)
			port = (int)vec_u64(fields, key);
		else if (strcmp(key, "pkey") == 0)
			get_hex_fixed(fields, key, c->pkey, MUD_PKEY_SIZE);
		else
			ck_abort_msg("unknown field '%s'", key);
	}
	if (json_object_get(fields, "pkey") == NULL)
		get_hex_fixed(vec, "pubkey", c->pkey, MUD_PKEY_SIZE);
	ck_assert_ptr_nonnull(addr);
	ck_assert_int_ge(port, 0);
	ck_assert_int_eq(mud_addr_parse(&c->addr, addr, (uint16_t)port), 0);
}

static void
assert_ctl_eq(const struct mud_ctl *got, const struct mud_ctl *exp, const char *what)
{
	char a[MUD_ADDR_STRLEN], b[MUD_ADDR_STRLEN];

	for (size_t i = 0; i < N_INTS; i++)
		ck_assert_msg(get_int(got, i) == get_int(exp, i), "%s: %s is %llu, want %llu", what,
		    ints[i].name, (unsigned long long)get_int(got, i),
		    (unsigned long long)get_int(exp, i));
	ck_assert_msg(memcmp(got->pkey, exp->pkey, MUD_PKEY_SIZE) == 0, "%s: pkey", what);
	mud_addr_format(&got->addr, ' ', a, sizeof(a));
	mud_addr_format(&exp->addr, ' ', b, sizeof(b));
	ck_assert_msg(mud_addr_equal(&got->addr, &exp->addr), "%s: addr %s, want %s", what, a, b);
}

static size_t
vec_size(const json_t *vec)
{
	return json_object_get(vec, "size") ? (size_t)vec_u64(vec, "size") : MUD_CTL_MIN;
}

/* Everything one control message vector must satisfy in dialect d: msg_plain <-> fields, and
 * fields + psk + time + size -> packet, byte for byte; packet -> msg_plain and zero padding. */
static void
check_ctl_vector(const json_t *vec, const json_t *fields, enum mud_dialect d, const char *what)
{
	struct mud_ctl exp, got;
	size_t mlen, plen, klen, size = vec_size(vec);
	uint8_t *msg = vec_hex(vec, "msg_plain", &mlen);
	uint8_t *pkt = vec_hex(vec, "packet", &plen);
	uint8_t *psk = vec_hex(vec, "psk", &klen);
	uint64_t t = vec_u64(vec, "time");
	uint8_t out[MUD_PKT_MAX], buf[MUD_PKT_MAX];
	int n;

	expected_ctl(&exp, vec, fields);
	ck_assert_uint_eq(mlen, MUD_MSG_SIZE);
	ck_assert_uint_eq(klen, MUD_KEY_SIZE);
	ck_assert_uint_eq(plen, size);

	/* Codec. */
	memset(&got, 0xa5, sizeof(got));
	ck_assert_int_eq(mud_ctl_decode(&got, msg, mlen, d), 0);
	assert_ctl_eq(&got, &exp, what);
	ck_assert_int_eq(mud_ctl_classify(msg, mlen), (int)d);
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(mud_ctl_encode(out, &exp, d), 0);
	ck_assert_msg(memcmp(out, msg, MUD_MSG_SIZE) == 0, "%s: encode differs from msg_plain", what);

	/* Framing: the time field is time | 1 and the packet is reproduced exactly. */
	ck_assert_uint_eq(t & 1, 1);
	ck_assert_uint_eq(mud_pkt_time(pkt), t);
	ck_assert_int_eq(mud_precheck(pkt, plen), MUD_KIND_CTL);
	ck_assert(mud_time_ok(mud_t48(t), mud_pkt_time(pkt), MUD_TIME_TOLERANCE_DEFAULT));
	memset(buf, 0xa5, sizeof(buf));
	n = mud_ctl_build(buf, sizeof(buf), &exp, d, size, t, psk);
	ck_assert_int_eq(n, (int)size);
	ck_assert_msg(memcmp(buf, pkt, size) == 0, "%s: built packet differs", what);
	memset(buf, 0xa5, sizeof(buf));
	n = mud_ctl_seal(buf, size, msg, size, mud_t48(t), psk); /* exact capacity, even now */
	ck_assert_int_eq(n, (int)size);
	ck_assert_msg(memcmp(buf, pkt, size) == 0, "%s: sealed packet differs", what);
	if (size == MUD_CTL_MIN) {
		/* A smaller request is raised to 147. */
		ck_assert_int_eq(mud_ctl_build(buf, sizeof(buf), &exp, d, 0, t, psk), MUD_CTL_MIN);
		ck_assert(memcmp(buf, pkt, size) == 0);
	}

	/* Opening, out of place and in place. */
	memset(out, 0xa5, sizeof(out));
	n = mud_ctl_open(out, sizeof(out), pkt, plen, psk);
	ck_assert_int_eq(n, (int)(size - MUD_OVERHEAD));
	ck_assert(memcmp(out, msg, MUD_MSG_SIZE) == 0);
	for (int i = MUD_MSG_SIZE; i < n; i++)
		ck_assert_msg(out[i] == 0, "%s: padding byte %d", what, i);
	ck_assert_int_eq(mud_ctl_classify(out, (size_t)n), (int)d);
	ck_assert_int_eq(mud_ctl_decode(&got, out, (size_t)n, d), 0);
	assert_ctl_eq(&got, &exp, what);
	memcpy(buf, pkt, plen);
	n = mud_ctl_open(buf + MUD_TIME_SIZE, sizeof(buf) - MUD_TIME_SIZE, buf, plen, psk);
	ck_assert_int_eq(n, (int)(size - MUD_OVERHEAD));
	ck_assert(memcmp(buf + MUD_TIME_SIZE, msg, MUD_MSG_SIZE) == 0);
	ck_assert_int_eq(mud_open(out, sizeof(out), pkt, plen, AEAD_CHACHA20POLY1305, psk), n);

	/* Wrong key, truncation, a flipped bit anywhere: rejected. */
	psk[7] ^= 0x10;
	ck_assert_int_eq(mud_ctl_open(out, sizeof(out), pkt, plen, psk), -1);
	psk[7] ^= 0x10;
	ck_assert_int_eq(mud_ctl_open(out, sizeof(out), pkt, plen - 1, psk), -1);
	ck_assert_int_eq(mud_ctl_open(out, size - MUD_OVERHEAD - 1, pkt, plen, psk), -1);
	const size_t flips[] = {0, 1, 5, 6, 6 + 6, 6 + 124, plen / 2, plen - 17, plen - 16, plen - 1};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			memcpy(buf, pkt, plen);
			buf[flips[i]] ^= (uint8_t)(1 << bit);
			ck_assert_msg(mud_ctl_open(out, sizeof(out), buf, plen, psk) == -1,
			    "%s: byte %zu bit %d flipped but accepted", what, flips[i], bit);
		}
	}
	free(msg);
	free(pkt);
	free(psk);
}

static void
setup_crypto(void)
{
	ck_assert_int_eq(aead_init(), 0);
}

/* ---- Codec and framing against the vectors ---- */

START_TEST(test_sizes)
{
	for (size_t f = 0; f < 2; f++) {
		json_t *root = vectors_load(files[f].file);
		json_t *s = json_object_get(root, "sizes");

		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(vec_u64(s, "time"), MUD_TIME_SIZE);
		ck_assert_uint_eq(vec_u64(s, "mac"), MUD_TAG_SIZE);
		ck_assert_uint_eq(vec_u64(s, "msg"), MUD_MSG_SIZE);
		ck_assert_uint_eq(vec_u64(s, "pkt_min"), MUD_OVERHEAD);
		json_decref(root);
	}
	ck_assert_uint_eq(MUD_OVERHEAD, 22);
	ck_assert_uint_eq(MUD_CTL_MIN, 147);
	ck_assert_uint_eq(MUD_DATA_MAX, 1478);
	ck_assert_uint_eq(mud_mtu_min(MUD_V1), 1302);
	ck_assert_uint_eq(mud_mtu_min(MUD_MASTER), 598);
	ck_assert_uint_eq(mud_mtu_min((enum mud_dialect)7), 0);
	ck_assert_uint_eq(MUD_MTU_MAX, 1472);
	ck_assert_str_eq(mud_dialect_name(MUD_V1), "0.3.4");
	ck_assert_str_eq(mud_dialect_name(MUD_MASTER), "master");
	ck_assert_ptr_null(mud_dialect_name((enum mud_dialect)7));
}
END_TEST

/* A message with every field distinct, to find where each one lands. */
static void
distinct_ctl(struct mud_ctl *c)
{
	memset(c, 0, sizeof(*c));
	c->sent_time = UINT64_C(0xa1a2a3a4a5a7);
	c->state = 0xb1;
	c->aes = 0xb2;
	c->pref = 0xb3;
	c->loss = 0xb4;
	c->fixed_rate = 0xb5;
	c->loss_limit = 0xb6;
	c->mtu = 0xc1c2;
	for (int i = 0; i < MUD_PKEY_SIZE; i++)
		c->pkey[i] = (uint8_t)(0x40 + i);
	c->tx_bytes = UINT64_C(0x1112131415161718);
	c->tx_total = UINT64_C(0x2122232425262728);
	c->rx_bytes = UINT64_C(0x3132333435363738);
	c->rx_total = UINT64_C(0x4142434445464748);
	c->fw_bytes = UINT64_C(0x5152535455565758);
	c->fw_total = UINT64_C(0x6162636465666768);
	c->max_rate = UINT64_C(0x7172737475767778);
	c->beat = UINT64_C(0x818283848586);
	ck_assert_int_eq(mud_addr_parse(&c->addr, "2001:db8::99", 0xd1d2), 0);
}

static uint64_t
read_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* Checks that field NAME sits at OFF in msg, encoded from c. */
static void
check_offset(const uint8_t *msg, const struct mud_ctl *c, const char *name, size_t off)
{
	uint8_t wire[MUD_ADDR_WIRE_SIZE];
	int i = int_index(name);

	if (i >= 0) {
		size_t n = strcmp(name, "sent_time") == 0 || strcmp(name, "beat") == 0 ? 6 :
		    ints[i].size;
		ck_assert_msg(read_le(msg + off, n) == get_int(c, (size_t)i), "field %s at %zu", name,
		    off);
	} else if (strcmp(name, "pkey") == 0) {
		ck_assert(memcmp(msg + off, c->pkey, MUD_PKEY_SIZE) == 0);
	} else if (strcmp(name, "addr") == 0) {
		ck_assert_int_eq(mud_addr_encode(wire, &c->addr), 0);
		ck_assert(memcmp(msg + off, wire, MUD_ADDR_IP_SIZE) == 0);
	} else if (strcmp(name, "port") == 0) {
		ck_assert_uint_eq(msg[off], c->addr.port >> 8); /* big-endian */
		ck_assert_uint_eq(msg[off + 1], c->addr.port & 0xff);
	} else {
		ck_abort_msg("unknown offset '%s'", name);
	}
}

START_TEST(test_offsets)
{
	/* master: from the vectors; 0.3.4: section 3.1. */
	static const struct {
		const char *name;
		size_t off;
	} v1[] = {
		{"sent_time", 0}, {"state", 6}, {"aes", 7}, {"pkey", 8}, {"tx_bytes", 40},
		{"tx_total", 48}, {"rx_bytes", 56}, {"rx_total", 64}, {"fw_bytes", 72},
		{"fw_total", 80}, {"max_rate", 88}, {"beat", 96}, {"mtu", 102}, {"loss", 104},
		{"fixed_rate", 105}, {"loss_limit", 106}, {"addr", 107}, {"port", 123},
	};
	json_t *root = vectors_load("mud-master.json");
	json_t *offs = json_object_get(root, "offsets");
	struct mud_ctl c;
	uint8_t msg[MUD_MSG_SIZE];
	const char *key;
	json_t *val;

	distinct_ctl(&c);
	ck_assert_ptr_nonnull(offs);
	ck_assert_uint_eq(json_object_size(offs), 18);
	ck_assert_int_eq(mud_ctl_encode(msg, &c, MUD_MASTER), 0);
	json_object_foreach(offs, key, val)
		check_offset(msg, &c, key, (size_t)vec_u64(offs, key));
	ck_assert_int_eq(mud_ctl_encode(msg, &c, MUD_V1), 0);
	for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]); i++)
		check_offset(msg, &c, v1[i].name, v1[i].off);
	json_decref(root);
}
END_TEST

/* Loop index: file * N_CTL_SECTIONS + section. */
START_TEST(test_control_vectors)
{
	size_t f = (size_t)_i / N_CTL_SECTIONS;
	const char *name = ctl_sections[(size_t)_i % N_CTL_SECTIONS];
	json_t *root = vectors_load(files[f].file);
	json_t *vec = json_object_get(root, name);
	char what[64];

	snprintf(what, sizeof(what), "%s %s", files[f].file, name);
	ck_assert_msg(vec != NULL, "%s missing", what);
	check_ctl_vector(vec, json_object_get(vec, "fields"), files[f].d, what);
	json_decref(root);
}
END_TEST

START_TEST(test_control_probe_padding)
{
	/* The probe is 1472 bytes: 125 bytes of message and 1325 zero bytes. */
	for (size_t f = 0; f < 2; f++) {
		json_t *root = vectors_load(files[f].file);
		json_t *vec = json_object_get(root, "control_probe");
		size_t plen, klen;
		uint8_t *pkt = vec_hex(vec, "packet", &plen), *psk = vec_hex(vec, "psk", &klen);
		uint8_t out[MUD_PKT_MAX];

		ck_assert_uint_eq(plen, 1472);
		ck_assert_int_eq(mud_ctl_open(out, sizeof(out), pkt, plen, psk), 1450);
		for (size_t i = MUD_MSG_SIZE; i < 1450; i++)
			ck_assert_uint_eq(out[i], 0);
		free(pkt);
		free(psk);
		json_decref(root);
	}
}
END_TEST

static void
decode_hex(const json_t *vec, enum mud_dialect d, struct mud_ctl *c)
{
	size_t len;
	uint8_t *msg = vec_hex(vec, "msg_plain", &len);

	ck_assert_int_eq(mud_ctl_decode(c, msg, len, d), 0);
	free(msg);
}

/* Appendix B.2, B.3 and B.5: one dialect's bytes read with the other's offsets. */
START_TEST(test_cross_dialect_misreadings)
{
	json_t *v1 = vectors_load("mud-v1.json"), *ms = vectors_load("mud-master.json");
	struct mud_ctl right, wrong;

	/* master control read as 0.3.4: state 1 (aes), aes 10 (first pkey byte), mtu 1285 (pref 5
	 * and the high byte of mtu); the last pkey byte is the low byte of tx_bytes. */
	decode_hex(json_object_get(ms, "control"), MUD_MASTER, &right);
	decode_hex(json_object_get(ms, "control"), MUD_V1, &wrong);
	ck_assert_uint_eq(wrong.state, 1);
	ck_assert_uint_eq(wrong.aes, 10);
	ck_assert_uint_eq(wrong.mtu, 1285);
	ck_assert(memcmp(wrong.pkey, right.pkey + 1, MUD_PKEY_SIZE - 1) == 0);
	ck_assert_uint_eq(wrong.pkey[MUD_PKEY_SIZE - 1], right.tx_bytes & 0xff);
	ck_assert_uint_eq(wrong.pref, 0);
	/* From loss on, nothing moves. */
	ck_assert_uint_eq(wrong.loss, right.loss);
	ck_assert_uint_eq(wrong.fixed_rate, right.fixed_rate);
	ck_assert_uint_eq(wrong.loss_limit, right.loss_limit);
	ck_assert(mud_addr_equal(&wrong.addr, &right.addr));
	ck_assert_uint_eq(wrong.sent_time, right.sent_time);

	/* master initiation with chacha: byte 6 = 0, read as state 0 (empty). */
	decode_hex(json_object_get(ms, "control_initiation"), MUD_V1, &wrong);
	ck_assert_uint_eq(wrong.state, 0);
	ck_assert_uint_eq(wrong.aes, 0x0a);

	/* 0.3.4 initiation read by a master server: mtu (1472 & 0xff) << 8 = 49152, beat and
	 * max_rate times 256, pref 5 (high byte of mtu), aes 3 (state). */
	decode_hex(json_object_get(v1, "control_initiation"), MUD_V1, &right);
	decode_hex(json_object_get(v1, "control_initiation"), MUD_MASTER, &wrong);
	ck_assert_uint_eq(right.mtu, 1472);
	ck_assert_uint_eq(wrong.mtu, 49152);
	ck_assert_uint_eq(wrong.beat, right.beat * 256);
	ck_assert_uint_eq(wrong.max_rate, right.max_rate * 256);
	ck_assert_uint_eq(wrong.pref, 5);
	ck_assert_uint_eq(wrong.aes, 3);
	ck_assert_uint_eq(wrong.state, 0);
	ck_assert_uint_eq(wrong.pkey[0], right.aes);
	ck_assert(memcmp(wrong.pkey + 1, right.pkey, MUD_PKEY_SIZE - 1) == 0);
	ck_assert_uint_eq(wrong.tx_bytes, right.tx_bytes << 8 | right.pkey[MUD_PKEY_SIZE - 1]);

	json_decref(v1);
	json_decref(ms);
}
END_TEST

START_TEST(test_classify)
{
	uint8_t msg[MUD_MSG_SIZE] = {0};

	for (int v = 0; v < 256; v++) {
		int want = v == 0 || v == 1 ? MUD_MASTER : v == 2 || v == 3 ? MUD_V1 : -1;
		struct mud_ctl c;

		msg[6] = (uint8_t)v;
		ck_assert_int_eq(mud_ctl_classify(msg, sizeof(msg)), want);
		if (want >= 0)
			ck_assert_int_eq(mud_ctl_decode(&c, msg, sizeof(msg), (enum mud_dialect)want), 0);
		if (want == MUD_V1)
			ck_assert_uint_eq(c.state, v);
		else if (want == MUD_MASTER)
			ck_assert_uint_eq(c.aes, v);
	}
	msg[6] = 3;
	ck_assert_int_eq(mud_ctl_classify(msg, MUD_MSG_SIZE - 1), -1);
	ck_assert_int_eq(mud_ctl_classify(msg, MUD_MSG_SIZE + 100), MUD_V1);

	/* Every vector message classifies as its own dialect. */
	for (size_t f = 0; f < 2; f++) {
		json_t *root = vectors_load(files[f].file);
		json_t *steps = json_object_get(json_object_get(root, "exchange"), "steps");
		size_t i, len;
		json_t *step;

		for (size_t s = 0; s < N_CTL_SECTIONS; s++) {
			uint8_t *m = vec_hex(json_object_get(root, ctl_sections[s]), "msg_plain", &len);
			ck_assert_int_eq(mud_ctl_classify(m, len), (int)files[f].d);
			free(m);
		}
		json_array_foreach(steps, i, step) {
			uint8_t *m = vec_hex(step, "msg_plain", &len);
			ck_assert_int_eq(mud_ctl_classify(m, len), (int)files[f].d);
			free(m);
		}
		json_decref(root);
	}
}
END_TEST

static void
step_ctl(const json_t *step, struct mud_ctl *c)
{
	expected_ctl(c, step, json_object_get(step, "fields"));
}

START_TEST(test_exchange)
{
	size_t f = (size_t)_i;
	json_t *root = vectors_load(files[f].file);
	json_t *ex = json_object_get(root, "exchange");
	json_t *steps = json_object_get(ex, "steps");
	uint8_t cpub[MUD_PKEY_SIZE], spub[MUD_PKEY_SIZE];
	struct mud_ctl init, reply, echo;
	uint64_t t_init, t_reply;
	char what[64];

	ck_assert_uint_eq(json_array_size(steps), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *step = json_array_get(steps, i);
		json_t *vec = json_deep_copy(step);

		/* A step lacks the vector-level psk: borrow it from the exchange. */
		json_object_set(vec, "psk", json_object_get(ex, "psk"));
		snprintf(what, sizeof(what), "%s exchange %s", files[f].file, vec_str(step, "step"));
		check_ctl_vector(vec, json_object_get(vec, "fields"), files[f].d, what);
		json_decref(vec);
	}
	ck_assert_str_eq(vec_str(json_array_get(steps, 0), "step"), "initiation");
	ck_assert_str_eq(vec_str(json_array_get(steps, 1), "step"), "reply");
	ck_assert_str_eq(vec_str(json_array_get(steps, 2), "step"), "echo");
	step_ctl(json_array_get(steps, 0), &init);
	step_ctl(json_array_get(steps, 1), &reply);
	step_ctl(json_array_get(steps, 2), &echo);
	t_init = vec_u64(json_array_get(steps, 0), "time");
	t_reply = vec_u64(json_array_get(steps, 1), "time");
	get_hex_fixed(ex, "client_pubkey", cpub, sizeof(cpub));
	get_hex_fixed(ex, "server_pubkey", spub, sizeof(spub));

	/* Initiation: sent_time 0, fw 0/0, the client's key. */
	ck_assert_uint_eq(init.sent_time, 0);
	ck_assert_uint_eq(init.fw_bytes, 0);
	ck_assert_uint_eq(init.fw_total, 0);
	ck_assert(memcmp(init.pkey, cpub, MUD_PKEY_SIZE) == 0);
	/* Reply: sent_time = the initiation's raw time field (odd), fw = its tx. */
	ck_assert_uint_eq(reply.sent_time, t_init);
	ck_assert_uint_eq(reply.sent_time & 1, 1);
	ck_assert_uint_eq(reply.fw_bytes, init.tx_bytes);
	ck_assert_uint_eq(reply.fw_total, init.tx_total);
	ck_assert(memcmp(reply.pkey, spub, MUD_PKEY_SIZE) == 0);
	/* Echo: the same rules against the reply. */
	ck_assert_uint_eq(echo.sent_time, t_reply);
	ck_assert_uint_eq(echo.fw_bytes, reply.tx_bytes);
	ck_assert_uint_eq(echo.fw_total, reply.tx_total);
	ck_assert(memcmp(echo.pkey, cpub, MUD_PKEY_SIZE) == 0);
	/* Counters exclude the message itself and the one answered (section 3.1). */
	ck_assert_uint_eq(reply.rx_bytes, init.tx_bytes);
	ck_assert_uint_eq(reply.rx_total, init.tx_total);
	ck_assert_uint_eq(echo.tx_bytes, init.tx_bytes + 1472);
	ck_assert_uint_eq(echo.tx_total, init.tx_total + 1);
	ck_assert_uint_eq(echo.rx_bytes, reply.tx_bytes);
	/* MTU handshake: the server echoes the probing mtu 0, the client's echo confirms 1472. */
	ck_assert_uint_eq(init.mtu, 0);
	ck_assert_uint_eq(reply.mtu, 0);
	ck_assert_uint_eq(echo.mtu, 1472);
	json_decref(root);
}
END_TEST

/* ---- Data framing ---- */

static enum aead_cipher
cipher_of(const char *name)
{
	if (strcmp(name, "chacha20poly1305") == 0)
		return AEAD_CHACHA20POLY1305;
	ck_assert_str_eq(name, "aegis256");
	return AEAD_AEGIS256;
}

START_TEST(test_data_vectors)
{
	json_t *root = vectors_load(files[_i].file);
	json_t *data = json_object_get(root, "data"), *vec;
	int aegis = aead_aegis256_available();
	size_t idx, n_aegis = 0;

	ck_assert_uint_eq(json_array_size(data), 6);
	json_array_foreach(data, idx, vec) {
		enum aead_cipher cipher = cipher_of(vec_str(vec, "cipher"));
		enum aead_cipher other = cipher == AEAD_AEGIS256 ? AEAD_CHACHA20POLY1305 : AEAD_AEGIS256;
		size_t klen, tlen, plen;
		uint8_t *key = vec_hex(vec, "key", &klen);
		uint8_t *pt = vec_hex(vec, "plaintext", &tlen);
		uint8_t *pkt = vec_hex(vec, "packet", &plen);
		uint64_t t = vec_u64(vec, "time");
		uint8_t buf[MUD_PKT_MAX], out[MUD_PKT_MAX];

		ck_assert_uint_eq(klen, MUD_KEY_SIZE);
		ck_assert_uint_eq(plen, tlen + MUD_OVERHEAD);
		ck_assert_uint_eq(t & 1, 0);
		ck_assert_uint_eq(mud_pkt_time(pkt), t);
		ck_assert_int_eq(mud_precheck(pkt, plen), MUD_KIND_DATA);
		if (cipher == AEAD_AEGIS256 && !aegis) {
			/* No AES-NI: the cipher must refuse, not produce garbage. */
			ck_assert_int_eq(mud_data_seal(buf, sizeof(buf), pt, tlen, t, cipher, key), -1);
			ck_assert_int_eq(mud_open(out, sizeof(out), pkt, plen, cipher, key), -1);
			goto next;
		}
		n_aegis += cipher == AEAD_AEGIS256;

		/* Seal: out of place, in place, and with bit 0 of now set (masked off). */
		memset(buf, 0xa5, sizeof(buf));
		ck_assert_int_eq(mud_data_seal(buf, sizeof(buf), pt, tlen, t, cipher, key), (int)plen);
		ck_assert(memcmp(buf, pkt, plen) == 0);
		memset(buf, 0xa5, sizeof(buf));
		memcpy(buf + MUD_TIME_SIZE, pt, tlen);
		ck_assert_int_eq(mud_data_seal(buf, plen, buf + MUD_TIME_SIZE, tlen, t | 1, cipher, key),
		    (int)plen);
		ck_assert(memcmp(buf, pkt, plen) == 0);
		ck_assert_int_eq(mud_data_seal(buf, plen - 1, pt, tlen, t, cipher, key), -1);

		/* Open: out of place, in place. */
		memset(out, 0xa5, sizeof(out));
		ck_assert_int_eq(mud_open(out, sizeof(out), pkt, plen, cipher, key), (int)tlen);
		ck_assert(memcmp(out, pt, tlen) == 0);
		memcpy(buf, pkt, plen);
		ck_assert_int_eq(mud_open(buf + MUD_TIME_SIZE, tlen, buf, plen, cipher, key), (int)tlen);
		ck_assert(memcmp(buf + MUD_TIME_SIZE, pt, tlen) == 0);
		ck_assert_int_eq(mud_open(out, tlen - 1, pkt, plen, cipher, key), -1);

		/* Rejections: other cipher, other key, truncated, a flipped bit, a data packet
		 * offered as control. */
		if (aegis)
			ck_assert_int_eq(mud_open(out, sizeof(out), pkt, plen, other, key), -1);
		key[0] ^= 1;
		ck_assert_int_eq(mud_open(out, sizeof(out), pkt, plen, cipher, key), -1);
		key[0] ^= 1;
		ck_assert_int_eq(mud_open(out, sizeof(out), pkt, plen - 1, cipher, key), -1);
		for (size_t pos = 0; pos < plen; pos += (pos < 40 || pos + 40 > plen) ? 1 : 97) {
			memcpy(buf, pkt, plen);
			buf[pos] ^= 0x80;
			ck_assert_msg(mud_open(out, sizeof(out), buf, plen, cipher, key) == -1,
			    "byte %zu flipped but accepted", pos);
		}
		ck_assert_int_eq(mud_ctl_open(out, sizeof(out), pkt, plen, key), -1);
next:
		free(key);
		free(pt);
		free(pkt);
	}
	ck_assert_uint_eq(n_aegis, aegis ? 3 : 0);
	json_decref(root);
}
END_TEST

START_TEST(test_data_limits)
{
	uint8_t key[MUD_KEY_SIZE] = {1, 2, 3}, pt[MUD_PKT_MAX] = {0x45}, pkt[MUD_PKT_MAX + 8];
	uint8_t out[MUD_PKT_MAX];
	uint64_t now = UINT64_C(0x123456789abd);

	ck_assert_int_eq(mud_data_seal(pkt, sizeof(pkt), pt, 0, now, AEAD_CHACHA20POLY1305, key), -1);
	ck_assert_int_eq(mud_data_seal(pkt, sizeof(pkt), pt, MUD_DATA_MAX + 1, now,
	    AEAD_CHACHA20POLY1305, key), -1);
	ck_assert_int_eq(mud_data_seal(pkt, sizeof(pkt), pt, MUD_DATA_MAX, now,
	    AEAD_CHACHA20POLY1305, key), MUD_PKT_MAX);
	ck_assert_uint_eq(mud_pkt_time(pkt), UINT64_C(0x123456789abc));
	ck_assert_int_eq(mud_precheck(pkt, MUD_PKT_MAX), MUD_KIND_DATA);
	ck_assert_int_eq(mud_open(out, sizeof(out), pkt, MUD_PKT_MAX, AEAD_CHACHA20POLY1305, key),
	    MUD_DATA_MAX);
	ck_assert_int_eq(mud_open(out, sizeof(out), pkt, MUD_PKT_MAX + 1, AEAD_CHACHA20POLY1305,
	    key), -1);
	/* The smallest datagram accepted is 23 bytes. */
	ck_assert_int_eq(mud_data_seal(pkt, sizeof(pkt), pt, 1, now, AEAD_CHACHA20POLY1305, key),
	    23);
	ck_assert_int_eq(mud_open(out, sizeof(out), pkt, 23, AEAD_CHACHA20POLY1305, key), 1);
	ck_assert_int_eq(mud_open(out, sizeof(out), pkt, 22, AEAD_CHACHA20POLY1305, key), -1);
}
END_TEST

START_TEST(test_control_limits)
{
	uint8_t psk[MUD_KEY_SIZE] = {9}, pkt[MUD_PKT_MAX + 8], out[MUD_PKT_MAX];
	struct mud_ctl c, got;
	uint64_t now = UINT64_C(0x100000000000);

	distinct_ctl(&c);
	/* Largest answer: 1500 bytes, 1478 of plaintext. */
	ck_assert_int_eq(mud_ctl_build(pkt, sizeof(pkt), &c, MUD_MASTER, 1500, now, psk), 1500);
	ck_assert_uint_eq(mud_pkt_time(pkt), now | 1);
	ck_assert_int_eq(mud_precheck(pkt, 1500), MUD_KIND_CTL);
	ck_assert_int_eq(mud_ctl_open(out, sizeof(out), pkt, 1500, psk), 1478);
	for (int i = MUD_MSG_SIZE; i < 1478; i++)
		ck_assert_uint_eq(out[i], 0);
	ck_assert_int_eq(mud_ctl_decode(&got, out, 1478, MUD_MASTER), 0);
	c.state = 0; /* not on the master wire */
	assert_ctl_eq(&got, &c, "1500-byte master");
	ck_assert_int_eq(mud_ctl_open(out, sizeof(out), pkt, 1501, psk), -1);
	ck_assert_int_eq(mud_ctl_build(pkt, sizeof(pkt), &c, MUD_MASTER, 1501, now, psk), -1);
	ck_assert_int_eq(mud_ctl_build(pkt, 1499, &c, MUD_MASTER, 1500, now, psk), -1);
	ck_assert_int_eq(mud_ctl_build(pkt, 146, &c, MUD_MASTER, 0, now, psk), -1);
	ck_assert_int_eq(mud_ctl_build(pkt, sizeof(pkt), &c, (enum mud_dialect)2, 0, now, psk), -1);

	/* A control datagram needs a 125-byte plaintext: 146 bytes is too short, even if it
	 * authenticates. */
	ck_assert_int_eq(mud_ctl_build(pkt, sizeof(pkt), &c, MUD_V1, 147, now, psk), 147);
	ck_assert_int_eq(mud_ctl_open(out, sizeof(out), pkt, 147, psk), 125);
	ck_assert_int_eq(mud_ctl_open(out, sizeof(out), pkt, 146, psk), -1);
	/* An odd now stays odd; the flag is what tells control from data. */
	ck_assert_int_eq(mud_ctl_build(pkt, sizeof(pkt), &c, MUD_V1, 147, now | 1, psk), 147);
	ck_assert_uint_eq(mud_pkt_time(pkt), now | 1);
	pkt[0] &= 0xfe;
	ck_assert_int_eq(mud_precheck(pkt, 147), MUD_KIND_DATA);
	ck_assert_int_eq(mud_ctl_open(out, sizeof(out), pkt, 147, psk), -1);
}
END_TEST

/* ---- Pure parts ---- */

START_TEST(test_precheck)
{
	uint8_t pkt[MUD_PKT_MAX + 1] = {0};

	for (size_t size = 0; size <= sizeof(pkt); size++) {
		int data = size > 22 && size <= 1500 ? MUD_KIND_DATA : -1;
		int ctl = size >= 147 && size <= 1500 ? MUD_KIND_CTL : -1;

		pkt[0] = 0x42;
		ck_assert_int_eq(mud_precheck(pkt, size), data);
		pkt[0] = 0x43;
		ck_assert_int_eq(mud_precheck(pkt, size), ctl);
	}
}
END_TEST

START_TEST(test_t48)
{
	const uint64_t top = UINT64_C(0xfffffffffffe);
	uint8_t b[8] = {0};

	ck_assert_uint_eq(mud_t48(UINT64_MAX), top);
	ck_assert_uint_eq(mud_t48(UINT64_C(0x1000000000003)), 2);
	/* Wrap: 2 is 4 after 2^48 - 2. */
	ck_assert_uint_eq(mud_t48_diff(2, top), 4);
	ck_assert_uint_eq(mud_t48_diff(top, 2), top - 2);
	ck_assert_uint_eq(mud_t48_diff(0, 2), top);
	ck_assert_uint_eq(mud_t48_diff(5, 5), 0);
	ck_assert_uint_eq(mud_t48_diff(5, 4), 0); /* bit 0 is not a time */
	ck_assert(mud_t48_newer(2, top));
	ck_assert(!mud_t48_newer(top, 2));
	ck_assert(!mud_t48_newer(1000, 1000));
	ck_assert(!mud_t48_newer(1001, 1000));
	ck_assert(mud_t48_newer(1002, 1000));
	ck_assert(mud_t48_newer(1000 + (UINT64_C(1) << 47) - 2, 1000));
	ck_assert(!mud_t48_newer(1000 + (UINT64_C(1) << 47), 1000));
	ck_assert(!mud_t48_newer(1000, 1000 + (UINT64_C(1) << 47)));
	ck_assert(mud_t48_newer(1000, 1000 + (UINT64_C(1) << 47) + 2));
	/* LE48. */
	mud_write48(b, UINT64_C(0xff0102030405060a));
	ck_assert_uint_eq(b[0], 0x0a);
	ck_assert_uint_eq(b[5], 0x02);
	ck_assert_uint_eq(b[6], 0);
	ck_assert_uint_eq(mud_read48(b), UINT64_C(0x02030405060a));
}
END_TEST

START_TEST(test_time_tolerance)
{
	const uint64_t tol = MUD_TIME_TOLERANCE_DEFAULT, now = UINT64_C(43550139959520);
	const uint64_t top = UINT64_C(0xfffffffffffe);

	ck_assert(mud_time_ok(now, now, tol));
	ck_assert(mud_time_ok(now, now + 1, tol));
	ck_assert(mud_time_ok(now, now + tol, tol));
	ck_assert(mud_time_ok(now, now + tol + 1, tol)); /* the flag bit is masked off */
	ck_assert(!mud_time_ok(now, now + tol + 2, tol));
	ck_assert(mud_time_ok(now, now - tol, tol));
	ck_assert(!mud_time_ok(now, now - tol - 2, tol));
	ck_assert(!mud_time_ok(now, 0, tol)); /* a forged time of 0 */
	ck_assert(!mud_time_ok(now, 1, tol));
	/* Across the 2^48 wrap, both ways. */
	ck_assert(mud_time_ok(10, top - 10, tol));
	ck_assert(mud_time_ok(top - 10, 11, tol));
	ck_assert(!mud_time_ok(2, top - tol, tol));
	ck_assert(mud_time_ok(2, top - tol + 4, tol));
	ck_assert(!mud_time_ok(now, now + tol + 2, 0) && mud_time_ok(now, now + 1, 0));
}
END_TEST

START_TEST(test_encode_errors)
{
	struct mud_ctl c;
	uint8_t msg[MUD_MSG_SIZE], before[MUD_MSG_SIZE];

	distinct_ctl(&c);
	memset(msg, 0x5a, sizeof(msg));
	memcpy(before, msg, sizeof(msg));
	c.sent_time = MUD_T48_LIMIT;
	ck_assert_int_eq(mud_ctl_encode(msg, &c, MUD_V1), -1);
	c.sent_time = MUD_T48_LIMIT - 1;
	c.beat = MUD_T48_LIMIT;
	ck_assert_int_eq(mud_ctl_encode(msg, &c, MUD_MASTER), -1);
	c.beat = 1;
	c.addr.family = 0;
	ck_assert_int_eq(mud_ctl_encode(msg, &c, MUD_V1), -1);
	c.addr.family = AF_INET;
	ck_assert_int_eq(mud_ctl_encode(msg, &c, (enum mud_dialect)-1), -1);
	ck_assert(memcmp(msg, before, sizeof(msg)) == 0);
	ck_assert_int_eq(mud_ctl_encode(msg, &c, MUD_V1), 0);
	ck_assert_int_eq(mud_ctl_decode(&c, msg, MUD_MSG_SIZE - 1, MUD_V1), -1);
	ck_assert_int_eq(mud_ctl_decode(&c, msg, MUD_MSG_SIZE, (enum mud_dialect)5), -1);
}
END_TEST

/* decode -> encode is the identity on any 125 bytes, in both dialects: every byte belongs to
 * exactly one field. */
START_TEST(test_codec_identity)
{
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	uint8_t msg[MUD_MSG_SIZE], out[MUD_MSG_SIZE];
	struct mud_ctl c, c2;

	for (int n = 0; n < 4000; n++) {
		for (size_t i = 0; i < sizeof(msg); i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			msg[i] = (uint8_t)x;
		}
		if (n & 1) /* half of them with an IPv4-mapped address */
			memcpy(msg + 107, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		for (int d = MUD_V1; d <= MUD_MASTER; d++) {
			ck_assert_int_eq(mud_ctl_decode(&c, msg, sizeof(msg), (enum mud_dialect)d), 0);
			ck_assert_uint_eq(c.addr.family, n & 1 ? AF_INET : AF_INET6);
			ck_assert_int_eq(mud_ctl_encode(out, &c, (enum mud_dialect)d), 0);
			ck_assert(memcmp(out, msg, sizeof(msg)) == 0);
			ck_assert_int_eq(mud_ctl_decode(&c2, out, sizeof(out), (enum mud_dialect)d), 0);
			assert_ctl_eq(&c2, &c, "identity");
		}
	}
}
END_TEST

START_TEST(test_ip_filter)
{
	uint8_t p[1500] = {0};

	p[0] = 0x45;
	p[2] = 0;
	p[3] = 20;
	ck_assert(mud_ip_valid(p, 20));
	ck_assert(!mud_ip_valid(p, 21));
	p[2] = 0x05;
	p[3] = 0xdc;
	ck_assert(mud_ip_valid(p, 1500));
	ck_assert(!mud_ip_valid(p, 1499));
	/* Shorter than 20: refused even when the length matches. */
	p[2] = 0;
	p[3] = 19;
	ck_assert(!mud_ip_valid(p, 19));
	/* IPv6: payload length + 40. */
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	ck_assert(mud_ip_valid(p, 40));
	ck_assert(!mud_ip_valid(p, 20));
	p[4] = 0x05;
	p[5] = 0xb4;
	ck_assert(mud_ip_valid(p, 1500));
	ck_assert(!mud_ip_valid(p, 1460));
	/* The version nibble decides the layout. */
	p[0] = 0x40;
	ck_assert(!mud_ip_valid(p, 1500));
	for (int v = 0; v < 16; v++) {
		if (v == 4 || v == 6)
			continue;
		memset(p, 0, 64);
		p[0] = (uint8_t)(v << 4);
		p[3] = 40;
		p[5] = 0;
		ck_assert(!mud_ip_valid(p, 40));
	}
	ck_assert(!mud_ip_valid(p, 0));
}
END_TEST

/* ---- Addresses ---- */

START_TEST(test_addr_parse_format)
{
	struct mud_addr a;
	char buf[MUD_ADDR_STRLEN];

	ck_assert_int_eq(mud_addr_parse(&a, "198.51.100.7", 5000), 0);
	ck_assert_uint_eq(a.family, AF_INET);
	ck_assert_int_eq(mud_addr_format(&a, '.', buf, sizeof(buf)), 17);
	ck_assert_str_eq(buf, "198.51.100.7.5000");
	ck_assert_int_eq(mud_addr_format(&a, ' ', buf, sizeof(buf)), 17);
	ck_assert_str_eq(buf, "198.51.100.7 5000");
	ck_assert_int_eq(mud_addr_format(&a, ' ', buf, 18), 17);
	ck_assert_int_eq(mud_addr_format(&a, ' ', buf, 17), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(mud_addr_format_ip(&a, buf, sizeof(buf)), 12);
	ck_assert_str_eq(buf, "198.51.100.7");
	ck_assert_int_eq(mud_addr_format_ip(&a, buf, 12), -1);

	ck_assert_int_eq(mud_addr_parse(&a, "2001:db8::7", 65535), 0);
	ck_assert_uint_eq(a.family, AF_INET6);
	ck_assert_int_eq(mud_addr_format(&a, ' ', buf, sizeof(buf)), 17);
	ck_assert_str_eq(buf, "2001:db8::7 65535");

	/* The v4-mapped form is IPv4. */
	ck_assert_int_eq(mud_addr_parse(&a, "::ffff:192.0.2.1", 1), 0);
	ck_assert_uint_eq(a.family, AF_INET);
	ck_assert_int_eq(mud_addr_format(&a, '.', buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "192.0.2.1.1");

	ck_assert_int_eq(mud_addr_parse(&a, "198.51.100", 1), -1);
	ck_assert_int_eq(mud_addr_parse(&a, "example.org", 1), -1);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(mud_addr_format(&a, ' ', buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "- 0");

	/* The longest form fits MUD_ADDR_STRLEN. */
	ck_assert_int_eq(mud_addr_parse(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535), 0);
	ck_assert_int_gt(mud_addr_format(&a, ' ', buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(test_addr_sockaddr)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(5000)};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(6000)};
	struct sockaddr_storage ss;
	struct mud_addr a, b;
	char buf[MUD_ADDR_STRLEN];

	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	ck_assert_int_eq(mud_addr_from_sockaddr(&a, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_uint_eq(a.family, AF_INET);
	ck_assert_uint_eq(a.port, 5000);
	ck_assert(memcmp(a.ip, "\xc0\x00\x02\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
	ck_assert_int_eq(mud_addr_to_sockaddr(&a, &ss), (int)sizeof(sin));
	ck_assert(memcmp(&ss, &sin, sizeof(sin)) == 0);
	ck_assert_int_eq(mud_addr_from_sockaddr(&a, (struct sockaddr *)&sin, sizeof(sin) - 1), -1);
	ck_assert_int_eq(mud_addr_from_sockaddr(&a, (struct sockaddr *)&sin, 1), -1);

	/* A v4-mapped source from a dual-stack socket is the same path as the plain IPv4 one. */
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &sin6.sin6_addr);
	sin6.sin6_port = htons(5000);
	ck_assert_int_eq(mud_addr_from_sockaddr(&b, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	ck_assert_uint_eq(b.family, AF_INET);
	ck_assert(mud_addr_equal(&a, &b));
	ck_assert_int_eq(mud_addr_to_sockaddr(&b, &ss), (int)sizeof(sin));
	ck_assert_uint_eq(ss.ss_family, AF_INET);

	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	sin6.sin6_port = htons(6000);
	sin6.sin6_scope_id = 3;
	ck_assert_int_eq(mud_addr_from_sockaddr(&b, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	ck_assert_uint_eq(b.family, AF_INET6);
	ck_assert_uint_eq(b.port, 6000);
	mud_addr_format(&b, '.', buf, sizeof(buf));
	ck_assert_str_eq(buf, "2001:db8::1.6000");
	ck_assert_int_eq(mud_addr_to_sockaddr(&b, &ss), (int)sizeof(sin6));
	ck_assert_int_eq(mud_addr_from_sockaddr(&a, (struct sockaddr *)&ss, sizeof(ss)), 0);
	ck_assert(mud_addr_equal(&a, &b));
	ck_assert_int_eq(mud_addr_from_sockaddr(&a, (struct sockaddr *)&sin6, sizeof(sin6) - 1),
	    -1);

	ss.ss_family = AF_UNIX;
	ck_assert_int_eq(mud_addr_from_sockaddr(&a, (struct sockaddr *)&ss, sizeof(ss)), -1);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(mud_addr_to_sockaddr(&a, &ss), -1);
}
END_TEST

START_TEST(test_addr_equal)
{
	struct mud_addr a, b, c, d;

	mud_addr_parse(&a, "192.0.2.1", 5000);
	mud_addr_parse(&b, "192.0.2.1", 5001);
	mud_addr_parse(&c, "192.0.2.2", 5000);
	mud_addr_parse(&d, "::c000:201", 5000); /* same 4 bytes, but IPv6 */
	ck_assert(!mud_addr_equal(&a, &b));
	ck_assert(mud_addr_ip_equal(&a, &b));
	ck_assert(!mud_addr_equal(&a, &c));
	ck_assert(!mud_addr_ip_equal(&a, &d));
}
END_TEST

START_TEST(test_addr_wire)
{
	static const uint8_t v4[18] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 7,
	    0x13, 0x88};
	uint8_t w[MUD_ADDR_WIRE_SIZE], before[MUD_ADDR_WIRE_SIZE];
	struct mud_addr a, b;
	char buf[MUD_ADDR_STRLEN];

	mud_addr_parse(&a, "198.51.100.7", 5000);
	ck_assert_int_eq(mud_addr_encode(w, &a), 0);
	ck_assert(memcmp(w, v4, sizeof(v4)) == 0);
	mud_addr_decode(&b, w);
	ck_assert(mud_addr_equal(&a, &b));

	mud_addr_parse(&a, "2001:db8::7", 0x1234);
	ck_assert_int_eq(mud_addr_encode(w, &a), 0);
	ck_assert(memcmp(w, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07\x12\x34", 18) == 0);
	mud_addr_decode(&b, w);
	ck_assert(mud_addr_equal(&a, &b));

	/* Exactly 00x10 ff ff is IPv4; anything else in those 12 bytes is IPv6. */
	memset(w, 0, sizeof(w));
	mud_addr_decode(&b, w);
	ck_assert_uint_eq(b.family, AF_INET6);
	mud_addr_format(&b, ' ', buf, sizeof(buf));
	ck_assert_str_eq(buf, ":: 0");
	w[10] = w[11] = 0xff;
	mud_addr_decode(&b, w);
	ck_assert_uint_eq(b.family, AF_INET);
	mud_addr_format(&b, '.', buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.0.0.0.0");
	w[11] = 0xfe;
	mud_addr_decode(&b, w);
	ck_assert_uint_eq(b.family, AF_INET6);
	w[11] = 0xff;
	w[0] = 1;
	mud_addr_decode(&b, w);
	ck_assert_uint_eq(b.family, AF_INET6);

	memset(&a, 0, sizeof(a));
	memset(w, 0x77, sizeof(w));
	memcpy(before, w, sizeof(w));
	ck_assert_int_eq(mud_addr_encode(w, &a), -1);
	ck_assert(memcmp(w, before, sizeof(w)) == 0);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *codec = tcase_create("codec");
	TCase *frame = tcase_create("framing");
	TCase *pure = tcase_create("pure");
	TCase *addr = tcase_create("addr");

	tcase_add_test(codec, test_sizes);
	tcase_add_test(codec, test_offsets);
	tcase_add_test(codec, test_cross_dialect_misreadings);
	tcase_add_test(codec, test_classify);
	tcase_add_test(codec, test_encode_errors);
	tcase_add_test(codec, test_codec_identity);
	suite_add_tcase(s, codec);

	tcase_add_checked_fixture(frame, setup_crypto, NULL);
	tcase_add_loop_test(frame, test_control_vectors, 0, 2 * N_CTL_SECTIONS);
	tcase_add_test(frame, test_control_probe_padding);
	tcase_add_loop_test(frame, test_exchange, 0, 2);
	tcase_add_loop_test(frame, test_data_vectors, 0, 2);
	tcase_add_test(frame, test_data_limits);
	tcase_add_test(frame, test_control_limits);
	suite_add_tcase(s, frame);

	tcase_add_test(pure, test_precheck);
	tcase_add_test(pure, test_t48);
	tcase_add_test(pure, test_time_tolerance);
	tcase_add_test(pure, test_ip_filter);
	suite_add_tcase(s, pure);

	tcase_add_test(addr, test_addr_parse_format);
	tcase_add_test(addr, test_addr_sockaddr);
	tcase_add_test(addr, test_addr_equal);
	tcase_add_test(addr, test_addr_wire);
	suite_add_tcase(s, addr);
	return s;
}
