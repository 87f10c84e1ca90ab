#!/bin/sh
# The link emulator's accuracy, measured with ping and iperf3 (netns-lab/selfcheck.sh --quick):
# one-way delay within 0.5 ms, rate within 3%, loss, bursts and duplication within their
# statistical intervals, cut and restore.
set -eu
. netns-lab/lib/testlib.sh
lab_test_init
command -v iperf3 >/dev/null || fail "iperf3 missing"
command -v ping >/dev/null || fail "ping missing (iputils-ping)"

S=$(test_id s)
LABS=$S
netns-lab/selfcheck.sh -i "$S" --quick
no_leftovers "$S"
