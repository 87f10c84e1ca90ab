/* Throughput of the two data ciphers through the aead interface, at packet sizes seen on the
 * wire. Not a test: prints Gbit/s of plaintext per direction and the time per packet. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/aead.h"

#define BENCH_NS 200000000ULL /* time spent on each figure */

static const size_t sizes[] = { 20, 64, 256, 512, 1024, 1420, 1450 };

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Runs one direction until BENCH_NS have passed; returns ns per packet. */
static double
run(enum aead_cipher cipher, int decrypt, size_t len, uint8_t *pkt, uint8_t *out,
    const uint8_t *key)
{
	uint64_t start = now_ns(), elapsed, n = 0;
	uint8_t ad[AEAD_AD_SIZE] = { 0x42, 0x10, 0x9b, 0xce, 0x9b, 0x27 };

	if (decrypt && aead_encrypt(cipher, pkt, out, len, ad, key) != 0)
		return -1;
	do {
		for (int i = 0; i < 1000; i++) {
			int r = decrypt ? aead_decrypt(cipher, out, pkt, len + AEAD_TAG_SIZE, ad, key)
			                : aead_encrypt(cipher, pkt, out, len, ad, key);
			if (r != 0)
				return -1;
		}
		n += 1000;
		elapsed = now_ns() - start;
	} while (elapsed < BENCH_NS);
	return (double)elapsed / (double)n;
}

int
main(void)
{
	static uint8_t pkt[2048], out[2048];
	uint8_t key[AEAD_KEY_SIZE];
	enum aead_cipher ciphers[] = { AEAD_AEGIS256, AEAD_CHACHA20POLY1305 };

	if (aead_init() != 0) {
		fprintf(stderr, "aead_init failed\n");
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)i;
	printf("%-17s %5s %9s %8s %9s %8s\n", "cipher", "bytes", "enc Gb/s", "enc us", "dec Gb/s",
	       "dec us");
	for (size_t c = 0; c < sizeof(ciphers) / sizeof(ciphers[0]); c++) {
		if (ciphers[c] == AEAD_AEGIS256 && !aead_aegis256_available()) {
			printf("%-17s (no AES-NI on this CPU)\n", aead_name(ciphers[c]));
			continue;
		}
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t len = sizes[s];
			double enc = run(ciphers[c], 0, len, pkt, out, key);
			double dec = run(ciphers[c], 1, len, pkt, out, key);

			if (enc < 0 || dec < 0) {
				fprintf(stderr, "%s: failed at %zu bytes\n", aead_name(ciphers[c]), len);
				return EXIT_FAILURE;
			}
			printf("%-17s %5zu %9.2f %8.3f %9.2f %8.3f\n", aead_name(ciphers[c]), len,
			       (double)len * 8 / enc, enc / 1000, (double)len * 8 / dec, dec / 1000);
		}
	}
	return EXIT_SUCCESS;
}
