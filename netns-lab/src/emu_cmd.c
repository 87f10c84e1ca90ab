/* What the emulator's commands and timeline events do: cut, restore, set, show, start. It works
 * on the state it is given at the time it is given (the caller reads the clock), and knows
 * nothing of sockets or of the loop. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emu.h"

static const char *const dirname[] = { "up", "down" };

static int __attribute__((format(printf, 3, 4)))
reply(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int
cmd_apply(struct emu *e, int mask, int action, const char *args, char *err, size_t errlen)
{
	struct lab_link l;
	char buf[SCN_ARGS_MAX + EMU_MSG_MAX], *argv[EMU_MSG_MAX / 2];
	int argc;

	switch (action) {
	case SCN_CUT:
		for (int d = 0; d < 2; d++) {
			if (!(mask & (1 << d)))
				continue;
			e->dir[d].m.cut = true;
			io_flush(e, d);
		}
		return 0;
	case SCN_RESTORE:
		for (int d = 0; d < 2; d++)
			if (mask & (1 << d))
				e->dir[d].m.cut = false;
		return 0;
	case SCN_SET:
		/* The words name their directions; work on a copy, keep it if all is well. */
		l = e->scn.links[e->link].params;
		l.dir[LAB_UP] = e->dir[LAB_UP].m.p;
		l.dir[LAB_DOWN] = e->dir[LAB_DOWN].m.p;
		if (snprintf(buf, sizeof(buf), "%s", args) >= (int)sizeof(buf)) {
			snprintf(err, errlen, "parameters too long");
			return -1;
		}
		if ((argc = lab_split(buf, argv, (int)(sizeof(argv) / sizeof(argv[0])))) <= 0) {
			snprintf(err, errlen, "'set' needs parameters such as 'rate 10mbit'");
			return -1;
		}
		if (lab_link_apply(&l, argc, argv, LAB_CTX_RUNTIME, err, errlen) == -1)
			return -1;
		e->dir[LAB_UP].m.p = l.dir[LAB_UP];
		e->dir[LAB_DOWN].m.p = l.dir[LAB_DOWN];
		return 0;
	}
	snprintf(err, errlen, "unknown action");
	return -1;
}

void
cmd_timeline(struct emu *e, uint64_t now)
{
	char err[256];

	if (!e->started || now < e->t0)
		return;
	if (e->reseed) {
		/* A run's random choices count from the start of its timeline. */
		for (int d = 0; d < 2; d++) {
			char label[64];
			snprintf(label, sizeof(label), "%s/%s", e->label, dirname[d]);
			model_reseed(&e->dir[d].m, e->scn.seed, label);
		}
		e->reseed = false;
	}
	while (e->next_event < e->scn.nevents) {
		const struct scn_event *ev = &e->scn.events[e->next_event];
		if (e->t0 + ev->at > now)
			break;
		e->next_event++;
		if (ev->link != e->link)
			continue;
		if (cmd_apply(e, ev->mask, ev->action, ev->args, err, sizeof(err)) == -1)
			fprintf(stderr, "gt-linkemu: %s: event of line %d: %s\n", e->label,
			    ev->line, err);
	}
}

/* Events of this link: done and in all. */
static void
count_events(const struct emu *e, int *done, int *all)
{
	*done = *all = 0;
	for (int i = 0; i < e->scn.nevents; i++) {
		if (e->scn.events[i].link != e->link)
			continue;
		(*all)++;
		*done += i < e->next_event;
	}
}

