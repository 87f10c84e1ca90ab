/* The crypto module: AEGIS-256 (CFRG vectors and a slow reference written from the draft), the
 * aead interface against the reference's data and control packets, X25519 key derivation. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/aegis256.h"
#include "crypto/keyx.h"
#include "support/suite.h"

static const char *const vector_files[] = { "mud-v1.json", "mud-master.json" };
#define NFILES (sizeof(vector_files) / sizeof(vector_files[0]))

/* ---- helpers ---- */

static uint8_t *
hex(const char *s, size_t *len)
{
	json_t *o = json_pack("{ss}", "h", s);
	uint8_t *out;

	ck_assert_ptr_nonnull(o);
	out = vec_hex(o, "h", len);
	json_decref(o);
	return out;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void
le48(uint8_t out[6], uint64_t v)
{
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t prng_state = 0x9e3779b97f4a7c15ULL;

static void
fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		prng_state ^= prng_state << 13;
		prng_state ^= prng_state >> 7;
		prng_state ^= prng_state << 17;
		p[i] = (uint8_t)prng_state;
	}
}

/* ---- a slow AEGIS-256 reference, byte by byte from the draft (no AES-NI) ---- */

static uint8_t sbox[256];

static uint8_t
gf_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;

	while (b) {
		if (b & 1)
			r ^= a;
		a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
		b >>= 1;
	}
	return r;
}

/* The AES S-box from its definition: inverse in GF(2^8), then the affine map. */
static void
sbox_init(void)
{
	for (int x = 0; x < 256; x++) {
		uint8_t inv = 0, s;

		for (int y = 1; x && y < 256; y++)
			if (gf_mul((uint8_t)x, (uint8_t)y) == 1)
				inv = (uint8_t)y;
		s = inv;
		for (int k = 1; k < 5; k++)
			s ^= (uint8_t)((inv << k) | (inv >> (8 - k)));
		sbox[x] = s ^ 0x63;
	}
}

static void
ref_aes_round(uint8_t out[16], const uint8_t in[16], const uint8_t rk[16])
{
	uint8_t t[16];

	for (int c = 0; c < 4; c++)
		for (int r = 0; r < 4; r++)
			t[4 * c + r] = sbox[in[4 * ((c + r) % 4) + r]];
	for (int c = 0; c < 4; c++) {
		uint8_t *a = t + 4 * c;
		uint8_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];

		out[4 * c + 0] = gf_mul(a0, 2) ^ gf_mul(a1, 3) ^ a2 ^ a3 ^ rk[4 * c + 0];
		out[4 * c + 1] = a0 ^ gf_mul(a1, 2) ^ gf_mul(a2, 3) ^ a3 ^ rk[4 * c + 1];
		out[4 * c + 2] = a0 ^ a1 ^ gf_mul(a2, 2) ^ gf_mul(a3, 3) ^ rk[4 * c + 2];
		out[4 * c + 3] = gf_mul(a0, 3) ^ a1 ^ a2 ^ gf_mul(a3, 2) ^ rk[4 * c + 3];
	}
}

static void
xor16(uint8_t *out, const uint8_t *a, const uint8_t *b)
{
	for (int i = 0; i < 16; i++)
		out[i] = a[i] ^ b[i];
}

static void
ref_update(uint8_t s[6][16], const uint8_t m[16])
{
	uint8_t n[6][16], t[16];

	xor16(t, s[0], m);
	ref_aes_round(n[0], s[5], t);
	for (int i = 1; i < 6; i++)
		ref_aes_round(n[i], s[i - 1], s[i]);
	memcpy(s, n, sizeof(n));
}

static void
ref_z(uint8_t z[16], uint8_t s[6][16])
{
	for (int i = 0; i < 16; i++)
		z[i] = s[1][i] ^ s[4][i] ^ s[5][i] ^ (s[2][i] & s[3][i]);
}

