/* gt-labscn: checks lab scenarios and prints their plan for gtlab.
 *
 *   gt-labscn check FILE...     exit 0 if every file is a valid scenario; else print
 *                               "FILE:LINE: message" on stderr and exit 1
 *   gt-labscn plan FILE         print the plan (scn_plan.h) */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "scn_plan.h"

static struct scenario scn;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: gt-labscn check FILE...\n       gt-labscn plan FILE\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	char msg[600];
	int bad = 0;

	if (argc < 3)
		usage();
	if (strcmp(argv[1], "check") == 0) {
		for (int i = 2; i < argc; i++) {
			if (scn_load(argv[i], &scn, msg, sizeof(msg)) == -1) {
				fprintf(stderr, "%s\n", msg);
				bad = 1;
			}
		}
		return bad;
	}
	if (strcmp(argv[1], "plan") == 0 && argc == 3) {
		if (scn_load(argv[2], &scn, msg, sizeof(msg)) == -1) {
			fprintf(stderr, "%s\n", msg);
			return 1;
		}
		if (plan_print(&scn, stdout) == -1 || fflush(stdout) == EOF)
			errx(1, "%s: cannot print the plan", argv[2]);
		return 0;
	}
	usage();
}
