#!/usr/bin/env bash
# End-to-end load benchmark (issues 7 and 14), ChatServer against Redis pub/sub in the same run:
# the same LoadGenerator, payload, N (100 and 1,000) and modes (burst, one at a time) against
# a redis-server on loopback first, then against a release ChatServer with load-test limits;
# then idle connections (10,000, held 60 s) on each, and ChatServer sends with no receiver
# (the persistence share). Ends with one table of ChatServer/Redis ratios beside the issue's
# targets and the load average. Progress on stderr; the table on stdout, also kept in
# .build-release/bench-e2e/report.md with the raw figures (*.jsonl) beside it.
#
#   scripts/bench-e2e.sh                                   everything
#   scripts/bench-e2e.sh --idle 2000 --idle-hold 20        LoadGenerator options, applied to both peers
#   BENCH_E2E_TIMEOUT=900 scripts/bench-e2e.sh             hard bound per LoadGenerator run (seconds)
set -euo pipefail
cd "$(dirname "$0")/.."

load_start="$(cat /proc/loadavg)"
echo "==> load average at start: $load_start" >&2

echo "==> redis-server (the reference peer) from Debian's packages" >&2
bash scripts/ensure-packages.sh redis-server >&2
redis_server="$(command -v redis-server || echo /usr/bin/redis-server)"
redis_cli="$(command -v redis-cli || echo /usr/bin/redis-cli)"
[[ -x "$redis_server" && -x "$redis_cli" ]] || { echo "error: redis-server/redis-cli not found after installing redis-server; run: apt-get install -y redis-server" >&2; exit 1; }

scratch=.build-release
echo "==> building ChatServer and LoadGenerator (release; the first build takes 15-25 minutes on 2 cores)" >&2
nice -n 10 swift build -c release --scratch-path "$scratch" --product ChatServer >&2
nice -n 10 swift build -c release --scratch-path "$scratch" --product LoadGenerator >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"

out="$scratch/bench-e2e"
mkdir -p "$out"
rm -f "$out/redis.jsonl" "$out/chat.jsonl" "$out/report.md"
work="$(mktemp -d)"
server_pid=""
redis_pid=""
stop_pid() { # stops one process of ours by its pid
    local pid="$1"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}
cleanup() {
    stop_pid "$redis_pid"
    stop_pid "$server_pid"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Room for 10,000 idle connections plus the fanout ones on each side (the servers and the
# generator inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "==> open files limit: $(ulimit -n)" >&2

# A loopback port no socket uses, below the kernel's ephemeral range (the generator's
# thousands of client connections, and their TIME_WAIT after closing, live in that range and
# would make a server's bind fail). Checked with ss when present, else by connecting; a rare
# race is caught by the start-up checks below.
free_port() {
    local low port
    low="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
    (( low > 12000 )) || low=32768
    for _ in $(seq 1 100); do
        port=$((10000 + RANDOM % (low - 10000)))
        if command -v ss >/dev/null 2>&1; then
            [[ -z "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ]] && { echo "$port"; return 0; }
        elif ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"; return 0
        fi
    done
    echo "error: no free loopback port found in 100 tries" >&2
    return 1
}

run_timeout="${BENCH_E2E_TIMEOUT:-900}"

# --- Redis -------------------------------------------------------------------------------
mkdir -p "$work/redis"
# redis-server keeps 32 descriptors for itself and lowers maxclients to fit the limit.
maxclients=$(( $(ulimit -n) - 64 ))
for attempt in 1 2 3; do
    redis_port="$(free_port)"
    echo "==> starting redis-server on 127.0.0.1:$redis_port (no persistence, maxclients $maxclients, dir $work/redis)" >&2
    "$redis_server" --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$work/redis" \
        --daemonize no --protected-mode yes --maxclients "$maxclients" \
        --logfile "$work/redis/redis.log" --loglevel warning &
    redis_pid=$!
    for _ in $(seq 1 50); do
        kill -0 "$redis_pid" 2>/dev/null || break
        [[ "$("$redis_cli" -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" == PONG ]] && break
        sleep 0.1
    done
    # The server that answers must be ours (same pid), not something that took the port.
    if [[ "$("$redis_cli" -h 127.0.0.1 -p "$redis_port" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" == "$redis_pid" ]]; then
        break
    fi
    echo "    redis-server did not start on $redis_port (attempt $attempt):" >&2
    cat "$work/redis/redis.log" >&2 || true
    stop_pid "$redis_pid"
    redis_pid=""
done
[[ -n "$redis_pid" ]] || { echo "error: redis-server would not start; see the log above" >&2; exit 1; }
echo "==> redis-server $("$redis_cli" -h 127.0.0.1 -p "$redis_port" info server | tr -d '\r' | sed -n 's/^redis_version://p'), pid $redis_pid, maxclients $("$redis_cli" -h 127.0.0.1 -p "$redis_port" config get maxclients | tail -1)" >&2

timeout --kill-after=15 "$run_timeout" "$bin/LoadGenerator" redis --server "127.0.0.1:$redis_port" --server-pid "$redis_pid" \
    --results "$out/redis.jsonl" "$@"
stop_pid "$redis_pid"
redis_pid=""

# --- ChatServer --------------------------------------------------------------------------
for attempt in 1 2 3; do
    port="${BENCH_PORT:-$(free_port)}"
    echo "==> starting ChatServer on 127.0.0.1:$port (database in $work)" >&2
    rm -f "$work"/chat.sqlite*
    CHAT_LOG_LEVEL=warning "$bin/ChatServer" --host 127.0.0.1 --port "$port" --database "$work/chat.sqlite" \
        --no-jobs --benchmark-limits >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$server_pid" 2>/dev/null && curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    echo "    ChatServer did not start on $port (attempt $attempt):" >&2
    cat "$work/server.log" >&2
    stop_pid "$server_pid"
    server_pid=""
done
[[ -n "$server_pid" ]] || { echo "error: ChatServer would not start; see its log above" >&2; exit 1; }

timeout --kill-after=15 "$run_timeout" "$bin/LoadGenerator" chat --server "http://127.0.0.1:$port" --server-pid "$server_pid" \
    --results "$out/chat.jsonl" "$@"
stop_pid "$server_pid"
server_pid=""

# --- One table ---------------------------------------------------------------------------
echo >&2
"$bin/LoadGenerator" report --results "$out/redis.jsonl" --results "$out/chat.jsonl" --load-start "$load_start" \
    | tee "$out/report.md"
