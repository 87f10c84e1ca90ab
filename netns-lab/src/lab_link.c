/* The words that set a link's parameters (see lab_link.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lab_link.h"
#include "lab_units.h"
#include "util/units.h"

#define MS 1000000ull

void
lab_link_init(struct lab_link *l)
{
	memset(l, 0, sizeof(*l));
	l->mtu = 1500;
	for (int d = 0; d < 2; d++) {
		struct lab_dir *dir = &l->dir[d];
		dir->jitter_dist = LAB_JITTER_UNIFORM;
		dir->loss_kind = LAB_LOSS_NONE;
		dir->reorder_gap = 1 * MS;
		dir->queue_kind = LAB_QUEUE_TIME;
		dir->queue = 100 * MS;
		dir->mtu = 1500;
	}
}

static int
fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* The reader's state: words, position, and the directions words apply to. */
struct words {
	int	  argc;
	char	**argv;
	int	  i;
	char	 *err;
	size_t	  errlen;
};

static const char *
peek(struct words *w)
{
	return w->i < w->argc ? w->argv[w->i] : NULL;
}

/* The value after keyword KW, or NULL with a message. */
static const char *
value(struct words *w, const char *kw, const char *what)
{
	if (w->i >= w->argc) {
		fail(w->err, w->errlen, "'%s' needs %s", kw, what);
		return NULL;
	}
	return w->argv[w->i++];
}

#define EACH_DIR(l, mask, d) \
	for (struct lab_dir *d = (l)->dir; d < (l)->dir + 2; d++) \
		if ((mask) & (1 << (int)(d - (l)->dir)))

static int
bad(struct words *w, const char *kw, const char *v, const char *what)
{
	return fail(w->err, w->errlen, "'%s %s': expected %s", kw, v, what);
}

static int
read_loss(struct words *w, struct lab_link *l, int mask)
{
	const char *v, *n;
	uint32_t p, r, lb = LAB_PPB, lg = 0;
	uint64_t burst;

	if ((v = value(w, "loss", "a probability such as 1%, or 'ge'")) == NULL)
		return -1;
	if (strcmp(v, "ge") == 0) {
		const char *pv, *rv;
		if ((pv = value(w, "loss ge", "P% R%")) == NULL ||
		    (rv = value(w, "loss ge", "P% R%")) == NULL)
			return -1;
		if (lab_parse_prob(pv, &p) == -1 || p == 0)
			return bad(w, "loss ge", pv, "P%, the good -> bad probability (> 0)");
		if (lab_parse_prob(rv, &r) == -1 || r == 0)
			return bad(w, "loss ge", rv, "R%, the bad -> good probability (> 0)");
		if ((n = peek(w)) != NULL && lab_parse_prob(n, &lb) == 0) {
			w->i++;
			if ((n = peek(w)) != NULL && lab_parse_prob(n, &lg) == 0)
				w->i++;
		}
		EACH_DIR(l, mask, d) {
			d->loss_kind = LAB_LOSS_GE;
			d->ge_p = p; d->ge_r = r; d->ge_bad = lb; d->ge_good = lg;
			d->loss = 0;
		}
		return 0;
	}
	if (strcmp(v, "none") == 0)
		p = 0;
	else if (lab_parse_prob(v, &p) == -1)
		return bad(w, "loss", v, "a probability such as 1% or 0.1%");
	if ((n = peek(w)) != NULL && strcmp(n, "burst") == 0) {
		w->i++;
		if ((n = value(w, "burst", "a mean burst length in packets")) == NULL)
			return -1;
		if (lab_parse_decimal(n, &burst) == -1 || burst < 1000000000ull ||
		    burst > 1000000ull * 1000000000ull)
			return bad(w, "burst", n, "a mean burst length of at least 1 packet");
		if (p == 0 || p >= LAB_PPB)
			return fail(w->err, w->errlen, "'loss %s burst': the loss must be "
			    "between 0%% and 100%% (excluded)", v);
		/* Simple Gilbert model: the bad state loses everything; a burst lasts 1/r
		 * packets on average and the mean loss p/(p+r) is the one asked. */
		unsigned __int128 rr = (unsigned __int128)LAB_PPB * LAB_PPB / burst;
		unsigned __int128 pp = (unsigned __int128)p * rr / (LAB_PPB - p);
		if (rr == 0 || pp == 0 || pp > LAB_PPB)
			return fail(w->err, w->errlen, "'loss %s burst %s': no Gilbert model has "
			    "that mean loss with bursts that long", v, n);
		EACH_DIR(l, mask, d) {
			d->loss_kind = LAB_LOSS_GE;
			d->ge_p = (uint32_t)pp; d->ge_r = (uint32_t)rr;
			d->ge_bad = LAB_PPB; d->ge_good = 0;
			d->loss = 0;
		}
		return 0;
	}
	EACH_DIR(l, mask, d) {
		d->loss_kind = p ? LAB_LOSS_RANDOM : LAB_LOSS_NONE;
		d->loss = p;
	}
	return 0;
}