static void
ref_encrypt(uint8_t *c, uint8_t tag[16], const uint8_t *m, size_t mlen, const uint8_t *ad,
            size_t adlen, const uint8_t npub[32], const uint8_t key[32])
{
	static const uint8_t c0[16] = { 0x00, 0x01, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0d,
	                                0x15, 0x22, 0x37, 0x59, 0x90, 0xe9, 0x79, 0x62 };
	static const uint8_t c1[16] = { 0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1,
	                                0x20, 0x11, 0x31, 0x42, 0x73, 0xb5, 0x28, 0xdd };
	uint8_t s[6][16], kn0[16], kn1[16], blk[16], z[16], t[16];

	xor16(kn0, key, npub);
	xor16(kn1, key + 16, npub + 16);
	memcpy(s[0], kn0, 16);
	memcpy(s[1], kn1, 16);
	memcpy(s[2], c1, 16);
	memcpy(s[3], c0, 16);
	xor16(s[4], key, c0);
	xor16(s[5], key + 16, c1);
	for (int i = 0; i < 4; i++) {
		ref_update(s, key);
		ref_update(s, key + 16);
		ref_update(s, kn0);
		ref_update(s, kn1);
	}
	for (size_t i = 0; i < adlen; i += 16) {
		size_t n = adlen - i < 16 ? adlen - i : 16;

		memset(blk, 0, 16);
		memcpy(blk, ad + i, n);
		ref_update(s, blk);
	}
	for (size_t i = 0; i < mlen; i += 16) {
		size_t n = mlen - i < 16 ? mlen - i : 16;

		memset(blk, 0, 16);
		memcpy(blk, m + i, n);
		ref_z(z, s);
		xor16(t, blk, z);
		memcpy(c + i, t, n);
		ref_update(s, blk);
	}
	for (int i = 0; i < 8; i++) {
		t[i] = (uint8_t)(((uint64_t)adlen * 8) >> (8 * i));
		t[8 + i] = (uint8_t)(((uint64_t)mlen * 8) >> (8 * i));
	}
	xor16(t, t, s[3]);
	for (int i = 0; i < 7; i++)
		ref_update(s, t);
	memcpy(tag, s[0], 16);
	for (int i = 1; i < 6; i++)
		xor16(tag, tag, s[i]);
}

/* ---- AEGIS-256 ---- */

/* draft-irtf-cfrg-aegis-aead, "AEGIS-256 Test Vectors" 1 to 9 (6 to 9 must fail). */
static const struct {
	const char *key, *nonce, *ad, *msg, *ct, *tag;
	int valid;
} cfrg[] = {
	{ "1001000000000000000000000000000000000000000000000000000000000000",
	  "1000020000000000000000000000000000000000000000000000000000000000", "",
	  "00000000000000000000000000000000", "754fc3d8c973246dcc6d741412a4b236",
	  "3fe91994768b332ed7f570a19ec5896e", 1 },
	{ "1001000000000000000000000000000000000000000000000000000000000000",
	  "1000020000000000000000000000000000000000000000000000000000000000", "", "", "",
	  "e3def978a0f054afd1e761d7553afba3", 1 },
	{ "1001000000000000000000000000000000000000000000000000000000000000",
	  "1000020000000000000000000000000000000000000000000000000000000000", "0001020304050607",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "f373079ed84b2709faee373584585d60accd191db310ef5d8b11833df9dec711",
	  "8d86f91ee606e9ff26a01b64ccbdd91d", 1 },
	{ "1001000000000000000000000000000000000000000000000000000000000000",
	  "1000020000000000000000000000000000000000000000000000000000000000", "0001020304050607",
	  "000102030405060708090a0b0c0d", "f373079ed84b2709faee37358458",
	  "c60b9c2d33ceb058f96e6dd03c215652", 1 },
	{ "1001000000000000000000000000000000000000000000000000000000000000",
	  "1000020000000000000000000000000000000000000000000000000000000000",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829",
	  "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
	  "57754a7d09963e7c787583a2e7b859bb24fa1e04d49fd550b2511a358e3bca252a9b1b8b30cc4a67",
	  "ab8a7d53fd0e98d727accca94925e128", 1 },
	{ "1000020000000000000000000000000000000000000000000000000000000000",
	  "1001000000000000000000000000000000000000000000000000000000000000", "0001020304050607",
	  NULL, "f373079ed84b2709faee37358458", "c60b9c2d33ceb058f96e6dd03c215652", 0 },
	{ "1001000000000000000000000000000000000000000000000000000000000000",
	  "1000020000000000000000000000000000000000000000000000000000000000", "0001020304050607",
	  NULL, "f373079ed84b2709faee37358459", "c60b9c2d33ceb058f96e6dd03c215652", 0 },
	{ "1001000000000000000000000000000000000000000000000000000000000000",
	  "1000020000000000000000000000000000000000000000000000000000000000", "0001020304050608",
	  NULL, "f373079ed84b2709faee37358458", "c60b9c2d33ceb058f96e6dd03c215652", 0 },
	{ "1001000000000000000000000000000000000000000000000000000000000000",
	  "1000020000000000000000000000000000000000000000000000000000000000", "0001020304050607",
	  NULL, "f373079ed84b2709faee37358458", "c60b9c2d33ceb058f96e6dd03c215653", 0 },
};

