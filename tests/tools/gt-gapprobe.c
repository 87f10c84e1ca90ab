/* A constant-rate UDP probe stream and its receiver, to measure the gap a link cut leaves in the
 * traffic through a tunnel (bench/failover.sh):
 *
 *   gt-gapprobe send ADDR PORT INTERVAL_US COUNT [SIZE]
 *       sends COUNT datagrams of SIZE bytes (default 64), one every INTERVAL_US on an absolute
 *       schedule (a late one goes at once, the schedule does not drift), each carrying its
 *       sequence number and its send time (CLOCK_MONOTONIC, ns)
 *   gt-gapprobe recv ADDR PORT COUNT LOG [IDLE_MS]
 *       receives them until sequence COUNT-1 has arrived (then 200 ms more), or IDLE_MS
 *       (default 2000) pass without a datagram once the first came (a minute before it);
 *       writes LOG, one line per distinct datagram: "SEQ SEND_NS RECV_NS"
 *   gt-gapprobe gap LOG COUNT CUT_NS
 *       the cut's effect, as key=value pairs on one line (times in ms, relative to CUT_NS
 *       unless they are durations):
 *         sent received lost (lost: sequences never received, all of them)
 *         cut_lost          lost sequences sent from 200 ms before the cut on
 *         loss_first loss_last
 *                           send times of the first and last of those (estimated between
 *                           their received neighbours)
 *         recovered         no when the last datagram of the stream was lost to the cut
 *         recovery          from the cut to the send time of the first datagram after the last
 *                           cut loss: from then on everything arrived (0 when nothing was lost)
 *         gap gap_at        the longest silence between two consecutive arrivals from 200 ms
 *                           before the cut on, and when it began
 *         delay_before delay_after
 *                           median one-way delay of what was sent in the second before the
 *                           cut and in the second from 1.5 s after it (the path in use)
 *   gt-gapprobe now         CLOCK_MONOTONIC in ns (the clock of the timestamps)
 *
 * The sender and the receiver run on one machine (network namespaces share CLOCK_MONOTONIC),
 * so one-way delays are exact. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
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

#define MAGIC 0x67617070u /* "gapp" */
#define HDR_SIZE 16
#define MAX_SIZE 1400
#define MAX_COUNT 10000000u

struct rec {
	int64_t send_ns, recv_ns; /* recv_ns 0: not received */
};

