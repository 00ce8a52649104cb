#!/usr/bin/env bash
# Cross-node delivery on PostgreSQL (issue 16): two release ChatServer nodes on one throwaway
# PostgreSQL; the LoadGenerator sends on node A while every receiver is subscribed on node B,
# then the same load with sender and receivers on node A alone (the single-node figure on the
# same database). Per delivery: latency p50/p99 from send on A to receive on B, and the CPU of
# each node. Progress on stderr; the figures on stdout, also in .build-release/bench-cluster/.
#
#   scripts/bench-cluster.sh                         N = 100 and 1,000, burst and one at a time
#   scripts/bench-cluster.sh --members 100           LoadGenerator options for both runs
#
# Run it through scripts/postgres-test.sh (make bench-cluster does), which sets
# MESSAGING_TEST_POSTGRES_URL and removes the server afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${MESSAGING_TEST_POSTGRES_URL:?run through scripts/postgres-test.sh run (make bench-cluster)}"

load_start="$(cat /proc/loadavg)"
echo "==> load average at start: $load_start" >&2
scratch=.build-release
echo "==> building ChatServer and LoadGenerator (release)" >&2
nice -n 10 swift build -c release --scratch-path "$scratch" --product ChatServer >&2
nice -n 10 swift build -c release --scratch-path "$scratch" --product LoadGenerator >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
out="$scratch/bench-cluster"
mkdir -p "$out"
rm -f "$out"/*.jsonl "$out/report.md"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # A node must exit within 15 s of SIGTERM. One that does not is a defect: its threads'
    # stacks go to $out/hang-PID.txt (gdb, when installed) and it is killed.
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "error: ChatServer pid $pid did not exit within 15 s of SIGTERM; stacks in $out/hang-$pid.txt" >&2
            if command -v gdb >/dev/null; then
                gdb -p "$pid" -batch -ex "thread apply all bt 40" >"$out/hang-$pid.txt" 2>&1 || true
            fi
            cp "$work"/*.log "$out/" 2>/dev/null || true
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# Both nodes sign and verify access tokens with one key file; node A makes it.
start_node() { # name port → pid in $node_pid
    local name="$1" port="$2"
    CHAT_LOG_LEVEL=warning "$bin/ChatServer" --host 127.0.0.1 --port "$port" --postgres "$MESSAGING_TEST_POSTGRES_URL" \
        --keys "$work/keys.json" --database "$work/$name.sqlite" --no-jobs --benchmark-limits >"$work/$name.log" 2>&1 &
    node_pid=$!
    pids+=("$node_pid")
    for _ in $(seq 1 200); do
        curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$node_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "error: ChatServer $name did not become ready on $port; its log:" >&2
    cat "$work/$name.log" >&2
    exit 1
}
port_a=$(free_port)
start_node a "$port_a"
pid_a=$node_pid
port_b=$(free_port)
start_node b "$port_b"
pid_b=$node_pid
echo "==> node A pid $pid_a on $port_a, node B pid $pid_b on $port_b, one PostgreSQL" >&2

echo "==> cross-node: sender on A, receivers on B" >&2
timeout --kill-after=15 900 "$bin/LoadGenerator" chat --server "http://127.0.0.1:$port_a" --server-pid "$pid_a" \
    --receiver-server "http://127.0.0.1:$port_b" --receiver-server-pid "$pid_b" \
    --idle 0 --persistence-messages 0 --results "$out/cross.jsonl" "$@" | tee "$out/cross.txt"
echo "==> single node on the same database: sender and receivers on A" >&2
timeout --kill-after=15 900 "$bin/LoadGenerator" chat --server "http://127.0.0.1:$port_a" --server-pid "$pid_a" \
    --idle 0 --persistence-messages 0 --results "$out/single.jsonl" "$@" | tee "$out/single.txt"
echo "load average at start: $load_start; at end: $(cat /proc/loadavg); 2 cores" | tee -a "$out/single.txt"