static void
aegis_known_answer(const uint8_t *key, const uint8_t *nonce, const uint8_t *ad, size_t adlen,
                   const uint8_t *msg, const uint8_t *ct, size_t len, const uint8_t *tag, int tv)
{
	uint8_t *buf = malloc(len + 1), t[16];

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(aegis256_encrypt(buf, t, msg, len, ad, adlen, nonce, key), 0);
	ck_assert_msg(memcmp(buf, ct, len) == 0, "TV %d: ciphertext differs", tv);
	ck_assert_msg(memcmp(t, tag, 16) == 0, "TV %d: tag differs", tv);
	memset(buf, 0xa5, len);
	ck_assert_int_eq(aegis256_decrypt(buf, ct, len, tag, ad, adlen, nonce, key), 0);
	ck_assert_msg(memcmp(buf, msg, len) == 0, "TV %d: plaintext differs", tv);
	/* In place, both ways. */
	memcpy(buf, msg, len);
	ck_assert_int_eq(aegis256_encrypt(buf, t, buf, len, ad, adlen, nonce, key), 0);
	ck_assert_msg(memcmp(buf, ct, len) == 0 && memcmp(t, tag, 16) == 0, "TV %d in place", tv);
	ck_assert_int_eq(aegis256_decrypt(buf, buf, len, t, ad, adlen, nonce, key), 0);
	ck_assert_msg(memcmp(buf, msg, len) == 0, "TV %d: in-place plaintext differs", tv);
	/* The slow reference agrees too, so it can judge other lengths below. */
	memset(t, 0, sizeof(t));
	ref_encrypt(buf, t, msg, len, ad, adlen, nonce, key);
	ck_assert_msg(memcmp(buf, ct, len) == 0 && memcmp(t, tag, 16) == 0, "TV %d: reference", tv);
	free(buf);
}

START_TEST(test_aegis_cfrg_vectors)
{
	for (size_t i = 0; i < sizeof(cfrg) / sizeof(cfrg[0]); i++) {
		size_t kl, nl, al, cl, tl, ml;
		uint8_t *key = hex(cfrg[i].key, &kl), *nonce = hex(cfrg[i].nonce, &nl);
		uint8_t *ad = hex(cfrg[i].ad, &al), *ct = hex(cfrg[i].ct, &cl);
		uint8_t *tag = hex(cfrg[i].tag, &tl);
		int tv = (int)i + 1;

		ck_assert_uint_eq(kl, 32);
		ck_assert_uint_eq(nl, 32);
		ck_assert_uint_eq(tl, 16);
		if (cfrg[i].valid) {
			uint8_t *msg = hex(cfrg[i].msg, &ml);

			ck_assert_uint_eq(ml, cl);
			aegis_known_answer(key, nonce, ad, al, msg, ct, cl, tag, tv);
			free(msg);
		} else {
			uint8_t out[64];

			memset(out, 0xa5, sizeof(out));
			errno = 0;
			ck_assert_msg(aegis256_decrypt(out, ct, cl, tag, ad, al, nonce, key) == -1,
			              "TV %d must fail", tv);
			ck_assert_int_eq(errno, EBADMSG);
			ck_assert_msg(all_zero(out, cl), "TV %d: output not zeroed", tv);
			ck_assert_uint_eq(out[cl], 0xa5);
		}
		free(key), free(nonce), free(ad), free(ct), free(tag);
	}
}
END_TEST

START_TEST(test_aegis_vector_files)
{
	for (size_t f = 0; f < NFILES; f++) {
		json_t *root = vectors_load(vector_files[f]);
		json_t *tv = json_object_get(root, "aegis256_cfrg_tv1");
		size_t kl, nl, al, ml, cl, tl;

		ck_assert_ptr_nonnull(tv);
		uint8_t *key = vec_hex(tv, "key", &kl), *nonce = vec_hex(tv, "nonce", &nl);
		uint8_t *ad = vec_hex(tv, "ad", &al), *msg = vec_hex(tv, "msg", &ml);
		uint8_t *ct = vec_hex(tv, "ct", &cl), *tag = vec_hex(tv, "tag128", &tl);

		ck_assert_uint_eq(kl, 32);
		ck_assert_uint_eq(nl, 32);
		ck_assert_uint_eq(ml, cl);
		ck_assert_uint_eq(tl, 16);
		aegis_known_answer(key, nonce, ad, al, msg, ct, cl, tag, 1);
		free(key), free(nonce), free(ad), free(msg), free(ct), free(tag);
		json_decref(root);
	}
}
END_TEST

START_TEST(test_aes_round_reference)
{
	/* The draft's AESRound test vector checks the reference's AES round itself. */
	size_t l;
	uint8_t *in = hex("000102030405060708090a0b0c0d0e0f", &l);
	uint8_t *rk = hex("101112131415161718191a1b1c1d1e1f", &l);
	uint8_t *want = hex("7a7b4e5638782546a8c0477a3b813f43", &l);
	uint8_t out[16];

	ck_assert_uint_eq(sbox[0x00], 0x63);
	ck_assert_uint_eq(sbox[0x53], 0xed);
	ref_aes_round(out, in, rk);
	ck_assert(memcmp(out, want, 16) == 0);
	free(in), free(rk), free(want);
}
END_TEST

