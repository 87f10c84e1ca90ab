/* The scenario parser (see scn.h): line by line, every error with its line number. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_units.h"
#include "scn.h"

#define MS 1000000ull

struct parser {
	struct scenario	*s;
	const char	*name;
	int		 line;
	char		*err;
	size_t		 errlen;
	int		 has_seed, has_stats;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, msg);
	return -1;
}

int
scn_find_node(const struct scenario *s, const char *name)
{
	for (int i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return i;
	return -1;
}

int
scn_find_link(const struct scenario *s, const char *name)
{
	for (int i = 0; i < s->nlinks; i++)
		if (strcmp(s->links[i].name, name) == 0)
			return i;
	return -1;
}

int
scn_concentrator(const struct scenario *s)
{
	for (int i = 0; i < s->nnodes; i++)
		if (s->nodes[i].role == SCN_CONCENTRATOR)
			return i;
	return -1;
}

/* A new name: well-formed, not reserved, not taken by a node or a link. */
static int
new_name(struct parser *p, const char *what, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SCN_NAME_MAX || name[0] < 'a' || name[0] > 'z' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789") != n)
		return fail(p, "%s name '%s': expected 1 to %d characters of [a-z0-9], "
		    "starting with a letter", what, name, SCN_NAME_MAX);
	if (strcmp(name, "emu") == 0)
		return fail(p, "%s name 'emu' is reserved for the emulators' namespace", what);
	if (scn_find_node(p->s, name) != -1)
		return fail(p, "'%s' is already a node (line %d)", name,
		    p->s->nodes[scn_find_node(p->s, name)].line);
	if (scn_find_link(p->s, name) != -1)
		return fail(p, "'%s' is already a link (line %d)", name,
		    p->s->links[scn_find_link(p->s, name)].line);
	return 0;
}

static int
st_seed(struct parser *p, int argc, char **argv)
{
	if (argc != 2)
		return fail(p, "usage: seed N");
	if (p->has_seed)
		return fail(p, "a second 'seed'");
	if (lab_parse_count(argv[1], UINT64_MAX, &p->s->seed) == -1)
		return fail(p, "seed '%s': expected a whole number", argv[1]);
	p->has_seed = 1;
	return 0;
}

static int
st_stats(struct parser *p, int argc, char **argv)
{
	uint64_t t;

	if (argc != 2)
		return fail(p, "usage: stats INTERVAL");
	if (p->has_stats)
		return fail(p, "a second 'stats'");
	if (lab_parse_time(argv[1], &t) == -1 || t < 10 * MS || t > 10000 * MS)
		return fail(p, "stats '%s': expected an interval from 10ms to 10s", argv[1]);
	p->s->stats_interval = t;
	p->has_stats = 1;
	return 0;
}

static int
st_node(struct parser *p, int argc, char **argv)
{
	struct scenario *s = p->s;
	struct scn_node *n;
	int role, via = -1;

	if (argc < 3)
		return fail(p, "usage: node NAME concentrator|site, or node NAME host via NODE");
	if (new_name(p, "node", argv[1]) == -1)
		return -1;
	if (strcmp(argv[2], "concentrator") == 0)
		role = SCN_CONCENTRATOR;
	else if (strcmp(argv[2], "site") == 0)
		role = SCN_SITE;
	else if (strcmp(argv[2], "host") == 0)
		role = SCN_HOST;
	else
		return fail(p, "node role '%s': expected concentrator, site or host", argv[2]);
	if (role == SCN_HOST) {
		if (argc != 5 || strcmp(argv[3], "via") != 0)
			return fail(p, "usage: node NAME host via NODE");
		if ((via = scn_find_node(s, argv[4])) == -1)
			return fail(p, "unknown node '%s' (nodes are defined before use)", argv[4]);
		if (s->nodes[via].role == SCN_HOST)
			return fail(p, "'%s' is a host: hosts sit behind a site or the "
			    "concentrator", argv[4]);
	} else if (argc != 3) {
		return fail(p, "unexpected '%s' after the role", argv[3]);
	}
	if (role == SCN_CONCENTRATOR && scn_concentrator(s) != -1)
		return fail(p, "a second concentrator (the first is '%s', line %d)",
		    s->nodes[scn_concentrator(s)].name, s->nodes[scn_concentrator(s)].line);
	if (s->nnodes == SCN_NODES_MAX)
		return fail(p, "more than %d nodes", SCN_NODES_MAX);
	n = &s->nodes[s->nnodes++];
	snprintf(n->name, sizeof(n->name), "%s", argv[1]);
	n->role = role;
	n->via = via;
	n->line = p->line;
	return 0;
}

