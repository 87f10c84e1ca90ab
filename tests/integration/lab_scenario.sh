#!/bin/sh
# Lab scenarios: the shipped ones are valid; bad files are rejected with their line number, by
# gtlab check and by gtlab up, which then leaves nothing behind.
set -eu
. netns-lab/lib/testlib.sh
lab_test_init

for f in netns-lab/scenarios/*.scn; do
	"$GTLAB" check "$f" || fail "$f is rejected"
done
ok "shipped scenarios are valid"

# bad NAME EXPECTED-MESSAGE: the file $TMP/NAME.scn (written before) is rejected with it.
bad() {
	if "$GTLAB" check "$TMP/$1.scn" 2>"$TMP/err"; then
		fail "$1.scn accepted"
	fi
	grep -qF "$TMP/$1.scn:$2" "$TMP/err" || fail "$1.scn: got '$(cat "$TMP/err")', want ':$2'"
}

cat >"$TMP/typo.scn" <<'EOF'
seed 1
node c concentrator
node s site
link s a rate 10mbit
lnk s b rate 10mbit
EOF
bad typo "5: unknown statement 'lnk'"

cat >"$TMP/rate.scn" <<'EOF'
node c concentrator
node s site
# a comment

link s a delay 5ms \
         rate 10mbps
EOF
bad rate "5: link a: 'rate 10mbps': expected a rate"

cat >"$TMP/event.scn" <<'EOF'
node c concentrator
node s site
link s a
at 10s link b cut
EOF
bad event "4: unknown link 'b'"

cat >"$TMP/nolink.scn" <<'EOF'
node c concentrator
node s site
node s2 site
link s a
EOF
bad nolink "3: site 's2' has no link"

cat >"$TMP/loss.scn" <<'EOF'
node c concentrator
node s site
link s a loss 150%
EOF
bad loss "3: link a: 'loss 150%': expected a probability"
ok "bad files rejected with their line"

# gtlab up refuses a bad file before it builds anything.
X=$(test_id x)
if lab "$X" up "$TMP/typo.scn" 2>"$TMP/err"; then
	fail "up accepted typo.scn"
else
	rc=$?
fi
[ "$rc" -eq 2 ] || fail "up of a bad file exits $rc, want 2"
grep -qF "typo.scn:5: unknown statement 'lnk'" "$TMP/err" || fail "up: $(cat "$TMP/err")"
no_leftovers "$X"
if "$GTLAB" -i "TOO-LONG" status 2>/dev/null; then fail "bad lab id accepted"; fi
if lab "$X" status 2>/dev/null; then fail "status of a lab that is not up"; fi
ok "gtlab up rejects bad files and leaves nothing"