/* Every message length 0..100 and some large ones, several AD lengths, unaligned buffers, in place
 * and not: the AES-NI code must agree with the reference and stay inside its buffers. */
START_TEST(test_aegis_lengths_against_reference)
{
	static const size_t adlens[] = { 0, 1, 5, 6, 7, 8, 15, 16, 17, 31, 32, 33, 47, 64, 100 };
	static const size_t big[] = { 127, 128, 129, 255, 1419, 1420, 1450, 1472, 1500 };
	uint8_t key[32], npub[32], rtag[16], tag[16];

	fill(key, sizeof(key));
	fill(npub, sizeof(npub));
	for (size_t a = 0; a < sizeof(adlens) / sizeof(adlens[0]); a++) {
		for (size_t k = 0; k <= 100 + sizeof(big) / sizeof(big[0]); k++) {
			size_t len = k <= 100 ? k : big[k - 101], adlen = adlens[a], off = k % 4;
			/* Exact-size heap blocks, so ASan sees any access past the end. */
			uint8_t *ad = malloc(adlen + 1), *msg = malloc(len + 1), *ref = malloc(len + 1);
			uint8_t *out = malloc(len + off + 1), *io = malloc(len + off + 1);
			uint8_t *dst = out + off;

			ck_assert(ad && msg && ref && out && io);
			fill(ad, adlen);
			fill(msg, len);
			ref_encrypt(ref, rtag, msg, len, ad, adlen, npub, key);

			memset(out, 0x5a, len + off + 1);
			ck_assert_int_eq(aegis256_encrypt(dst, tag, msg, len, ad, adlen, npub, key), 0);
			ck_assert_msg(memcmp(dst, ref, len) == 0 && memcmp(tag, rtag, 16) == 0,
			              "mlen %zu adlen %zu: differs from the reference", len, adlen);
			ck_assert_msg(dst[len] == 0x5a && (off == 0 || out[off - 1] == 0x5a),
			              "mlen %zu: wrote outside the output", len);

			/* In place at an odd offset. */
			memcpy(io + off, msg, len);
			ck_assert_int_eq(aegis256_encrypt(io + off, tag, io + off, len, ad, adlen, npub, key), 0);
			ck_assert_msg(memcmp(io + off, ref, len) == 0 && memcmp(tag, rtag, 16) == 0,
			              "mlen %zu adlen %zu: in place differs", len, adlen);
			ck_assert_int_eq(aegis256_decrypt(io + off, io + off, len, tag, ad, adlen, npub, key), 0);
			ck_assert_msg(memcmp(io + off, msg, len) == 0, "mlen %zu: in-place round trip", len);

			memset(out, 0x5a, len + off + 1);
			ck_assert_int_eq(aegis256_decrypt(dst, ref, len, rtag, ad, adlen, npub, key), 0);
			ck_assert_msg(memcmp(dst, msg, len) == 0, "mlen %zu: round trip", len);
			ck_assert(dst[len] == 0x5a);

			/* A wrong tag: refused, output zeroed but nothing beyond. */
			rtag[len % 16] ^= 0x80;
			ck_assert_int_eq(aegis256_decrypt(dst, ref, len, rtag, ad, adlen, npub, key), -1);
			ck_assert(all_zero(dst, len));
			ck_assert(dst[len] == 0x5a);
			free(ad), free(msg), free(ref), free(out), free(io);
		}
	}
}
END_TEST

START_TEST(test_aegis_available)
{
	__builtin_cpu_init();
	ck_assert_int_eq(aegis256_available(), __builtin_cpu_supports("aes") != 0);
	/* This project's machines have AES-NI; the fallback cannot be simulated here. */
	ck_assert_int_eq(aegis256_available(), 1);
	ck_assert_int_eq(aead_init(), 0);
	ck_assert_int_eq(aead_aegis256_available(), 1);
}
END_TEST

/* ---- the aead interface against the reference's packets ---- */

static enum aead_cipher
cipher_named(const char *name)
{
	if (strcmp(name, "aegis256") == 0)
		return AEAD_AEGIS256;
	ck_assert_msg(strncmp(name, "chacha20poly1305", 16) == 0, "unknown cipher '%s'", name);
	return AEAD_CHACHA20POLY1305;
}

/* packet = time (6) || ciphertext || tag (16) must be exactly what aead_encrypt makes of plain,
 * decrypt back to it, in place or not, and fail (zeroing the output) when any byte is altered. */
