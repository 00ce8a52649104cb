#!/usr/bin/env bash
# End-to-end load benchmark (issue 7): a release ChatServer on loopback with load-test
# limits, and the LoadGenerator against it (N = 100 and 1,000 members, burst and one at a
# time, then 10,000 idle authenticated connections). Progress on stderr; the figures at the end.
#
#   scripts/bench-e2e.sh                       everything
#   scripts/bench-e2e.sh --members 100 --idle 0 --messages 200    LoadGenerator options
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-release
echo "==> building ChatServer and LoadGenerator (release; the first build takes several minutes)" >&2
nice -n 5 swift build -c release --scratch-path "$scratch" --product ChatServer >&2
nice -n 5 swift build -c release --scratch-path "$scratch" --product LoadGenerator >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"

work="$(mktemp -d)"
port="${BENCH_PORT:-18080}"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Room for 10,000 connections on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "==> starting ChatServer on 127.0.0.1:$port (database in $work)" >&2
CHAT_LOG_LEVEL=warning "$bin/ChatServer" --host 127.0.0.1 --port "$port" --database "$work/chat.sqlite" \
    --no-jobs --benchmark-limits >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

"$bin/LoadGenerator" --server "http://127.0.0.1:$port" --server-pid "$server_pid" "$@"
