#define _GNU_SOURCE /* mkostemp */
#include "util/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum keyfile_status
keyfile_parse(const char *hex, size_t len, uint8_t key[KEYFILE_KEY_SIZE])
{
	uint8_t tmp[KEYFILE_KEY_SIZE];
	size_t bin_len = 0;
	const char *end = NULL;

	if (len < KEYFILE_HEX_SIZE)
		return KEYFILE_ESHORT;
	if (sodium_hex2bin(tmp, sizeof(tmp), hex, KEYFILE_HEX_SIZE, NULL, &bin_len, &end) != 0 ||
	    bin_len != sizeof(tmp) || end != hex + KEYFILE_HEX_SIZE) {
		sodium_memzero(tmp, sizeof(tmp));
		return KEYFILE_EHEX;
	}
	memcpy(key, tmp, sizeof(tmp));
	sodium_memzero(tmp, sizeof(tmp));
	return KEYFILE_OK;
}

enum keyfile_status
keyfile_read(const char *path, uint8_t key[KEYFILE_KEY_SIZE], char *err, size_t errsize)
{
	char buf[KEYFILE_HEX_SIZE];
	size_t size = 0;
	int fd;

	do {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	} while (fd == -1 && errno == EINTR);
	if (fd == -1) {
		snprintf(err, errsize, "couldn't open %s: %s", path, strerror(errno));
		return KEYFILE_EOPEN;
	}
	while (size < sizeof(buf)) {
		ssize_t r = read(fd, buf + size, sizeof(buf) - size);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size += (size_t)r;
	}
	close(fd);

	enum keyfile_status st = keyfile_parse(buf, size, key);
	sodium_memzero(buf, sizeof(buf));
	if (st == KEYFILE_ESHORT)
		snprintf(err, errsize, "couldn't read secret key");
	else if (st == KEYFILE_EHEX)
		snprintf(err, errsize, "secret key is not valid");
	return st;
}

void
keyfile_format(char out[KEYFILE_HEX_SIZE + 1], const uint8_t key[KEYFILE_KEY_SIZE])
{
	static const char tbl[] = "0123456789ABCDEF";

	for (size_t i = 0; i < KEYFILE_KEY_SIZE; i++) {
		out[2 * i] = tbl[key[i] >> 4];
		out[2 * i + 1] = tbl[key[i] & 0xF];
	}
	out[KEYFILE_HEX_SIZE] = 0;
}

enum keyfile_status
keyfile_write(const char *path, const uint8_t key[KEYFILE_KEY_SIZE])
{
	char tmp[4096];
	char line[KEYFILE_HEX_SIZE + 2];
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return KEYFILE_EWRITE;
	}
	fd = mkostemp(tmp, O_CLOEXEC); /* created 0600 */
	if (fd == -1)
		return KEYFILE_EWRITE;

	keyfile_format(line, key);
	line[KEYFILE_HEX_SIZE] = '\n';
	line[KEYFILE_HEX_SIZE + 1] = 0;
	size_t off = 0, len = KEYFILE_HEX_SIZE + 1;
	while (off < len) {
		ssize_t w = write(fd, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	sodium_memzero(line, sizeof(line));
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return KEYFILE_EWRITE;
	}
	return KEYFILE_OK;
fail:
	saved = errno;
	sodium_memzero(line, sizeof(line));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved ? saved : EIO;
	return KEYFILE_EWRITE;
}