static void
check_packet(const char *what, enum aead_cipher cipher, const uint8_t *key, uint64_t time,
             const uint8_t *plain, size_t plen, const uint8_t *packet, size_t pktlen)
{
	uint8_t ad[6];
	uint8_t *buf = malloc(pktlen), *out = malloc(plen + 1);

	ck_assert(buf && out);
	ck_assert_msg(pktlen == plen + 22, "%s: packet of %zu bytes for %zu", what, pktlen, plen);
	le48(ad, time);
	ck_assert_msg(memcmp(packet, ad, 6) == 0, "%s: time field is not LE48(time)", what);

	memcpy(buf, ad, 6);
	memset(buf + 6, 0xa5, pktlen - 6);
	ck_assert_int_eq(aead_encrypt(cipher, buf + 6, plain, plen, ad, key), 0);
	ck_assert_msg(memcmp(buf, packet, pktlen) == 0, "%s: encryption differs", what);
	memcpy(buf + 6, plain, plen);
	ck_assert_int_eq(aead_encrypt(cipher, buf + 6, buf + 6, plen, buf, key), 0);
	ck_assert_msg(memcmp(buf, packet, pktlen) == 0, "%s: in-place encryption differs", what);

	memset(out, 0xa5, plen + 1);
	ck_assert_int_eq(aead_decrypt(cipher, out, packet + 6, pktlen - 6, packet, key), 0);
	ck_assert_msg(memcmp(out, plain, plen) == 0, "%s: decryption differs", what);
	ck_assert_uint_eq(out[plen], 0xa5);
	ck_assert_int_eq(aead_decrypt(cipher, buf + 6, buf + 6, pktlen - 6, buf, key), 0);
	ck_assert_msg(memcmp(buf + 6, plain, plen) == 0, "%s: in-place decryption differs", what);

	/* One flipped bit in each byte: the time field (AD and nonce), ciphertext, tag. */
	for (size_t i = 0; i < pktlen; i++) {
		memcpy(buf, packet, pktlen);
		buf[i] ^= (uint8_t)(1u << (i % 8));
		memset(out, 0xa5, plen);
		ck_assert_msg(aead_decrypt(cipher, out, buf + 6, pktlen - 6, buf, key) == -1,
		              "%s: byte %zu altered yet accepted", what, i);
		ck_assert_msg(all_zero(out, plen), "%s: byte %zu: output not zeroed", what, i);
		if (i % 97 == 0) {
			ck_assert_int_eq(aead_decrypt(cipher, buf + 6, buf + 6, pktlen - 6, buf, key), -1);
			ck_assert_msg(all_zero(buf + 6, plen), "%s: in place not zeroed", what);
		}
	}
	/* The other cipher and a wrong key fail too. */
	ck_assert_int_eq(aead_decrypt(cipher == AEAD_AEGIS256 ? AEAD_CHACHA20POLY1305 : AEAD_AEGIS256,
	                              out, packet + 6, pktlen - 6, packet, key), -1);
	memcpy(buf, key, AEAD_KEY_SIZE);
	buf[31] ^= 1;
	ck_assert_int_eq(aead_decrypt(cipher, out, packet + 6, pktlen - 6, packet, buf), -1);
	free(buf);
	free(out);
}

START_TEST(test_data_vectors)
{
	for (size_t f = 0; f < NFILES; f++) {
		json_t *root = vectors_load(vector_files[f]);
		json_t *data = json_object_get(root, "data"), *v;
		json_t *sizes = json_object_get(root, "sizes");
		size_t idx, n[2] = { 0, 0 };

		ck_assert_uint_eq(vec_u64(sizes, "time"), AEAD_AD_SIZE);
		ck_assert_uint_eq(vec_u64(sizes, "mac"), AEAD_TAG_SIZE);
		ck_assert(json_is_array(data));
		json_array_foreach(data, idx, v) {
			size_t kl, pl, pkl;
			enum aead_cipher c = cipher_named(vec_str(v, "cipher"));
			uint8_t *key = vec_hex(v, "key", &kl), *plain = vec_hex(v, "plaintext", &pl);
			uint8_t *packet = vec_hex(v, "packet", &pkl);
			char what[64];

			ck_assert_uint_eq(kl, AEAD_KEY_SIZE);
			snprintf(what, sizeof(what), "%s data[%zu]", vector_files[f], idx);
			check_packet(what, c, key, vec_u64(v, "time"), plain, pl, packet, pkl);
			n[c]++;
			free(key), free(plain), free(packet);
		}
		ck_assert_uint_eq(n[AEAD_CHACHA20POLY1305], 3);
		ck_assert_uint_eq(n[AEAD_AEGIS256], 3);
		json_decref(root);
	}
}
END_TEST

/* A control packet: ChaCha20-Poly1305 under the PSK; the plaintext is msg_plain followed by zero
 * padding up to the datagram size. */
