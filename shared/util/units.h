/* Glorytun 0.3's units, as its command line reads them (docs/protocol.md section 10).
 *
 * Bytes: a plain number is bytes; k, m, g alone multiply by 1024^n ("10m" = 10485760);
 * followed by B/byte/bytes they multiply by 1000^n, with an "i" by 1024^n ("10MB" = 10^7,
 * "10MiB" = 10485760); followed by b/bit/bits the result is divided by 8 ("10mbit" = 1250000).
 * Time: a plain number or "s" is seconds; "ms", "m", "h", "d", "w" are accepted. Results are in
 * milliseconds, as in the reference.
 * Percent: 0..100, optionally followed by "%".
 *
 * Parsers return 0, or -1 (errno = EINVAL) with *out untouched. Unlike the reference they reject
 * every overflow. */
#ifndef GT_UTIL_UNITS_H
#define GT_UTIL_UNITS_H

#include <stddef.h>
#include <stdint.h>

int units_parse_bytes(const char *s, uint64_t *out);
int units_parse_time_ms(const char *s, uint64_t *out);
int units_parse_percent(const char *s, unsigned *out);

/* bit/s as text, in the largest of gbit, mbit, kbit and bit (powers of 1000) that divides it
 * ("100mbit", "1500kbit"), or "0". units_parse_bytes reads it back as bytes/s, the lab's
 * parser as bit/s. Returns the length, or -1 (errno = ENOSPC) when it does not fit. */
int units_format_bitrate(char *buf, size_t size, uint64_t bps);

/* The reference's message for a bad value, without a newline:
 * "error: `VALUE' is not a valid KIND for NAME" (KIND: BYTES/SEC, SECONDS, PERCENT ...). */
int units_error(char *buf, size_t size, const char *value, const char *kind, const char *name);

#endif
