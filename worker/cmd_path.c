/* `gt-worker path`: glorytun 0.3.4's path command. With an address and a state or a setting it
 * changes (or creates) the path whose local address it is; otherwise it lists the paths,
 * optionally filtered by state and local address. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "commands.h"
#include "ctl.h"

static const char *
state_name(uint8_t s)
{
	switch (s) {
	case IPC_PATH_UP: return "UP";
	case IPC_PATH_BACKUP: return "BACKUP";
	case IPC_PATH_DOWN: return "DOWN";
	default: return "-";
	}
}

static void
ip_of(const struct mud_addr *a, char *buf, size_t size)
{
	if (!a->family || mud_addr_format_ip(a, buf, size) < 0)
		snprintf(buf, size, "-");
}

static void
print_path(const struct ipc_path_stats *p, int term, int first)
{
	char bind[MUD_ADDR_STRLEN], pub[MUD_ADDR_STRLEN], peer[MUD_ADDR_STRLEN];
	const char *state = state_name(p->state);
	const char *rate = p->fixed_rate ? "fixed" : "auto";
	unsigned loss_limit = p->loss_limit * 100u / 255;

	ip_of(&p->local, bind, sizeof(bind));
	ip_of(&p->public_addr, pub, sizeof(pub));
	ip_of(&p->remote, peer, sizeof(peer));
	if (cmd_json) {
		printf("%s{\"state\": \"%s\", \"ok\": %s, \"bind\": \"%s\", \"bind_port\": %u, "
		       "\"public\": \"%s\", \"public_port\": %u, \"peer\": \"%s\", \"peer_port\": %u, "
		       "\"mtu\": %u, \"rtt_ms\": %.3f, \"rttvar_ms\": %.3f, \"rate\": \"%s\", "
		       "\"losslimit\": %u, \"beat_ms\": %llu, \"tx_rate\": %llu, \"tx_loss\": %u, "
		       "\"tx_packets\": %llu, \"tx_bytes\": %llu, \"rx_rate\": %llu, \"rx_loss\": %u, "
		       "\"rx_packets\": %llu, \"rx_bytes\": %llu}",
		       first ? "" : ", ", state, p->ok ? "true" : "false", bind, p->local.port, pub,
		       p->public_addr.port, peer, p->remote.port, p->mtu, (double)p->rtt_us / 1e3,
		       (double)p->rttvar_us / 1e3, rate, loss_limit, (unsigned long long)p->beat_ms,
		       (unsigned long long)p->tx_rate, p->tx_loss * 100u / 255,
		       (unsigned long long)p->tx_packets, (unsigned long long)p->tx_bytes,
		       (unsigned long long)p->rx_rate, p->rx_loss * 100u / 255,
		       (unsigned long long)p->rx_packets, (unsigned long long)p->rx_bytes);
		return;
	}
	printf(term ? "path %s\n"
	              "  status:  %s\n"
	              "  bind:    %s port %u\n"
	              "  public:  %s port %u\n"
	              "  peer:    %s port %u\n"
	              "  mtu:     %u bytes\n"
	              "  rtt:     %.3f ms\n"
	              "  rttvar:  %.3f ms\n"
	              "  rate:    %s\n"
	              "  losslim: %u\n"
	              "  beat:    %llu ms\n"
	              "  tx:\n"
	              "    rate:  %llu bytes/sec\n"
	              "    loss:  %u percent\n"
	              "    total: %llu packets\n"
	              "  rx:\n"
	              "    rate:  %llu bytes/sec\n"
	              "    loss:  %u percent\n"
	              "    total: %llu packets\n"
	            : "path %s %s %s %u %s %u %s %u %u %.3f %.3f %s %u %llu %llu %u %llu %llu %u %llu\n",
	       state, p->ok ? "OK" : "DEGRADED", bind, p->local.port, pub, p->public_addr.port, peer,
	       p->remote.port, p->mtu, (double)p->rtt_us / 1e3, (double)p->rttvar_us / 1e3, rate,
	       loss_limit, (unsigned long long)p->beat_ms, (unsigned long long)p->tx_rate,
	       p->tx_loss * 100u / 255, (unsigned long long)p->tx_packets,
	       (unsigned long long)p->rx_rate, p->rx_loss * 100u / 255,
	       (unsigned long long)p->rx_packets);
}

static int
list_paths(int fd, uint8_t state, const struct mud_addr *addr)
{
	struct ctl_session s;
	int term = isatty(1), first = 1;

	if (ctl_session(fd, &s))
		return -1;
	if (cmd_json)
		printf("[");
	for (int i = 0; i < s.npaths; i++) {
		const struct ipc_path_stats *p = &s.paths[i];
		if (state && p->state != state)
			continue;
		if (addr->family && !mud_addr_ip_equal(addr, &p->local))
			continue;
		print_path(p, term, first);
		first = 0;
	}
	if (cmd_json)
		printf("]\n");
	return 0;
}

int
cmd_path(int argc, char **argv)
{
	struct ipc_path req;
	const char *dev = NULL;
	unsigned loss_limit = 0;
	uint64_t beat_ms = 0;

	memset(&req, 0, sizeof(req));
	struct cmd_arg ratez[] = {
		{ "fixed|auto", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		{ "tx", "BYTES/SEC", cmd_parse_bytes, &req.tx_rate, NULL, NULL, NULL, 0 },
		{ "rx", "BYTES/SEC", cmd_parse_bytes, &req.rx_rate, NULL, NULL, NULL, 0 },
		CMD_END,
	};
	struct cmd_arg pathz[] = {
		{ NULL, "IPADDR", cmd_parse_addr, &req.local, NULL, NULL, NULL, 0 },
		{ "dev", "NAME", cmd_parse_str, &dev, NULL, NULL, NULL, 0 },
		{ "up|backup|down", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		{ "rate", NULL, NULL, NULL, ratez, NULL, NULL, 0 },
		{ "beat", "SECONDS", cmd_parse_time_ms, &beat_ms, NULL, NULL, NULL, 0 },
		{ "losslimit", "PERCENT", cmd_parse_percent, &loss_limit, NULL, NULL, NULL, 0 },
		CMD_END,
	};

	if (cmd_parse(pathz, argc, argv, stdout))
		return 1;
	int fd = ctl_connect(dev);
	if (fd < 0) {
		ctl_connect_error("path", fd);
		return 1;
	}
	int set = cmd_is_set(pathz, "rate") || cmd_is_set(pathz, "beat") ||
	          cmd_is_set(pathz, "losslimit");
	if (set && !req.local.family) {
		fprintf(stderr, "please specify a path\n");
		close(fd);
		return 1;
	}
	if (cmd_is_set(pathz, "up"))
		req.state = IPC_PATH_UP;
	else if (cmd_is_set(pathz, "backup"))
		req.state = IPC_PATH_BACKUP;
	else if (cmd_is_set(pathz, "down"))
		req.state = IPC_PATH_DOWN;
	if (loss_limit)
		req.loss_limit = (uint8_t)(loss_limit * 255 / 100);
	if (cmd_is_set(ratez, "fixed"))
		req.rate_mode = IPC_RATE_FIXED;
	else if (cmd_is_set(ratez, "auto"))
		req.rate_mode = IPC_RATE_AUTO;
	req.beat_ms = beat_ms;

	int ret;
	if (!req.local.family || (!req.state && !set)) {
		ret = list_paths(fd, req.state, &req.local);
	} else {
		ret = ctl_request(fd, IPC_PATH, &req, sizeof(req));
	}
	if (ret)
		perror("path");
	close(fd);
	return !!ret;
}
