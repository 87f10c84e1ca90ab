/* gt-linkemu: the lab's link emulator (see emu.h).
 *
 *   gt-linkemu run --scenario FILE --link NAME --site-if IF --conc-if IF --ctl SOCKET
 *                  [--stats FILE] [--pidfile FILE] [--rt PRIO] [--lab ID] [--start]
 *   gt-linkemu ctl SOCKET COMMAND...    show | set PARAMS | cut [up|down] | restore [up|down]
 *                                       | start [NS] | stats | stop | ping
 *   gt-linkemu now                      print CLOCK_MONOTONIC in ns (for `start`)
 *
 * The timeline (the scenario's `at` events) and the counters file start with `start`, or at
 * once with --start. --rt runs the loop with SCHED_FIFO at PRIO, so that a busy machine does
 * not delay packets. The process ends on SIGTERM, `stop`, or when its interfaces go away. */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"

static struct emu emu;
static volatile sig_atomic_t quit;

uint64_t
emu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: gt-linkemu run --scenario FILE --link NAME --site-if IF --conc-if IF\n"
	    "                      --ctl SOCKET [--stats FILE] [--pidfile FILE] [--rt PRIO]\n"
	    "                      [--lab ID] [--start]\n"
	    "       gt-linkemu ctl SOCKET COMMAND...\n"
	    "       gt-linkemu now\n");
	exit(2);
}

/* The earliest time the loop has something to do, or UINT64_MAX. */
static uint64_t
deadline(const struct emu *e)
{
	uint64_t t = UINT64_MAX;

	for (int d = 0; d < 2; d++) {
		const struct pkt *p = heap_top(&e->dir[d].q);
		if (p != NULL && p->when < t)
			t = p->when;
	}
	if (e->started) {
		if (e->reseed && e->t0 < t)
			t = e->t0;
		if (e->stats != NULL && e->next_stats < t)
			t = e->next_stats;
		for (int i = e->next_event; i < e->scn.nevents; i++) {
			if (e->scn.events[i].link == e->link || i == e->next_event) {
				if (e->t0 + e->scn.events[i].at < t)
					t = e->t0 + e->scn.events[i].at;
				break;
			}
		}
	}
	return t;
}

static void
tick_stats(struct emu *e, uint64_t now)
{
	if (!e->started || e->stats == NULL || now < e->next_stats)
		return;
	stats_line(e, e->stats, now);
	fflush(e->stats);
	e->next_stats += e->scn.stats_interval;
	if (e->next_stats <= now)
		e->next_stats = now + e->scn.stats_interval;
}

static int
loop(struct emu *e)
{
	struct pollfd pfd[3 + EMU_CLIENTS];
	sigset_t none;

	sigemptyset(&none);
	while (!e->stop && !quit) {
		uint64_t now = emu_now(), t;
		struct timespec ts, *tsp = NULL;
		int n = 0, r;

		cmd_timeline(e, now);
		for (int d = 0; d < 2; d++)
			io_send_due(e, d, now);
		tick_stats(e, now);
		if ((t = deadline(e)) != UINT64_MAX) {
			now = emu_now();
			t = t > now ? t - now : 0;
			ts.tv_sec = (time_t)(t / 1000000000ull);
			ts.tv_nsec = (long)(t % 1000000000ull);
			tsp = &ts;
		}
		pfd[n++] = (struct pollfd){ .fd = e->fd[LAB_UP], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = e->fd[LAB_DOWN], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = e->ctl, .events = POLLIN };
		for (int i = 0; i < EMU_CLIENTS; i++)
			pfd[n++] = (struct pollfd){ .fd = e->clients[i], .events = POLLIN };
		r = ppoll(pfd, (nfds_t)n, tsp, &none);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			warn("ppoll");
			return -1;
		}
		now = emu_now();
		for (int d = 0; d < 2; d++) {
			if (pfd[d].revents == 0)
				continue;
			if (io_receive(e, d, now) == -1) {
				warnx("%s: interface gone, exiting", e->label);
				return 0;
			}
		}
		if (pfd[2].revents)
			ctl_accept(e);
		for (int i = 0; i < EMU_CLIENTS; i++)
			if (e->clients[i] != -1 && pfd[3 + i].revents)
				ctl_serve(e, i);
	}
	return 0;
}

