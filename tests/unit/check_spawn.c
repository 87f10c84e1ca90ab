/* Starting a worker (sys/spawn.c): fork + exec with the channel on fd 3 and nothing else open,
 * then CONFIG, TUN, SOCKET, PATH and START with the descriptors.
 *
 * The worker is this very program, started again with "spawn-child" as argv[1]: a constructor
 * catches that before Check's main() and plays the worker. It checks what it was given and
 * exits with a code that names the first thing wrong (CHILD_*), after using the descriptors:
 * TUNGETIFF on the TUN, a datagram sent from the UDP socket to the PATH's remote address.
 * Tests that open a TUN run in a network namespace of their own (root). */
#define _GNU_SOURCE /* unshare */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "ipc/ipc.h"
#include "sys/spawn.h"
#include "sys/tundev.h"
#include "sys/udpsock.h"
#include "support/netns.h"
#include "support/suite.h"

#define WAIT_MS 5000
#define CHILD_ARG "spawn-child"
#define HELLO "hello from the worker's stderr\n"
#define DATAGRAM "from the worker's socket"

enum {
	CHILD_OK = 0,
	CHILD_FDS = 10,    /* a descriptor other than 0..3 was open */
	CHILD_STDIO,       /* stdin or stdout is not /dev/null */
	CHILD_SIGNALS,     /* a signal blocked or ignored */
	CHILD_CHANNEL,     /* fd 3 is not a SOCK_SEQPACKET socket */
	CHILD_SEQUENCE,    /* messages missing, out of order or bad */
	CHILD_TUN,         /* the TUN fd does not answer TUNGETIFF with its name */
	CHILD_SOCKET,      /* the socket is not bound where IPC_SOCKET says */
	CHILD_SEND,        /* the datagram could not be sent */
};

/* ---- the child ---- */

static bool
only_stdio_and_channel(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	bool ok = d != NULL;

	while (ok && (e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd > IPC_WORKER_FD && fd != dirfd(d))
			ok = false;
	}
	if (d != NULL)
		closedir(d);
	return ok;
}

static bool
is_dev_null(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) &&
	    a.st_rdev == b.st_rdev;
}

static bool
signals_default(void)
{
	struct sigaction sa;
	sigset_t mask;

	if (sigprocmask(SIG_SETMASK, NULL, &mask) != 0 || sigismember(&mask, SIGUSR1) ||
	    sigaction(SIGPIPE, NULL, &sa) != 0)
		return false;
	return sa.sa_handler == SIG_DFL;
}

/* One message of the expected type; its fd (if any) is returned in *fd. */
static bool
expect(struct ipc_msg *m, enum ipc_type type, int *fd)
{
	const char *why;

	if (ipc_recv(IPC_WORKER_FD, m, IPC_SUPERVISOR, IPC_WORKER, &why) != 1 || m->hdr.type != type)
		return false;
	if (fd != NULL) {
		*fd = m->nfds == 1 ? m->fds[0] : -1;
		m->nfds = 0;
	}
	return true;
}

static int
child_uses(int tun, const struct ipc_tun *tn, int sock, const struct ipc_socket *so,
           const struct ipc_path *path)
{
	struct ifreq ifr;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct mud_addr bound;
	int slen;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(tun, TUNGETIFF, &ifr) != 0 || strcmp(ifr.ifr_name, tn->ifname) != 0)
		return CHILD_TUN;
	if (getsockname(sock, (struct sockaddr *)&ss, &len) != 0 ||
	    mud_addr_from_sockaddr(&bound, (struct sockaddr *)&ss, len) != 0 ||
	    bound.port != so->local.port)
		return CHILD_SOCKET;
	if ((slen = mud_addr_to_sockaddr(&path->remote, &ss)) < 0 ||
	    sendto(sock, DATAGRAM, sizeof(DATAGRAM), 0, (struct sockaddr *)&ss,
	           (socklen_t)slen) != (ssize_t)sizeof(DATAGRAM))
		return CHILD_SEND;
	return CHILD_OK;
}

