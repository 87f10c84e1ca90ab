#include <sodium.h>
#include <stdio.h>

#include "cmdline.h"
#include "commands.h"

/* The glorytun version this worker is a drop-in for. */
#define GT_WORKER_VERSION "0.3.4"

int
cmd_version(int argc, char **argv)
{
	struct cmd_arg args[] = {
		{ "libsodium", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		CMD_END,
	};

	if (cmd_parse(args, argc, argv, stdout))
		return 1;
	if (cmd_is_set(args, "libsodium"))
		printf("%s\n", sodium_version_string());
	else
		printf("%s\n", GT_WORKER_VERSION);
	return 0;
}
