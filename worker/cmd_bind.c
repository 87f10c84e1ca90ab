#define _GNU_SOURCE /* accept4 */
/* `gt-worker bind`: glorytun 0.3.4's command to start a tunnel, by hand.
 *
 * This process keeps the privileges the tunnel needs after start-up (setting the TUN MTU) and
 * the control socket; the data plane runs in a child it spawns exactly as the supervisor spawns
 * workers (fork + exec `gt-worker spawned`, descriptors and settings over the IPC channel), which
 * sandboxes itself before it reads a byte from the network. */
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
#include "tun.h"
#include "udp.h"
#include "util/keyfile.h"

#define REPLY_TIMEOUT_MS 3000

struct tunnel {
	struct tun_dev tun;
	struct udp_sock sock;
	struct mud_addr bind, peer;
	int chan;       /* IPC channel to the worker */
	int logfd;      /* the worker's stderr */
	struct ctl_listener ctl; /* listening control socket */
	pid_t child;
	uint32_t seq;
	unsigned mtu;   /* TUN MTU applied */
	bool client, chacha;
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

/* The worker's stderr is a pipe we copy to ours: the sandbox refuses a writable regular file
 * (its first write past RLIMIT_FSIZE 0 would kill the worker), and ours may be one. */
static pid_t
spawn_worker(int *chan, int *logfd)
{
	int sp[2], lp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	if (pipe2(lp, O_CLOEXEC) == -1)
		return -1;
	pid_t pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0) {
		char *argv[] = { "gt-worker", "spawned", NULL };
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null == -1 || dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1 ||
		    dup2(lp[1], STDERR_FILENO) == -1 || dup2(sp[1], IPC_WORKER_FD) == -1)
			_exit(127);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(sp[1]);
	close(lp[1]);
	*chan = sp[0];
	*logfd = lp[0];
	return pid;
}

static bool relay_log_pending(int fd);

