#!/usr/bin/env bash
# Reads `swift test` output on stdin (it is also echoed) and ends with a plain
# "N passed, N failed" line. Exits non-zero when any test failed or none ran.
#
#   test-summary.sh [LABEL]   prefix the line with "LABEL: " (one word)
#   test-summary.sh --total   read the counts that earlier runs appended to $TEST_COUNTS
#                             and print "total: N passed, N failed, N skipped"
#
# With TEST_COUNTS set, each run appends "passed failed skipped" to that file.
# A sanitizer report (AddressSanitizer, UndefinedBehaviorSanitizer) or a test process that
# died before Swift Testing's closing line counts as a failure, and says so.
set -uo pipefail

if [ "${1:-}" = "--total" ]; then
    file=${TEST_COUNTS:?--total needs TEST_COUNTS}
    read -r passed failed skipped < <(awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}' "$file")
    echo "total: ${passed} passed, ${failed} failed, ${skipped} skipped"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit
fi
label=${1:+$1: }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
tee "$log"

# Swift Testing: "✔ Test run with 12 tests in 3 suites passed …" / "✘ Test run with 12 tests in 3 suites failed …"
total=$(grep -aoE 'Test run with [0-9]+ tests?' "$log" | tail -1 | grep -oE '[0-9]+' || true)
failed=$(grep -acE '^✘ Test ".*failed after' "$log" || true)
skipped=$(grep -acE '^➜ Test ".*skipped' "$log" || true)
# XCTest (if any target uses it): "Executed N tests, with F failures"
xc_total=$(grep -aoE 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -1 || true)
if [ -n "$xc_total" ]; then
    xt=$(echo "$xc_total" | grep -oE '[0-9]+' | sed -n 1p)
    xf=$(echo "$xc_total" | grep -oE '[0-9]+' | sed -n 2p)
    total=$(( ${total:-0} + xt ))
    failed=$(( failed + xf ))
fi
total=${total:-0}
# A sanitizer stops the process at its first report: no closing line follows it.
sanitizer=$(grep -aE -m1 '(ERROR|runtime error): (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|SUMMARY: (Address|Undefined)' "$log" || true)
started=$(grep -acE '^◇ Test run started' "$log" || true)
if [ -n "$sanitizer" ] || { [ "$started" -gt 0 ] && ! grep -aqE 'Test run with [0-9]+ tests?' "$log"; }; then
    echo "error: the test process stopped before the end of the run${sanitizer:+: $sanitizer}" >&2
    passed=$(grep -acE '^✔ Test .* passed after' "$log" || true)
    [ -n "${TEST_COUNTS:-}" ] && echo "$passed $(( failed + 1 )) $skipped" >> "$TEST_COUNTS"
    echo "${label}${passed} passed, $(( failed + 1 )) failed, ${skipped} skipped"
    exit 1
fi
if [ "$total" -eq 0 ]; then
    echo "${label}0 passed, 0 failed"
    echo "error: no tests ran" >&2
    exit 1
fi
[ -n "${TEST_COUNTS:-}" ] && echo "$(( total - failed - skipped )) $failed $skipped" >> "$TEST_COUNTS"
echo "${label}$(( total - failed - skipped )) passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ] && ! grep -aqE '^✘ Test run' "$log"
