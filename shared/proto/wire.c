/* The mud wire format: control message codec for both dialects, datagram framing, receive-side
 * filters (see wire.h). */
#include <string.h>

#include "proto/wire.h"

/* Control message offsets (section 3.1 and B.2). Both layouts share sent_time at 0 and everything
 * from loss (104) on; between them, master has dropped state and moved aes..mtu down one byte
 * to make room for pref at 103. */
enum {
	OFF_SENT_TIME = 0,
	OFF_LOSS = 104,
	OFF_FIXED_RATE = 105,
	OFF_LOSS_LIMIT = 106,
	OFF_ADDR = 107, /* 16 address bytes + 2 port bytes */
	OFF_V1_STATE = 6,
	OFF_V1_AES = 7,   /* master: one byte less from here to mtu */
	OFF_MASTER_PREF = 103,
};

/* Offsets of aes..mtu relative to the aes byte. */
enum {
	REL_AES = 0,
	REL_PKEY = 1,
	REL_TX_BYTES = 33,
	REL_TX_TOTAL = 41,
	REL_RX_BYTES = 49,
	REL_RX_TOTAL = 57,
	REL_FW_BYTES = 65,
	REL_FW_TOTAL = 73,
	REL_MAX_RATE = 81,
	REL_BEAT = 89,
	REL_MTU = 95, /* 2 bytes, ends at 0.3.4 offset 104 */
};

static uint64_t
read64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
write64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

bool
mud_time_ok(uint64_t now, uint64_t t, uint64_t tol)
{
	return mud_t48_diff(now, t) <= tol || mud_t48_diff(t, now) <= tol;
}

const char *
mud_dialect_name(enum mud_dialect d)
{
	switch (d) {
	case MUD_V1:
		return "0.3.4";
	case MUD_MASTER:
		return "master";
	}
	return NULL;
}

unsigned
mud_mtu_min(enum mud_dialect d)
{
	switch (d) {
	case MUD_V1:
		return MUD_MTU_MIN_V1;
	case MUD_MASTER:
		return MUD_MTU_MIN_MASTER;
	}
	return 0;
}

int
mud_ctl_classify(const uint8_t *plain, size_t len)
{
	if (len < MUD_MSG_SIZE)
		return -1;
	switch (plain[6]) {
	case 0:
	case 1:
		return MUD_MASTER;
	case 2:
	case 3:
		return MUD_V1;
	}
	return -1;
}

/* Where the aes byte starts in a dialect, or -1. */
static int
aes_offset(enum mud_dialect d)
{
	switch (d) {
	case MUD_V1:
		return OFF_V1_AES;
	case MUD_MASTER:
		return OFF_V1_AES - 1;
	}
	return -1;
}

int
mud_ctl_encode(uint8_t out[MUD_MSG_SIZE], const struct mud_ctl *ctl, enum mud_dialect d)
{
	int base = aes_offset(d);
	uint8_t *p;

	if (base < 0 || ctl->sent_time >= MUD_T48_LIMIT || ctl->beat >= MUD_T48_LIMIT)
		return -1;
	if (mud_addr_encode(out + OFF_ADDR, &ctl->addr) == -1)
		return -1;
	mud_write48(out + OFF_SENT_TIME, ctl->sent_time);
	if (d == MUD_V1)
		out[OFF_V1_STATE] = ctl->state;
	else
		out[OFF_MASTER_PREF] = ctl->pref;
	p = out + base;
	p[REL_AES] = ctl->aes;
	memcpy(p + REL_PKEY, ctl->pkey, MUD_PKEY_SIZE);
	write64(p + REL_TX_BYTES, ctl->tx_bytes);
	write64(p + REL_TX_TOTAL, ctl->tx_total);
	write64(p + REL_RX_BYTES, ctl->rx_bytes);
	write64(p + REL_RX_TOTAL, ctl->rx_total);
	write64(p + REL_FW_BYTES, ctl->fw_bytes);
	write64(p + REL_FW_TOTAL, ctl->fw_total);
	write64(p + REL_MAX_RATE, ctl->max_rate);
	mud_write48(p + REL_BEAT, ctl->beat);
	p[REL_MTU] = (uint8_t)ctl->mtu;
	p[REL_MTU + 1] = (uint8_t)(ctl->mtu >> 8);
	out[OFF_LOSS] = ctl->loss;
	out[OFF_FIXED_RATE] = ctl->fixed_rate;
	out[OFF_LOSS_LIMIT] = ctl->loss_limit;
	return 0;
}

