/* Glorytun key files: 64 hexadecimal characters (either case) at the start of the file; what
 * follows is ignored. keygen writes 64 uppercase characters and a newline. */
#ifndef GT_UTIL_KEYFILE_H
#define GT_UTIL_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define KEYFILE_KEY_SIZE 32
#define KEYFILE_HEX_SIZE 64

enum keyfile_status {
	KEYFILE_OK = 0,
	KEYFILE_EOPEN,  /* "couldn't open PATH: strerror" */
	KEYFILE_ESHORT, /* "couldn't read secret key" */
	KEYFILE_EHEX,   /* "secret key is not valid" */
	KEYFILE_EWRITE, /* writing failed; errno says why */
};

/* Reads the key; on failure writes the reference's message (no newline) into err. The key
 * buffers on the stack are wiped. */
enum keyfile_status keyfile_read(const char *path, uint8_t key[KEYFILE_KEY_SIZE], char *err,
                                 size_t errsize);

/* Parses exactly 64 hex characters from hex (more may follow). */
enum keyfile_status keyfile_parse(const char *hex, size_t len, uint8_t key[KEYFILE_KEY_SIZE]);

/* 64 uppercase hex characters and a NUL, as keygen prints them. */
void keyfile_format(char out[KEYFILE_HEX_SIZE + 1], const uint8_t key[KEYFILE_KEY_SIZE]);

/* Writes the key as keygen prints it, mode 0600, atomically (temporary file then rename). */
enum keyfile_status keyfile_write(const char *path, const uint8_t key[KEYFILE_KEY_SIZE]);

#endif