static int
show(struct emu *e, uint64_t now, char *out, size_t len)
{
	size_t n = 0;
	int done, all, r;
	char params[512];

	io_sockdrops(e, LAB_UP);
	io_sockdrops(e, LAB_DOWN);
	count_events(e, &done, &all);
	r = reply(out, len, "ok\nlink %s\n", e->label);
	if (r < 0)
		return -1;
	n += (size_t)r;
	if (e->started)
		r = reply(out + n, len - n, "timeline started t=%.3f events=%d/%d\n",
		    (double)(int64_t)(now - e->t0) / 1e9, done, all);
	else
		r = reply(out + n, len - n, "timeline waiting events=0/%d\n", all);
	if (r < 0)
		return -1;
	n += (size_t)r;
	for (int d = 0; d < 2; d++) {
		const struct model *m = &e->dir[d].m;
		const struct model_stats *st = &m->st;
		if (lab_dir_format(&m->p, params, sizeof(params)) == -1)
			return -1;
		r = reply(out + n, len - n, "%s state=%s ge=%s backlog=%" PRIu64 " delay_us=%"
		    PRIu64 " queued=%zu\n%s params %s\n", dirname[d], m->cut ? "cut" : "up",
		    m->ge_bad ? "bad" : "good", model_backlog(m, now), model_delay(m, now) / 1000,
		    e->dir[d].q.n, dirname[d], params);
		if (r < 0)
			return -1;
		n += (size_t)r;
		r = reply(out + n, len - n, "%s counters rx_pkts=%" PRIu64 " control=%" PRIu64
		    " rx_bytes=%" PRIu64 " tx_pkts=%" PRIu64 " tx_bytes=%" PRIu64 " lost=%" PRIu64 " qdrop=%" PRIu64
		    " cut=%" PRIu64 " oversize=%" PRIu64 " dup=%" PRIu64 " reordered=%" PRIu64
		    " other=%" PRIu64 " sockdrop=%" PRIu64 "\n", dirname[d], st->rx_pkts,
		    st->control, st->rx_bytes, st->tx_pkts, st->tx_bytes, st->lost, st->qdrop, st->cut,
		    st->oversize, st->dup, st->reordered, st->other, st->sockdrop);
		if (r < 0)
			return -1;
		n += (size_t)r;
	}
	return 0;
}

static int
read_mask(int argc, char **argv, int *mask)
{
	*mask = LAB_BOTH;
	if (argc == 1)
		return 0;
	if (argc > 2)
		return -1;
	if (strcmp(argv[1], "up") == 0)
		*mask = 1 << LAB_UP;
	else if (strcmp(argv[1], "down") == 0)
		*mask = 1 << LAB_DOWN;
	else if (strcmp(argv[1], "both") != 0)
		return -1;
	return 0;
}

int
cmd_run(struct emu *e, char *line, uint64_t now, char *out, size_t len)
{
	char *argv[EMU_MSG_MAX / 2], err[256];
	const char *rest;
	int argc, mask;
	uint64_t t;

	/* "set" keeps the rest of the line as it came. */
	rest = line + strspn(line, " \t");
	if (strncmp(rest, "set", 3) == 0 && (rest[3] == ' ' || rest[3] == '\t')) {
		if (cmd_apply(e, LAB_BOTH, SCN_SET, rest + 4, err, sizeof(err)) == -1)
			return reply(out, len, "error: %s\n", err);
		return reply(out, len, "ok\n");
	}
	argc = lab_split(line, argv, (int)(sizeof(argv) / sizeof(argv[0])));
	if (argc <= 0)
		return reply(out, len, "error: empty command\n");
	if (strcmp(argv[0], "set") == 0)
		return reply(out, len, "error: 'set' needs parameters such as 'rate 10mbit'\n");
	if (strcmp(argv[0], "show") == 0 && argc == 1) {
		if (show(e, now, out, len) == -1)
			return reply(out, len, "error: reply too long\n");
		return 0;
	}
	if (strcmp(argv[0], "cut") == 0 || strcmp(argv[0], "restore") == 0) {
		if (read_mask(argc, argv, &mask) == -1)
			return reply(out, len, "error: usage: %s [up|down|both]\n", argv[0]);
		cmd_apply(e, mask, argv[0][0] == 'c' ? SCN_CUT : SCN_RESTORE, "", err,
		    sizeof(err));
		return reply(out, len, "ok\n");
	}
	if (strcmp(argv[0], "start") == 0 && argc <= 2) {
		if (e->started)
			return reply(out, len, "error: the timeline has started already\n");
		if (argc == 2 && sscanf(argv[1], "%" SCNu64, &t) != 1)
			return reply(out, len, "error: usage: start [MONOTONIC_NS]\n");
		e->t0 = argc == 2 ? t : now;
		e->started = true;
		e->reseed = true;
		e->next_event = 0;
		e->next_stats = e->t0;
		return reply(out, len, "ok\n");
	}
	if (strcmp(argv[0], "stats") == 0 && argc == 1) {
		FILE *f = fmemopen(out, len, "w");
		if (f == NULL)
			return reply(out, len, "error: no memory\n");
		fputs("ok\n", f);
		stats_header(f);
		stats_line(e, f, now);
		if (fclose(f) == EOF)
			return reply(out, len, "error: reply too long\n");
		return 0;
	}
	if (strcmp(argv[0], "stop") == 0 && argc == 1) {
		e->stop = true;
		return reply(out, len, "ok\n");
	}
	if (strcmp(argv[0], "ping") == 0 && argc == 1)
		return reply(out, len, "ok\n");
	return reply(out, len, "error: unknown command '%s' (show, set, cut, restore, start, "
	    "stats, stop, ping)\n", argv[0]);
}
