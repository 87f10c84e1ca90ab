#define _GNU_SOURCE /* accept4 */
/* `gt-worker bind`: glorytun 0.3.4's command to start a tunnel, by hand.
 *
 * This process keeps the privileges the tunnel needs after start-up (setting the TUN MTU, by
 * name) and the control socket; the data plane runs in a child it spawns exactly as the
 * supervisor spawns workers (sys/spawn.h), which sandboxes itself before it reads a byte from
 * the network. Once the child has the TUN and the UDP socket this process closes its own: it
 * holds no data-plane descriptor. Without a descriptor it could no longer make the TUN
 * persistent when SIGHUP asks to keep it, so the TUN is persistent from the start and removed by
 * name at the end, unless `persist` or SIGHUP asked to keep it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdline.h"
#include "commands.h"
#include "crypto/aead.h"
#include "ctl.h"
#include "ipc/ipc.h"
#include "proto/engine.h"
#include "sandbox.h"
#include "sys/netif.h"
#include "sys/spawn.h"
#include "sys/tundev.h"
#include "sys/udpsock.h"
#include "util/keyfile.h"

#define REPLY_TIMEOUT_MS 3000
#define READY_TIMEOUT_MS 10000

struct tunnel {
	char ifname[IFNAMSIZ]; /* the TUN, known by name once the worker holds it */
	struct mud_addr bind, peer;
	const char *dev, *keyfile;
	int chan;       /* IPC channel to the worker */
	int logfd;      /* the worker's stderr */
	struct ctl_listener ctl; /* listening control socket */
	pid_t child;
	uint32_t seq;
	unsigned mtu;   /* TUN MTU applied */
	bool client, chacha, master, persist; /* persist: keep the TUN at the end */
	uint8_t cipher, dialect;
};

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
set_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Copies what the worker logged to our stderr. */
static void
relay_log(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

/* Applies the MTU the worker found (by name: the TUN descriptor is the worker's alone). */
static int
tunnel_handle_mtu(struct tunnel *t, const struct ipc_msg *m)
{
	struct ipc_mtu r = { .mtu = m->u.mtu.mtu };

	if (netif_set_mtu(t->ifname, (int)m->u.mtu.mtu) == -1) {
		r.error = errno;
		fprintf(stderr, "couldn't setup MTU at %u on device %s\n", m->u.mtu.mtu, t->ifname);
	} else {
		t->mtu = m->u.mtu.mtu;
	}
	return ipc_send(t->chan, IPC_MTU_SET, t->seq++, &r, sizeof(r), NULL, 0);
}

/* Reads the worker's next message, serving MTU requests and events on the way. Returns 1 with
 * a message, 0 when the worker is gone, -1 on a bad message or time-out. */
static int
worker_message(struct tunnel *t, struct ipc_msg *m, int timeout_ms)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = t->chan, .events = POLLIN },
			               { .fd = t->logfd, .events = POLLIN } };
		int n = poll(p, 2, timeout_ms);
		if (n > 0 && p[1].revents) {
			relay_log(t->logfd);
			if (!p[0].revents)
				continue;
		}
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (n < 0) {
			if (errno == EINTR && !got_signal)
				continue;
			return -1;
		}
		const char *why;
		int r = ipc_recv(t->chan, m, IPC_WORKER, IPC_SUPERVISOR, &why);
		if (r <= 0) {
			if (r < 0 && why)
				fprintf(stderr, "bad message from the worker: %s\n", why);
			return r;
		}
		if (m->hdr.type == IPC_MTU_REQ) {
			tunnel_handle_mtu(t, m);
			continue;
		}
		if (m->hdr.type == IPC_PATH_EVENT || m->hdr.type == IPC_EVENTS_LOST)
			continue; /* the worker logs them; both are worker -> supervisor only */
		if (m->hdr.type == IPC_STATS) {
			t->cipher = m->u.stats.cipher;
			t->dialect = m->u.stats.dialect;
		}
		return 1;
	}
}

