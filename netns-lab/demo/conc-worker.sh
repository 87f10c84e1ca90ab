# The demo's concentrator, played by hand-run gt-worker servers: one `gt-worker bind` per site,
# as a glorytun 0.3 concentrator is run today. Sourced by netns-lab/demo/demo.sh.
#
# The demo talks to the concentrator through these functions only, so that another one can take
# its place in a file of its own: DEMO_CONC=NAME loads netns-lab/demo/conc-NAME.sh instead (for
# gt-supervisor: conc_start starts the daemon in the concentrator's namespace, conc_site_add runs
# `gtctl client add SITE` and reads back the key, port and tunnel addresses it assigned).
#
#   conc_start                  start the concentrator in its namespace, before any site
#   conc_site_add SITE N        provision site SITE, the n-th (1..); sets for its client:
#                                 SITE_KEYFILE   the site's key file (glorytun's format)
#                                 SITE_SERVER SITE_PORT   where the client connects
#                                 SITE_TUN_N     n of the tunnel's addresses (wk_tun_addr)
#                                 SITE_BIND_OPTS more `gt-worker bind` words for the client
#   conc_site_route SITE NET... route networks behind SITE into its tunnel
#   conc_site_show SITE         the concentrator's view of the site (`gt-worker path` lines)
#   conc_stop                   stop the concentrator (`gtlab down` ends what is left)
#
# Inputs: LAB (the lab id), DEMO_DIR (a private folder), GTLAB_* (gtlab env), worker.sh.

CONC_PORT0=5000		# site n's server listens on port 5000 + n
CONC_SITES=""

conc_start() {
	CONC_SITES=""
	echo "  concentrator: gt-worker servers in $GTLAB_CONC (one per site)"
}

# The server's TUN device of site n (the control socket's name too: unique on the machine).
conc_dev() {
	echo "gts-$LAB-$1"
}

conc_site_add() {
	local site=$1 n=$2 dev
	dev=$(conc_dev "$n")
	(umask 077 && "$GT_WORKER" keygen >"$DEMO_DIR/$site.key")
	wk_start "$LAB" "$GTLAB_CONC" "$dev" "$DEMO_DIR/conc-$site.log" \
		:: $((CONC_PORT0 + n)) keyfile "$DEMO_DIR/$site.key" ||
		{ cat "$DEMO_DIR/conc-$site.log" >&2; return 1; }
	wk_tun_addr "$LAB" "$GTLAB_CONC" "$dev" "$n" 1
	CONC_SITES="$CONC_SITES $site=$n"
	SITE_KEYFILE=$DEMO_DIR/$site.key
	SITE_SERVER=$GTLAB_PUB4
	SITE_PORT=$((CONC_PORT0 + n))
	SITE_TUN_N=$n
	SITE_BIND_OPTS=""
}

conc_site_n() {
	local s
	for s in $CONC_SITES; do
		[ "${s%%=*}" != "$1" ] || { echo "${s#*=}"; return 0; }
	done
	return 1
}

conc_site_route() {
	local site=$1 n
	shift
	n=$(conc_site_n "$site") || return 1
	wk_route "$LAB" "$GTLAB_CONC" "$(conc_dev "$n")" "$@"
}

conc_site_show() {
	local n
	n=$(conc_site_n "$1") || return 1
	wk "$LAB" "$GTLAB_CONC" path dev "$(conc_dev "$n")"
}

conc_stop() {
	local ns pid
	ns=gtlab-$LAB-$GTLAB_CONC
	# TERM to the servers (each ends its sandboxed child and removes its control socket)
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		case $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) in
		*"gt-worker bind "*"gts-$LAB-"*) kill -TERM "$pid" 2>/dev/null || true ;;
		esac
	done
}
