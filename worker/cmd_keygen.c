#include <sodium.h>
#include <stdio.h>

#include "commands.h"
#include "util/keyfile.h"

int
cmd_keygen(int argc, char **argv)
{
	uint8_t key[KEYFILE_KEY_SIZE];
	char hex[KEYFILE_HEX_SIZE + 1];

	(void)argc;
	(void)argv;
	if (sodium_init() == -1) {
		fprintf(stderr, "sodium init failed\n");
		return 1;
	}
	randombytes_buf(key, sizeof(key));
	keyfile_format(hex, key);
	printf("%s\n", hex);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	return 0;
}
