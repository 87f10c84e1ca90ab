/* Internet checksums (RFC 1071): one's complement sums for IPv4, TCP and UDP, with the
 * pseudo-header sums (RFC 768, 793, 8200) and incremental updates (RFC 1624).
 *
 * A sum is kept unfolded in a 64-bit accumulator, in the machine's byte order: RFC 1071 2(B) makes
 * the sum byte-order independent, so folding it to 16 bits gives a value whose two bytes, stored
 * as they lie in memory (csum_store), are the checksum field's wire bytes. Checksum fields are read
 * the same way (csum_load). */
#ifndef GT_WORKER_CSUM_H
#define GT_WORKER_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Adds LEN bytes at BUF to SUM, 8 bytes at a time. Only the last piece of a checksummed range may
 * have an odd length (it is padded with a zero byte). */
uint64_t csum_add(uint64_t sum, const void *buf, size_t len);

/* Folds SUM to 16 bits, not complemented. */
uint16_t csum_fold(uint64_t sum);

/* The pseudo-header sum of a TCP or UDP segment of LEN bytes (header included) between SRC and
 * DST: 4-byte addresses for IPv4, 16-byte ones for IPv6. */
uint64_t csum_pseudo4(const void *src, const void *dst, uint8_t proto, uint32_t len);
uint64_t csum_pseudo6(const void *src, const void *dst, uint8_t proto, uint32_t len);

/* RFC 1624 eqn. 3: the checksum CHECK once a 16-bit or 32-bit word of the covered data changes
 * from OLD to NEW. All values as loaded from memory (csum_load or memcpy). */
uint16_t csum_replace2(uint16_t check, uint16_t old, uint16_t new);
uint16_t csum_replace4(uint16_t check, uint32_t old, uint32_t new);

/* The value to store in a checksum field: the complemented fold of the sum of all the data. */
static inline uint16_t
csum_finish(uint64_t sum)
{
	return (uint16_t)~csum_fold(sum);
}

static inline uint16_t
csum_load(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
csum_store(void *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

#endif