static int
st_link(struct parser *p, int argc, char **argv)
{
	struct scenario *s = p->s;
	struct scn_link *l;
	char msg[256];
	int site;

	if (argc < 3)
		return fail(p, "usage: link SITE NAME [PARAMS]");
	if ((site = scn_find_node(s, argv[1])) == -1)
		return fail(p, "unknown site '%s' (nodes are defined before use)", argv[1]);
	if (s->nodes[site].role != SCN_SITE)
		return fail(p, "'%s' is not a site: links join a site to the concentrator",
		    argv[1]);
	if (new_name(p, "link", argv[2]) == -1)
		return -1;
	if (s->nlinks == SCN_LINKS_MAX)
		return fail(p, "more than %d links", SCN_LINKS_MAX);
	l = &s->links[s->nlinks];
	snprintf(l->name, sizeof(l->name), "%s", argv[2]);
	l->site = site;
	l->line = p->line;
	lab_link_init(&l->params);
	if (lab_link_apply(&l->params, argc - 3, argv + 3, LAB_CTX_SCENARIO, msg,
	    sizeof(msg)) == -1)
		return fail(p, "link %s: %s", argv[2], msg);
	s->nlinks++;
	return 0;
}

static int
read_mask(const char *w, int *mask)
{
	if (strcmp(w, "up") == 0)
		*mask = 1 << LAB_UP;
	else if (strcmp(w, "down") == 0)
		*mask = 1 << LAB_DOWN;
	else if (strcmp(w, "both") == 0)
		*mask = LAB_BOTH;
	else
		return -1;
	return 0;
}

static int
st_at(struct parser *p, int argc, char **argv)
{
	struct scenario *s = p->s;
	struct scn_event *e;
	struct lab_link copy;
	char msg[256];
	uint64_t at;
	int li, i = 3, mask = LAB_BOTH, action;

	if (argc < 5 || strcmp(argv[2], "link") != 0)
		return fail(p, "usage: at TIME link [SITE] NAME cut|restore|set ...");
	if (lab_parse_time(argv[1], &at) == -1)
		return fail(p, "time '%s': expected a time such as 10s or 2500ms", argv[1]);
	/* An optional site before the link name. */
	if ((li = scn_find_link(s, argv[i])) == -1) {
		int site = scn_find_node(s, argv[i]);
		if (site == -1 || s->nodes[site].role != SCN_SITE)
			return fail(p, "unknown link '%s' (links are defined before use)",
			    argv[i]);
		i++;
		if ((li = scn_find_link(s, argv[i])) == -1)
			return fail(p, "unknown link '%s' (links are defined before use)",
			    argv[i]);
		if (s->links[li].site != site)
			return fail(p, "link '%s' belongs to site '%s', not '%s'", argv[i],
			    s->nodes[s->links[li].site].name, argv[i - 1]);
	}
	i++;
	if (i >= argc)
		return fail(p, "missing action: cut, restore or set");
	if (strcmp(argv[i], "cut") == 0)
		action = SCN_CUT;
	else if (strcmp(argv[i], "restore") == 0)
		action = SCN_RESTORE;
	else if (strcmp(argv[i], "set") == 0)
		action = SCN_SET;
	else
		return fail(p, "action '%s': expected cut, restore or set", argv[i]);
	i++;
	if (s->nevents == SCN_EVENTS_MAX)
		return fail(p, "more than %d events", SCN_EVENTS_MAX);
	e = &s->events[s->nevents];
	memset(e, 0, sizeof(*e));
	if (action == SCN_SET) {
		if (i >= argc)
			return fail(p, "'set' needs parameters such as 'rate 10mbit'");
		/* Check the words now; they are applied when the event comes. */
		copy = s->links[li].params;
		size_t n = 0;
		for (int j = i; j < argc; j++) {
			int r = snprintf(e->args + n, sizeof(e->args) - n, "%s%s", n ? " " : "",
			    argv[j]);
			if (r < 0 || (size_t)r >= sizeof(e->args) - n)
				return fail(p, "'set' parameters longer than %d characters",
				    SCN_ARGS_MAX - 1);
			n += (size_t)r;
		}
		if (lab_link_apply(&copy, argc - i, argv + i, LAB_CTX_RUNTIME, msg,
		    sizeof(msg)) == -1)
			return fail(p, "link %s: %s", s->links[li].name, msg);
	} else if (i < argc) {
		if (read_mask(argv[i], &mask) == -1)
			return fail(p, "'%s': expected up, down or both", argv[i]);
		if (++i < argc)
			return fail(p, "unexpected '%s'", argv[i]);
	}
	e->at = at;
	e->link = li;
	e->action = action;
	e->mask = mask;
	e->line = p->line;
	s->nevents++;
	return 0;
}