/* Copies what the worker logged to our stderr. */
static void
relay_log(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

/* One message from the worker within the timeout; MTU requests are served on the way. */
static int
tunnel_handle_mtu(struct tunnel *t, const struct ipc_msg *m)
{
	struct ipc_mtu r = { .mtu = m->u.mtu.mtu };

	if (tun_set_mtu(t->tun.name, (int)m->u.mtu.mtu) == -1) {
		r.error = errno;
		fprintf(stderr, "couldn't setup MTU at %u on device %s\n", m->u.mtu.mtu, t->tun.name);
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
	snprintf(st.ifname, sizeof(st.ifname), "%s", t->tun.name);
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
start_worker(struct tunnel *t, const uint8_t key[32], bool master)
{
	struct ipc_config c;
	struct engine_config ec;
	struct ipc_tun tn;
	struct ipc_socket so;
	struct ipc_msg m;

	t->child = spawn_worker(&t->chan, &t->logfd);
	if (t->child == -1) {
		perror("couldn't start the worker");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.role = t->client ? IPC_ROLE_CLIENT : IPC_ROLE_SERVER;
	c.dialect = master ? IPC_DIALECT_MASTER : t->client ? IPC_DIALECT_V1 : IPC_DIALECT_AUTO;
	c.chacha = t->chacha;
	engine_config_default(&ec);
	c.tos = (uint8_t)ec.tos;
	c.uid = c.gid = SANDBOX_NOBODY;
	c.kxtimeout_ms = ec.kxtimeout / 1000;
	c.timetolerance_ms = ec.time_tolerance / 1000;
	c.keepalive_ms = ec.keepalive / 1000;
	memcpy(c.psk, key, sizeof(c.psk));
	snprintf(c.name, sizeof(c.name), "gt-worker");
	memset(&tn, 0, sizeof(tn));
	snprintf(tn.ifname, sizeof(tn.ifname), "%s", t->tun.name);
	tn.mtu = (uint32_t)tun_get_mtu(t->tun.name);
	memset(&so, 0, sizeof(so));
	so.local = t->bind;

	int ok = ipc_send(t->chan, IPC_CONFIG, t->seq++, &c, sizeof(c), NULL, 0) == 0 &&
	         ipc_send(t->chan, IPC_TUN, t->seq++, &tn, sizeof(tn), &t->tun.fd, 1) == 0 &&
	         ipc_send(t->chan, IPC_SOCKET, t->seq++, &so, sizeof(so), &t->sock.fd, 1) == 0 &&
	         ipc_send(t->chan, IPC_START, t->seq++, NULL, 0, NULL, 0) == 0;
	sodium_memzero(&c, sizeof(c));
	if (!ok) {
		perror("couldn't configure the worker");
		return -1;
	}
	if (worker_message(t, &m, 10000) != 1 || m.hdr.type != IPC_READY) {
		fprintf(stderr, "the worker did not start\n");
		return -1;
	}
	return 0;
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

int
cmd_bind(int argc, char **argv)
{
	struct tunnel t;
	unsigned short bind_port = 5000, peer_port = 5000;
	const char *dev = NULL, *keyfile = NULL;
	uint8_t key[32];
	char err[512];

	memset(&t, 0, sizeof(t));
	t.chan = t.ctl.fd = t.logfd = -1;
	t.bind.family = AF_INET;
	struct cmd_arg to[] = {
		{ NULL, "IPADDR", cmd_parse_addr, &t.peer, NULL, NULL, NULL, 0 },
		{ NULL, "PORT", cmd_parse_port, &peer_port, NULL, NULL, NULL, 0 },
		CMD_END,
	};
	struct cmd_arg bindz[] = {
		{ NULL, "IPADDR", cmd_parse_addr, &t.bind, NULL, NULL, NULL, 0 },
		{ NULL, "PORT", cmd_parse_port, &bind_port, NULL, NULL, NULL, 0 },
		{ "to", NULL, NULL, NULL, to, NULL, NULL, 0 },
		{ "dev", "NAME", cmd_parse_str, &dev, NULL, NULL, NULL, 0 },
		{ "keyfile", "FILE", cmd_parse_str, &keyfile, NULL, NULL, NULL, 0 },
		{ "chacha", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		{ "persist", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		{ "master", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
		CMD_END,
	};

	if (cmd_parse(bindz, argc, argv, stdout))
		return 1;
	if (!keyfile || !keyfile[0]) {
		fprintf(stderr, "a keyfile is needed!\n");
		return 1;
	}
	t.bind.port = bind_port;
	t.peer.port = peer_port;
	t.client = t.peer.family != 0;
	t.chacha = cmd_is_set(bindz, "chacha");
	if (aead_init()) {
		fprintf(stderr, "couldn't init sodium\n");
		return 1;
	}
	if (keyfile_read(keyfile, key, err, sizeof(err)) != KEYFILE_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!t.chacha && !aead_aegis256_available()) {
		fprintf(stderr, "AES is not available, enjoy ChaCha20!\n");
		t.chacha = true;
	}
	struct udp_config uc = { .v6only = false };
	if (udp_open(&t.sock, &t.bind, &uc)) {
		char a[MUD_ADDR_STRLEN];
		mud_addr_format(&t.bind, ' ', a, sizeof(a));
		fprintf(stderr, "couldn't bind %s: %s\n", a, strerror(errno));
		goto fail;
	}
	struct tun_config tc = { .name = dev, .vnet = true, .persist = cmd_is_set(bindz, "persist") };
	if (tun_open(&t.tun, &tc)) {
		fprintf(stderr, "couldn't create tun device\n");
		goto fail;
	}
	if (ctl_listen(t.tun.name, &t.ctl)) {
		if (errno == EADDRINUSE)
			fprintf(stderr, "couldn't create %s: a tunnel on a device named %s is running "
			        "(in another network namespace?): choose another name with dev\n",
			        t.ctl.path, t.tun.name);
		else if (t.ctl.path[0])
			fprintf(stderr, "couldn't create %s: %s\n", t.ctl.path, strerror(errno));
		else
			fprintf(stderr, "couldn't find a writable run/tmp directory\n");
		goto fail;
	}
	set_signals();
	fprintf(stderr, "running on device %s as pid %li\n", t.tun.name, (long)getpid());
	if (start_worker(&t, key, cmd_is_set(bindz, "master")))
		goto fail;
	sodium_memzero(key, sizeof(key));
	/* the worker holds its own copies of the TUN and the socket */
	int status = run_tunnel(&t);
	if (got_signal == SIGHUP)
		tun_set_persist(&t.tun, true);
	kill(t.child, SIGTERM);
	waitpid(t.child, NULL, 0);
	while (relay_log_pending(t.logfd))
		;
	ctl_unlisten(&t.ctl);
	close(t.chan);
	udp_close(&t.sock);
	tun_close(&t.tun);
	return status;
fail:
	sodium_memzero(key, sizeof(key));
	if (t.child > 0) {
		kill(t.child, SIGTERM);
		waitpid(t.child, NULL, 0);
	}
	ctl_unlisten(&t.ctl);
	if (t.chan >= 0)
		close(t.chan);
	if (t.sock.fd > 0)
		udp_close(&t.sock);
	if (t.tun.fd > 0)
		tun_close(&t.tun);
	return 1;
}
