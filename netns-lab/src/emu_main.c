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

/* Set by the signal handler; the loop's ppoll is the only place signals arrive. */
static volatile sig_atomic_t quit;

static uint64_t
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
				ctl_serve(e, i, now);
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

/* What `run` was asked to do. */
struct run_opts {
	const char	*scn, *link, *sif, *cif, *ctl, *stats, *pidfile;
	int		 prio;
	bool		 start;
};

/* Step 1: the command line. */
static void
parse_run(int argc, char **argv, struct run_opts *o)
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
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->scn = optarg; break;
		case 'l': o->link = optarg; break;
		case 'a': o->sif = optarg; break;
		case 'b': o->cif = optarg; break;
		case 'c': o->ctl = optarg; break;
		case 'S': o->stats = optarg; break;
		case 'p': o->pidfile = optarg; break;
		case 'r': o->prio = atoi(optarg); break;
		case 'L': break;	/* names the lab in ps and for gtlab down --all */
		case 'N': o->start = true; break;
		default: usage();
		}
	}
	if (optind != argc || !o->scn || !o->link || !o->sif || !o->cif || !o->ctl)
		usage();
}

/* Step 2: the emulator's state from the options: scenario, models, sockets, files. */
static void
emu_open(struct emu *e, const struct run_opts *o)
{
	char msg[600], label[64];

	if (scn_load(o->scn, &e->scn, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	if ((e->link = scn_find_link(&e->scn, o->link)) == -1)
		errx(1, "%s: no link '%s'", o->scn, o->link);
	e->label = e->scn.links[e->link].name;
	e->slot = e->scn.links[e->link].params.mtu + ETH_HLEN + 4 +
	    (unsigned)sizeof(struct virtio_net_hdr) + 64;
	for (int d = 0; d < 2; d++) {
		snprintf(label, sizeof(label), "%s/%s", o->link, d == LAB_UP ? "up" : "down");
		model_init(&e->dir[d].m, &e->scn.links[e->link].params.dir[d], e->scn.seed,
		    label);
	}
	if ((e->fd[LAB_UP] = io_open(o->sif)) == -1)
		err(1, "%s", o->sif);
	if ((e->fd[LAB_DOWN] = io_open(o->cif)) == -1)
		err(1, "%s", o->cif);
	e->dir[LAB_UP].in = e->dir[LAB_DOWN].out = e->fd[LAB_UP];
	e->dir[LAB_DOWN].in = e->dir[LAB_UP].out = e->fd[LAB_DOWN];
	for (int i = 0; i < EMU_CLIENTS; i++)
		e->clients[i] = -1;
	if (o->stats != NULL) {
		if ((e->stats = fopen(o->stats, "w")) == NULL)
			err(1, "%s", o->stats);
		stats_header(e->stats);
		fflush(e->stats);
	}
	if ((e->ctl = ctl_listen(o->ctl)) == -1)
		err(1, "%s", o->ctl);
	if (o->start) {
		e->started = true;
		e->t0 = e->next_stats = emu_now();
	}
}

/* Step 3: signals, timers and priority for the loop, and the pid file. */
static void
process_setup(const struct run_opts *o)
{
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
	realtime(o->prio);
	if (o->pidfile != NULL) {
		FILE *f = fopen(o->pidfile, "w");
		if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) == EOF)
			err(1, "%s", o->pidfile);
	}
}

/* Last step: the files the run leaves, the final counters. */
static void
emu_close(struct emu *e, const struct run_opts *o)
{
	unlink(o->ctl);
	if (o->pidfile != NULL)
		unlink(o->pidfile);
	if (e->stats != NULL) {
		if (e->started)
			stats_line(e, e->stats, emu_now());
		fclose(e->stats);
	}
}

static int
run(int argc, char **argv)
{
	struct run_opts o;
	struct emu *e;
	int r;

	parse_run(argc, argv, &o);
	/* The scenario makes the state large: on the heap. */
	if ((e = calloc(1, sizeof(*e))) == NULL)
		err(1, "state");
	emu_open(e, &o);
	process_setup(&o);
	r = loop(e);
	emu_close(e, &o);
	return r == 0 ? 0 : 1;
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
