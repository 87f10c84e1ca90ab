/* The mud wire format (docs/protocol.md sections 1-3, 5, 10 and Appendix B): sizes, 48-bit times,
 * the 125-byte control message in both dialects, datagram framing and the receive-side filters.
 *
 * Pure functions: no allocation, no I/O, no clock. Buffers belong to the caller; every function
 * that writes takes the buffer's capacity. Datagram layout:
 *
 *	0        6                 6+N       6+N+16
 *	| time   | ciphertext (N)  | tag (16) |
 *
 * Bit 0 of the time field (the low bit of byte 0) is set on control messages only. */
#ifndef GT_PROTO_WIRE_H
#define GT_PROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "proto/addr.h"

#define MUD_TIME_SIZE 6
#define MUD_TAG_SIZE 16
#define MUD_OVERHEAD (MUD_TIME_SIZE + MUD_TAG_SIZE)        /* 22 */
#define MUD_MSG_SIZE 125                                    /* control plaintext */
#define MUD_CTL_MIN (MUD_OVERHEAD + MUD_MSG_SIZE)           /* 147 */
#define MUD_PKT_MAX 1500                                    /* send and receive */
#define MUD_DATA_MAX (MUD_PKT_MAX - MUD_OVERHEAD)           /* 1478, largest data plaintext */
#define MUD_KEY_SIZE 32
#define MUD_PKEY_SIZE 32

/* Path MTU search bounds, as UDP payload sizes (section 7, B.4 item 4). */
#define MUD_MTU_MAX 1472
#define MUD_MTU_MIN_V1 1302
#define MUD_MTU_MIN_MASTER 598

#define MUD_TIME_TOLERANCE_DEFAULT UINT64_C(600000000) /* 10 min in us */

/* T48 arithmetic (section 0): 48-bit times with bit 0 cleared. */
#define MUD_T48_MASK UINT64_C(0xfffffffffffe)
#define MUD_T48_LIMIT (UINT64_C(1) << 48)

static inline uint64_t
mud_t48(uint64_t x)
{
	return x & MUD_T48_MASK;
}

/* MASK(a - b) modulo 2^48: how far a is ahead of b. */
static inline uint64_t
mud_t48_diff(uint64_t a, uint64_t b)
{
	return (a - b) & MUD_T48_MASK;
}

/* Serial-number order: a is newer than b iff MASK(a - b) is non-zero and below 2^47. */
static inline bool
mud_t48_newer(uint64_t a, uint64_t b)
{
	uint64_t d = mud_t48_diff(a, b);

	return d != 0 && d < (UINT64_C(1) << 47);
}

static inline uint64_t
mud_read48(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40;
}

