/* gt-worker: one tunnel's data plane. Spawned by the supervisor (`gt-worker spawned`, with the
 * IPC channel on fd 3), or run by hand as a drop-in for glorytun 0.3.4. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "spawned.h"

int cmd_json;

static const struct {
	const char *name;
	const char *help;
	int (*call)(int, char **);
} commands[] = {
	{ "show", "show tunnel info", cmd_show },
	{ "bench", "start a crypto bench", cmd_bench },
	{ "bind", "start a new tunnel", cmd_bind },
	{ "set", "change tunnel properties", cmd_set },
	{ "keygen", "generate a new secret key", cmd_keygen },
	{ "path", "manage paths", cmd_path },
	{ "version", "show version", cmd_version },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int
main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "spawned"))
		worker_spawned_main();
	if (argc > 1 && !strcmp(argv[1], "--json")) {
		cmd_json = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (argc > 1)
		for (size_t k = 0; k < NCOMMANDS; k++)
			if (!strcmp(commands[k].name, argv[1]))
				return commands[k].call(argc - 1, argv + 1);

	printf("available commands:\n\n");
	for (size_t k = 0; k < NCOMMANDS; k++)
		printf("  %-7s  %s\n", commands[k].name, commands[k].help);
	printf("\n");
	return 1;
}
