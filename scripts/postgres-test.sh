#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: initdb into a temporary directory, listen on
# 127.0.0.1 at a free port, one database, a random password; removed when stopped.
#
#   postgres-test.sh run COMMAND...   start, run COMMAND with MESSAGING_TEST_POSTGRES_URL set,
#                                     stop (also when COMMAND fails or is interrupted);
#                                     exits with COMMAND's status (`make test` uses this)
#   postgres-test.sh start            start and print `export` lines for the shell:
#                                       eval "$(scripts/postgres-test.sh start)"
#   postgres-test.sh stop [DIR]       stop the server started in DIR
#                                     (default: $MESSAGING_TEST_POSTGRES_DIR) and remove DIR
#
# Installs Debian's `postgresql` (scripts/ensure-packages.sh) when no initdb is found. As
# root, the server runs as the `postgres` user (initdb refuses root). A server that does not
# start is an error: the PostgreSQL tests are never skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

log() { echo "==> postgres-test: $*" >&2; }

find_bindir() {
    local dir found=""
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && found=$dir
    done
    if [ -z "$found" ] && command -v initdb >/dev/null 2>&1; then
        found=$(dirname "$(command -v initdb)")
    fi
    echo "$found"
}

as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    local bindir dir port password url
    bindir=$(find_bindir)
    if [ -z "$bindir" ]; then
        log "no initdb found; installing postgresql"
        bash "$here/ensure-packages.sh" postgresql
        bindir=$(find_bindir)
        [ -n "$bindir" ] || { log "error: postgresql is installed but no initdb was found"; exit 1; }
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/swift-messaging-postgres.XXXXXX")
    chmod 700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (umask 077; echo "$password" > "$dir/pw")
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/pw"
    log "initdb in $dir ($("$bindir/postgres" --version))"
    if ! as_server_user "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pw" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
        log "error: initdb failed:"; cat "$dir/initdb.log" >&2; exit 1
    fi
    rm -f "$dir/pw"
    local attempt
    for attempt in 1 2 3; do
        port=$(free_port)
        # fsync off: the data is thrown away. max_connections: the suites run in parallel,
        # each with its own small pool.
        if as_server_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o \
            "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
            start >/dev/null; then
            break
        fi
        log "the server did not start on port $port (attempt $attempt); its log:"; tail -5 "$dir/server.log" >&2 || true
        [ "$attempt" -eq 3 ] && { log "error: PostgreSQL did not start"; exit 1; }
    done
    as_server_user "$bindir/psql" -h "$dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE DATABASE messaging_test" >&2
    url="postgres://postgres:$password@127.0.0.1:$port/messaging_test?sslmode=disable"
    log "PostgreSQL on 127.0.0.1:$port (data in $dir)"
    echo "export MESSAGING_TEST_POSTGRES_URL='$url'"
    echo "export MESSAGING_TEST_POSTGRES_DIR='$dir'"
    echo "export MESSAGING_TEST_POSTGRES_BINDIR='$bindir'"
}

stop() {
    local dir=${1:-${MESSAGING_TEST_POSTGRES_DIR:-}}
    [ -n "$dir" ] || { log "error: stop needs the server's directory (or MESSAGING_TEST_POSTGRES_DIR)"; exit 1; }
    [ -d "$dir" ] || { log "nothing to stop in $dir"; return 0; }
    local bindir=${MESSAGING_TEST_POSTGRES_BINDIR:-$(find_bindir)}
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_server_user "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null || log "pg_ctl stop failed"
    fi
    rm -rf "$dir"
    log "stopped and removed $dir"
}

case "${1:-}" in
start) start ;;
stop) shift; stop "${1:-}" ;;
run)
    shift
    [ $# -gt 0 ] || { log "error: run needs a command"; exit 2; }
    eval "$(start)"
    trap 'stop "$MESSAGING_TEST_POSTGRES_DIR"' EXIT
    trap 'exit 130' INT TERM
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
*)
    echo "usage: $0 run COMMAND... | start | stop [DIR]" >&2
    exit 2
    ;;
esac