static void
realtime(int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	if (prio > 0 && sched_setscheduler(0, SCHED_FIFO, &sp) == -1)
		warn("SCHED_FIFO %d (timing will suffer on a busy machine)", prio);
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "link", required_argument, NULL, 'l' },
		{ "site-if", required_argument, NULL, 'a' },
		{ "conc-if", required_argument, NULL, 'b' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "stats", required_argument, NULL, 'S' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "rt", required_argument, NULL, 'r' },
		{ "lab", required_argument, NULL, 'L' },
		{ "start", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	const char *scn = NULL, *link = NULL, *sif = NULL, *cif = NULL, *ctl = NULL;
	const char *stats = NULL, *pidfile = NULL;
	char msg[600], label[64];
	struct emu *e = &emu;
	int c, prio = 0, start = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': scn = optarg; break;
		case 'l': link = optarg; break;
		case 'a': sif = optarg; break;
		case 'b': cif = optarg; break;
		case 'c': ctl = optarg; break;
		case 'S': stats = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'r': prio = atoi(optarg); break;
		case 'L': break;	/* names the lab in ps and for gtlab down --all */
		case 'N': start = 1; break;
		default: usage();
		}
	}
	if (optind != argc || !scn || !link || !sif || !cif || !ctl)
		usage();
	if (scn_load(scn, &e->scn, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	if ((e->link = scn_find_link(&e->scn, link)) == -1)
		errx(1, "%s: no link '%s'", scn, link);
	e->label = e->scn.links[e->link].name;
	e->slot = e->scn.links[e->link].params.mtu + ETH_HLEN + 4 +
	    (unsigned)sizeof(struct virtio_net_hdr) + 64;
	for (int d = 0; d < 2; d++) {
		snprintf(label, sizeof(label), "%s/%s", link, d == LAB_UP ? "up" : "down");
		model_init(&e->dir[d].m, &e->scn.links[e->link].params.dir[d], e->scn.seed,
		    label);
	}
	if ((e->fd[LAB_UP] = io_open(sif)) == -1)
		err(1, "%s", sif);
	if ((e->fd[LAB_DOWN] = io_open(cif)) == -1)
		err(1, "%s", cif);
	e->dir[LAB_UP].in = e->dir[LAB_DOWN].out = e->fd[LAB_UP];
	e->dir[LAB_DOWN].in = e->dir[LAB_UP].out = e->fd[LAB_DOWN];
	for (int i = 0; i < EMU_CLIENTS; i++)
		e->clients[i] = -1;
	if (stats != NULL) {
		if ((e->stats = fopen(stats, "w")) == NULL)
			err(1, "%s", stats);
		stats_header(e->stats);
		fflush(e->stats);
	}
	if ((e->ctl = ctl_listen(ctl)) == -1)
		err(1, "%s", ctl);
	if (start) {
		e->started = true;
		e->t0 = e->next_stats = emu_now();
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Timers as precise as the kernel can make them. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	realtime(prio);
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");
		if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) == EOF)
			err(1, "%s", pidfile);
	}
	c = loop(e);
	unlink(ctl);
	if (pidfile != NULL)
		unlink(pidfile);
	if (e->stats != NULL) {
		if (e->started)
			stats_line(e, e->stats, emu_now());
		fclose(e->stats);
	}
	return c == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	if (argc >= 4 && strcmp(argv[1], "ctl") == 0)
		return ctl_client(argv[2], argc - 3, argv + 3);
	if (argc == 2 && strcmp(argv[1], "now") == 0) {
		printf("%" PRIu64 "\n", emu_now());
		return 0;
	}
	usage();
}
