/* `gt-worker show [dev NAME] [bad]`, glorytun 0.3.4's output (piped: one line; on a terminal:
 * labelled blocks; with --json: one JSON document). The cipher shown is the one the session
 * uses, not only the local preference. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "commands.h"
#include "ctl.h"

static const char *
cipher_name(uint8_t c)
{
	return c == IPC_CIPHER_AEGIS256 ? "aegis256" : "chacha20poly1305";
}

static void
addr_parts(const struct mud_addr *a, char *ip, size_t size, unsigned *port)
{
	if (!a->family || mud_addr_format_ip(a, ip, size) < 0)
		snprintf(ip, size, "-");
	*port = a->port;
}

static void
bad_line(int term, const char *name, uint64_t count, const struct mud_addr *from)
{
	char ip[MUD_ADDR_STRLEN];
	unsigned port;

	if (!count)
		return;
	addr_parts(from, ip, sizeof(ip), &port);
	if (cmd_json)
		return;
	if (term)
		printf("%s:\n  count: %llu\n  last:  %s port %u\n", name, (unsigned long long)count, ip,
		       port);
	else
		printf("%s %llu %s %u\n", name, (unsigned long long)count, ip, port);
}

static void
show_bad(const struct ctl_session *s, int term)
{
	const struct ipc_stats *st = &s->stats;

	if (cmd_json) {
		char a[3][MUD_ADDR_STRLEN];
		mud_addr_format(&st->bad_decrypt_from, ' ', a[0], sizeof(a[0]));
		mud_addr_format(&st->bad_difftime_from, ' ', a[1], sizeof(a[1]));
		mud_addr_format(&st->bad_keyx_from, ' ', a[2], sizeof(a[2]));
		printf("{\"decrypt\": %llu, \"difftime\": %llu, \"keyx\": %llu, \"replay\": %llu, "
		       "\"dialect\": %llu, \"decrypt_last\": \"%s\", \"difftime_last\": \"%s\", "
		       "\"keyx_last\": \"%s\"}\n",
		       (unsigned long long)st->bad_decrypt, (unsigned long long)st->bad_difftime,
		       (unsigned long long)st->bad_keyx, (unsigned long long)st->bad_replay,
		       (unsigned long long)st->bad_dialect, a[0], a[1], a[2]);
		return;
	}
	bad_line(term, "decrypt", st->bad_decrypt, &st->bad_decrypt_from);
	bad_line(term, "difftime", st->bad_difftime, &st->bad_difftime_from);
	bad_line(term, "keyx", st->bad_keyx, &st->bad_keyx_from);
}

static void
show_status(const struct ctl_session *s, int term)
{
	const struct ipc_status *st = &s->status;
	char bind[MUD_ADDR_STRLEN], peer[MUD_ADDR_STRLEN];
	unsigned bport, pport;
	const char *cipher = cipher_name(s->stats.cipher);
	int server = st->role == IPC_ROLE_SERVER;

	addr_parts(&st->bind, bind, sizeof(bind), &bport);
	addr_parts(&st->peer, peer, sizeof(peer), &pport);
	if (cmd_json) {
		printf("{\"role\": \"%s\", \"tunnel\": \"%s\", \"pid\": %u, \"bind\": \"%s\", "
		       "\"bind_port\": %u, \"peer\": \"%s\", \"peer_port\": %u, \"mtu\": %u, "
		       "\"cipher\": \"%s\", \"dialect\": \"%s\", \"delay\": \"%s\", "
		       "\"paths\": %d}\n",
		       server ? "server" : "client", st->ifname, st->pid, bind, bport, peer, pport,
		       st->mtu, cipher, s->stats.dialect == IPC_DIALECT_MASTER ? "master" : "0.3.4",
		       ipc_delay_name(s->stats.delay) ? ipc_delay_name(s->stats.delay) : "?",
		       s->npaths);
	} else if (server) {
		printf(term ? "server %s:\n  pid:    %u\n  bind:   %s port %u\n  mtu:    %u\n"
		              "  cipher: %s\n"
		            : "server %s %u %s %u %u %s\n",
		       st->ifname, st->pid, bind, bport, st->mtu, cipher);
	} else {
		printf(term ? "client %s:\n  pid:    %u\n  bind:   %s port %u\n  peer:   %s port %u\n"
		              "  mtu:    %u\n  cipher: %s\n"
		            : "client %s %u %s %u %s %u %u %s\n",
		       st->ifname, st->pid, bind, bport, peer, pport, st->mtu, cipher);
	}
}

int
cmd_show(int argc, char **argv)
{
	const char *dev = NULL;
	struct cmd_arg args[] = {
		{ "dev", "NAME", cmd_parse_str, &dev, NULL, NULL, NULL, 0 },
		{ "bad", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		CMD_END,
	};
	struct ctl_session s;

	if (cmd_parse(args, argc, argv, stdout))
		return 1;
	int fd = ctl_connect(dev);
	if (fd < 0) {
		ctl_connect_error("show", fd);
		return 1;
	}
	if (ctl_session(fd, &s)) {
		perror("show");
		close(fd);
		return 1;
	}
	close(fd);
	if (cmd_is_set(args, "bad"))
		show_bad(&s, isatty(1));
	else
		show_status(&s, isatty(1));
	return 0;
}
