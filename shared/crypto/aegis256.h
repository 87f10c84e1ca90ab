/* AEGIS-256 with a 128-bit tag (IRTF CFRG draft-irtf-cfrg-aegis-aead), on x86-64 AES-NI.
 *
 * The code is selected at run time: on a CPU without AES-NI (or on another architecture) every
 * call fails with ENOTSUP instead of faulting. Associated data and message have any length. The
 * output may equal the input (in place) but must not overlap it otherwise. */
#ifndef GT_CRYPTO_AEGIS256_H
#define GT_CRYPTO_AEGIS256_H

#include <stddef.h>
#include <stdint.h>

#define AEGIS256_KEY_SIZE 32
#define AEGIS256_NONCE_SIZE 32
#define AEGIS256_TAG_SIZE 16

/* 1 when this CPU has AES-NI and SSE2, else 0. The answer is cached after the first call. */
int aegis256_available(void);

/* c receives mlen bytes of ciphertext and tag the 16-byte tag. Returns 0, or -1 with errno
 * ENOTSUP when the CPU lacks AES-NI. */
int aegis256_encrypt(uint8_t *c, uint8_t tag[AEGIS256_TAG_SIZE], const uint8_t *m, size_t mlen,
                     const uint8_t *ad, size_t adlen, const uint8_t npub[AEGIS256_NONCE_SIZE],
                     const uint8_t key[AEGIS256_KEY_SIZE]);

/* m receives clen bytes of plaintext. Returns 0, or -1 when the tag does not verify (errno
 * EBADMSG) or the CPU lacks AES-NI (ENOTSUP); m is then zeroed. tag may lie right after c in the
 * same buffer, even when m == c. */
int aegis256_decrypt(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t tag[AEGIS256_TAG_SIZE],
                     const uint8_t *ad, size_t adlen, const uint8_t npub[AEGIS256_NONCE_SIZE],
                     const uint8_t key[AEGIS256_KEY_SIZE]);

#endif