static void
send_status(struct tunnel *t, int cli)
{
	struct ipc_status st;

	memset(&st, 0, sizeof(st));
	snprintf(st.ifname, sizeof(st.ifname), "%s", t->ifname);
	st.bind = t->bind;
	st.peer = t->peer;
	st.pid = (uint32_t)getpid();
	st.mtu = t->mtu;
	st.role = t->client ? IPC_ROLE_CLIENT : IPC_ROLE_SERVER;
	st.chacha = t->chacha;
	st.cipher = t->cipher;
	st.dialect = t->dialect;
	ipc_send(cli, IPC_STATUS, 0, &st, sizeof(st), NULL, 0);
}

/* Serves one request of `gt-worker path|show|set` by relaying it to the worker. */
static void
serve_cli(struct tunnel *t, int cli)
{
	struct ipc_msg req, rep;
	const char *why;

	if (ipc_recv(cli, &req, IPC_CTL, IPC_SUPERVISOR, &why) != 1)
		return;
	switch (req.hdr.type) {
	case IPC_PATH:
		/* the path's identity is the local IP with the bound port; its remote, the peer */
		req.u.path.local.port = t->bind.port;
		if (!req.u.path.remote.family)
			req.u.path.remote = t->peer;
		/* fall through */
	case IPC_SET_CONF:
		if (ipc_send(t->chan, req.hdr.type, t->seq++, req.u.raw, req.hdr.len, NULL, 0) == 0 &&
		    worker_message(t, &rep, REPLY_TIMEOUT_MS) == 1 && rep.hdr.type == IPC_RESULT)
			ipc_send(cli, IPC_RESULT, 0, &rep.u.result, sizeof(rep.u.result), NULL, 0);
		break;
	case IPC_STATS_REQ:
		if (ipc_send(t->chan, IPC_STATS_REQ, t->seq++, NULL, 0, NULL, 0))
			break;
		for (bool first = true;; first = false) {
			if (worker_message(t, &rep, REPLY_TIMEOUT_MS) != 1)
				break;
			if (first)
				send_status(t, cli);
			size_t len = rep.hdr.len;
			ipc_send(cli, rep.hdr.type, 0, rep.u.raw, len, NULL, 0);
			if (rep.hdr.type == IPC_STATS_END)
				break;
		}
		break;
	default:
		break;
	}
	ipc_msg_clear(&req);
}

/* After the worker ended: copies what is left; false at the end. */
static bool
relay_log_pending(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	return n > 0 && write(STDERR_FILENO, buf, (size_t)n) > 0;
}

static int
run_tunnel(struct tunnel *t)
{
	int status = 0;

	while (!got_signal) {
		struct pollfd p[3] = { { .fd = t->chan, .events = POLLIN },
			               { .fd = t->ctl.fd, .events = POLLIN },
			               { .fd = t->logfd, .events = POLLIN } };
		if (poll(p, 3, -1) < 0)
			continue;
		if (p[2].revents)
			relay_log(t->logfd);
		if (p[0].revents) {
			struct ipc_msg m;
			int r = worker_message(t, &m, 0);
			if (r == 0) {
				fprintf(stderr, "the worker stopped\n");
				status = 1;
				break;
			}
			if (r < 0 && errno != ETIMEDOUT) {
				status = 1;
				break;
			}
		}
		if (p[1].revents & POLLIN) {
			int cli = accept4(t->ctl.fd, NULL, NULL, SOCK_CLOEXEC);
			if (cli >= 0) {
				serve_cli(t, cli);
				close(cli);
			}
		}
	}
	if (got_signal == SIGCHLD) {
		fprintf(stderr, "the worker stopped\n");
		status = 1;
	}
	return status;
}