static int
read_word(struct words *w, struct lab_link *l, int mask, enum lab_ctx ctx)
{
	const char *kw = w->argv[w->i++];
	const char *v, *n;
	uint64_t t, x;
	uint32_t p;

	if (strcmp(kw, "rate") == 0) {
		if ((v = value(w, kw, "a rate such as 20mbit")) == NULL)
			return -1;
		if (lab_parse_rate(v, &x) == -1)
			return bad(w, kw, v, "a rate such as 20mbit, 1.5gbit or 0 (unlimited)");
		EACH_DIR(l, mask, d) d->rate = x;
	} else if (strcmp(kw, "delay") == 0) {
		if ((v = value(w, kw, "a time such as 15ms")) == NULL)
			return -1;
		if (lab_parse_time(v, &t) == -1 || t > LAB_DELAY_MAX)
			return bad(w, kw, v, "a time from 0 to 10s, such as 15ms");
		EACH_DIR(l, mask, d) d->delay = t;
	} else if (strcmp(kw, "jitter") == 0) {
		int dist = -1;
		if ((v = value(w, kw, "a time such as 10ms")) == NULL)
			return -1;
		if (lab_parse_time(v, &t) == -1 || t > LAB_DELAY_MAX)
			return bad(w, kw, v, "a time from 0 to 10s, such as 10ms");
		if ((n = peek(w)) != NULL && strcmp(n, "uniform") == 0)
			dist = LAB_JITTER_UNIFORM;
		else if (n != NULL && strcmp(n, "normal") == 0)
			dist = LAB_JITTER_NORMAL;
		if (dist != -1)
			w->i++;
		EACH_DIR(l, mask, d) {
			d->jitter = t;
			if (dist != -1)
				d->jitter_dist = dist;
		}
	} else if (strcmp(kw, "loss") == 0) {
		return read_loss(w, l, mask);
	} else if (strcmp(kw, "duplicate") == 0 || strcmp(kw, "dup") == 0) {
		if ((v = value(w, kw, "a probability such as 1%")) == NULL)
			return -1;
		if (lab_parse_prob(v, &p) == -1)
			return bad(w, kw, v, "a probability such as 1%");
		EACH_DIR(l, mask, d) d->dup = p;
	} else if (strcmp(kw, "reorder") == 0) {
		if ((v = value(w, kw, "a probability such as 1%")) == NULL)
			return -1;
		if (lab_parse_prob(v, &p) == -1)
			return bad(w, kw, v, "a probability such as 1%");
		t = 0;
		if ((n = peek(w)) != NULL && strcmp(n, "gap") == 0) {
			w->i++;
			if ((n = value(w, "gap", "a time such as 2ms")) == NULL)
				return -1;
			if (lab_parse_time(n, &t) == -1 || t == 0 || t > LAB_DELAY_MAX)
				return bad(w, "gap", n, "a time from 1ns to 10s, such as 2ms");
		}
		EACH_DIR(l, mask, d) {
			d->reorder = p;
			if (t)
				d->reorder_gap = t;
		}
	} else if (strcmp(kw, "queue") == 0) {
		int kind;
		if ((v = value(w, kw, "a time (100ms) or a size (64kB)")) == NULL)
			return -1;
		if (lab_parse_time(v, &t) == 0 && t > 0 && t <= LAB_DELAY_MAX)
			kind = LAB_QUEUE_TIME;
		else if (lab_parse_size(v, &t) == 0 && t >= 1500)
			kind = LAB_QUEUE_BYTES;
		else
			return bad(w, kw, v, "a time up to 10s (100ms) or a size of at least "
			    "1500 bytes (64kB)");
		EACH_DIR(l, mask, d) { d->queue_kind = kind; d->queue = t; }
	} else if (strcmp(kw, "bucket") == 0) {
		if ((v = value(w, kw, "a size such as 16kB")) == NULL)
			return -1;
		if (lab_parse_size(v, &x) == -1 || x > 64 * 1024 * 1024)
			return bad(w, kw, v, "a size up to 64MiB such as 16kB");
		EACH_DIR(l, mask, d) d->burst = x;
	} else if (strcmp(kw, "mtu") == 0) {
		if ((v = value(w, kw, "a number of bytes")) == NULL)
			return -1;
		if (lab_parse_count(v, LAB_MTU_MAX, &x) == -1 || x < LAB_MTU_MIN)
			return bad(w, kw, v, "a number of bytes from 1280 to 9000");
		/* In a scenario the MTU is the interfaces'; at run time the emulator drops
		 * larger packets while the interfaces keep theirs (a path MTU black hole). */
		if (ctx == LAB_CTX_SCENARIO) {
			if (mask != LAB_BOTH)
				return fail(w->err, w->errlen, "'mtu' in a scenario applies to "
				    "both directions");
			l->mtu = (unsigned)x;
		}
		EACH_DIR(l, mask, d) d->mtu = (unsigned)x;
	} else if (strcmp(kw, "backup") == 0) {
		if (ctx != LAB_CTX_SCENARIO)
			return fail(w->err, w->errlen, "'backup' can only be set in a scenario");
		l->backup = true;
	} else {
		return fail(w->err, w->errlen, "unknown link parameter '%s'", kw);
	}
	return 0;
}