static int
parse_i64(const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

/* n bytes, big-endian. */
static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int
cmd_send(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t interval_us, count, size = 64;
	uint8_t buf[MAX_SIZE];

	if (argc < 4 || argc > 5 || make_addr(argv[0], argv[1], &ss, &len) ||
	    parse_u64(argv[2], 10, 10000000, &interval_us) ||
	    parse_u64(argv[3], 1, MAX_COUNT, &count) ||
	    (argc == 5 && parse_u64(argv[4], HDR_SIZE, MAX_SIZE, &size))) {
		fprintf(stderr, "usage: gt-gapprobe send ADDR PORT INTERVAL_US COUNT [SIZE]\n");
		return 2;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&ss, len) == -1) {
		perror("gt-gapprobe: socket");
		return 1;
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	memset(buf, 0, sizeof(buf));
	put_be(buf, MAGIC, 4);

	uint64_t errors = 0;
	int64_t late_max = 0;
	int64_t t0 = now_ns() + 10 * MS;
	for (uint64_t i = 0; i < count; i++) {
		int64_t due = t0 + (int64_t)(i * interval_us * 1000);
		struct timespec ts = { (time_t)(due / 1000000000LL), (long)(due % 1000000000LL) };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		int64_t t = now_ns();
		if (t - due > late_max)
			late_max = t - due;
		put_be(buf + 4, (uint32_t)i, 4);
		put_be(buf + 8, (uint64_t)t, 8);
		if (send(fd, buf, size, 0) == -1)
			errors++; /* the route is gone for a moment: counted, the stream goes on */
	}
	printf("sent=%" PRIu64 " errors=%" PRIu64 " late_max_ms=%.3f\n", count, errors,
	       (double)late_max / MS);
	close(fd);
	return 0;
}

static int
cmd_recv(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t count, idle_ms = 2000;

	if (argc < 4 || argc > 5 || make_addr(argv[0], argv[1], &ss, &len) ||
	    parse_u64(argv[2], 1, MAX_COUNT, &count) ||
	    (argc == 5 && parse_u64(argv[4], 10, 600000, &idle_ms))) {
		fprintf(stderr, "usage: gt-gapprobe recv ADDR PORT COUNT LOG [IDLE_MS]\n");
		return 2;
	}
	struct rec *r = calloc(count, sizeof(*r));
	FILE *log = fopen(argv[3], "w");
	if (!r || !log) {
		perror("gt-gapprobe");
		return 1;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = 4 << 20;
	if (fd == -1 || bind(fd, (struct sockaddr *)&ss, len) == -1) {
		perror("gt-gapprobe: bind");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));

	uint64_t received = 0, dup = 0, foreign = 0;
	int64_t last = 0, end = 0, start = now_ns();
	for (;;) {
		int w = recv_wait(fd, start, last, end, idle_ms);
		if (w == -2) {
			perror("gt-gapprobe: poll");
			return 1;
		}
		if (w < 0)
			break;
		if (w == 0)
			continue;
		uint8_t buf[MAX_SIZE + 1];
		ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		int64_t at = now_ns();
		if (got < HDR_SIZE || get_be(buf, 4) != MAGIC) {
			foreign++;
			continue;
		}
		uint32_t seq = (uint32_t)get_be(buf + 4, 4);
		if (seq >= count) {
			foreign++;
			continue;
		}
		last = at;
		if (r[seq].recv_ns) {
			dup++;
			continue;
		}
		r[seq].send_ns = (int64_t)get_be(buf + 8, 8);
		r[seq].recv_ns = at;
		received++;
		if (seq == count - 1 && !end)
			end = at + 200 * MS;
	}
	for (uint64_t i = 0; i < count; i++)
		if (r[i].recv_ns)
			fprintf(log, "%" PRIu64 " %" PRId64 " %" PRId64 "\n", i, r[i].send_ns,
			        r[i].recv_ns);
	if (fclose(log)) {
		perror("gt-gapprobe: log");
		return 1;
	}
	printf("received=%" PRIu64 " dup=%" PRIu64 " foreign=%" PRIu64 "\n", received, dup, foreign);
	free(r);
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* median one-way delay in ms of what was sent in [from, to), -1 if nothing */
static double
median_delay(const struct rec *r, uint64_t count, int64_t from, int64_t to)
{
	int64_t *d = malloc(count * sizeof(*d));
	size_t n = 0;
	double m = -1;

	if (!d)
		return -1;
	for (uint64_t i = 0; i < count; i++)
		if (r[i].recv_ns && r[i].send_ns >= from && r[i].send_ns < to)
			d[n++] = r[i].recv_ns - r[i].send_ns;
	if (n) {
		qsort(d, n, sizeof(*d), cmp_i64);
		m = (double)d[n / 2] / MS;
	}
	free(d);
	return m;
}

static int
cmd_gap(int argc, char **argv)
{
	uint64_t count;
	int64_t cut;

	if (argc != 3 || parse_u64(argv[1], 2, MAX_COUNT, &count) || parse_i64(argv[2], &cut)) {
		fprintf(stderr, "usage: gt-gapprobe gap LOG COUNT CUT_NS\n");
		return 2;
	}
	FILE *log = fopen(argv[0], "r");
	struct rec *r = calloc(count, sizeof(*r));
	int64_t *arr = calloc(count, sizeof(*arr));
	if (!log || !r || !arr) {
		perror("gt-gapprobe");
		return 1;
	}
	uint64_t seq, received = 0;
	int64_t s, t;
	while (fscanf(log, "%" SCNu64 " %" SCNd64 " %" SCNd64, &seq, &s, &t) == 3)
		if (seq < count && !r[seq].recv_ns) {
			r[seq].send_ns = s;
			r[seq].recv_ns = t;
			received++;
		}
	fclose(log);
	if (received < 2) {
		printf("sent=%" PRIu64 " received=%" PRIu64 " error=too-few\n", count, received);
		return 1;
	}

	/* send times of lost sequences: between their received neighbours, or extrapolated */
	int64_t *st = calloc(count, sizeof(*st));
	if (!st)
		return 1;
	uint64_t first = count, lastr = 0;
	for (uint64_t i = 0; i < count; i++)
		if (r[i].recv_ns) {
			if (first == count)
				first = i;
			lastr = i;
		}
	for (uint64_t i = 0, prev = count; i < count; i++) {
		if (r[i].recv_ns) {
			st[i] = r[i].send_ns;
			prev = i;
			continue;
		}
		uint64_t next = i + 1;
		while (next < count && !r[next].recv_ns)
			next++;
		uint64_t a = prev != count ? prev : first, b = next < count ? next : lastr;
		if (a == b) { /* one side missing: step from the other with the mean interval */
			a = first;
			b = lastr;
		}
		double step = (double)(r[b].send_ns - r[a].send_ns) / (double)(b - a);
		st[i] = r[a].send_ns + (int64_t)(step * ((double)i - (double)a));
	}

	int64_t from = cut - 200 * MS;
	uint64_t lost = 0, cut_lost = 0;
	int64_t loss_first = 0, loss_last = 0;
	uint64_t last_lost_seq = count;
	for (uint64_t i = 0; i < count; i++) {
		if (r[i].recv_ns)
			continue;
		lost++;
		if (st[i] < from)
			continue;
		if (!cut_lost)
			loss_first = st[i];
		loss_last = st[i];
		last_lost_seq = i;
		cut_lost++;
	}
	double recovery = 0;
	if (cut_lost) {
		uint64_t k = last_lost_seq + 1;
		int64_t resume = k < count ? st[k] : loss_last;
		recovery = (double)(resume - cut) / MS;
		if (recovery < 0)
			recovery = 0;
	}

	size_t n = 0;
	for (uint64_t i = 0; i < count; i++)
		if (r[i].recv_ns && r[i].recv_ns >= from)
			arr[n++] = r[i].recv_ns;
	qsort(arr, n, sizeof(*arr), cmp_i64);
	int64_t gap = 0, gap_at = 0;
	for (size_t i = 1; i < n; i++)
		if (arr[i] - arr[i - 1] > gap) {
			gap = arr[i] - arr[i - 1];
			gap_at = arr[i - 1];
		}

	printf("sent=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64 " cut_lost=%" PRIu64, count,
	       received, lost, cut_lost);
	if (cut_lost)
		printf(" loss_first=%.1f loss_last=%.1f", (double)(loss_first - cut) / MS,
		       (double)(loss_last - cut) / MS);
	else
		printf(" loss_first=- loss_last=-");
	printf(" recovered=%s", cut_lost && last_lost_seq == count - 1 ? "no" : "yes");
	printf(" recovery=%.1f gap=%.1f gap_at=%.1f delay_before=%.2f delay_after=%.2f\n", recovery,
	       (double)gap / MS, (double)(gap_at - cut) / MS,
	       median_delay(r, count, cut - 1000 * MS, cut),
	       median_delay(r, count, cut + 1500 * MS, cut + 2500 * MS));
	free(st);
	free(arr);
	free(r);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return cmd_send(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return cmd_recv(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "gap"))
		return cmd_gap(argc - 2, argv + 2);
	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%" PRId64 "\n", now_ns());
		return 0;
	}
	fprintf(stderr, "usage: gt-gapprobe send ADDR PORT INTERVAL_US COUNT [SIZE]\n"
	                "       gt-gapprobe recv ADDR PORT COUNT LOG [IDLE_MS]\n"
	                "       gt-gapprobe gap LOG COUNT CUT_NS\n"
	                "       gt-gapprobe now\n");
	return 2;
}