/* The words of `bind` into t. Returns 0, or -1 when the command line was wrong (said). */
static int
parse_args(struct tunnel *t, int argc, char **argv)
{
	unsigned short bind_port = 5000, peer_port = 5000;
	struct cmd_arg to[] = {
		{ NULL, "IPADDR", cmd_parse_addr, &t->peer, NULL, NULL, NULL, 0 },
		{ NULL, "PORT", cmd_parse_port, &peer_port, NULL, NULL, NULL, 0 },
		CMD_END,
	};
	struct cmd_arg bindz[] = {
		{ NULL, "IPADDR", cmd_parse_addr, &t->bind, NULL, NULL, NULL, 0 },
		{ NULL, "PORT", cmd_parse_port, &bind_port, NULL, NULL, NULL, 0 },
		{ "to", NULL, NULL, NULL, to, NULL, NULL, 0 },
		{ "dev", "NAME", cmd_parse_str, &t->dev, NULL, NULL, NULL, 0 },
		{ "keyfile", "FILE", cmd_parse_str, &t->keyfile, NULL, NULL, NULL, 0 },
		{ "chacha", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		{ "persist", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		{ "master", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		CMD_END,
	};

	if (cmd_parse(bindz, argc, argv, stdout))
		return -1;
	if (!t->keyfile || !t->keyfile[0]) {
		fprintf(stderr, "a keyfile is needed!\n");
		return -1;
	}
	t->bind.port = bind_port;
	t->peer.port = peer_port;
	t->client = t->peer.family != 0;
	t->chacha = cmd_is_set(bindz, "chacha");
	t->persist = cmd_is_set(bindz, "persist");
	t->master = cmd_is_set(bindz, "master");
	return 0;
}

static int
load_key(struct tunnel *t, uint8_t key[32])
{
	char err[512];

	if (aead_init()) {
		fprintf(stderr, "couldn't init sodium\n");
		return -1;
	}
	if (keyfile_read(t->keyfile, key, err, sizeof(err)) != KEYFILE_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (!t->chacha && !aead_aegis256_available()) {
		fprintf(stderr, "AES is not available, enjoy ChaCha20!\n");
		t->chacha = true;
	}
	return 0;
}

/* The UDP socket and the TUN (persistent: see the top of this file). */
static int
open_data_plane(struct tunnel *t, struct udp_sock *sock, struct tun_dev *tun)
{
	struct udp_config uc = { .v6only = false };
	struct tun_config tc = { .name = t->dev, .vnet = true, .persist = true };

	if (udp_open(sock, &t->bind, &uc)) {
		char a[MUD_ADDR_STRLEN];
		mud_addr_format(&t->bind, ' ', a, sizeof(a));
		fprintf(stderr, "couldn't bind %s: %s\n", a, strerror(errno));
		return -1;
	}
	if (tun_open(tun, &tc)) {
		fprintf(stderr, "couldn't create tun device\n");
		return -1;
	}
	snprintf(t->ifname, sizeof(t->ifname), "%s", tun->name);
	if (tun->txqlen < TUN_TXQLEN_DEFAULT)
		fprintf(stderr, "couldn't set the txqueuelen of %s to %d: it is %d\n", tun->name,
		        TUN_TXQLEN_DEFAULT, tun->txqlen);
	return 0;
}

static int
listen_ctl(struct tunnel *t)
{
	if (ctl_listen(t->ifname, &t->ctl) == 0)
		return 0;
	if (errno == EADDRINUSE)
		fprintf(stderr, "couldn't create %s: a tunnel on a device named %s is running "
		        "(in another network namespace?): choose another name with dev\n",
		        t->ctl.path, t->ifname);
	else if (t->ctl.path[0])
		fprintf(stderr, "couldn't create %s: %s\n", t->ctl.path, strerror(errno));
	else
		fprintf(stderr, "couldn't find a writable run/tmp directory\n");
	return -1;
}

static void
worker_config(const struct tunnel *t, const uint8_t key[32], struct ipc_config *c)
{
	struct engine_config ec;

	engine_config_default(&ec); /* the one source of the defaults */
	memset(c, 0, sizeof(*c));
	c->role = t->client ? IPC_ROLE_CLIENT : IPC_ROLE_SERVER;
	c->dialect = t->master ? IPC_DIALECT_MASTER : t->client ? IPC_DIALECT_V1 : IPC_DIALECT_AUTO;
	c->chacha = t->chacha;
	c->tos = (uint8_t)ec.tos;
	c->uid = c->gid = SANDBOX_NOBODY;
	c->kxtimeout_ms = ec.kxtimeout / 1000;
	c->timetolerance_ms = ec.time_tolerance / 1000;
	c->keepalive_ms = ec.keepalive / 1000;
	memcpy(c->psk, key, sizeof(c->psk));
	snprintf(c->name, sizeof(c->name), "gt-worker");
}

/* Spawns the worker and hands it the TUN and the socket, which are closed here in any case.
 * The worker's stderr is a pipe we copy to ours: the sandbox refuses a writable regular file
 * (its first write past RLIMIT_FSIZE 0 would kill the worker), and ours may be one. */
static int
hand_off(struct tunnel *t, const uint8_t key[32], struct udp_sock *sock, struct tun_dev *tun)
{
	char *argv[] = { "gt-worker", "spawned", NULL };
	struct spawn_cmd cmd = { .path = "/proc/self/exe", .argv = argv, .stderr_fd = -1 };
	struct ipc_config c;
	struct ipc_tun tn = { .mtu = (uint32_t)netif_get_mtu(tun->name) };
	struct ipc_socket so = { .local = t->bind };
	struct spawn_handoff h = { .config = &c, .tun_fd = tun->fd, .tun = &tn, .nsock = 1,
	                           .sock_fds = &sock->fd, .socks = &so };
	int lp[2], r = -1;

	snprintf(tn.ifname, sizeof(tn.ifname), "%s", tun->name);
	worker_config(t, key, &c);
	if (pipe2(lp, O_CLOEXEC) == -1) {
		perror("couldn't start the worker");
	} else {
		cmd.stderr_fd = lp[1];
		t->child = spawn_worker(&cmd, &t->chan);
		close(lp[1]);
		t->logfd = lp[0];
		if (t->child == -1)
			perror("couldn't start the worker");
		else if ((r = spawn_handoff(t->chan, &t->seq, &h)) == -1)
			perror("couldn't configure the worker");
	}
	sodium_memzero(&c, sizeof(c));
	udp_close(sock);
	tun_close(tun);
	return r;
}

static int
start_worker(struct tunnel *t, const uint8_t key[32], struct udp_sock *sock, struct tun_dev *tun)
{
	struct ipc_msg m;

	if (hand_off(t, key, sock, tun) == -1)
		return -1;
	if (worker_message(t, &m, READY_TIMEOUT_MS) != 1 || m.hdr.type != IPC_READY) {
		fprintf(stderr, "the worker did not start\n");
		return -1;
	}
	return 0;
}

/* Everything up to a running worker. */
static int
start_tunnel(struct tunnel *t, const uint8_t key[32])
{
	struct udp_sock sock = { .fd = -1 };
	struct tun_dev tun = { .fd = -1 };

	if (open_data_plane(t, &sock, &tun) == -1 || listen_ctl(t) == -1) {
		udp_close(&sock);
		tun_close(&tun);
		return -1;
	}
	set_signals();
	fprintf(stderr, "running on device %s as pid %li\n", t->ifname, (long)getpid());
	return start_worker(t, key, &sock, &tun);
}

/* Stops the worker, then removes what start_tunnel made; the TUN stays with `persist`, or when
 * SIGHUP asked for a restart that takes it over. */
static void
stop_tunnel(struct tunnel *t)
{
	if (t->child > 0) {
		kill(t->child, SIGTERM);
		waitpid(t->child, NULL, 0);
	}
	if (t->logfd >= 0) {
		while (relay_log_pending(t->logfd))
			;
		close(t->logfd);
	}
	ctl_unlisten(&t->ctl);
	if (t->chan >= 0)
		close(t->chan); /* drops the descriptors still in flight, if any */
	if (t->ifname[0] && !t->persist && tun_unpersist(t->ifname) == -1)
		fprintf(stderr, "couldn't remove %s: %s\n", t->ifname, strerror(errno));
}

int
cmd_bind(int argc, char **argv)
{
	struct tunnel t;
	uint8_t key[32];
	int status = 1;

	memset(&t, 0, sizeof(t));
	t.chan = t.ctl.fd = t.logfd = -1;
	t.bind.family = AF_INET;
	if (parse_args(&t, argc, argv) == -1)
		return 1;
	if (load_key(&t, key) == 0 && start_tunnel(&t, key) == 0) {
		sodium_memzero(key, sizeof(key));
		status = run_tunnel(&t);
		if (got_signal == SIGHUP) /* before SIGCHLD from the worker's end replaces it */
			t.persist = true;
	}
	sodium_memzero(key, sizeof(key));
	stop_tunnel(&t);
	return status;
}
