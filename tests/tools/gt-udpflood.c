/* A cheap UDP flood and its counter, for the goodput benchmark (bench/goodput.sh): iperf3 3.12
 * sends one datagram per system call and cannot offer much more than a gigabit on our machines;
 * this sender batches (UDP GSO, else sendmmsg) so that the tunnel, not the sender, is the limit.
 *
 *   gt-udpflood send ADDR PORT SECONDS RATE_MBPS [SIZE] [nogso]
 *       sends SIZE-byte datagrams (default 1400) for SECONDS at RATE_MBPS of UDP payload
 *       (0: as fast as it can), paced per batch; prints "sent_bytes=.. sent_pkts=..
 *       seconds=.. offered_mbps=.. gso=yes|no errors=.."
 *   gt-udpflood recv ADDR PORT [IDLE_MS]
 *       counts what arrives until IDLE_MS (default 1000) pass without a datagram once the
 *       first came (a minute before it); prints "recv_bytes=.. recv_pkts=.. seconds=..
 *       delivered_mbps=.." over the time from the first arrival to the last.
 *
 * With GSO the kernel cuts each batch into datagrams where the sender's route leaves it (on a
 * device with gso_max_segs 1, before the wire), so the tunnel receives plain datagrams. */
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toollib.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define MAX_SIZE 1472
#define BATCH 64

static void
big_buffer(int fd, int opt, int force_opt)
{
	int v = 8 << 20;

	if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof(v)) == -1)
		setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

static int
cmd_send(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t secs, rate, size = 1400;
	int gso = 1;

	if (argc >= 5 && !strcmp(argv[argc - 1], "nogso")) {
		gso = 0;
		argc--;
	}
	if (argc < 4 || argc > 5 || make_addr(argv[0], argv[1], &ss, &len) ||
	    parse_u64(argv[2], 1, 3600, &secs) || parse_u64(argv[3], 0, 1000000, &rate) ||
	    (argc == 5 && parse_u64(argv[4], 16, MAX_SIZE, &size))) {
		fprintf(stderr, "usage: gt-udpflood send ADDR PORT SECONDS RATE_MBPS [SIZE] [nogso]\n");
		return 2;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&ss, len) == -1) {
		perror("gt-udpflood: socket");
		return 1;
	}
	big_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	/* one GSO message holds at most 64 segments and 64 kB */
	size_t segs = 65000 / size;
	if (segs > BATCH)
		segs = BATCH;
	static uint8_t buf[BATCH * MAX_SIZE];
	memset(buf, 0x5a, sizeof(buf));
	int seg = (int)size;
	if (gso && setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)) == -1)
		gso = 0;

	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf + (size_t)i * size;
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	uint64_t bytes = 0, pkts = 0, errors = 0;
	int64_t t0 = now_ns(), end = t0 + (int64_t)secs * 1000 * MS, t;
	while ((t = now_ns()) < end) {
		if (rate) {
			/* pace: the bytes sent so far are due at t0 + bytes * 8 / rate */
			int64_t due = t0 + (int64_t)((double)bytes * 8e3 / (double)rate);
			if (due > t) {
				struct timespec ts = { (time_t)(due / 1000000000LL),
				                       (long)(due % 1000000000LL) };
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				continue;
			}
		}
		if (gso) {
			ssize_t n = send(fd, buf, segs * size, 0);
			if (n == (ssize_t)(segs * size)) {
				bytes += (uint64_t)n;
				pkts += segs;
				continue;
			}
			if (n == -1 && (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP)) {
				gso = 0; /* the route cannot take GSO: plain batches from now on */
				seg = 0;
				setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg));
				continue;
			}
			errors++;
			continue;
		}
		int n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0) {
			bytes += (uint64_t)n * size;
			pkts += (uint64_t)n;
		} else {
			errors++;
		}
	}
	double dt = (double)(now_ns() - t0) / 1e9;
	printf("sent_bytes=%" PRIu64 " sent_pkts=%" PRIu64 " seconds=%.3f offered_mbps=%.1f gso=%s "
	       "errors=%" PRIu64 "\n",
	       bytes, pkts, dt, (double)bytes * 8 / dt / 1e6, gso ? "yes" : "no", errors);
	close(fd);
	return 0;
}

static int
cmd_recv(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t idle_ms = 1000;

	if (argc < 2 || argc > 3 || make_addr(argv[0], argv[1], &ss, &len) ||
	    (argc == 3 && parse_u64(argv[2], 10, 600000, &idle_ms))) {
		fprintf(stderr, "usage: gt-udpflood recv ADDR PORT [IDLE_MS]\n");
		return 2;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&ss, len) == -1) {
		perror("gt-udpflood: bind");
		return 1;
	}
	big_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE);

	static uint8_t buf[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	uint64_t bytes = 0, pkts = 0;
	int64_t first = 0, last = 0, start = now_ns();
	for (;;) {
		int w = recv_wait(fd, start, last, 0, idle_ms);
		if (w == -2) {
			perror("gt-udpflood: poll");
			return 1;
		}
		if (w < 0)
			break;
		if (w == 0)
			continue;
		for (;;) {
			int got = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
			if (got <= 0)
				break;
			last = now_ns();
			if (!first)
				first = last;
			for (int i = 0; i < got; i++)
				bytes += msgs[i].msg_len;
			pkts += (uint64_t)got;
		}
	}
	double dt = first && last > first ? (double)(last - first) / 1e9 : 0;
	printf("recv_bytes=%" PRIu64 " recv_pkts=%" PRIu64 " seconds=%.3f delivered_mbps=%.1f\n", bytes,
	       pkts, dt, dt > 0 ? (double)bytes * 8 / dt / 1e6 : 0.0);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return cmd_send(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return cmd_recv(argc - 2, argv + 2);
	fprintf(stderr, "usage: gt-udpflood send ADDR PORT SECONDS RATE_MBPS [SIZE] [nogso]\n"
	                "       gt-udpflood recv ADDR PORT [IDLE_MS]\n");
	return 2;
}
