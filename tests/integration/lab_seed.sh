#!/bin/sh
# Seeded runs repeat: two labs up side by side on the same scenario lose exactly the same
# pings (and duplicate the same ones); another seed loses others.
set -eu
. netns-lab/lib/testlib.sh
lab_test_init

cat >"$TMP/s1.scn" <<'EOF'
seed 1234
node c concentrator
node s site
link s a delay 1ms up loss 10% burst 2 duplicate 3%
EOF
sed 's/^seed 1234$/seed 999/' "$TMP/s1.scn" >"$TMP/s2.scn"

P=$(test_id p) Q=$(test_id q) R=$(test_id r)
lab "$P" up "$TMP/s1.scn" >/dev/null
lab "$Q" up "$TMP/s1.scn" >/dev/null
lab "$R" up "$TMP/s2.scn" >/dev/null

# The replies, one line per reply: "SEQ" or "SEQ DUP".
replies() {
	lab "$1" exec s ping -n -c 500 -i 0.002 -W 1 198.18.1.1 2>/dev/null |
		sed -n 's/.*icmp_seq=\([0-9]*\).*(DUP!).*/\1 DUP/p; t; s/.*icmp_seq=\([0-9]*\) .*/\1/p' |
		sort -n >"$TMP/$1" || true
}
replies "$P" &
replies "$Q" &
replies "$R" &
wait
n=$(wc -l <"$TMP/$P")
[ "$n" -gt 300 ] && [ "$n" -lt 550 ] || fail "$n replies of 500"
cmp -s "$TMP/$P" "$TMP/$Q" || fail "same seed, different fates: $(diff "$TMP/$P" "$TMP/$Q" | head -5)"
! cmp -s "$TMP/$P" "$TMP/$R" || fail "seeds 1234 and 999 lost the same pings"
ok "same seed, same $((500 - $(grep -vc DUP "$TMP/$P"))) losses and $(grep -c DUP "$TMP/$P") duplicates"
