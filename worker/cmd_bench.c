/* `gt-worker bench [aes|chacha]`: encryption speed of the data cipher from 20 to 1450 bytes, as
 * glorytun prints it (piped: "bench CIPHER SIZE MIN MEAN MAX" in Mbit/s). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "commands.h"
#include "crypto/aead.h"

static double
seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
cmd_bench(int argc, char **argv)
{
	struct cmd_arg args[] = {
		{ "aes|chacha", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		CMD_END,
	};
	static uint8_t buf[1450 + AEAD_TAG_SIZE];
	uint8_t key[AEAD_KEY_SIZE] = { 1 }, ad[AEAD_AD_SIZE] = { 2 };

	if (cmd_parse(args, argc, argv, stdout))
		return 1;
	if (aead_init()) {
		fprintf(stderr, "sodium init failed\n");
		return 1;
	}
	int chacha = cmd_is_set(args, "chacha");
	if (!aead_aegis256_available()) {
		if (cmd_is_set(args, "aes")) {
			fprintf(stderr, "aes is not available on your platform\n");
			return 1;
		}
		chacha = 1;
	}
	enum aead_cipher c = chacha ? AEAD_CHACHA20POLY1305 : AEAD_AEGIS256;
	int term = isatty(1);
	if (term) {
		printf("cipher: %s\n\n", aead_name(c));
		printf("  size       min           mean            max      \n");
		printf("----------------------------------------------------\n");
	}
	for (size_t size = 20; size <= 1450; size += 130) {
		double min = 0, max = 0, mean = 0;
		for (int run = 0; run < 10; run++) {
			size_t bytes = 0;
			double t0 = seconds(), dt;
			do {
				for (int k = 0; k < 256; k++) {
					aead_encrypt(c, buf, buf, size, ad, key);
					bytes += size;
				}
				dt = seconds() - t0;
			} while (dt < 0.03);
			double mbps = (double)bytes * 8 / dt / 1e6;
			min = run ? (mbps < min ? mbps : min) : mbps;
			max = run ? (mbps > max ? mbps : max) : mbps;
			mean += (mbps - mean) / (run + 1);
		}
		if (term)
			printf(" %5zu %9.0f Mbps %9.0f Mbps %9.0f Mbps\n", size, min, mean, max);
		else
			printf("bench %s %zu %.0f %.0f %.0f\n", aead_name(c), size, min, mean, max);
	}
	return 0;
}