int
lab_link_apply(struct lab_link *l, int argc, char **argv, enum lab_ctx ctx, char *err,
    size_t errlen)
{
	struct words w = { argc, argv, 0, err, errlen };
	int mask = LAB_BOTH;

	while (w.i < w.argc) {
		const char *kw = w.argv[w.i];
		if (strcmp(kw, "up") == 0) {
			mask = 1 << LAB_UP;
			w.i++;
		} else if (strcmp(kw, "down") == 0) {
			mask = 1 << LAB_DOWN;
			w.i++;
		} else if (strcmp(kw, "both") == 0) {
			mask = LAB_BOTH;
			w.i++;
		} else if (read_word(&w, l, mask, ctx) == -1) {
			return -1;
		}
	}
	return 0;
}

static const char *
fmt_time(char *b, size_t len, uint64_t ns)
{
	if (ns == 0)
		snprintf(b, len, "0");
	else if (ns % 1000000000ull == 0)
		snprintf(b, len, "%" PRIu64 "s", ns / UINT64_C(1000000000));
	else if (ns % 1000000 == 0)
		snprintf(b, len, "%" PRIu64 "ms", ns / 1000000);
	else if (ns % 1000 == 0)
		snprintf(b, len, "%" PRIu64 "us", ns / 1000);
	else
		snprintf(b, len, "%" PRIu64 "ns", ns);
	return b;
}

static const char *
fmt_rate(char *b, size_t len, uint64_t bps)
{
	(void)units_format_bitrate(b, len, bps);	/* the callers' buffers fit any value */
	return b;
}

static const char *
fmt_prob(char *b, size_t len, uint32_t ppb)
{
	/* ppb / 10^7 percent, with the decimals that are not zero. */
	uint32_t ip = ppb / 10000000, fp = ppb % 10000000;
	int digits = 7;

	if (ppb == 0) {
		snprintf(b, len, "0");
		return b;
	}
	while (fp && fp % 10 == 0) {
		fp /= 10;
		digits--;
	}
	if (fp)
		snprintf(b, len, "%" PRIu32 ".%0*" PRIu32 "%%", ip, digits, fp);
	else
		snprintf(b, len, "%" PRIu32 "%%", ip);
	return b;
}

/* An appender over a fixed buffer: remembers overflow instead of checking every call. */
struct out {
	char	*buf;
	size_t	 len, n;
	int	 over;
};

static void __attribute__((format(printf, 2, 3)))
add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->over)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->buf + o->n, o->len - o->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= o->len - o->n)
		o->over = 1;
	else
		o->n += (size_t)r;
}

int
lab_dir_format(const struct lab_dir *d, char *buf, size_t len)
{
	struct out o = { buf, len, 0, 0 };
	char a[32], b[32];

	if (len == 0)
		return -1;
	add(&o, "rate %s delay %s", fmt_rate(a, sizeof(a), d->rate),
	    fmt_time(b, sizeof(b), d->delay));
	add(&o, " jitter %s %s", fmt_time(a, sizeof(a), d->jitter),
	    d->jitter_dist == LAB_JITTER_NORMAL ? "normal" : "uniform");
	if (d->loss_kind == LAB_LOSS_GE) {
		add(&o, " loss ge %s", fmt_prob(a, sizeof(a), d->ge_p));
		add(&o, " %s", fmt_prob(a, sizeof(a), d->ge_r));
		add(&o, " %s", fmt_prob(a, sizeof(a), d->ge_bad));
		add(&o, " %s", fmt_prob(a, sizeof(a), d->ge_good));
	} else {
		add(&o, " loss %s", fmt_prob(a, sizeof(a), d->loss));
	}
	add(&o, " duplicate %s", fmt_prob(a, sizeof(a), d->dup));
	add(&o, " reorder %s gap %s", fmt_prob(a, sizeof(a), d->reorder),
	    fmt_time(b, sizeof(b), d->reorder_gap));
	if (d->queue_kind == LAB_QUEUE_TIME)
		add(&o, " queue %s", fmt_time(a, sizeof(a), d->queue));
	else
		add(&o, " queue %" PRIu64, d->queue);
	add(&o, " bucket %" PRIu64 " mtu %u", d->burst, d->mtu);
	return o.over ? -1 : (int)o.n;
}

int
lab_split(char *line, char **argv, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return -1;
		argv[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (*p)
			*p++ = '\0';
	}
}
