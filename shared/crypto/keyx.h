/* X25519 key pairs and the mud session-key derivation (docs/protocol.md section 4.2). */
#ifndef GT_CRYPTO_KEYX_H
#define GT_CRYPTO_KEYX_H

#include <stdint.h>

#define KEYX_SIZE 32

struct keyx_pair {
	uint8_t secret[KEYX_SIZE]; /* stored unclamped, as the reference does */
	uint8_t public[KEYX_SIZE]; /* X25519(secret, 9) */
};

/* Public key of a given secret (the caller draws the secret). Returns 0 or -1. */
int keyx_pair_from_secret(struct keyx_pair *kp, const uint8_t secret[KEYX_SIZE]);

/* shared = X25519(own.secret, remote); encrypt = BLAKE2b-256(key=psk, shared || remote || own.public),
 * decrypt = BLAKE2b-256(key=psk, shared || own.public || remote). Returns -1, leaving the outputs
 * zeroed, when libsodium rejects remote (all-zero shared secret). Intermediates are wiped. */
int keyx_derive(uint8_t encrypt[KEYX_SIZE], uint8_t decrypt[KEYX_SIZE], const uint8_t psk[KEYX_SIZE],
                const struct keyx_pair *own, const uint8_t remote[KEYX_SIZE]);

/* Wipes a pair. */
void keyx_clear(struct keyx_pair *kp);

#endif