static void
check_control(const char *what, const json_t *v, const uint8_t *psk)
{
	size_t ml, pkl;
	uint8_t *msg = vec_hex(v, "msg_plain", &ml), *packet = vec_hex(v, "packet", &pkl);
	json_t *size = json_object_get(v, "size");
	uint8_t *plain;

	ck_assert_uint_eq(ml, 125);
	ck_assert_uint_eq(pkl, size ? (size_t)json_integer_value(size) : 147);
	ck_assert_uint_ge(pkl, 147);
	/* Bit 0 of the time field marks a control message. */
	ck_assert_uint_eq(packet[0] & 1, 1);
	plain = calloc(1, pkl - 22);
	ck_assert_ptr_nonnull(plain);
	memcpy(plain, msg, ml);
	check_packet(what, AEAD_CHACHA20POLY1305, psk, vec_u64(v, "time"), plain, pkl - 22, packet, pkl);
	free(plain), free(msg), free(packet);
}

START_TEST(test_control_vectors)
{
	static const char *const sections[] = { "control", "control_probe", "control_ipv6",
	                                        "control_initiation" };

	for (size_t f = 0; f < NFILES; f++) {
		json_t *root = vectors_load(vector_files[f]);

		for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
			json_t *v = json_object_get(root, sections[s]);
			size_t pl, sl, kl;
			struct keyx_pair kp;
			char what[64];

			ck_assert_msg(v != NULL, "%s: no %s", vector_files[f], sections[s]);
			uint8_t *psk = vec_hex(v, "psk", &pl), *secret = vec_hex(v, "secret", &sl);
			uint8_t *pub = vec_hex(v, "pubkey", &kl);

			ck_assert_uint_eq(pl, 32);
			snprintf(what, sizeof(what), "%s %s", vector_files[f], sections[s]);
			check_control(what, v, psk);
			ck_assert_int_eq(keyx_pair_from_secret(&kp, secret), 0);
			ck_assert_msg(memcmp(kp.public, pub, 32) == 0, "%s: pubkey", what);
			keyx_clear(&kp);
			free(psk), free(secret), free(pub);
		}
		json_decref(root);
	}
}
END_TEST

/* ---- key exchange ---- */

static void
expect_hex(const uint8_t *got, const json_t *obj, const char *key, const char *file)
{
	size_t l;
	uint8_t *want = vec_hex(obj, key, &l);

	ck_assert_uint_eq(l, 32);
	ck_assert_msg(memcmp(got, want, 32) == 0, "%s: %s differs", file, key);
	free(want);
}

START_TEST(test_keyx_vectors)
{
	for (size_t f = 0; f < NFILES; f++) {
		json_t *root = vectors_load(vector_files[f]);
		json_t *v = json_object_get(root, "keyx");
		struct keyx_pair a, b;
		uint8_t ae[32], ad[32], be[32], bd[32], buf[32];
		size_t l;

		ck_assert_ptr_nonnull(v);
		uint8_t *psk = vec_hex(v, "psk", &l), *as = vec_hex(v, "a_secret", &l);
		uint8_t *bs = vec_hex(v, "b_secret", &l);

		ck_assert_int_eq(keyx_pair_from_secret(&a, as), 0);
		ck_assert_int_eq(keyx_pair_from_secret(&b, bs), 0);
		ck_assert(memcmp(a.secret, as, 32) == 0); /* kept unclamped */
		expect_hex(a.public, v, "a_public", vector_files[f]);
		expect_hex(b.public, v, "b_public", vector_files[f]);
		ck_assert_int_eq(keyx_derive(ae, ad, psk, &a, b.public), 0);
		expect_hex(ae, v, "a_encrypt", vector_files[f]);
		expect_hex(ad, v, "a_decrypt", vector_files[f]);
		ck_assert_int_eq(keyx_derive(be, bd, psk, &b, a.public), 0);
		ck_assert(memcmp(be, ad, 32) == 0);
		ck_assert(memcmp(bd, ae, 32) == 0);
		/* An output may share storage with the remote key. */
		memcpy(buf, b.public, 32);
		ck_assert_int_eq(keyx_derive(buf, bd, psk, &a, buf), 0);
		ck_assert(memcmp(buf, ae, 32) == 0);
		ck_assert(memcmp(bd, ad, 32) == 0);
		/* A pair computed in place from its own secret field. */
		memcpy(b.secret, as, 32);
		ck_assert_int_eq(keyx_pair_from_secret(&b, b.secret), 0);
		ck_assert(memcmp(b.public, a.public, 32) == 0);
		keyx_clear(&a);
		ck_assert(all_zero((const uint8_t *)&a, sizeof(a)));
		keyx_clear(&b);
		free(psk), free(as), free(bs);
		json_decref(root);
	}
}
END_TEST

