/* Internet checksums: a 64-bit one's complement accumulator fed 8 bytes at a time. */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "csum.h"

/* One's complement addition in 64 bits: a carry out of bit 63 wraps around to bit 0, which keeps
 * the sum congruent modulo 0xffff (2^64 = 1 modulo 0xffff). */
static inline uint64_t
add64(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

uint64_t
csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t carry = 0, w;

	/* Four independent additions per round; their carries are counted, then added back. */
	while (len >= 32) {
		uint64_t a = load64(p), b = load64(p + 8), c = load64(p + 16), d = load64(p + 24);

		sum += a;
		carry += sum < a;
		sum += b;
		carry += sum < b;
		sum += c;
		carry += sum < c;
		sum += d;
		carry += sum < d;
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		w = load64(p);
		sum += w;
		carry += sum < w;
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		/* The tail lands at the same byte positions as in memory, zero padded: that is the
		 * RFC's padding of an odd last byte, in either byte order. */
		w = 0;
		memcpy(&w, p, len);
		sum += w;
		carry += sum < w;
	}
	return add64(sum, carry);
}

uint16_t
csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint64_t
csum_pseudo4(const void *src, const void *dst, uint8_t proto, uint32_t len)
{
	uint32_t s, d;

	memcpy(&s, src, 4);
	memcpy(&d, dst, 4);
	/* zero, protocol and 16-bit length form the third 32-bit word */
	return (uint64_t)s + d + htobe32((uint32_t)proto << 16 | (len & 0xffff));
}

uint64_t
csum_pseudo6(const void *src, const void *dst, uint8_t proto, uint32_t len)
{
	uint64_t sum;

	sum = csum_add(0, src, 16);
	sum = csum_add(sum, dst, 16);
	/* 32-bit length, then three zero bytes and the next header */
	return add64(sum, (uint64_t)htobe32(len) + htobe32(proto));
}

uint16_t
csum_replace2(uint16_t check, uint16_t old, uint16_t new)
{
	uint64_t sum = (uint16_t)~check;

	sum += (uint16_t)~old;
	sum += new;
	return (uint16_t)~csum_fold(sum);
}

uint16_t
csum_replace4(uint16_t check, uint32_t old, uint32_t new)
{
	uint64_t sum = (uint16_t)~check;

	sum += (uint32_t)~old;
	sum += new;
	return (uint16_t)~csum_fold(sum);
}
