/* AEGIS-256, 128-bit tag, following draft-irtf-cfrg-aegis-aead: a 6-block state updated with one
 * AES round per block, 16 bytes of input per update. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "crypto/aegis256.h"

#if defined(__x86_64__)

#include <immintrin.h>

/* Only these functions use AES-NI: the rest of the program builds without -maes. */
#define AEGIS_TARGET __attribute__((target("aes,sse2")))
#define AEGIS_INLINE static inline __attribute__((always_inline)) AEGIS_TARGET

static const uint8_t aegis_c0[16] = {
	0x00, 0x01, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0d,
	0x15, 0x22, 0x37, 0x59, 0x90, 0xe9, 0x79, 0x62,
};
static const uint8_t aegis_c1[16] = {
	0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1,
	0x20, 0x11, 0x31, 0x42, 0x73, 0xb5, 0x28, 0xdd,
};

/* The state S0..S5 of the draft, except that S0 is kept as S0 = v ^ p.
 *
 * Update sets S'0 = AESRound(S5, S0 ^ M) = AES(S5) ^ S0 ^ M: computed as written, the XOR with M
 * sits on the S0 -> S'0 dependency chain (5 cycles instead of the 4 of an AESENC). With p = the XOR
 * of every block absorbed so far and v = S0 ^ p, that chain is v' = AESRound(S5, v), and the XOR
 * moves to where S1 and the tag read S0. Measured on Zen 4: 2-5% less time per 1.4 kB packet.
 *
 * The fields are named, not an array: GCC then keeps them in registers inside each loop. */
struct aegis_state {
	__m128i v, p, s1, s2, s3, s4, s5;
};

AEGIS_INLINE __m128i
load(const uint8_t *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

AEGIS_INLINE void
store(uint8_t *p, __m128i v)
{
	_mm_storeu_si128((__m128i *)(void *)p, v);
}

static inline uint64_t
ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t
ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* n (0..8) bytes at p, little-endian, zero-extended. Two loads that may overlap inside [p, p+n)
 * instead of a byte loop or a copy through a buffer, which would stall store forwarding. */
static inline uint64_t
ld_upto8(const uint8_t *p, size_t n)
{
	if (n >= 4) {
		if (n == 8)
			return ld64(p);
		return ld32(p) | (uint64_t)ld32(p + n - 4) << (8 * (n - 4));
	}
	if (n >= 2)
		return ld16(p) | (uint64_t)ld16(p + n - 2) << (8 * (n - 2));
	return n ? p[0] : 0;
}

/* Stores the n (0..8) low bytes of v at p, again with overlapping stores of equal bytes. */
static inline void
st_upto8(uint8_t *p, size_t n, uint64_t v)
{
	uint32_t w;
	uint16_t h;

	if (n >= 4) {
		if (n == 8) {
			memcpy(p, &v, 8);
			return;
		}
		w = (uint32_t)v;
		memcpy(p, &w, 4);
		w = (uint32_t)(v >> (8 * (n - 4)));
		memcpy(p + n - 4, &w, 4);
	} else if (n >= 2) {
		h = (uint16_t)v;
		memcpy(p, &h, 2);
		h = (uint16_t)(v >> (8 * (n - 2)));
		memcpy(p + n - 2, &h, 2);
	} else if (n) {
		p[0] = (uint8_t)v;
	}
}

/* A partial final block (n < 16 bytes), zero-padded; nothing outside [p, p+n) is read. */
AEGIS_INLINE __m128i
load_partial(const uint8_t *p, size_t n)
{
	if (n > 8)
		return _mm_set_epi64x((long long)ld_upto8(p + 8, n - 8), (long long)ld64(p));
	return _mm_set_epi64x(0, (long long)ld_upto8(p, n));
}

/* Writes the first n (< 16) bytes of v; nothing outside [p, p+n) is written. */
AEGIS_INLINE void
store_partial(uint8_t *p, size_t n, __m128i v)
{
	uint64_t lo = (uint64_t)_mm_cvtsi128_si64(v);
	uint64_t hi = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));

	if (n > 8) {
		memcpy(p, &lo, 8);
		st_upto8(p + 8, n - 8, hi);
	} else {
		st_upto8(p, n, lo);
	}
}