START_TEST(test_exchange_vectors)
{
	for (size_t f = 0; f < NFILES; f++) {
		json_t *root = vectors_load(vector_files[f]);
		json_t *x = json_object_get(root, "exchange"), *steps, *step;
		struct keyx_pair client, server;
		uint8_t ce[32], cd[32], se[32], sd[32];
		size_t l, i;

		ck_assert_ptr_nonnull(x);
		uint8_t *psk = vec_hex(x, "psk", &l), *cs = vec_hex(x, "client_secret", &l);
		uint8_t *ss = vec_hex(x, "server_secret", &l), *spub = vec_hex(x, "server_pubkey", &l);

		ck_assert_int_eq(keyx_pair_from_secret(&client, cs), 0);
		expect_hex(client.public, x, "client_pubkey", vector_files[f]);
		ck_assert_int_eq(keyx_pair_from_secret(&server, ss), 0);
		expect_hex(server.public, x, "server_pubkey", vector_files[f]);
		ck_assert_int_eq(keyx_derive(ce, cd, psk, &client, spub), 0);
		expect_hex(ce, x, "client_next_encrypt", vector_files[f]);
		expect_hex(cd, x, "client_next_decrypt", vector_files[f]);
		ck_assert_int_eq(keyx_derive(se, sd, psk, &server, client.public), 0);
		ck_assert(memcmp(se, cd, 32) == 0 && memcmp(sd, ce, 32) == 0);
		ck_assert_str_eq(vec_str(x, "next_cipher"), "aegis256");

		steps = json_object_get(x, "steps");
		ck_assert_uint_eq(json_array_size(steps), 3);
		json_array_foreach(steps, i, step) {
			char what[64];

			snprintf(what, sizeof(what), "%s exchange %s", vector_files[f], vec_str(step, "step"));
			check_control(what, step, psk);
		}
		keyx_clear(&client), keyx_clear(&server);
		free(psk), free(cs), free(ss), free(spub);
		json_decref(root);
	}
}
END_TEST

/* docs/protocol.md section 4.2: the 7 small-order u-coordinates, each with and without bit 255. */
START_TEST(test_x25519_small_order_rejected)
{
	static const char *const bad[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p - 1 */
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p */
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p + 1 */
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	};
	uint8_t secret[32], psk[32], u[32], enc[32], dec[32], want[32];
	struct keyx_pair own;
	int rejected = 0;

	fill(secret, sizeof(secret));
	fill(psk, sizeof(psk));
	ck_assert_int_eq(keyx_pair_from_secret(&own, secret), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int top = 0; top < 2; top++) {
			size_t l;
			uint8_t *p = hex(bad[i], &l);

			ck_assert_uint_eq(l, 32);
			p[31] = (uint8_t)(top ? p[31] | 0x80 : p[31] & 0x7f);
			memset(enc, 0xa5, 32);
			memset(dec, 0xa5, 32);
			ck_assert_msg(keyx_derive(enc, dec, psk, &own, p) == -1, "%s (bit 255 %d) accepted",
			              bad[i], top);
			ck_assert(all_zero(enc, 32) && all_zero(dec, 32));
			rejected++;
			free(p);
		}
	}
	ck_assert_int_eq(rejected, 14);

	/* u = 9 is the base point: shared = own public, so encrypt = H(pub || 9 || pub). */
	memset(u, 0, 32);
	u[0] = 9;
	ck_assert_int_eq(keyx_derive(enc, dec, psk, &own, u), 0);
	{
		crypto_generichash_state st;

		crypto_generichash_init(&st, psk, 32, 32);
		crypto_generichash_update(&st, own.public, 32);
		crypto_generichash_update(&st, u, 32);
		crypto_generichash_update(&st, own.public, 32);
		crypto_generichash_final(&st, want, 32);
	}
	ck_assert(memcmp(enc, want, 32) == 0);
	ck_assert(!all_zero(dec, 32) && memcmp(enc, dec, 32) != 0);
	u[0] = 2;
	ck_assert_int_eq(keyx_derive(enc, dec, psk, &own, u), 0);
	ck_assert(!all_zero(enc, 32));
	keyx_clear(&own);
}
END_TEST

START_TEST(test_keyx_generate)
{
	struct keyx_pair a, b, c;
	uint8_t psk[32], ae[32], ad[32], be[32], bd[32];

	ck_assert_int_eq(aead_init(), 0);
	randombytes_buf(a.secret, sizeof(a.secret));
	randombytes_buf(b.secret, sizeof(b.secret));
	ck_assert_int_eq(keyx_pair_from_secret(&a, a.secret), 0);
	ck_assert_int_eq(keyx_pair_from_secret(&b, b.secret), 0);
	ck_assert(memcmp(a.secret, b.secret, 32) != 0);
	ck_assert_int_eq(keyx_pair_from_secret(&c, a.secret), 0);
	ck_assert(memcmp(c.public, a.public, 32) == 0);
	fill(psk, sizeof(psk));
	ck_assert_int_eq(keyx_derive(ae, ad, psk, &a, b.public), 0);
	ck_assert_int_eq(keyx_derive(be, bd, psk, &b, a.public), 0);
	ck_assert(memcmp(ae, bd, 32) == 0 && memcmp(ad, be, 32) == 0);
	ck_assert(memcmp(ae, ad, 32) != 0);
	keyx_clear(&a), keyx_clear(&b), keyx_clear(&c);
}
END_TEST

