#!/usr/bin/env bash
# Benchmark: garbage collection, `kots-registry gc` next to Distribution's `docker-registry
# garbage-collect`, on the same garbage, printed side by side with the ratio.
#
#   bench/gc.sh                      # needs skopeo, docker-registry, python3; builds in release mode
#   GARBAGE=2000 bench/gc.sh         # a quicker, smaller run
#
# Each registry gets: GARBAGE unique 10 KiB blobs no manifest references (pushes abandoned before
# their manifest, registry_load push-small), an image of LAYERS layers of LAYER_MIB to keep, and
# an image with the same layers and two more, pushed and then deleted by digest. The servers are stopped (Distribution's
# rule: nothing pushes during collection), then each collector runs once; its time and peak RSS
# are measured with /usr/bin/time, and the kept image must still pull (skopeo inspect) after.
set -euo pipefail
cd "$(dirname "$0")/.."

GARBAGE=${GARBAGE:-20000}
LAYERS=${LAYERS:-8}
LAYER_MIB=${LAYER_MIB:-16}

for tool in skopeo docker-registry python3 curl /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: \`$tool\` is missing (apt-get install -y skopeo docker-registry curl time)" >&2; exit 1; }
done

cargo build --release --quiet --bin kots-registry --example registry_load
KOTS=target/release/kots-registry
LOAD=target/release/examples/registry_load

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kots-gc-bench.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

source bench/lib.sh

"$LOAD" make-image "$WORK/keep" "$LAYERS" "$LAYER_MIB" >/dev/null
# The deleted image shares the kept one's layers and has two of its own, as an old version would.
"$LOAD" make-image "$WORK/drop" "$((LAYERS + 2))" "$LAYER_MIB" >/dev/null

# Pushes the same garbage and images to the registry at $1.
load() {
    local address=$1
    "$LOAD" push-small "$address" "$GARBAGE" 16 >/dev/null
    skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$WORK/keep:v1" "docker://$address/bench/keep:v1"
    skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$WORK/drop:v1" "docker://$address/bench/drop:v1"
    local digest
    digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$address/bench/drop:v1")
    curl -sf -X DELETE "http://$address/v2/bench/drop/manifests/$digest" >/dev/null
}

# Runs a collector; prints "SECONDS RSS_MIB".
measure() {
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/gc.out" 2>"$WORK/gc.err" || { cat "$WORK/gc.err" >&2; exit 1; }
    awk '{printf "%s %.1f\n", $1, $2 / 1024}' "$WORK/time"
}

# --- kots-registry ---------------------------------------------------------------------------
mkdir -p "$WORK/kots"
RUST_LOG=warn "$KOTS" serve --data-dir "$WORK/kots" --listen 127.0.0.1:0 >"$WORK/kots.out" 2>"$WORK/kots.log" &
PIDS+=($!); KOTS_PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/kots.out" 2>/dev/null && break; sleep 0.05; done
KOTS_ADDR=$(sed -n 's|.*listening on http://||p' "$WORK/kots.out")
load "$KOTS_ADDR"
kill "$KOTS_PID"; wait "$KOTS_PID" 2>/dev/null || true
KOTS_BEFORE=$(du -sm "$WORK/kots/blobs" | cut -f1)
read -r KOTS_SECONDS KOTS_RSS < <(measure "$KOTS" gc --data-dir "$WORK/kots")
KOTS_SAID=$(cat "$WORK/gc.out")
KOTS_AFTER=$(du -sm "$WORK/kots/blobs" | cut -f1)
RUST_LOG=warn "$KOTS" serve --data-dir "$WORK/kots" --listen 127.0.0.1:0 --read-only >"$WORK/kots.out" 2>"$WORK/kots.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$WORK/kots.out" 2>/dev/null && break; sleep 0.05; done
KOTS_ADDR=$(sed -n 's|.*listening on http://||p' "$WORK/kots.out")
skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$KOTS_ADDR/bench/keep:v1" "oci:$WORK/pulled-kots:v1"

# --- Distribution ----------------------------------------------------------------------------
start_distribution
load "$DIST_ADDR"
kill "$DIST_PID"; wait "$DIST_PID" 2>/dev/null || true
DIST_BEFORE=$(du -sm "$WORK/distribution" | cut -f1)
read -r DIST_SECONDS DIST_RSS < <(measure docker-registry garbage-collect "$WORK/distribution.yml")
DIST_AFTER=$(du -sm "$WORK/distribution" | cut -f1)
start_distribution
skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$DIST_ADDR/bench/keep:v1" "oci:$WORK/pulled-dist:v1"

# --- figures ---------------------------------------------------------------------------------
echo "garbage: $GARBAGE unreferenced 10 KiB blobs + 2 x $LAYER_MIB MiB layers of a deleted image; kept: an image of $LAYERS x $LAYER_MIB MiB"
echo "kots-registry gc: $KOTS_SAID"
printf '%-22s %14s %14s %8s\n' "" "kots-registry" "Distribution" "ratio"
printf '%-22s %14s %14s %8s\n' "collection (s)" "$KOTS_SECONDS" "$DIST_SECONDS" \
    "$(python3 -c "print(f'{$DIST_SECONDS / max($KOTS_SECONDS, 0.01):.1f}x')")"
printf '%-22s %14s %14s\n' "peak RSS (MiB)" "$KOTS_RSS" "$DIST_RSS"
printf '%-22s %14s %14s\n' "disk before (MiB)" "$KOTS_BEFORE" "$DIST_BEFORE"
printf '%-22s %14s %14s\n' "disk after (MiB)" "$KOTS_AFTER" "$DIST_AFTER"
echo "the kept image pulls from both after collection"
