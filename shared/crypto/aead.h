/* The two AEADs of the mud protocol (docs/protocol.md section 2), behind one interface.
 *
 * Both take a 32-byte key, use the 6 time-field bytes of the datagram as associated data and as
 * the start of the nonce (zero-extended: 32 bytes for AEGIS-256, 8 for ChaCha20-Poly1305 in
 * libsodium's original construction), and append a 16-byte tag. */
#ifndef GT_CRYPTO_AEAD_H
#define GT_CRYPTO_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define AEAD_KEY_SIZE 32
#define AEAD_TAG_SIZE 16
#define AEAD_AD_SIZE 6

enum aead_cipher {
	AEAD_CHACHA20POLY1305 = 0,
	AEAD_AEGIS256 = 1,
};

/* Call once before anything else (initialises libsodium, detects AES-NI). Returns -1 if
 * libsodium cannot start. Safe to call more than once. */
int aead_init(void);

/* 1 when this CPU can run AEGIS-256 (x86-64 with AES-NI and SSE2), else 0. */
int aead_aegis256_available(void);

/* dst receives len bytes of ciphertext followed by the tag (len + 16 bytes); dst may equal src.
 * Returns 0, or -1 if the cipher is unavailable. */
int aead_encrypt(enum aead_cipher cipher, uint8_t *dst, const uint8_t *src, size_t len,
                 const uint8_t ad[AEAD_AD_SIZE], const uint8_t key[AEAD_KEY_SIZE]);

/* src holds len bytes: ciphertext then the 16-byte tag (len >= 16). dst receives len - 16 bytes
 * of plaintext and may equal src. Returns 0, or -1 if the tag does not verify (dst is then
 * zeroed) or len < 16. */
int aead_decrypt(enum aead_cipher cipher, uint8_t *dst, const uint8_t *src, size_t len,
                 const uint8_t ad[AEAD_AD_SIZE], const uint8_t key[AEAD_KEY_SIZE]);

const char *aead_name(enum aead_cipher cipher); /* "aegis256" / "chacha20poly1305" */

#endif