/* ---- the aead interface's own contract ---- */

START_TEST(test_aead_interface)
{
	static const enum aead_cipher ciphers[] = { AEAD_CHACHA20POLY1305, AEAD_AEGIS256 };
	uint8_t key[32], ad[6], buf[64 + 16], out[64];

	ck_assert_int_eq(aead_init(), 0);
	ck_assert_int_eq(aead_init(), 0);
	ck_assert_str_eq(aead_name(AEAD_AEGIS256), "aegis256");
	ck_assert_str_eq(aead_name(AEAD_CHACHA20POLY1305), "chacha20poly1305");
	fill(key, sizeof(key));
	fill(ad, sizeof(ad));
	for (size_t c = 0; c < 2; c++) {
		enum aead_cipher ci = ciphers[c];

		/* Shorter than a tag: refused. */
		errno = 0;
		ck_assert_int_eq(aead_decrypt(ci, out, buf, 15, ad, key), -1);
		ck_assert_int_eq(errno, EINVAL);
		/* An empty plaintext is just a tag; it must still authenticate the AD. */
		ck_assert_int_eq(aead_encrypt(ci, buf, out, 0, ad, key), 0);
		ck_assert(!all_zero(buf, 16));
		ck_assert_int_eq(aead_decrypt(ci, out, buf, 16, ad, key), 0);
		ad[5] ^= 1;
		errno = 0;
		ck_assert_int_eq(aead_decrypt(ci, out, buf, 16, ad, key), -1);
		ck_assert_int_eq(errno, EBADMSG);
		ad[5] ^= 1;
		/* Odd, unaligned offsets in one buffer. */
		fill(out, sizeof(out));
		memcpy(buf + 3, out, 61);
		ck_assert_int_eq(aead_encrypt(ci, buf + 3, buf + 3, 61, ad, key), 0);
		ck_assert(memcmp(buf + 3, out, 61) != 0);
		ck_assert_int_eq(aead_decrypt(ci, buf + 3, buf + 3, 61 + 16, ad, key), 0);
		ck_assert(memcmp(buf + 3, out, 61) == 0);
	}
	/* The ciphers differ on the same input. */
	{
		uint8_t a[48], b[48];

		ck_assert_int_eq(aead_encrypt(AEAD_CHACHA20POLY1305, a, out, 32, ad, key), 0);
		ck_assert_int_eq(aead_encrypt(AEAD_AEGIS256, b, out, 32, ad, key), 0);
		ck_assert(memcmp(a, b, 48) != 0);
	}
	/* An unknown cipher is refused and, on decrypt, zeroes the output. */
	errno = 0;
	ck_assert_int_eq(aead_encrypt((enum aead_cipher)7, buf, out, 16, ad, key), -1);
	ck_assert_int_eq(errno, EINVAL);
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(aead_decrypt((enum aead_cipher)7, out, buf, 32, ad, key), -1);
	ck_assert(all_zero(out, 16));
}
END_TEST

static void
setup(void)
{
	ck_assert_int_eq(aead_init(), 0);
	sbox_init();
}

Suite *
make_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *aegis = tcase_create("aegis256");
	TCase *aead = tcase_create("aead");
	TCase *keyx = tcase_create("keyx");

	tcase_add_checked_fixture(aegis, setup, NULL);
	tcase_add_checked_fixture(aead, setup, NULL);
	tcase_add_checked_fixture(keyx, setup, NULL);
	/* Under ASan the slow reference and the every-byte tampering take a few seconds. */
	tcase_set_timeout(aegis, 60);
	tcase_set_timeout(aead, 60);

	tcase_add_test(aegis, test_aes_round_reference);
	tcase_add_test(aegis, test_aegis_cfrg_vectors);
	tcase_add_test(aegis, test_aegis_vector_files);
	tcase_add_test(aegis, test_aegis_lengths_against_reference);
	tcase_add_test(aegis, test_aegis_available);
	tcase_add_test(aead, test_aead_interface);
	tcase_add_test(aead, test_data_vectors);
	tcase_add_test(aead, test_control_vectors);
	tcase_add_test(keyx, test_keyx_vectors);
	tcase_add_test(keyx, test_exchange_vectors);
	tcase_add_test(keyx, test_x25519_small_order_rejected);
	tcase_add_test(keyx, test_keyx_generate);
	suite_add_tcase(s, aegis);
	suite_add_tcase(s, aead);
	suite_add_tcase(s, keyx);
	return s;
}