/* Writes the low 48 bits of v. */
static inline void
mud_write48(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The raw time field of a datagram (flag bit included): the value to check with mud_time_ok()
 * and to copy into the sent_time of an answer. */
static inline uint64_t
mud_pkt_time(const uint8_t *pkt)
{
	return mud_read48(pkt);
}

/* Section 5: false (drop, count as difftime) when the modular distance between now and the raw
 * time field t exceeds tol in both directions. */
bool mud_time_ok(uint64_t now, uint64_t t, uint64_t tol);

/* ---- Control messages ---- */

enum mud_dialect {
	MUD_V1 = 0,     /* glorytun 0.3.4 / mud c426cef: state at byte 6 */
	MUD_MASTER = 1, /* glorytun 32267e8 / mud e991dc9 (OpenMPTCProuter): aes at 6, pref at 103 */
};

/* Every field of both layouts. Fields a dialect lacks are ignored by encode and set to 0 by
 * decode (state in master, pref in 0.3.4). */
struct mud_ctl {
	uint64_t sent_time; /* 48 bits: 0 in an initiation, else the answered time field (odd) */
	uint8_t state;      /* 0.3.4 only: 1 DOWN, 2 BACKUP, 3 UP */
	uint8_t aes;        /* non-zero: the sender will use AEGIS-256 */
	uint8_t pref;       /* master only: lower is preferred */
	uint8_t loss;       /* sender's transmit loss, 0..255 */
	uint8_t fixed_rate; /* 1 fixed, 0 auto */
	uint8_t loss_limit; /* 0..255 */
	uint16_t mtu;       /* UDP size */
	uint8_t pkey[MUD_PKEY_SIZE];
	uint64_t tx_bytes, tx_total;
	uint64_t rx_bytes, rx_total;
	uint64_t fw_bytes, fw_total;
	uint64_t max_rate;    /* bytes/s */
	uint64_t beat;        /* 48 bits, us */
	struct mud_addr addr; /* the path's remote address and port, as the sender sees it */
};

/* "0.3.4" / "master" (NULL for an unknown value). */
const char *mud_dialect_name(enum mud_dialect d);

/* Lower MTU search bound of a dialect (1302 or 598; 0 for an unknown value). */
unsigned mud_mtu_min(enum mud_dialect d);

/* Appendix B.3 on a decrypted control plaintext: byte 6 = 2 or 3 is 0.3.4, 0 or 1 is master.
 * Returns the dialect, or -1 for any other value or len < MUD_MSG_SIZE. */
int mud_ctl_classify(const uint8_t *plain, size_t len);

/* Writes the 125-byte message. Returns 0, or -1 for an unknown dialect, an unset addr, or a
 * sent_time or beat that does not fit in 48 bits. */
int mud_ctl_encode(uint8_t out[MUD_MSG_SIZE], const struct mud_ctl *ctl, enum mud_dialect d);

/* Reads the first 125 bytes of plain in the given layout, whatever byte 6 holds (use
 * mud_ctl_classify() to choose). Returns 0, or -1 for an unknown dialect or len < 125. */
int mud_ctl_decode(struct mud_ctl *ctl, const uint8_t *plain, size_t len, enum mud_dialect d);


/* ---- Datagrams ---- */

enum mud_kind {
	MUD_KIND_DATA = 0,
	MUD_KIND_CTL = 1,
};

/* Receive-side size rules (sections 1.2, 1.3 step 1) and the control flag: returns
 * MUD_KIND_DATA, MUD_KIND_CTL, or -1 to drop silently (size <= 22, size > 1500, or a control
 * datagram shorter than 147 bytes). */
int mud_precheck(const uint8_t *pkt, size_t size);

/* Data datagram: time field MASK(now) (bit 0 clear), then len bytes of payload encrypted under
 * key with cipher, then the tag. payload may be pkt + MUD_TIME_SIZE (sealed in place, no copy);
 * otherwise it must not overlap pkt. Returns the datagram size, len + 22, or -1 if len is 0 or
 * above MUD_DATA_MAX, cap < len + 22, or the cipher is unavailable. */
int mud_data_seal(uint8_t *pkt, size_t cap, const uint8_t *payload, size_t len, uint64_t now,
                  enum aead_cipher cipher, const uint8_t key[MUD_KEY_SIZE]);

/* Control datagram of max(147, size) bytes: time field MASK(now) | 1, plaintext = msg followed
 * by zero bytes up to the datagram size, ChaCha20-Poly1305 under the PSK. msg may be
 * pkt + MUD_TIME_SIZE (in place); otherwise it must not overlap pkt. Returns the datagram size,
 * or -1 if size > 1500 or cap is too small. */
int mud_ctl_seal(uint8_t *pkt, size_t cap, const uint8_t msg[MUD_MSG_SIZE], size_t size,
                 uint64_t now, const uint8_t psk[MUD_KEY_SIZE]);

/* mud_ctl_encode() then mud_ctl_seal(), built in pkt. Returns the datagram size or -1. */
int mud_ctl_build(uint8_t *pkt, size_t cap, const struct mud_ctl *ctl, enum mud_dialect d,
                  size_t size, uint64_t now, const uint8_t psk[MUD_KEY_SIZE]);

/* Decrypts a datagram of size bytes with one key: out receives size - 22 bytes of plaintext.
 * Returns that length, or -1 if size is out of 23..1500, cap is too small, or the tag does not
 * verify. out may be pkt + MUD_TIME_SIZE (in place), but a failed attempt zeroes out, so a
 * caller that tries several keys (section 2.4) must decrypt out of place. */
int mud_open(uint8_t *out, size_t cap, const uint8_t *pkt, size_t size, enum aead_cipher cipher,
             const uint8_t key[MUD_KEY_SIZE]);

/* A control datagram: bit 0 set, size 147..1500, ChaCha20-Poly1305 under the PSK. Returns the
 * plaintext length (>= 125), or -1. Same buffer rules as mud_open(). */
int mud_ctl_open(uint8_t *out, size_t cap, const uint8_t *pkt, size_t size,
                 const uint8_t psk[MUD_KEY_SIZE]);

/* ---- Tunnelled packets ---- */

/* Section 10: at least 20 bytes, and IPv4 with total length == size, or IPv6 with payload
 * length + 40 == size. */
bool mud_ip_valid(const uint8_t *pkt, size_t size);
#define MUD_IP_MIN 20 /* the smallest packet mud_ip_valid() accepts */

#endif
