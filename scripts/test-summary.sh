#!/usr/bin/env bash
# Reads `swift test` output on stdin (it is also echoed) and ends with a plain
# "N passed, N failed" line. Exits non-zero when any test failed or none ran.
set -uo pipefail

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
if [ "$total" -eq 0 ]; then
    echo "0 passed, 0 failed"
    echo "error: no tests ran" >&2
    exit 1
fi
echo "$(( total - failed - skipped )) passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ] && ! grep -aqE '^✘ Test run' "$log"
