/* Lab scenarios: a file of statements, one per line (a trailing backslash continues a line,
 * '#' starts a comment):
 *
 *   seed N                                  the seed of every random choice (default 1)
 *   stats T                                 how often emulators write counters (default 250ms)
 *   node NAME concentrator|site
 *   node NAME host via NODE                 a host behind a site or the concentrator
 *   link SITE NAME [PARAMS]                 an emulated link from SITE to the concentrator
 *   at T link [SITE] NAME cut|restore [up|down|both]
 *   at T link [SITE] NAME set PARAMS        PARAMS as in lab_link.h
 *
 * Names: [a-z][a-z0-9]{0,7}, unique across nodes and links; "emu" is reserved. A scenario has
 * one concentrator, at least one site, and every site at least one link. Errors name the file
 * and the line: "demo.scn:12: unknown statement 'lnk'". */
#ifndef GT_LAB_SCN_H
#define GT_LAB_SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lab_link.h"

#define SCN_NAME_MAX	8
#define SCN_NODES_MAX	64
#define SCN_LINKS_MAX	64
#define SCN_EVENTS_MAX	256
#define SCN_ARGS_MAX	256
#define SCN_LINE_MAX	1024

enum scn_role { SCN_CONCENTRATOR, SCN_SITE, SCN_HOST };
enum scn_action { SCN_CUT, SCN_RESTORE, SCN_SET };

struct scn_node {
	char		name[SCN_NAME_MAX + 1];
	int		role;		/* enum scn_role */
	int		via;		/* hosts: index of the gateway node; others: -1 */
	int		line;
};

struct scn_link {
	char		name[SCN_NAME_MAX + 1];
	int		site;		/* index of the site node */
	struct lab_link	params;
	int		line;
};

struct scn_event {
	uint64_t	at;		/* ns after the timeline starts */
	int		link;		/* index of the link */
	int		action;		/* enum scn_action */
	int		mask;		/* cut/restore: the directions */
	char		args[SCN_ARGS_MAX];	/* set: the PARAMS words */
	int		line;
};

struct scenario {
	uint64_t	seed;
	uint64_t	stats_interval;	/* ns */
	int		nnodes, nlinks, nevents;
	struct scn_node	nodes[SCN_NODES_MAX];
	struct scn_link	links[SCN_LINKS_MAX];
	struct scn_event events[SCN_EVENTS_MAX];	/* sorted by time, then by line */
};

/* Reads a scenario; NAME is the file name errors start with. On error returns -1 with
 * "NAME:LINE: message" in err (LINE 0 for errors about the whole file). */
int	scn_parse(FILE *, const char *name, struct scenario *, char *err, size_t errlen);
int	scn_load(const char *path, struct scenario *, char *err, size_t errlen);

int	scn_find_node(const struct scenario *, const char *name);
int	scn_find_link(const struct scenario *, const char *name);
int	scn_concentrator(const struct scenario *);

#endif
