/* The command-line grammar of glorytun 0.3 (its "argz" library), so that gt-worker accepts the
 * same words, in any order, and answers a mistake with the same lines:
 *
 *   error: dev needs NAME
 *   error: `foo' is not a valid IPADDR for path
 *   error: up|backup|down is already set to `up'
 *   error: `bar' is unknown
 *   usage: path [IPADDR] ...
 *
 * A table lists the words a command takes. A named entry ("dev", or alternatives such as
 * "up|backup|down") matches one word and then takes a value when it has a parser; a positional
 * entry (name NULL) takes the first word its parser accepts. An entry may own a group of words
 * that may follow it ("to IPADDR PORT", "rate fixed tx 10mbit"). Each entry matches once.
 * Errors and usage go to the given stream (glorytun prints them on stdout). */
#ifndef GT_WORKER_CMDLINE_H
#define GT_WORKER_CMDLINE_H

#include <stdio.h>

struct cmd_arg {
	const char *name;                     /* NULL: positional */
	const char *kind;                     /* metavariable shown in errors and usage */
	int (*parse)(void *dst, const char *word); /* 0 if valid; NULL: the entry takes no value */
	void *dst;
	struct cmd_arg *group; /* NULL-name-and-kind terminated table of following words */

	/* Filled by cmd_parse. */
	const char *word;  /* the word that matched (which of "a|b|c") */
	const char *value; /* the value taken, if any */
	int set;
};

#define CMD_END { NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }

enum cmd_result { CMD_OK = 0, CMD_ERROR = 1, CMD_HELP = 2 };

/* argv[0] is the command's name; the words are argv[1..argc-1]. On CMD_ERROR the error line and
 * the usage have been printed to out; on CMD_HELP ("help" anywhere), the usage. */
enum cmd_result cmd_parse(struct cmd_arg *table, int argc, char **argv, FILE *out);

/* Whether the word (one alternative, e.g. "backup") was given, searching groups too. */
int cmd_is_set(const struct cmd_arg *table, const char *word);

void cmd_usage(const struct cmd_arg *table, const char *name, FILE *out);

/* Value parsers for cmd_arg.parse. */
int cmd_parse_str(void *dst, const char *word);     /* const char ** */
int cmd_parse_addr(void *dst, const char *word);    /* struct mud_addr * (port kept) */
int cmd_parse_port(void *dst, const char *word);    /* unsigned short * */
int cmd_parse_bytes(void *dst, const char *word);   /* uint64_t *, glorytun byte units */
int cmd_parse_time_ms(void *dst, const char *word); /* uint64_t *, glorytun time units */
int cmd_parse_percent(void *dst, const char *word); /* unsigned *, 0..100 */

#endif
