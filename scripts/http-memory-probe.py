#!/usr/bin/env python3
"""Waves of pending HTTP connections against a ChatServer binary, with its RSS after each.

Starts the server (its own temporary database, loopback, a free port), then runs WAVES
waves: open N sockets that each send half an upgrade request and stall, wait until the
server's header timeout closed them (or close them ourselves after --hold seconds), and
record the server's VmRSS before, during and after. Bounded in time; stops the server it
started (by PID). Usage:

    scripts/http-memory-probe.py .build/debug/ChatServer [--connections 2000] [--waves 3]
        [--header-timeout 5] [--env GLIBC_TUNABLES=glibc.malloc.arena_max=1]

A leak grows the "after" RSS wave after wave; allocator retention grows it once and then
plateaus (glibc keeps freed pages of its per-thread arenas mapped).
"""

import argparse
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def top_mappings(pid, count=6):
    """The mappings holding the most resident memory: (KiB, description)."""
    mappings = []
    current = None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5 and not fields[0].endswith(":"):
                current = " ".join(fields[5:]) or f"anonymous {fields[0]}"
            elif fields[0] == "Rss:" and current is not None:
                mappings.append((int(fields[1]), current))
    return sorted(mappings, reverse=True)[:count]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--header-timeout", type=int, default=5)
    parser.add_argument("--hold", type=float, default=None, help="close our sockets after this many seconds instead of waiting for the server")
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--trim", action="store_true", help="after the last wave, call glibc's malloc_trim(0) in the server through gdb and print the RSS again")
    parser.add_argument("--smaps", action="store_true", help="print the largest resident mappings at the start and after each wave")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 256), hard))

    directory = tempfile.mkdtemp(prefix="http-memory-probe-")
    port = free_port()
    environment = dict(os.environ)
    for pair in args.env:
        key, value = pair.split("=", 1)
        environment[key] = value
    server = subprocess.Popen(
        [args.binary, "--host", "127.0.0.1", "--port", str(port), "--database", f"{directory}/chat.sqlite",
         "--header-timeout", str(args.header_timeout), "--log-level", "error"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)
        print(f"idle after start: {rss_kib(server.pid) / 1024:.1f} MiB", flush=True)
        if args.smaps:
            for kib, name in top_mappings(server.pid):
                print(f"    {kib / 1024:7.1f} MiB  {name}")
        partial = b"GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        for wave in range(1, args.waves + 1):
            sockets = []
            for _ in range(args.connections):
                connection = socket.create_connection(("127.0.0.1", port), timeout=5)
                connection.sendall(partial)
                sockets.append(connection)
            time.sleep(1)
            during = rss_kib(server.pid)
            started = time.time()
            if args.hold is not None:
                time.sleep(args.hold)
                closed_by_server = 0
            else:
                closed_by_server = 0
                for connection in sockets:
                    connection.settimeout(max(0.1, args.header_timeout + 10 - (time.time() - started)))
                    try:
                        while connection.recv(65536):
                            pass
                        closed_by_server += 1
                    except OSError:
                        pass
            for connection in sockets:
                connection.close()
            time.sleep(3)
            after = rss_kib(server.pid)
            print(f"wave {wave}: {args.connections} pending -> {during / 1024:.1f} MiB; "
                  f"closed by the server: {closed_by_server} in {time.time() - started:.1f} s; "
                  f"3 s after all closed: {after / 1024:.1f} MiB", flush=True)
            if args.smaps:
                for kib, name in top_mappings(server.pid):
                    print(f"    {kib / 1024:7.1f} MiB  {name}")
        if args.trim:
            subprocess.run(["gdb", "-p", str(server.pid), "-batch", "-ex", "call (int)malloc_trim(0)"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            time.sleep(1)
            print(f"after malloc_trim(0): {rss_kib(server.pid) / 1024:.1f} MiB", flush=True)
            if args.smaps:
                for kib, name in top_mappings(server.pid):
                    print(f"    {kib / 1024:7.1f} MiB  {name}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        subprocess.run(["rm", "-rf", directory])
    return 0


if __name__ == "__main__":
    sys.exit(main())
