/* X25519 key pairs and the mud session-key derivation (docs/protocol.md section 4.2). */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "crypto/keyx.h"

int
keyx_pair_from_secret(struct keyx_pair *kp, const uint8_t secret[KEYX_SIZE])
{
	if (sodium_init() < 0)
		return -1;
	if (kp->secret != secret)
		memcpy(kp->secret, secret, KEYX_SIZE);
	/* libsodium clamps a copy of the scalar; the stored secret stays as drawn. */
	if (crypto_scalarmult_base(kp->public, kp->secret) != 0) {
		keyx_clear(kp);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* out = BLAKE2b-256 keyed with the PSK over shared || first || second. */
static void
keyx_hash(uint8_t out[KEYX_SIZE], const uint8_t psk[KEYX_SIZE], const uint8_t shared[KEYX_SIZE],
          const uint8_t first[KEYX_SIZE], const uint8_t second[KEYX_SIZE])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, psk, KEYX_SIZE, KEYX_SIZE);
	crypto_generichash_update(&st, shared, KEYX_SIZE);
	crypto_generichash_update(&st, first, KEYX_SIZE);
	crypto_generichash_update(&st, second, KEYX_SIZE);
	crypto_generichash_final(&st, out, KEYX_SIZE);
	sodium_memzero(&st, sizeof(st));
}

int
keyx_derive(uint8_t encrypt[KEYX_SIZE], uint8_t decrypt[KEYX_SIZE], const uint8_t psk[KEYX_SIZE],
            const struct keyx_pair *own, const uint8_t remote[KEYX_SIZE])
{
	/* Computed apart, so that an output may share storage with an input. */
	uint8_t shared[KEYX_SIZE], enc[KEYX_SIZE], dec[KEYX_SIZE];
	int ret = -1;

	if (sodium_init() < 0 || crypto_scalarmult(shared, own->secret, remote) != 0) {
		/* A small-order remote key: the shared secret would be all zero. */
		sodium_memzero(encrypt, KEYX_SIZE);
		sodium_memzero(decrypt, KEYX_SIZE);
		errno = EINVAL;
		goto out;
	}
	keyx_hash(enc, psk, shared, remote, own->public);
	keyx_hash(dec, psk, shared, own->public, remote);
	memcpy(encrypt, enc, KEYX_SIZE);
	memcpy(decrypt, dec, KEYX_SIZE);
	ret = 0;
out:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(enc, sizeof(enc));
	sodium_memzero(dec, sizeof(dec));
	return ret;
}

void
keyx_clear(struct keyx_pair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}