int
mud_ctl_decode(struct mud_ctl *ctl, const uint8_t *plain, size_t len, enum mud_dialect d)
{
	int base = aes_offset(d);
	const uint8_t *p;

	if (base < 0 || len < MUD_MSG_SIZE)
		return -1;
	memset(ctl, 0, sizeof(*ctl));
	ctl->sent_time = mud_read48(plain + OFF_SENT_TIME);
	if (d == MUD_V1)
		ctl->state = plain[OFF_V1_STATE];
	else
		ctl->pref = plain[OFF_MASTER_PREF];
	p = plain + base;
	ctl->aes = p[REL_AES];
	memcpy(ctl->pkey, p + REL_PKEY, MUD_PKEY_SIZE);
	ctl->tx_bytes = read64(p + REL_TX_BYTES);
	ctl->tx_total = read64(p + REL_TX_TOTAL);
	ctl->rx_bytes = read64(p + REL_RX_BYTES);
	ctl->rx_total = read64(p + REL_RX_TOTAL);
	ctl->fw_bytes = read64(p + REL_FW_BYTES);
	ctl->fw_total = read64(p + REL_FW_TOTAL);
	ctl->max_rate = read64(p + REL_MAX_RATE);
	ctl->beat = mud_read48(p + REL_BEAT);
	ctl->mtu = (uint16_t)(p[REL_MTU] | p[REL_MTU + 1] << 8);
	ctl->loss = plain[OFF_LOSS];
	ctl->fixed_rate = plain[OFF_FIXED_RATE];
	ctl->loss_limit = plain[OFF_LOSS_LIMIT];
	mud_addr_decode(&ctl->addr, plain + OFF_ADDR);
	return 0;
}

int
mud_precheck(const uint8_t *pkt, size_t size)
{
	if (size <= MUD_OVERHEAD || size > MUD_PKT_MAX)
		return -1;
	if (!(pkt[0] & 1))
		return MUD_KIND_DATA;
	if (size < MUD_CTL_MIN)
		return -1;
	return MUD_KIND_CTL;
}

/* Encrypts the len plaintext bytes already at pkt + 6 in place, behind the time field t. */
static int
seal(uint8_t *pkt, size_t len, uint64_t t, enum aead_cipher cipher, const uint8_t *key)
{
	mud_write48(pkt, t);
	if (aead_encrypt(cipher, pkt + MUD_TIME_SIZE, pkt + MUD_TIME_SIZE, len, pkt, key) == -1)
		return -1;
	return (int)(len + MUD_OVERHEAD);
}

int
mud_data_seal(uint8_t *pkt, size_t cap, const uint8_t *payload, size_t len, uint64_t now,
              enum aead_cipher cipher, const uint8_t key[MUD_KEY_SIZE])
{
	if (len == 0 || len > MUD_DATA_MAX || cap < len + MUD_OVERHEAD)
		return -1;
	if (payload != pkt + MUD_TIME_SIZE)
		memcpy(pkt + MUD_TIME_SIZE, payload, len);
	return seal(pkt, len, mud_t48(now), cipher, key);
}

int
mud_ctl_seal(uint8_t *pkt, size_t cap, const uint8_t msg[MUD_MSG_SIZE], size_t size,
             uint64_t now, const uint8_t psk[MUD_KEY_SIZE])
{
	size_t len;

	if (size < MUD_CTL_MIN)
		size = MUD_CTL_MIN;
	if (size > MUD_PKT_MAX || cap < size)
		return -1;
	len = size - MUD_OVERHEAD;
	if (msg != pkt + MUD_TIME_SIZE)
		memcpy(pkt + MUD_TIME_SIZE, msg, MUD_MSG_SIZE);
	memset(pkt + MUD_TIME_SIZE + MUD_MSG_SIZE, 0, len - MUD_MSG_SIZE);
	return seal(pkt, len, mud_t48(now) | 1, AEAD_CHACHA20POLY1305, psk);
}

int
mud_ctl_build(uint8_t *pkt, size_t cap, const struct mud_ctl *ctl, enum mud_dialect d,
              size_t size, uint64_t now, const uint8_t psk[MUD_KEY_SIZE])
{
	if (cap < MUD_CTL_MIN || mud_ctl_encode(pkt + MUD_TIME_SIZE, ctl, d) == -1)
		return -1;
	return mud_ctl_seal(pkt, cap, pkt + MUD_TIME_SIZE, size, now, psk);
}

int
mud_open(uint8_t *out, size_t cap, const uint8_t *pkt, size_t size, enum aead_cipher cipher,
         const uint8_t key[MUD_KEY_SIZE])
{
	size_t len;

	if (size <= MUD_OVERHEAD || size > MUD_PKT_MAX)
		return -1;
	len = size - MUD_OVERHEAD;
	if (cap < len)
		return -1;
	if (aead_decrypt(cipher, out, pkt + MUD_TIME_SIZE, size - MUD_TIME_SIZE, pkt, key) == -1)
		return -1;
	return (int)len;
}

int
mud_ctl_open(uint8_t *out, size_t cap, const uint8_t *pkt, size_t size,
             const uint8_t psk[MUD_KEY_SIZE])
{
	if (mud_precheck(pkt, size) != MUD_KIND_CTL)
		return -1;
	return mud_open(out, cap, pkt, size, AEAD_CHACHA20POLY1305, psk);
}

bool
mud_ip_valid(const uint8_t *pkt, size_t size)
{
	if (size < MUD_IP_MIN)
		return false;
	switch (pkt[0] >> 4) {
	case 4:
		return size == (size_t)(pkt[2] << 8 | pkt[3]);
	case 6:
		return size == (size_t)(pkt[4] << 8 | pkt[5]) + 40;
	}
	return false;
}
