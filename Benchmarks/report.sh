#!/usr/bin/env bash
# Runs the benchmarks once (release build) and prints, from that one run, the table of
# ours/raw-C ratios at p50 and p99 for every pair (see Documentation/Benchmarks.md).
#
#   ./report.sh                          run everything, then report
#   ./report.sh --target SendBenchmarks  extra arguments go to `swift package benchmark`
#   BENCH_REPORT_ONLY=1 ./report.sh      report on the last run again without running
#
# The run is stored as the baseline "$BENCH_BASELINE" (default: current) in
# .benchmarkBaselines/ (git-ignored); the percentiles are exported to .benchmarkReport/ and
# the ratio table is also written there as ratios.md.
set -euo pipefail
cd "$(dirname "$0")"

baseline="${BENCH_BASELINE:-current}"
export_dir=.benchmarkReport

if [[ "${BENCH_REPORT_ONLY:-0}" != 1 ]]; then
    nice -n 10 swift package --allow-writing-to-package-directory \
        benchmark baseline update "$baseline" --no-progress "$@"
    # The full per-benchmark tables (wall clock, throughput, mallocs) of the run.
    nice -n 10 swift package benchmark baseline read "$baseline" --no-progress
fi

rm -rf "$export_dir"
mkdir -p "$export_dir"
if ! nice -n 10 swift package --allow-writing-to-package-directory benchmark baseline read "$baseline" \
    --format histogramPercentiles --path "$export_dir" --no-progress >"$export_dir/export.log" 2>&1; then
    cat "$export_dir/export.log" >&2
    exit 1
fi

python3 - "$export_dir" "$baseline" <<'PY'
import glob, os, re, sys

directory, baseline = sys.argv[1], sys.argv[2]
TARGETS = ("PaginationBenchmarks", "SendBenchmarks", "FanoutBenchmarks")

def load(metric):
    """{benchmark name: {percentile: value}} for one metric."""
    values = {}
    for path in glob.glob(os.path.join(directory, f"{baseline}.*.{metric}.histogram.percentiles.tsv")):
        name = os.path.basename(path)[len(baseline) + 1:-len(f".{metric}.histogram.percentiles.tsv")]
        for target in TARGETS:
            if name.startswith(target + "."):
                name = name[len(target) + 1:]
        with open(path) as file:
            header = file.readline()
            scale = unit_scale(path, header, metric)
            values[name] = {int(p): float(v) * scale for p, v in (line.split("\t") for line in file if line.strip())}
    return values