/* Keeps the first n (< 16) bytes of v, zeroes the rest. */
AEGIS_INLINE __m128i
truncate_block(__m128i v, size_t n)
{
	static const uint8_t ones[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	return _mm_and_si128(v, load(ones + 16 - n));
}

AEGIS_INLINE void
aegis_update(struct aegis_state *st, __m128i m)
{
	__m128i s0 = _mm_xor_si128(st->v, st->p);
	__m128i t = st->s5;

	st->s5 = _mm_aesenc_si128(st->s4, st->s5);
	st->s4 = _mm_aesenc_si128(st->s3, st->s4);
	st->s3 = _mm_aesenc_si128(st->s2, st->s3);
	st->s2 = _mm_aesenc_si128(st->s1, st->s2);
	st->s1 = _mm_aesenc_si128(s0, st->s1);
	st->v = _mm_aesenc_si128(t, st->v);
	st->p = _mm_xor_si128(st->p, m);
}

/* The keystream block that Enc and Dec XOR with the input. */
AEGIS_INLINE __m128i
aegis_z(const struct aegis_state *st)
{
	return _mm_xor_si128(_mm_xor_si128(st->s1, st->s4),
	                     _mm_xor_si128(st->s5, _mm_and_si128(st->s2, st->s3)));
}

AEGIS_INLINE void
aegis_init(struct aegis_state *st, const uint8_t *key, const uint8_t *npub, const uint8_t *ad,
           size_t adlen)
{
	__m128i k0 = load(key), k1 = load(key + 16);
	__m128i kn0 = _mm_xor_si128(k0, load(npub)), kn1 = _mm_xor_si128(k1, load(npub + 16));
	__m128i c0 = load(aegis_c0), c1 = load(aegis_c1);
	size_t i;

	st->v = kn0;
	st->p = _mm_setzero_si128();
	st->s1 = kn1;
	st->s2 = c1;
	st->s3 = c0;
	st->s4 = _mm_xor_si128(k0, c0);
	st->s5 = _mm_xor_si128(k1, c1);
	for (i = 0; i < 4; i++) {
		aegis_update(st, k0);
		aegis_update(st, k1);
		aegis_update(st, kn0);
		aegis_update(st, kn1);
	}
	for (i = 0; i + 16 <= adlen; i += 16)
		aegis_update(st, load(ad + i));
	if (i < adlen)
		aegis_update(st, load_partial(ad + i, adlen - i));
}

AEGIS_INLINE __m128i
aegis_final(struct aegis_state *st, size_t adlen, size_t mlen)
{
	__m128i t = _mm_xor_si128(st->s3, _mm_set_epi64x((long long)((uint64_t)mlen << 3),
	                                                 (long long)((uint64_t)adlen << 3)));
	int i;

	for (i = 0; i < 7; i++)
		aegis_update(st, t);
	return _mm_xor_si128(_mm_xor_si128(_mm_xor_si128(st->v, st->p), _mm_xor_si128(st->s1, st->s2)),
	                     _mm_xor_si128(st->s3, _mm_xor_si128(st->s4, st->s5)));
}

/* Clears the copy of the state that the compiler keeps in memory between the phases. */
AEGIS_INLINE void
aegis_wipe(struct aegis_state *st)
{
	sodium_memzero(st, sizeof(*st));
}

AEGIS_TARGET static int
aegis_encrypt_ni(uint8_t *c, uint8_t *tag, const uint8_t *m, size_t mlen, const uint8_t *ad,
                 size_t adlen, const uint8_t *npub, const uint8_t *key)
{
	struct aegis_state st;
	__m128i x;
	size_t i;

	aegis_init(&st, key, npub, ad, adlen);
	/* Two blocks per turn: one loop test for 32 bytes. */
	for (i = 0; i + 32 <= mlen; i += 32) {
		x = load(m + i);
		store(c + i, _mm_xor_si128(x, aegis_z(&st)));
		aegis_update(&st, x);
		x = load(m + i + 16);
		store(c + i + 16, _mm_xor_si128(x, aegis_z(&st)));
		aegis_update(&st, x);
	}
	if (i + 16 <= mlen) {
		x = load(m + i);
		store(c + i, _mm_xor_si128(x, aegis_z(&st)));
		aegis_update(&st, x);
		i += 16;
	}
	if (i < mlen) {
		x = load_partial(m + i, mlen - i);
		store_partial(c + i, mlen - i, _mm_xor_si128(x, aegis_z(&st)));
		aegis_update(&st, x);
	}
	store(tag, aegis_final(&st, adlen, mlen));
	aegis_wipe(&st);
	return 0;
}

AEGIS_TARGET static int
aegis_decrypt_ni(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t *tag, const uint8_t *ad,
                 size_t adlen, const uint8_t *npub, const uint8_t *key)
{
	struct aegis_state st;
	uint8_t buf[16], expect[16];
	__m128i x;
	size_t i, r;
	int ret;

	/* Read the tag first: with m == c it may sit right after the ciphertext. */
	memcpy(expect, tag, sizeof(expect));
	aegis_init(&st, key, npub, ad, adlen);
	for (i = 0; i + 32 <= clen; i += 32) {
		x = _mm_xor_si128(load(c + i), aegis_z(&st));
		store(m + i, x);
		aegis_update(&st, x);
		x = _mm_xor_si128(load(c + i + 16), aegis_z(&st));
		store(m + i + 16, x);
		aegis_update(&st, x);
	}
	if (i + 16 <= clen) {
		x = _mm_xor_si128(load(c + i), aegis_z(&st));
		store(m + i, x);
		aegis_update(&st, x);
		i += 16;
	}
	if (i < clen) {
		/* DecPartial: the keystream past the message must not enter the state. */
		r = clen - i;
		x = truncate_block(_mm_xor_si128(load_partial(c + i, r), aegis_z(&st)), r);
		store_partial(m + i, r, x);
		aegis_update(&st, x);
	}
	store(buf, aegis_final(&st, adlen, clen));
	aegis_wipe(&st);
	ret = crypto_verify_16(buf, expect);
	sodium_memzero(buf, sizeof(buf));
	if (ret != 0) {
		if (clen)
			memset(m, 0, clen);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int
aegis256_available(void)
{
	/* -1 unknown, else the answer; racing first callers store the same value. */
	static int cached = -1;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (v < 0) {
		__builtin_cpu_init();
		v = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2");
		__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	}
	return v;
}

int
aegis256_encrypt(uint8_t *c, uint8_t tag[AEGIS256_TAG_SIZE], const uint8_t *m, size_t mlen,
                 const uint8_t *ad, size_t adlen, const uint8_t npub[AEGIS256_NONCE_SIZE],
                 const uint8_t key[AEGIS256_KEY_SIZE])
{
	if (!aegis256_available()) {
		errno = ENOTSUP;
		return -1;
	}
	return aegis_encrypt_ni(c, tag, m, mlen, ad, adlen, npub, key);
}

int
aegis256_decrypt(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t tag[AEGIS256_TAG_SIZE],
                 const uint8_t *ad, size_t adlen, const uint8_t npub[AEGIS256_NONCE_SIZE],
                 const uint8_t key[AEGIS256_KEY_SIZE])
{
	if (!aegis256_available()) {
		if (clen)
			memset(m, 0, clen);
		errno = ENOTSUP;
		return -1;
	}
	return aegis_decrypt_ni(m, c, clen, tag, ad, adlen, npub, key);
}

#else /* !__x86_64__ */

int
aegis256_available(void)
{
	return 0;
}

int
aegis256_encrypt(uint8_t *c, uint8_t tag[AEGIS256_TAG_SIZE], const uint8_t *m, size_t mlen,
                 const uint8_t *ad, size_t adlen, const uint8_t npub[AEGIS256_NONCE_SIZE],
                 const uint8_t key[AEGIS256_KEY_SIZE])
{
	(void)c, (void)tag, (void)m, (void)mlen, (void)ad, (void)adlen, (void)npub, (void)key;
	errno = ENOTSUP;
	return -1;
}

int
aegis256_decrypt(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t tag[AEGIS256_TAG_SIZE],
                 const uint8_t *ad, size_t adlen, const uint8_t npub[AEGIS256_NONCE_SIZE],
                 const uint8_t key[AEGIS256_KEY_SIZE])
{
	(void)c, (void)tag, (void)ad, (void)adlen, (void)npub, (void)key;
	if (clen)
		memset(m, 0, clen);
	errno = ENOTSUP;
	return -1;
}

#endif
