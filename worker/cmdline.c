#include "cmdline.h"

#include <stdint.h>
#include <string.h>

#include "proto/addr.h"
#include "util/units.h"

/* Is word one of the '|'-separated alternatives of names? */
static int
name_matches(const char *names, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = names; *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == len && !strncmp(p, word, n))
			return 1;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

struct parse_state {
	FILE *out;
	const char *cmd;
	/* The first word a positional entry refused, in case no other entry takes it. */
	const struct cmd_arg *refused_by;
	const char *refused_word;
	int error;
};

static const char *
label(const struct cmd_arg *a, const char *cmd)
{
	return a->name ? a->name : cmd;
}

/* Consumes words from args[0..n-1] with the table; returns how many, or -1 after an error. */
static int
parse_list(struct parse_state *st, struct cmd_arg *table, char **args, int n)
{
	int i = 0;

	while (i < n) {
		const char *w = args[i];
		int matched = 0;

		if (!strcmp(w, "help"))
			return -2;
		for (struct cmd_arg *a = table; a->name || a->kind; a++) {
			if (a->name) {
				if (!name_matches(a->name, w))
					continue;
				if (a->set) {
					fprintf(st->out, "error: %s is already set to `%s'\n", a->name,
					        a->value ? a->value : a->word);
					return -1;
				}
				a->word = w;
				i++;
				if (a->parse) {
					if (i >= n) {
						fprintf(st->out, "error: %s needs %s\n", a->name,
						        a->kind ? a->kind : "an argument");
						return -1;
					}
					if (a->parse(a->dst, args[i])) {
						fprintf(st->out, "error: `%s' is not a valid %s for %s\n",
						        args[i], a->kind ? a->kind : "argument", a->name);
						return -1;
					}
					a->value = args[i++];
				}
				a->set = 1;
				if (a->group) {
					int r = parse_list(st, a->group, args + i, n - i);
					if (r < 0)
						return r;
					i += r;
				}
			} else {
				if (a->set)
					continue;
				if (a->parse(a->dst, w)) {
					if (!st->refused_by) {
						st->refused_by = a;
						st->refused_word = w;
					}
					continue;
				}
				a->word = a->value = w;
				a->set = 1;
				i++;
			}
			matched = 1;
			break;
		}
		if (!matched)
			return i;
	}
	return i;
}

static int
usage_list(const struct cmd_arg *table, int indent, FILE *out)
{
	int len = 0;

	for (const struct cmd_arg *a = table; a->name || a->kind; a++) {
		if (a != table && a->name) {
			fprintf(out, "\n%*s", indent, "");
			len = 0;
		}
		len += fprintf(out, " %s", a->name ? "[" : "");
		if (a->name && a->kind)
			len += fprintf(out, "%s %s", a->name, a->kind);
		else
			len += fprintf(out, "%s", a->name ? a->name : a->kind);
		if (a->group)
			len += usage_list(a->group, indent + len, out);
		if (a->name)
			len += fprintf(out, "]");
	}
	return len;
}

void
cmd_usage(const struct cmd_arg *table, const char *name, FILE *out)
{
	int indent = fprintf(out, "usage: %s", name);

	if (indent > 40) {
		indent = 12;
		fprintf(out, "\n%*s", indent, "");
	}
	usage_list(table, indent, out);
	fprintf(out, "\n");
}

enum cmd_result
cmd_parse(struct cmd_arg *table, int argc, char **argv, FILE *out)
{
	struct parse_state st = { .out = out, .cmd = argv[0] };
	int n = argc - 1;
	int r = parse_list(&st, table, argv + 1, n);

	if (r == -2) {
		cmd_usage(table, argv[0], out);
		return CMD_HELP;
	}
	if (r == n)
		return CMD_OK;
	if (r >= 0) {
		const char *w = argv[1 + r];
		if (st.refused_by && st.refused_word == w)
			fprintf(out, "error: `%s' is not a valid %s for %s\n", w,
			        st.refused_by->kind ? st.refused_by->kind : "argument",
			        label(st.refused_by, argv[0]));
		else
			fprintf(out, "error: `%s' is unknown\n", w);
	}
	cmd_usage(table, argv[0], out);
	return CMD_ERROR;
}

int
cmd_is_set(const struct cmd_arg *table, const char *word)
{
	for (const struct cmd_arg *a = table; a->name || a->kind; a++) {
		if (a->set && a->word && !strcmp(a->word, word) && a->name)
			return 1;
		if (a->set && a->group && cmd_is_set(a->group, word))
			return 1;
	}
	return 0;
}

int
cmd_parse_str(void *dst, const char *word)
{
	*(const char **)dst = word;
	return 0;
}

int
cmd_parse_addr(void *dst, const char *word)
{
	struct mud_addr *a = dst;
	struct mud_addr tmp;

	if (mud_addr_parse(&tmp, word, a->port))
		return -1;
	*a = tmp;
	return 0;
}

int
cmd_parse_port(void *dst, const char *word)
{
	uint64_t v = 0;
	const char *p = word;

	if (*p == '+')
		p++;
	if (!*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > 65535)
			return -1;
	}
	*(unsigned short *)dst = (unsigned short)v;
	return 0;
}

int
cmd_parse_bytes(void *dst, const char *word)
{
	return units_parse_bytes(word, dst);
}

int
cmd_parse_time_ms(void *dst, const char *word)
{
	return units_parse_time_ms(word, dst);
}

int
cmd_parse_percent(void *dst, const char *word)
{
	return units_parse_percent(word, dst);
}