static int
child_checks(void)
{
	struct ipc_msg cfg, tn, so, path, start;
	struct ipc_ready ready = { .pid = (uint32_t)getpid() };
	int type = 0, tun = -1, sock = -1, r;
	socklen_t len = sizeof(type);

	if (!only_stdio_and_channel())
		return CHILD_FDS;
	if (!is_dev_null(STDIN_FILENO) || !is_dev_null(STDOUT_FILENO))
		return CHILD_STDIO;
	if (!signals_default())
		return CHILD_SIGNALS;
	if (getsockopt(IPC_WORKER_FD, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    type != SOCK_SEQPACKET)
		return CHILD_CHANNEL;
	if (!expect(&cfg, IPC_CONFIG, NULL) || strcmp(cfg.u.config.name, "spawn-test") != 0 ||
	    !expect(&tn, IPC_TUN, &tun) || !expect(&so, IPC_SOCKET, &sock) ||
	    !expect(&path, IPC_PATH, NULL) || !expect(&start, IPC_START, NULL) || tun < 0 ||
	    sock < 0)
		return CHILD_SEQUENCE;
	if ((r = child_uses(tun, &tn.u.tun, sock, &so.u.socket, &path.u.path)) != CHILD_OK)
		return r;
	if (write(STDERR_FILENO, HELLO, strlen(HELLO)) != (ssize_t)strlen(HELLO) ||
	    ipc_send(IPC_WORKER_FD, IPC_READY, 0, &ready, sizeof(ready), NULL, 0) != 0)
		return CHILD_CHANNEL;
	return CHILD_OK;
}

/* Runs before main(): glibc passes the program's arguments to constructors. */
__attribute__((constructor)) static void
spawned_child(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc >= 2 && strcmp(argv[1], CHILD_ARG) == 0)
		_exit(child_checks());
}

/* ---- the tests ---- */

static void
wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "nothing to read within %d ms", WAIT_MS);
}

static int
child_status(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "the child did not exit (status %#x)", st);
	return WEXITSTATUS(st);
}

static struct mud_addr
loopback(uint16_t port)
{
	struct mud_addr a;

	ck_assert_int_eq(mud_addr_parse(&a, "127.0.0.1", port), 0);
	return a;
}

/* A parent's handoff as the supervisor or `gt-worker bind` makes it; a descriptor left open
 * without close-on-exec, SIGPIPE ignored and SIGUSR1 blocked, none of which the child may
 * inherit. The parent closes its copies of the TUN and the socket: when the child ends, the
 * TUN (not persistent) must be gone, so no other copy was left anywhere. */