# The export names its unit in the header's last parentheses, chosen per benchmark by its
# magnitude ("(ns)", "(μs)", "(ms)" for time; "(K)", "(M)" for counts): read it, never assume it.
TIME_UNITS = {"ns": 1, "μs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
COUNT_UNITS = {"": 1, "#": 1, "K": 1e3, "M": 1e6, "G": 1e9}

def unit_scale(path, header, metric):
    found = re.findall(r"\(([^()]*)\)", header)
    unit = found[-1].strip() if found else ""
    table = TIME_UNITS if metric == "wallClock" else COUNT_UNITS
    if unit not in table:
        if metric != "wallClock" and unit not in TIME_UNITS:
            return 1  # a count whose header names no scale
        sys.exit(f"{path}: unknown unit {unit!r} in {header.strip()!r}")
    return table[unit]

time = load("wallClock")
mallocs = load("mallocCountTotal")
if not time:
    sys.exit(f"no results for baseline '{baseline}' in {directory}")

def us(ns):
    return f"{ns / 1000:.1f}"

rows = []  # (group, label, ours, base, divisor, target or None)
depths = sorted({int(m.group(1)) for n in time for m in [re.match(r"page\.\w+\.d(\d+)$", n)] if m})
for d in depths:
    rows.append(("page (store port) vs raw C", f"depth {d:,}", f"page.store.d{d}", f"page.raw.d{d}", 1, 1.2))
for d in depths:
    rows.append(("page (history use case) vs raw C same statements", f"depth {d:,}",
                 f"page.history.d{d}", f"page.rawHistory.d{d}", 1, 1.2))
for d in depths:
    rows.append(("history with reaction and thread summaries vs without (information; no reactions or replies in the fixture)",
                 f"depth {d:,}", f"page.historySummaries.d{d}", f"page.history.d{d}", 1, None))
for d in depths:
    rows.append(("raw C OFFSET vs raw C keyset (information)", f"depth {d:,}",
                 f"page.rawOffset.d{d}", f"page.raw.d{d}", 1, None))
rows.append(("read transaction fixed cost, no rows (diagnostic)", "store.read { _ in 0 } vs raw BEGIN/COMMIT",
             "diag.read.storeEmpty", "diag.read.rawEmpty", 1, None))
rows.append(("read transaction fixed cost, no rows (diagnostic)", "GRDB async pool.read vs sync pool.read",
             "diag.read.grdbAsyncEmpty", "diag.read.grdbSyncEmpty", 1, None))
rows.append(("read transaction fixed cost, no rows (diagnostic)", "GRDB sync pool.read vs raw BEGIN/COMMIT",
             "diag.read.grdbSyncEmpty", "diag.read.rawEmpty", 1, None))
for n in (10, 1_000, 10_000):
    rows.append(("fanout: hub → session → WebSocket frame writer vs bare channel writes, per delivery", f"N {n:,}",
                 f"fanout.path.n{n}", f"fanout.bare.n{n}", n, 3))
rows.append(("send vs raw C same statements", "single (1 per transaction)", "send.single.ours", "send.single.raw", 1, 1.3))
rows.append(("send vs raw C same statements", "batch of 100, per message", "send.batch100.ours", "send.batch100.raw", 100, 1.3))
rows.append(("send vs raw C bare insert floor (information)", "single", "send.single.ours", "send.single.rawFloor", 1, None))
rows.append(("send vs raw C bare insert floor (information)", "raw send single", "send.single.raw", "send.single.rawFloor", 1, None))
rows.append(("end-to-end encrypted send (information)", "encrypted vs plain send", "send.single.encrypted", "send.single.ours", 1, None))
rows.append(("end-to-end encrypted send (information)", "encrypted send vs bare Ed25519 verify", "send.single.encrypted", "send.single.verifyRaw", 1, None))

lines = []
def out(line=""):
    print(line)
    lines.append(line)

missed = []
group = None
for g, label, ours, base, divisor, target in rows:
    if ours not in time or base not in time:
        continue
    if g != group:
        group = g
        out()
        out(f"### {g}" + (f" (target ≤ {target}×)" if target else ""))
        out()
        out("| case | ours p50 µs | base p50 µs | ratio p50 | ours p99 µs | base p99 µs | ratio p99 | mallocs p50 ours/base | |")
        out("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    o, b = time[ours], time[base]
    r50, r99 = o[50] / b[50], o[99] / b[99]
    verdict = ""
    if target:
        ok = r50 <= target and r99 <= target
        verdict = "meets target" if ok else "MISSES target"
        if not ok:
            missed.append(f"{ours} / {base}")
    places = 2 if divisor > 1 else 0
    m = (f"{mallocs[ours][50] / divisor:.{places}f} / {mallocs[base][50] / divisor:.{places}f}"
         if ours in mallocs and base in mallocs else "")
    out(f"| {label} | {us(o[50] / divisor)} | {us(b[50] / divisor)} | {r50:.2f}× "
        f"| {us(o[99] / divisor)} | {us(b[99] / divisor)} | {r99:.2f}× | {m} | {verdict} |")

sends = [(n, d) for n, d in (("send.single.ours", 1), ("send.single.raw", 1), ("send.batch100.ours", 100),
                              ("send.batch100.raw", 100), ("send.single.rawFloor", 1)) if n in time]
if sends:
    out()
    out("### persisted messages per second (from p50)")
    out()
    out("| benchmark | messages/s |")
    out("|---|---:|")
    for n, d in sends:
        out(f"| {n} | {1e9 / (time[n][50] / d):,.0f} |")

# Concurrent senders (group commit): N sends per round, all in flight at once.
concurrent = [n for n in (1, 8, 64) if f"send.concurrent{n}.ours" in time]
if concurrent and "send.single.raw" in time:
    raw_single = 1e9 / time["send.single.raw"][50]
    raw_batched = 1e9 / (time["send.batch100.raw"][50] / 100) if "send.batch100.raw" in time else None
    out()
    out("### concurrent senders vs raw C rates of the same run (target at 64: ≥ 2× the raw one-row-per-transaction rate)")
    out()
    out(f"Raw C: one send per transaction {raw_single:,.0f} sends/s; ideal batched (100 per transaction) "
        + (f"{raw_batched:,.0f} sends/s." if raw_batched else "not measured."))
    out()
    out("| senders | sends/s (p50 round) | sends/s (p99 round) | round p50 µs | round p99 µs | × raw 1-row/tx | × raw batched | |")
    out("|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in concurrent:
        t = time[f"send.concurrent{n}.ours"]
        rate50, rate99 = n * 1e9 / t[50], n * 1e9 / t[99]
        verdict = ""
        if n == 64:
            ok = rate50 >= 2 * raw_single
            verdict = "meets target" if ok else "MISSES target"
            if not ok:
                missed.append(f"send.concurrent64.ours / 2 × send.single.raw rate")
        batched = f"{rate50 / raw_batched:.2f}×" if raw_batched else ""
        out(f"| {n} | {rate50:,.0f} | {rate99:,.0f} | {us(t[50])} | {us(t[99])} | {rate50 / raw_single:.2f}× | {batched} | {verdict} |")
    if "send.concurrent64.full.ours" in time and "send.single.raw.full" in time:
        t = time["send.concurrent64.full.ours"]
        raw_full = 1e9 / time["send.single.raw.full"][50]
        rate50 = 64 * 1e9 / t[50]
        ok = rate50 >= 2 * raw_full
        if not ok:
            missed.append("send.concurrent64.full.ours / 2 × send.single.raw.full rate")
        out(f"| 64, synchronous=FULL | {rate50:,.0f} | {64 * 1e9 / t[99]:,.0f} | {us(t[50])} | {us(t[99])} | "
            + f"{rate50 / raw_full:.2f}× the raw FULL 1-row rate ({raw_full:,.0f}/s) | | "
            + ("meets target" if ok else "MISSES target") + " |")
    out()
    out("A round's time bounds the latency of each of its sends (all are answered before it ends).")

if all(n in time for n in ("send.single.encrypted", "send.single.ours", "send.single.verifyRaw")):
    added = time["send.single.encrypted"][50] - time["send.single.ours"][50]
    verify = time["send.single.verifyRaw"][50]
    out()
    out(f"Encryption adds {us(added)} µs per send at p50 over the plain send of this run; "
        f"the bare Ed25519 verification it needs takes {us(verify)} µs ({added / verify:.2f}× that floor).")

with open(os.path.join(directory, "ratios.md"), "w") as file:
    file.write("\n".join(lines) + "\n")
print()
print("Targets missed: " + (", ".join(missed) if missed else "none"))
PY
