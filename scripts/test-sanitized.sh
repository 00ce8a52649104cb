#!/usr/bin/env bash
# The libsodium-facing code under AddressSanitizer (`make test` runs it after the main run):
# builds Tests/Sanitized — MessagingSodium, MessagingE2EE, MessagingAuth, MessagingE2EEVerification, MessagingMedia and their
# test targets, from the root package's sources — with `--sanitize=address` in its own
# scratch path (.build-asan, so the main .build is never invalidated), runs every test in it
# and summarises the run like the main one ("asan: N passed, N failed"). Any sanitizer report
# stops the process and fails the run (scripts/test-summary.sh says so).
#
# Environment: SWIFT (default swift), TEST_COUNTS (see test-summary.sh), ASAN_OPTIONS
# (defaults below), MESSAGING_INTEROP_PYTHON (default: the venv that interop-venv.sh makes).
set -euo pipefail
cd "$(dirname "$0")/.."

swift=${SWIFT:-swift}
package=Tests/Sanitized
scratch=.build-asan

echo "==> AddressSanitizer: building MessagingSodium, MessagingE2EE, MessagingAuth, MessagingE2EEVerification, MessagingMedia and their tests ($scratch)"
start=$(date +%s)
"$swift" build --package-path "$package" --scratch-path "$scratch" --build-tests --sanitize=address
echo "==> AddressSanitizer: build took $(( $(date +%s) - start )) s; running the tests"

# Stop at the first report with the process's exit status. Leak checking is off: the Swift
# runtime keeps metadata and test-framework state until exit, which LeakSanitizer would
# report as leaks on every run; what is checked is every access and every free.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0}
export MESSAGING_INTEROP_PYTHON=${MESSAGING_INTEROP_PYTHON:-$PWD/.build/interop-venv/bin/python3}
"$swift" test --package-path "$package" --scratch-path "$scratch" --skip-build --sanitize=address 2>&1 \
    | bash scripts/test-summary.sh asan
