/* libFuzzer target for the data-path AEADs. The input is taken as a received datagram (6-byte time
 * field, then ciphertext and tag) and decrypted under both ciphers with a fixed key: a forgery must
 * fail and zero the output. The same bytes are also used as a plaintext, which must survive
 * encrypt-then-decrypt (in place and not), and AEGIS-256 is driven directly with a variable-length
 * AD taken from the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/aegis256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[AEAD_KEY_SIZE] = {
	0x76, 0x60, 0x21, 0xee, 0xaa, 0x31, 0x81, 0xc8, 0x08, 0xef, 0x44, 0xab, 0xc8, 0x6e, 0x2c, 0x96,
	0x2f, 0x05, 0x4f, 0xd7, 0x87, 0xd5, 0x6e, 0x38, 0xe3, 0xda, 0x16, 0xe8, 0x8f, 0xb3, 0x79, 0x2b,
};

static int
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* A datagram as the receiver sees it. */
static void
decrypt_datagram(enum aead_cipher cipher, const uint8_t *data, size_t size)
{
	size_t len = size - AEAD_AD_SIZE;
	uint8_t *out;

	if (len < AEAD_TAG_SIZE) {
		uint8_t dummy[1];

		if (aead_decrypt(cipher, dummy, data + AEAD_AD_SIZE, len, data, key) != -1)
			abort();
		return;
	}
	/* Exact size, so that a write past the plaintext shows up under ASan. */
	out = malloc(len - AEAD_TAG_SIZE + 1);
	if (!out)
		abort();
	memset(out, 0xa5, len - AEAD_TAG_SIZE);
	if (aead_decrypt(cipher, out, data + AEAD_AD_SIZE, len, data, key) != 0 &&
	    !all_zero(out, len - AEAD_TAG_SIZE))
		abort();
	free(out);
}

/* plaintext -> packet -> plaintext, then the same with one bit of the packet flipped. */
static void
round_trip(enum aead_cipher cipher, const uint8_t ad[AEAD_AD_SIZE], const uint8_t *m, size_t mlen,
           size_t flip)
{
	uint8_t *pkt = malloc(mlen + AEAD_TAG_SIZE), *out = malloc(mlen + 1);

	if (!pkt || !out)
		abort();
	if (aead_encrypt(cipher, pkt, m, mlen, ad, key) != 0)
		abort();
	if (aead_decrypt(cipher, out, pkt, mlen + AEAD_TAG_SIZE, ad, key) != 0 ||
	    memcmp(out, m, mlen) != 0)
		abort();
	/* In place. */
	memcpy(out, m, mlen);
	free(pkt);
	pkt = malloc(mlen + AEAD_TAG_SIZE);
	if (!pkt)
		abort();
	memcpy(pkt, m, mlen);
	if (aead_encrypt(cipher, pkt, pkt, mlen, ad, key) != 0 ||
	    aead_decrypt(cipher, pkt, pkt, mlen + AEAD_TAG_SIZE, ad, key) != 0 ||
	    memcmp(pkt, m, mlen) != 0)
		abort();
	/* Tampered. */
	if (aead_encrypt(cipher, pkt, m, mlen, ad, key) != 0)
		abort();
	flip %= (mlen + AEAD_TAG_SIZE) * 8;
	pkt[flip / 8] ^= (uint8_t)(1u << (flip % 8));
	if (aead_decrypt(cipher, out, pkt, mlen + AEAD_TAG_SIZE, ad, key) != -1 ||
	    !all_zero(out, mlen))
		abort();
	free(pkt);
	free(out);
}

/* AEGIS-256 with an AD of any length: data[0] picks how much of the input is AD. */
static void
aegis_general(const uint8_t *data, size_t size)
{
	static const uint8_t npub[AEGIS256_NONCE_SIZE] = { 0x10, 0x00, 0x02 };
	size_t adlen = size > 1 ? data[0] % size : 0;
	const uint8_t *ad = data + (size ? 1 : 0), *m;
	size_t mlen;
	uint8_t tag[AEGIS256_TAG_SIZE], *c, *out;

	if (size == 0)
		return;
	if (adlen > size - 1)
		adlen = size - 1;
	m = ad + adlen;
	mlen = size - 1 - adlen;
	c = malloc(mlen + 1);
	out = malloc(mlen + 1);
	if (!c || !out)
		abort();
	if (aegis256_encrypt(c, tag, m, mlen, ad, adlen, npub, key) != 0 ||
	    aegis256_decrypt(out, c, mlen, tag, ad, adlen, npub, key) != 0 ||
	    memcmp(out, m, mlen) != 0)
		abort();
	tag[mlen % AEGIS256_TAG_SIZE] ^= 1;
	if (aegis256_decrypt(out, c, mlen, tag, ad, adlen, npub, key) != -1 || !all_zero(out, mlen))
		abort();
	free(c);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	uint8_t ad[AEAD_AD_SIZE] = { 0 };
	size_t flip = 0;

	if (!ready) {
		if (aead_init() != 0 || !aead_aegis256_available())
			abort();
		ready = 1;
	}
	if (size >= AEAD_AD_SIZE) {
		decrypt_datagram(AEAD_CHACHA20POLY1305, data, size);
		decrypt_datagram(AEAD_AEGIS256, data, size);
		memcpy(ad, data, AEAD_AD_SIZE);
	}
	for (size_t i = 0; i < size && i < 8; i++)
		flip = flip << 8 | data[i];
	round_trip(AEAD_CHACHA20POLY1305, ad, data, size, flip);
	round_trip(AEAD_AEGIS256, ad, data, size, flip);
	aegis_general(data, size);
	return 0;
}
