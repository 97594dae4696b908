#!/usr/bin/env bash
# The binaries as built for users (`cargo build --release`: debug info and symbols dropped),
# their sizes against the issue's target of 25 MiB each, and what `strip` would still take off.
#   bench/binaries.sh
#   KOTS_BIN_DIR=DIR bench/binaries.sh   # the binaries already built in DIR; builds nothing
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_build --bin kots-vendor --bin kots-registry --bin kubectl-kots
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
printf '%-16s %12s %16s %8s\n' "binary" "as built" "fully stripped" "target"
for bin in kots-vendor kots-registry kubectl-kots; do
    file=$(bench_bin "$bin")
    cp "$file" "$WORK/$bin" && strip "$WORK/$bin"
    verdict=$(awk -v b="$(stat -c %s "$file")" 'BEGIN { print (b <= 25 * 1048576) ? "ok" : "over" }')
    printf '%-16s %12s %16s %8s\n' "$bin" "$(mib "$file")" "$(mib "$WORK/$bin")" "$verdict"
done
