/* A bulk TCP transfer whose bytes are checked, for the integration tests:
 *   gt-tcpcheck serve ADDR PORT BYTES SEED   accepts one connection, reads BYTES bytes and
 *                                            checks them against the stream of SEED
 *   gt-tcpcheck send ADDR PORT BYTES SEED    connects and sends them
 * Exit 0 when every byte arrived and matched; the server prints the goodput. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toollib.h"

static uint64_t
next(uint64_t *s)
{
	/* xorshift64*: cheap, deterministic */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void
fill(uint8_t *buf, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = next(s);
		memcpy(buf + i, &v, n - i < 8 ? n - i : 8);
	}
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[1 << 16], want[1 << 16];
	struct sockaddr_storage ss;
	socklen_t sl;

	if (argc != 6 || make_addr(argv[2], argv[3], &ss, &sl)) {
		fprintf(stderr, "usage: gt-tcpcheck serve|send ADDR PORT BYTES SEED\n");
		return 2;
	}
	uint64_t total = strtoull(argv[4], NULL, 10), seed = strtoull(argv[5], NULL, 10) | 1;
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (!strcmp(argv[1], "serve")) {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 1)) {
			perror("bind");
			return 1;
		}
		int c = accept(fd, NULL, NULL);
		if (c < 0) {
			perror("accept");
			return 1;
		}
		uint64_t got = 0;
		size_t have = 0, off = 0; /* bytes of want[] generated and used */
		double t0 = now_s();
		while (got < total) {
			ssize_t n = read(c, buf, sizeof(buf));
			if (n <= 0) {
				fprintf(stderr, "gt-tcpcheck: connection ended after %llu of %llu bytes\n",
				        (unsigned long long)got, (unsigned long long)total);
				return 1;
			}
			for (ssize_t i = 0; i < n;) {
				if (off == have) {
					fill(want, sizeof(want), &seed);
					have = sizeof(want);
					off = 0;
				}
				size_t k = (size_t)n - (size_t)i < have - off ? (size_t)n - (size_t)i : have - off;
				if (memcmp(buf + i, want + off, k)) {
					fprintf(stderr, "gt-tcpcheck: corrupted data near byte %llu\n",
					        (unsigned long long)(got + (uint64_t)i));
					return 1;
				}
				i += (ssize_t)k;
				off += k;
			}
			got += (uint64_t)n;
		}
		double dt = now_s() - t0;
		printf("gt-tcpcheck: %llu bytes checked in %.2f s (%.1f Mbit/s)\n",
		       (unsigned long long)got, dt, (double)got * 8 / dt / 1e6);
		close(c);
		return 0;
	}
	if (!strcmp(argv[1], "send")) {
		for (int tries = 0; connect(fd, (struct sockaddr *)&ss, sl); tries++) {
			if (tries == 50) {
				perror("connect");
				return 1;
			}
			close(fd);
			usleep(100000);
			fd = socket(ss.ss_family, SOCK_STREAM, 0);
		}
		uint64_t sent = 0;
		while (sent < total) {
			size_t k = total - sent < sizeof(buf) ? (size_t)(total - sent) : sizeof(buf);
			fill(buf, sizeof(buf), &seed);
			for (size_t o = 0; o < k;) {
				ssize_t n = write(fd, buf + o, k - o);
				if (n <= 0) {
					perror("write");
					return 1;
				}
				o += (size_t)n;
			}
			sent += k;
		}
		shutdown(fd, SHUT_WR);
		read(fd, buf, 1);
		close(fd);
		return 0;
	}
	return 2;
}
