/* gt-linkemu: one emulated link, both directions, in one process of the lab's emulator
 * namespace. It bridges two veths with AF_PACKET sockets: frames that arrive on the site's
 * veth leave on the concentrator's (direction up) and back (down), through one model each.
 * A UNIX socket takes commands (emu_ctl.c); counters go to a CSV file (emu_stats.c). */
#ifndef GT_LAB_EMU_H
#define GT_LAB_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emu_heap.h"
#include "emu_model.h"
#include "scn.h"

#define EMU_BATCH	64
#define EMU_INFLIGHT	32768	/* packets held per direction at most */
#define EMU_CLIENTS	8
#define EMU_MSG_MAX	4096

struct emu_dir {
	struct model	 m;
	struct heap	 q;		/* packets on their way */
	int		 in;		/* socket they arrive on */
	int		 out;		/* socket they leave by */
};

struct emu {
	struct scenario	 scn;
	int		 link;		/* index in scn.links */
	const char	*label;		/* the link's name */
	struct emu_dir	 dir[2];
	int		 fd[2];		/* AF_PACKET, by direction of arrival */
	unsigned	 slot;		/* bytes per packet buffer */
	struct pkt	*free;		/* free packet buffers */
	uint64_t	 seq;

	bool		 started;	/* the timeline runs since t0 */
	bool		 reseed;	/* at t0, restart the random streams */
	uint64_t	 t0;
	int		 next_event;

	FILE		*stats;
	uint64_t	 next_stats;

	int		 ctl;
	int		 clients[EMU_CLIENTS];
	bool		 stop;
};

/* The layers, each using only those below it: emu_main.c (command line, state set-up, the
 * loop) -> emu_ctl.c (control socket) -> emu_cmd.c (commands, timeline) -> emu_io.c,
 * emu_stats.c, emu_model.c. Every function works on the state it is passed, and takes the
 * time from its caller. */

/* emu_io.c: sockets and packet buffers. */
int		 io_open(const char *ifname);
struct pkt	*io_alloc(struct emu *);
void		 io_release(struct emu *, struct pkt *);
/* Reads what waits on direction d's input into its model; returns -1 if the interface is
 * gone. */
int		 io_receive(struct emu *, int d, uint64_t now);
/* Adds the kernel's count of frames dropped on direction d's socket to its counters. */
void		 io_sockdrops(struct emu *, int d);
/* Sends direction d's packets due by now. */
void		 io_send_due(struct emu *, int d, uint64_t now);
/* Drops every packet of direction d on its way (counted as cut). */
void		 io_flush(struct emu *, int d);

/* emu_ctl.c: the control socket. */
int		 ctl_listen(const char *path);
void		 ctl_accept(struct emu *);
void		 ctl_serve(struct emu *, int i, uint64_t now);
int		 ctl_client(const char *path, int argc, char **argv);

/* emu_cmd.c: what commands and timeline events do. */
int		 cmd_run(struct emu *, char *line, uint64_t now, char *out, size_t len);
int		 cmd_apply(struct emu *, int mask, int action, const char *args, char *err,
		    size_t errlen);
void		 cmd_timeline(struct emu *, uint64_t now);

/* emu_stats.c: counters as CSV. */
void		 stats_header(FILE *);
void		 stats_line(struct emu *, FILE *, uint64_t now);

#endif
