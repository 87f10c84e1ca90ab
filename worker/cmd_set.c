/* `gt-worker set [dev NAME] [tc CS|AF|EF] [kxtimeout T] [timetolerance T] [keepalive T]
 * [delay low|even|auto]`. Unlike glorytun 0.3.4, tc writes the DSCP in the upper six bits of the TOS
 * byte (the documented bug fix: glorytun wrote the code point unshifted). delay is ours: how
 * long received data waits for the slower paths (engine_set_delay()). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "commands.h"
#include "ctl.h"

/* CS0..CS7, AF11..AF43, EF: the DSCP value. */
static int
parse_dscp(void *dst, const char *w)
{
	int dscp;

	if (w[0] == 'C' && w[1] == 'S' && w[2] >= '0' && w[2] <= '7' && !w[3])
		dscp = (w[2] - '0') << 3;
	else if (w[0] == 'A' && w[1] == 'F' && w[2] >= '1' && w[2] <= '4' && w[3] >= '1' &&
	         w[3] <= '3' && !w[4])
		dscp = ((w[2] - '0') << 3) | ((w[3] - '0') << 1);
	else if (!strcmp(w, "EF"))
		dscp = 46;
	else
		return -1;
	*(int *)dst = dscp << 2;
	return 0;
}

static int
parse_delay(void *dst, const char *w)
{
	enum ipc_delay d = ipc_delay_from_name(w);

	if (d == IPC_DELAY_UNCHANGED)
		return -1;
	*(uint8_t *)dst = (uint8_t)d;
	return 0;
}

int
cmd_set(int argc, char **argv)
{
	const char *dev = NULL;
	struct ipc_conf conf = { .tos = -1 };
	struct cmd_arg args[] = {
		{ "dev", "NAME", cmd_parse_str, &dev, NULL, NULL, NULL, 0 },
		{ "tc", "CS|AF|EF", parse_dscp, &conf.tos, NULL, NULL, NULL, 0 },
		{ "kxtimeout", "SECONDS", cmd_parse_time_ms, &conf.kxtimeout_ms, NULL, NULL, NULL, 0 },
		{ "timetolerance", "SECONDS", cmd_parse_time_ms, &conf.timetolerance_ms, NULL, NULL,
		  NULL, 0 },
		{ "keepalive", "SECONDS", cmd_parse_time_ms, &conf.keepalive_ms, NULL, NULL, NULL, 0 },
		{ "delay", "low|even|auto", parse_delay, &conf.delay, NULL, NULL, NULL, 0 },
		CMD_END,
	};
	if (cmd_parse(args, argc, argv, stdout))
		return 1;
	int fd = ctl_connect(dev);
	if (fd < 0) {
		ctl_connect_error("set", fd);
		return 1;
	}
	int ret = ctl_request(fd, IPC_SET_CONF, &conf, sizeof(conf));
	if (ret)
		perror("set");
	close(fd);
	return !!ret;
}
