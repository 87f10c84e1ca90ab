/* A worker spawned by the supervisor (or by the hand-run client's parent): it reads its whole
 * configuration from the channel on IPC_WORKER_FD (CONFIG, TUN, SOCKET..., PATH..., START),
 * sandboxes itself, says READY and runs the data loop. A bad message ends it with a logged
 * reason; nothing comes from argv, the environment or files. */
#include "spawned.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/aead.h"
#include "ipc/ipc.h"
#include "loop.h"
#include "proto/engine.h"
#include "sandbox.h"
#include "supervisor_link.h"
#include "util/log.h"

/* The sanitizers' own bookkeeping would call madvise() on large frees, which the seccomp
 * filter does not allow: ask them not to (no effect in normal builds). */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "clear_shadow_mmap_threshold=1099511627776";
}

static void
engine_conf_from(struct engine_config *ec, const struct ipc_config *c)
{
	engine_config_default(ec);
	ec->role = c->role == IPC_ROLE_CLIENT ? ENGINE_CLIENT : ENGINE_SERVER;
	ec->dialect = c->dialect == IPC_DIALECT_MASTER ? MUD_MASTER : MUD_V1;
	memcpy(ec->psk, c->psk, sizeof(ec->psk));
	ec->aes = !c->chacha && aead_aegis256_available();
	ec->kxtimeout = c->kxtimeout_ms * 1000;
	ec->time_tolerance = c->timetolerance_ms * 1000;
	ec->keepalive = c->keepalive_ms * 1000;
	ec->tos = c->tos;
	if (c->delay != IPC_DELAY_UNCHANGED)
		ec->delay = c->delay == IPC_DELAY_LOW    ? ENGINE_DELAY_LOW
		            : c->delay == IPC_DELAY_EVEN ? ENGINE_DELAY_EVEN
		                                         : ENGINE_DELAY_AUTO;
	if (c->delay_spread_ms)
		ec->delay_auto_spread = c->delay_spread_ms * 1000;
}

/* Reads the configuration; paths are applied once the engine exists. */
static int
read_config(struct worker *w, struct ipc_config *cfg, struct ipc_path *paths, int *npaths)
{
	bool have_config = false, have_tun = false;
	struct ipc_msg m;
	const char *why;

	for (;;) {
		int r = ipc_recv(IPC_WORKER_FD, &m, IPC_SUPERVISOR, IPC_WORKER, &why);
		if (r == 0)
			fatalx("the supervisor closed the channel before IPC_START");
		if (r < 0) {
			if (why)
				fatalx("bad message from the supervisor: %s", why);
			fatal("ipc receive");
		}
		if (!have_config && m.hdr.type != IPC_CONFIG)
			fatalx("%s before IPC_CONFIG", ipc_type_name(m.hdr.type));
		switch (m.hdr.type) {
		case IPC_CONFIG:
			if (have_config)
				fatalx("IPC_CONFIG twice");
			*cfg = m.u.config;
			have_config = true;
			break;
		case IPC_TUN: {
			struct tun_config tc = { .vnet = true };
			if (have_tun)
				fatalx("IPC_TUN twice");
			if (tun_setup(&w->tun, m.fds[0], &tc))
				fatal("tun %s", m.u.tun.ifname);
			m.nfds = 0; /* the descriptor is the worker's now */
			have_tun = true;
			break;
		}
		case IPC_SOCKET:
			if (w->nsock == WORKER_SOCK_MAX)
				fatalx("more than %d sockets", WORKER_SOCK_MAX);
			if (udp_setup(&w->sock[w->nsock], m.fds[0], NULL))
				fatal("udp socket");
			m.nfds = 0;
			w->nsock++;
			break;
		case IPC_PATH:
			if (*npaths == ENGINE_PATH_MAX)
				fatalx("more than %d paths", ENGINE_PATH_MAX);
			paths[(*npaths)++] = m.u.path;
			break;
		case IPC_START:
			if (!have_tun || !w->nsock)
				fatalx("IPC_START without a TUN and a socket");
			ipc_msg_clear(&m);
			return 0;
		default:
			fatalx("unexpected %s during configuration", ipc_type_name(m.hdr.type));
		}
		ipc_msg_clear(&m);
	}
}