START_TEST(test_spawn_hands_descriptors)
{
	char *argv[] = { "check_spawn", CHILD_ARG, NULL };
	struct tun_config tc = { .name = "gtsp0", .vnet = true };
	struct tun_dev tun;
	struct udp_sock sock, peer;
	struct mud_addr any = loopback(0);
	struct ipc_config cfg = { .role = IPC_ROLE_CLIENT, .dialect = IPC_DIALECT_V1, .uid = 65534,
		.gid = 65534, .kxtimeout_ms = 1, .timetolerance_ms = 1, .keepalive_ms = 1 };
	struct ipc_tun tn = { .mtu = 1500 };
	struct ipc_socket so;
	struct ipc_path path = { .state = IPC_PATH_UP };
	struct ipc_msg m;
	const char *why;
	char buf[128];
	int lp[2], chan, leak;
	uint32_t seq = 0;
	sigset_t usr1;
	pid_t pid;

	netns_enter();
	ck_assert_int_eq(tun_open(&tun, &tc), 0);
	ck_assert_int_eq(udp_open(&sock, &any, NULL), 0);
	ck_assert_int_eq(udp_open(&peer, &any, NULL), 0);
	strcpy(cfg.name, "spawn-test");
	strcpy(tn.ifname, tun.name);
	so.local = loopback(sock.port);
	path.local = so.local;
	path.remote = loopback(peer.port);
	ck_assert_int_ge(leak = open("/dev/null", O_RDONLY), 0); /* no O_CLOEXEC */
	ck_assert_int_eq(pipe2(lp, O_CLOEXEC), 0);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	struct spawn_cmd cmd = { .path = "/proc/self/exe", .argv = argv, .stderr_fd = lp[1] };
	struct spawn_handoff h = { .config = &cfg, .tun_fd = tun.fd, .tun = &tn, .nsock = 1,
		.sock_fds = &sock.fd, .socks = &so, .npaths = 1, .paths = &path };
	pid = spawn_worker(&cmd, &chan);
	ck_assert_msg(pid > 0, "spawn_worker: %s", strerror(errno));
	close(lp[1]);
	ck_assert(fcntl(chan, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(spawn_handoff(chan, &seq, &h), 0);
	ck_assert_uint_eq(seq, 5); /* CONFIG, TUN, SOCKET, PATH, START */
	tun_close(&tun);
	udp_close(&sock);

	wait_readable(chan);
	ck_assert_msg(ipc_recv(chan, &m, IPC_WORKER, IPC_SUPERVISOR, &why) == 1, "ipc_recv: %s (%s), child exit %d",
	    why ? why : "-", strerror(errno), child_status(pid));
	ck_assert_int_eq(m.hdr.type, IPC_READY);
	ck_assert_uint_eq(m.u.ready.pid, (uint32_t)pid);
	ck_assert_int_eq(child_status(pid), CHILD_OK);
	ck_assert_uint_eq(if_nametoindex("gtsp0"), 0);
	wait_readable(lp[0]);
	ck_assert_int_eq(read(lp[0], buf, sizeof(buf)), (ssize_t)strlen(HELLO));
	wait_readable(peer.fd);
	ck_assert_int_eq(recv(peer.fd, buf, sizeof(buf), 0), (ssize_t)sizeof(DATAGRAM));
	ck_assert_str_eq(buf, DATAGRAM);
	close(lp[0]);
	close(chan);
	close(leak);
	udp_close(&peer);
}
END_TEST

/* A program that cannot be executed: its errno, and no child left behind. */
START_TEST(test_spawn_exec_fails)
{
	char *argv[] = { "nothing", NULL };
	struct spawn_cmd cmd = { .path = "/nonexistent/gt-worker", .argv = argv, .stderr_fd = -1 };
	int chan = -1;

	errno = 0;
	ck_assert_int_eq(spawn_worker(&cmd, &chan), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(chan, -1);
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

/* A handoff without a TUN or a socket is refused before anything is sent. */
START_TEST(test_handoff_incomplete)
{
	struct ipc_config cfg = { .role = IPC_ROLE_SERVER };
	struct ipc_tun tn = { .mtu = 1500 };
	struct ipc_socket so;
	int sp[2], fd = 0;
	uint32_t seq = 0;
	struct spawn_handoff no_tun = { .config = &cfg, .tun_fd = -1, .tun = &tn, .nsock = 1,
		.sock_fds = &fd, .socks = &so };
	struct spawn_handoff no_sock = { .config = &cfg, .tun_fd = 0, .tun = &tn, .nsock = 0 };

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	errno = 0;
	ck_assert_int_eq(spawn_handoff(sp[0], &seq, &no_tun), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(spawn_handoff(sp[0], &seq, &no_sock), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(seq, 0);
	close(sp[0]);
	close(sp[1]);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("spawn");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_spawn_hands_descriptors);
	tcase_add_test(tc, test_spawn_exec_fails);
	tcase_add_test(tc, test_handoff_incomplete);
	suite_add_tcase(s, tc);
	return s;
}
