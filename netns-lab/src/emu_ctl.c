/* The emulator's control socket: SOCK_SEQPACKET, one command per connection, one reply (which
 * starts with "ok" or "error: "). gt-linkemu ctl is its client. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu.h"

static int
addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

int
ctl_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (addr(&sun, path) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || chmod(path, 0600) == -1 ||
	    listen(fd, EMU_CLIENTS) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

void
ctl_accept(struct emu *e)
{
	int fd;

	while ((fd = accept4(e->ctl, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		int i;
		for (i = 0; i < EMU_CLIENTS; i++) {
			if (e->clients[i] == -1) {
				e->clients[i] = fd;
				break;
			}
		}
		if (i == EMU_CLIENTS)
			close(fd);	/* busy: the client sees its connection closed */
	}
}

void
ctl_serve(struct emu *e, int i, uint64_t now)
{
	char in[EMU_MSG_MAX + 1], out[EMU_MSG_MAX];
	ssize_t n;
	int fd = e->clients[i];

	n = recv(fd, in, sizeof(in) - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		in[n] = '\0';
		if (memchr(in, '\0', (size_t)n) != NULL)
			snprintf(out, sizeof(out), "error: NUL in the command\n");
		else
			cmd_run(e, in, now, out, sizeof(out));
		(void)send(fd, out, strlen(out), MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	close(fd);
	e->clients[i] = -1;
}

int
ctl_client(const char *path, int argc, char **argv)
{
	struct sockaddr_un sun;
	char buf[EMU_MSG_MAX + 1];
	size_t n = 0;
	ssize_t r;
	int fd;

	for (int i = 0; i < argc; i++) {
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "", argv[i]);
		if (w < 0 || (size_t)w >= sizeof(buf) - n) {
			fprintf(stderr, "gt-linkemu: command too long\n");
			return 2;
		}
		n += (size_t)w;
	}
	if (addr(&sun, path) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "gt-linkemu: %s: %s\n", path, strerror(errno));
		return 2;
	}
	/* A stuck emulator must not hang the caller. */
	struct timeval tv = { 5, 0 };
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    send(fd, buf, n, MSG_NOSIGNAL) == -1) {
		fprintf(stderr, "gt-linkemu: %s: %s\n", path, strerror(errno));
		close(fd);
		return 2;
	}
	r = recv(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (r <= 0) {
		fprintf(stderr, "gt-linkemu: %s: %s\n", path, r == 0 ? "no reply" :
		    strerror(errno));
		return 2;
	}
	buf[r] = '\0';
	if (strncmp(buf, "ok", 2) == 0 && (buf[2] == '\n' || buf[2] == '\0')) {
		fputs(buf + 2 + (buf[2] == '\n'), stdout);
		return 0;
	}
	fputs(buf, stderr);
	return 1;
}