void
worker_spawned_main(void)
{
	static struct worker w; /* large: keep it off the stack */
	struct ipc_config cfg;
	static struct ipc_path paths[ENGINE_PATH_MAX];
	int npaths = 0;
	char feat[128], off[128], layers[128];

	log_init("gt-worker", 1, LOG_LEVEL_INFO);
	if (aead_init())
		fatalx("libsodium init failed");
	w.ipc = IPC_WORKER_FD;
	w.epfd = -1;
	read_config(&w, &cfg, paths, &npaths);
	w.mtu_max = cfg.mtu_max;
	log_init(cfg.name[0] ? cfg.name : "gt-worker", 1, LOG_LEVEL_INFO);
	if (!mud_clock_init(&w.clock))
		log_warnx("the wall clock looks unset: the peer will reject every datagram");

	struct engine_config ec;
	engine_conf_from(&ec, &cfg);
	sodium_memzero(cfg.psk, sizeof(cfg.psk));
	w.engine = engine_new(&ec);
	sodium_memzero(ec.psk, sizeof(ec.psk));
	if (!w.engine)
		fatal("engine");
	uint64_t now = mud_clock_now(&w.clock);
	for (int i = 0; i < npaths; i++) {
		int err = worker_apply_path(w.engine, now, &paths[i]);
		if (err)
			log_warnx("path %d: %s", i, strerror(err));
	}
	if (worker_init(&w))
		fatal("worker init");

	unsigned sflags = 0;
	if (cfg.sandbox & IPC_SANDBOX_DEBUG)
		sflags |= SANDBOX_F_DEBUG;
	if (cfg.sandbox & IPC_SANDBOX_DEGRADED)
		sflags |= SANDBOX_F_DEGRADED;
	struct sandbox_opts so = { .uid = cfg.uid, .gid = cfg.gid, .flags = sflags };
	int in_force = sandbox_apply(&so);
	if (in_force < 0)
		fatal("sandbox");

	unsigned feats = 0;
	for (int i = 0; i < w.nsock; i++) {
		if (w.sock[i].features & UDP_F_GSO)
			feats |= IPC_FEAT_UDP_GSO;
		if (w.sock[i].features & UDP_F_GRO)
			feats |= IPC_FEAT_UDP_GRO;
	}
	if (w.tun.vnet_len)
		feats |= IPC_FEAT_TUN_VNET;
	if (w.tun.offloads & (TUN_OFF_USO4 | TUN_OFF_USO6))
		feats |= IPC_FEAT_TUN_USO;
	if (in_force & SANDBOX_SECCOMP)
		feats |= IPC_FEAT_SECCOMP;
	if (in_force & SANDBOX_LANDLOCK)
		feats |= IPC_FEAT_LANDLOCK;
	if (in_force & SANDBOX_NNP)
		feats |= IPC_FEAT_NO_NEW_PRIVS;
	if (in_force & SANDBOX_IDS)
		feats |= IPC_FEAT_SETUID;
	udp_features_format(w.sock[0].features, feat, sizeof(feat));
	tun_offloads_format(&w.tun, off, sizeof(off));
	log_info("running on %s: udp [%s] tun [%s] sandbox [%s]", w.tun.name, feat, off,
	         sandbox_layers_str((unsigned)in_force, layers, sizeof(layers)));

	sup_link_ready(&w, feats); /* the loop sends it */

	int r = worker_run(&w);
	engine_free(w.engine);
	worker_free(&w);
	/* sandbox_exit() is not declared noreturn on purpose: sanitizer builds would call
	 * sigaltstack() before it, which the seccomp filter forbids. */
	sandbox_exit(r ? 1 : 0);
	__builtin_unreachable();
}
