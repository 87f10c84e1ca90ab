#!/bin/sh
# The test runner behind `make test`: every Check suite (one binary per module), a replay of every
# fuzz target's corpus, then the integration tests. Prints Check's totals and a last line
# "N passed, N failed"; exits non-zero on any failure.
set -u

unit="" fuzz="" integ=""
while [ $# -gt 0 ]; do
	case "$1" in
	--unit) unit="$2"; shift 2 ;;
	--fuzz) fuzz="$2"; shift 2 ;;
	--integration) integ="$2"; shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

checks=0 cfail=0 cerr=0   # Check's own counts, summed over suites
passed=0 failed=0         # every test: Check tests, fuzz replays, integration scripts
failures=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in $unit; do
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "run.sh: $t printed no Check summary (exit $rc)"
		failed=$((failed + 1)); failures="$failures $t"
		continue
	fi
	n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	checks=$((checks + n)); cfail=$((cfail + f)); cerr=$((cerr + e))
	passed=$((passed + n - f - e)); failed=$((failed + f + e))
	if [ "$rc" -ne 0 ] || [ $((f + e)) -ne 0 ]; then
		failures="$failures $t"
		[ $((f + e)) -eq 0 ] && failed=$((failed + 1))
	fi
done

for t in $fuzz; do
	n=${t##*/fuzz_}
	corpus=tests/fuzz/corpus/$n
	if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
		echo "FAIL fuzz replay $n: no corpus in $corpus"
		failed=$((failed + 1)); failures="$failures $t"
		continue
	fi
	if "$t" -runs=0 "$corpus" >"$log" 2>&1; then
		echo "PASS fuzz replay $n ($(ls "$corpus" | wc -l) inputs)"
		passed=$((passed + 1))
	else
		cat "$log"
		echo "FAIL fuzz replay $n"
		failed=$((failed + 1)); failures="$failures $t"
	fi
done

for t in $integ; do
	echo "== integration: $t"
	if sh "$t"; then
		echo "PASS $t"
		passed=$((passed + 1))
	else
		echo "FAIL $t"
		failed=$((failed + 1)); failures="$failures $t"
	fi
done

pct=100
[ "$checks" -gt 0 ] && pct=$(( (checks - cfail - cerr) * 100 / checks ))
echo
echo "Check total: $pct%: Checks: $checks, Failures: $cfail, Errors: $cerr"
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
