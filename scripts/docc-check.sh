#!/usr/bin/env bash
# Runs the public API of every library product through DocC with warnings as errors.
#
# Each module's symbol graph is extracted from the debug build (`swift build` first; make
# test has built it) and converted with its catalog (Sources/X/Docs.docc). A broken symbol
# link, an undocumented parameter or a catalog entry naming a symbol that does not exist
# fails the run, naming file and line. Symbol links stay within their module: another
# module's symbol is written as code, `MessagingCore.JobQueue`.
set -euo pipefail
cd "$(dirname "$0")/.."

build=$(swift build --show-bin-path)
triple=$(swiftc -print-target-info | python3 -c 'import json,sys; print(json.load(sys.stdin)["target"]["triple"])')
# The modules with a catalog, dependencies first (the order of the report).
modules=${DOCC_MODULES:-$(swift package describe --type json | python3 -c '
import json, os, sys
targets = {t["name"]: t.get("target_dependencies", []) for t in json.load(sys.stdin)["targets"]}
order, seen = [], set()
def visit(name):
    if name in seen or name not in targets: return
    seen.add(name)
    for dependency in targets[name]: visit(dependency)
    if os.path.isdir(f"Sources/{name}/Docs.docc"): order.append(name)
for name in sorted(targets): visit(name)
print(" ".join(order))')}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
includes=(-I "$build/Modules")
# C modules: the package's own module maps and those of the dependencies' C targets (the
# build's copies and the checkouts' include directories; host-tool duplicates left out).
for map in Sources/*/module.modulemap Sources/*/include/module.modulemap \
    $(find "$build" -maxdepth 3 \( -path '*.build/include/module.modulemap' -o -path '*.build/module.modulemap' \) \
        -not -path '*-tool.build/*' 2>/dev/null) \
    $(find .build/checkouts \( -path '*/Sources/*/include/module.modulemap' -o -path '*/Sources/*/module.modulemap' \) 2>/dev/null); do
    [ -e "$map" ] && includes+=(-I "$(dirname "$map")")
done
failed=0
for module in $modules; do
    mkdir -p "$work/$module/graph"
    swift symbolgraph-extract -module-name "$module" "${includes[@]}" -target "$triple" \
        -minimum-access-level public -skip-synthesized-members -output-dir "$work/$module/graph" >/dev/null
    # Every diagnostic counts, as with --warnings-as-errors.
    output=$(docc convert "Sources/$module/Docs.docc" --additional-symbol-graph-dir "$work/$module/graph" \
        --fallback-display-name "$module" --fallback-bundle-identifier "$module" \
        --output-path "$work/$module.doccarchive" 2>&1) || failed=1
    if printf '%s\n' "$output" | grep -qE '^(warning|error):'; then
        printf '%s\n' "$output" | awk 'NF && NR <= 150'
        echo "==> docc: $module has documentation warnings or errors (above)"
        failed=1
    else
        echo "==> docc: $module clean"
    fi
done
exit $failed