static int
statement(struct parser *p, char *text)
{
	char *argv[SCN_LINE_MAX / 2];
	char *hash;
	int argc;

	if ((hash = strchr(text, '#')) != NULL)
		*hash = '\0';
	if ((argc = lab_split(text, argv, (int)(sizeof(argv) / sizeof(argv[0])))) == -1)
		return fail(p, "too many words");
	if (argc == 0)
		return 0;
	if (strcmp(argv[0], "seed") == 0)
		return st_seed(p, argc, argv);
	if (strcmp(argv[0], "stats") == 0)
		return st_stats(p, argc, argv);
	if (strcmp(argv[0], "node") == 0)
		return st_node(p, argc, argv);
	if (strcmp(argv[0], "link") == 0)
		return st_link(p, argc, argv);
	if (strcmp(argv[0], "at") == 0)
		return st_at(p, argc, argv);
	return fail(p, "unknown statement '%s' (expected seed, stats, node, link or at)",
	    argv[0]);
}

/* The whole file's rules, checked once every line is read. */
static int
check(struct parser *p)
{
	struct scenario *s = p->s;
	int nsites = 0;

	p->line = 0;
	if (scn_concentrator(s) == -1)
		return fail(p, "no concentrator (node NAME concentrator)");
	for (int i = 0; i < s->nnodes; i++) {
		int n = 0;
		if (s->nodes[i].role != SCN_SITE)
			continue;
		nsites++;
		for (int j = 0; j < s->nlinks; j++)
			n += s->links[j].site == i;
		if (n == 0) {
			p->line = s->nodes[i].line;
			return fail(p, "site '%s' has no link", s->nodes[i].name);
		}
	}
	if (nsites == 0)
		return fail(p, "no site (node NAME site)");
	return 0;
}

static int
by_time(const void *a, const void *b)
{
	const struct scn_event *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->line - y->line;
}

int
scn_parse(FILE *f, const char *name, struct scenario *s, char *err, size_t errlen)
{
	struct parser p = { s, name, 0, err, errlen, 0, 0 };
	char buf[SCN_LINE_MAX + 2], text[SCN_LINE_MAX + 1];
	size_t tlen = 0;
	int phys = 0, start = 0, cont = 0;

	memset(s, 0, sizeof(*s));
	s->seed = 1;
	s->stats_interval = 250 * MS;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		size_t n = strlen(buf);
		p.line = ++phys;
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		else if (!feof(f))
			return fail(&p, "line longer than %d characters", SCN_LINE_MAX);
		for (size_t i = 0; i < n; i++) {
			int ch = (unsigned char)buf[i];
			if (ch < 0x20 && ch != '\t' && ch != '\r')
				return fail(&p, "control character 0x%02x in the line", ch);
		}
		if (!cont) {
			start = phys;
			tlen = 0;
		}
		/* A backslash at the end (blanks after it allowed) continues the statement,
		 * unless it is inside a comment. */
		char *hash = memchr(buf, '#', n);
		size_t end = n;
		while (end > 0 && (buf[end - 1] == ' ' || buf[end - 1] == '\t' ||
		    buf[end - 1] == '\r'))
			end--;
		cont = end > 0 && buf[end - 1] == '\\' && (hash == NULL || hash > buf + end - 1);
		if (cont)
			n = end - 1;
		if (tlen + n + 1 > SCN_LINE_MAX)
			return fail(&p, "statement longer than %d characters", SCN_LINE_MAX);
		memcpy(text + tlen, buf, n);
		tlen += n;
		text[tlen++] = ' ';
		text[tlen] = '\0';
		if (cont)
			continue;
		/* A statement's errors name the line it starts on. */
		p.line = start;
		if (statement(&p, text) == -1)
			return -1;
	}
	p.line = phys;
	if (ferror(f))
		return fail(&p, "read error: %s", strerror(errno));
	if (cont)
		return fail(&p, "the file ends in a continued line");
	if (check(&p) == -1)
		return -1;
	qsort(s->events, (size_t)s->nevents, sizeof(s->events[0]), by_time);
	return 0;
}

int
scn_load(const char *path, struct scenario *s, char *err, size_t errlen)
{
	FILE *f;
	int r;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	r = scn_parse(f, path, s, err, errlen);
	fclose(f);
	return r;
}
