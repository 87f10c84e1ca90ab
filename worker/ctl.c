#include "ctl.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

char *
ctl_rundir(char *dst, size_t size)
{
	static const char *const place[][2] = {
		{ "/run/user/", "/gt-worker" },
		{ "/run/gt-worker.", "" },
		{ "/tmp/gt-worker.", "" },
	};

	for (size_t i = 0; i < sizeof(place) / sizeof(place[0]); i++) {
		char parent[256];
		int n = snprintf(dst, size, "%s%u%s", place[i][0], (unsigned)geteuid(), place[i][1]);
		if (n <= 0 || (size_t)n >= size || (size_t)n >= sizeof(parent))
			continue;
		memcpy(parent, dst, (size_t)n + 1);
		if (!access(dirname(parent), W_OK))
			return dst;
	}
	errno = ENOENT;
	return NULL;
}

static int
set_sun(struct sockaddr_un *sun, const char *dir, const char *name)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	int n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s", dir, name);
	if (n <= 0 || (size_t)n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
connect_to(const char *dir, const char *name)
{
	struct sockaddr_un sun;

	if (set_sun(&sun, dir, name))
		return -1;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
ctl_listen(const char *dev, struct ctl_listener *l)
{
	char dir[128];
	struct sockaddr_un sun;
	struct stat st;

	l->fd = -1;
	l->path[0] = 0;
	if (!ctl_rundir(dir, sizeof(dir)))
		return -1;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	if (set_sun(&sun, dir, dev))
		return -1;
	snprintf(l->path, sizeof(l->path), "%s", sun.sun_path);
	/* Someone answers: a live tunnel of that name (another netns shares this folder). */
	int other = connect_to(dir, dev);
	if (other >= 0) {
		close(other);
		errno = EADDRINUSE;
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	unlink(sun.sun_path); /* a leftover of a previous run */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || listen(fd, 8) == -1 ||
	    stat(sun.sun_path, &st) == -1) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	l->fd = fd;
	l->dev = (unsigned long long)st.st_dev;
	l->ino = (unsigned long long)st.st_ino;
	return 0;
}

void
ctl_unlisten(struct ctl_listener *l)
{
	struct stat st;

	if (l->fd < 0)
		return;
	if (stat(l->path, &st) == 0 && (unsigned long long)st.st_dev == l->dev &&
	    (unsigned long long)st.st_ino == l->ino)
		unlink(l->path);
	close(l->fd);
	l->fd = -1;
}

int
ctl_connect(const char *dev)
{
	char dir[128], only[256] = "";
	int count = 0;

	if (!ctl_rundir(dir, sizeof(dir)))
		return -1;
	if (dev)
		return connect_to(dir, dev);
	DIR *d = opendir(dir);
	if (!d)
		return CTL_ERROR_NONE;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_SOCK)
			continue;
		snprintf(only, sizeof(only), "%s", de->d_name);
		count++;
	}
	closedir(d);
	if (count == 0)
		return CTL_ERROR_NONE;
	if (count > 1)
		return CTL_ERROR_MANY;
	return connect_to(dir, only);
}

void
ctl_connect_error(const char *cmd, int ret)
{
	switch (ret) {
	case CTL_ERROR_NONE:
		fprintf(stderr, "no device\n");
		break;
	case CTL_ERROR_MANY:
		fprintf(stderr, "please choose a device\n");
		break;
	default:
		fprintf(stderr, "%s: %s\n", cmd, strerror(errno));
	}
}

int
ctl_answer(int fd, struct ipc_msg *m)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	const char *why;

	int n = poll(&p, 1, 5000);
	if (n <= 0) {
		if (n == 0)
			errno = ETIMEDOUT;
		return -1;
	}
	int r = ipc_recv(fd, m, IPC_SUPERVISOR, IPC_CTL, &why);
	if (r < 0 && why)
		errno = EBADMSG;
	return r;
}

int
ctl_session(int fd, struct ctl_session *s)
{
	struct ipc_msg m;

	memset(s, 0, sizeof(*s));
	if (ipc_send(fd, IPC_STATS_REQ, 0, NULL, 0, NULL, 0))
		return -1;
	for (;;) {
		int r = ctl_answer(fd, &m);
		if (r <= 0) {
			if (r == 0)
				errno = EPIPE;
			return -1;
		}
		switch (m.hdr.type) {
		case IPC_STATUS:
			s->status = m.u.status;
			break;
		case IPC_STATS:
			s->stats = m.u.stats;
			break;
		case IPC_PATH_STATS:
			if (s->npaths < 32)
				s->paths[s->npaths++] = m.u.path_stats;
			break;
		case IPC_STATS_END:
			return 0;
		default:
			errno = EBADMSG;
			return -1;
		}
	}
}

int
ctl_request(int fd, enum ipc_type type, const void *payload, size_t len)
{
	struct ipc_msg m;

	if (ipc_send(fd, type, 0, payload, len, NULL, 0) || ctl_answer(fd, &m) != 1)
		return -1;
	if (m.hdr.type != IPC_RESULT || m.u.result.type != type) {
		errno = EBADMSG;
		return -1;
	}
	if (m.u.result.error) {
		errno = m.u.result.error;
		return -1;
	}
	return 0;
}
