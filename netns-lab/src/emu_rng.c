/* xoshiro256** (Blackman and Vigna, public domain algorithm) seeded with splitmix64. */
#include <stdint.h>

#include "emu_rng.h"
#include "lab_units.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
rng_seed(struct rng *r, uint64_t seed, const char *label)
{
	/* FNV-1a of the label, mixed into the seed. */
	uint64_t h = 0xcbf29ce484222325ull, x;

	for (const unsigned char *p = (const unsigned char *)label; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	x = seed ^ h;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

bool
rng_chance(struct rng *r, uint32_t ppb)
{
	if (ppb == 0)
		return false;
	if (ppb >= LAB_PPB)
		return true;
	/* (x * 10^9) >> 64 is uniform in [0, 10^9) without modulo bias worth the name. */
	return (uint64_t)(((unsigned __int128)rng_next(r) * LAB_PPB) >> 64) < ppb;
}

int64_t
rng_uniform(struct rng *r, uint64_t w)
{
	if (w == 0)
		return 0;
	return (int64_t)(((unsigned __int128)rng_next(r) * (2 * w + 1)) >> 64) - (int64_t)w;
}

int64_t
rng_normal(struct rng *r, uint64_t sd)
{
	/* Irwin-Hall: the sum of 12 uniforms minus 6 has mean 0 and standard deviation 1, in
	 * integers (32-bit fractions) so that every machine draws the same. */
	int64_t z = -(6ll << 32), cap = 4ll << 32;

	if (sd == 0)
		return 0;
	for (int i = 0; i < 12; i++)
		z += (int64_t)(rng_next(r) >> 32);
	if (z > cap)
		z = cap;
	if (z < -cap)
		z = -cap;
	return (int64_t)(((__int128)z * (__int128)sd) >> 32);
}
