/* The lab's units: decimal numbers with a unit word, read exactly (fixed point, no floats).
 *
 * Time: NUM{ns,us,ms,s}, or a bare "0". Result in nanoseconds.
 * Rate: NUM{bit,kbit,mbit,gbit} (case-insensitive, powers of 1000), "0" or "unlimited".
 *       Result in bit/s; 0 means unlimited.
 * Size: NUM[B], NUM{kB,KB,MB} (powers of 1000), NUM{KiB,MiB} (powers of 1024). Result in bytes.
 * Probability: NUM% with 0 <= NUM <= 100, or a bare "0". Result in parts per billion.
 * Count: a plain decimal integer.
 *
 * NUM is DIGITS[.DIGITS] with at most 9 decimals. Every function returns 0, or -1 with *out
 * untouched when the text is not a valid value (fractional bits or bytes included). */
#ifndef GT_LAB_UNITS_H
#define GT_LAB_UNITS_H

#include <stdint.h>

#define LAB_PPB 1000000000u	/* 100% in parts per billion */

int lab_parse_time(const char *s, uint64_t *out);
int lab_parse_rate(const char *s, uint64_t *out);
int lab_parse_size(const char *s, uint64_t *out);
int lab_parse_prob(const char *s, uint32_t *out);
int lab_parse_count(const char *s, uint64_t max, uint64_t *out);
/* A plain decimal number, as NUM above, scaled by 10^9 (used for burst lengths). */
int lab_parse_decimal(const char *s, uint64_t *out);

#endif
