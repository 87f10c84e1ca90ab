/* The two data ciphers of the mud protocol behind one call (docs/protocol.md section 2): the 6 time
 * bytes are the associated data and, zero-extended, the nonce. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/aegis256.h"

int
aead_init(void)
{
	if (sodium_init() < 0)
		return -1;
	/* Detects AES-NI now, so that the data path only reads the cached answer. */
	(void)aegis256_available();
	return 0;
}

int
aead_aegis256_available(void)
{
	return aegis256_available();
}

const char *
aead_name(enum aead_cipher cipher)
{
	switch (cipher) {
	case AEAD_CHACHA20POLY1305:
		return "chacha20poly1305";
	case AEAD_AEGIS256:
		return "aegis256";
	}
	return "unknown";
}

int
aead_encrypt(enum aead_cipher cipher, uint8_t *dst, const uint8_t *src, size_t len,
             const uint8_t ad[AEAD_AD_SIZE], const uint8_t key[AEAD_KEY_SIZE])
{
	uint8_t npub[AEGIS256_NONCE_SIZE] = { 0 };

	memcpy(npub, ad, AEAD_AD_SIZE);
	switch (cipher) {
	case AEAD_CHACHA20POLY1305:
		/* libsodium's original construction: 8-byte nonce, no padding in the MAC input. */
		crypto_aead_chacha20poly1305_encrypt_detached(dst, dst + len, NULL, src, len, ad,
		                                              AEAD_AD_SIZE, NULL, npub, key);
		return 0;
	case AEAD_AEGIS256:
		return aegis256_encrypt(dst, dst + len, src, len, ad, AEAD_AD_SIZE, npub, key);
	}
	errno = EINVAL;
	return -1;
}

int
aead_decrypt(enum aead_cipher cipher, uint8_t *dst, const uint8_t *src, size_t len,
             const uint8_t ad[AEAD_AD_SIZE], const uint8_t key[AEAD_KEY_SIZE])
{
	uint8_t npub[AEGIS256_NONCE_SIZE] = { 0 };
	size_t mlen;

	if (len < AEAD_TAG_SIZE) {
		errno = EINVAL;
		return -1;
	}
	mlen = len - AEAD_TAG_SIZE;
	memcpy(npub, ad, AEAD_AD_SIZE);
	switch (cipher) {
	case AEAD_CHACHA20POLY1305:
		if (crypto_aead_chacha20poly1305_decrypt_detached(dst, NULL, src, mlen, src + mlen, ad,
		                                                  AEAD_AD_SIZE, npub, key) == 0)
			return 0;
		/* libsodium clears dst itself; do not depend on it. */
		if (mlen)
			memset(dst, 0, mlen);
		errno = EBADMSG;
		return -1;
	case AEAD_AEGIS256:
		return aegis256_decrypt(dst, src, mlen, src + mlen, ad, AEAD_AD_SIZE, npub, key);
	}
	if (mlen)
		memset(dst, 0, mlen);
	errno = EINVAL;
	return -1;
}
