#!/usr/bin/env bash
# Benchmark: an airgap bundle of ~1 GB, built by kots-vendor and pushed into a registry by
# `kubectl kots push-images` (streamed from the bundle), next to `skopeo copy` of the same
# images from an OCI layout (what a bundle must be extracted to for skopeo), printing times,
# ratio, peak RSS and the disk each needs besides the registry.
#
#   bench/airgap.sh                   # needs skopeo; builds in release mode
#   IMAGES=5 IMAGE_MB=200 COMPRESSION=zstd bench/airgap.sh
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGES=${IMAGES:-5}
IMAGE_MB=${IMAGE_MB:-200}
COMPRESSION=${COMPRESSION:-zstd}

command -v skopeo >/dev/null || { echo "bench: skopeo is missing (apt-get install -y skopeo)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 1; }
cargo build --release --quiet --bin kots-vendor --bin kots-registry --bin kubectl-kots
BIN=$PWD/target/release

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kots-airgap-bench.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

start() { # NAME COMMAND... -> sets ADDRESS (host:port); not in a subshell, so PIDS keeps the pid
    local name=$1; shift
    RUST_LOG=warn "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
    PIDS+=($!)
    for _ in $(seq 200); do grep -q listening "$WORK/$name.out" 2>/dev/null && break; sleep 0.05; done
    ADDRESS=$(sed -n 's|.*listening on http://||p' "$WORK/$name.out")
}
seconds() { python3 -c "import time; print(time.time())"; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }
rss_mb() { awk '/Maximum resident set size/ {printf "%.1f", $6 / 1024}' "$1"; }

# The vendor, its app and images.
export KOTS_VENDOR_TOKEN
KOTS_VENDOR_TOKEN=$("$BIN/kots-vendor" bootstrap --data-dir "$WORK/vendor" --email bench@example.com)
start vendor "$BIN/kots-vendor" serve --data-dir "$WORK/vendor" --listen 127.0.0.1:0; VENDOR=$ADDRESS
export KOTS_VENDOR_URL="http://$VENDOR"
"$BIN/kots-vendor" app create bench >/dev/null
mkdir -p "$WORK/release"
for i in $(seq 1 "$IMAGES"); do
    "$BIN/kubectl-kots" image make "$VENDOR/bench/img$i:1.0" --size $((IMAGE_MB * 1000000)) --seed "$i" \
        --dest-creds "bench@example.com:$KOTS_VENDOR_TOKEN" >/dev/null
    cat >>"$WORK/release/app.yaml" <<EOF
---
apiVersion: v1
kind: Pod
metadata:
  name: img$i
spec:
  containers:
    - name: img$i
      image: $VENDOR/bench/img$i:1.0
EOF
done
"$BIN/kots-vendor" release create --app bench --yaml-dir "$WORK/release" --version 1.0.0 --promote stable >/dev/null
"$BIN/kots-vendor" customer create --app bench --name bench --channel stable --airgap --output "$WORK/license.yaml" 2>/dev/null

# Vendor side: build the bundle (streamed from the registry's storage).
start_time=$(seconds)
/usr/bin/time -v -o "$WORK/build.time" "$BIN/kots-vendor" airgap build --app bench --license-file "$WORK/license.yaml" \
    --compression "$COMPRESSION" --output "$WORK/bundle" 2>/dev/null
end_time=$(seconds); BUILD=$(elapsed "$start_time" "$end_time")
BUNDLE_MB=$(du -m "$WORK/bundle" | cut -f1)
VENDOR_RSS=$(ps -o rss= -p "${PIDS[0]}" | awk '{printf "%.1f", $1 / 1024}')

# Customer side: push-images from the bundle.
start kots-dest "$BIN/kots-registry" serve --data-dir "$WORK/kots-dest" --listen 127.0.0.1:0; KOTS_REG=$ADDRESS
start_time=$(seconds)
/usr/bin/time -v -o "$WORK/push.time" "$BIN/kubectl-kots" push-images "$WORK/bundle" "http://$KOTS_REG/bench" -q >/dev/null
end_time=$(seconds); PUSH=$(elapsed "$start_time" "$end_time")

# skopeo: the same images from an OCI layout (the bundle extracted), one copy per image.
for i in $(seq 1 "$IMAGES"); do
    "$BIN/kubectl-kots" image copy -q "http://$VENDOR/bench/img$i:1.0" "oci:$WORK/layout:img$i" \
        --src-creds "bench@example.com:$KOTS_VENDOR_TOKEN" >/dev/null
done
LAYOUT_MB=$(du -sm "$WORK/layout" | cut -f1)
start skopeo-dest "$BIN/kots-registry" serve --data-dir "$WORK/skopeo-dest" --listen 127.0.0.1:0; SKOPEO_REG=$ADDRESS
start_time=$(seconds)
for i in $(seq 1 "$IMAGES"); do
    /usr/bin/time -v -a -o "$WORK/skopeo.time" skopeo --insecure-policy copy -q --dest-tls-verify=false \
        "oci:$WORK/layout:img$i" "docker://$SKOPEO_REG/bench/img$i:1.0"
done
end_time=$(seconds); SKOPEO=$(elapsed "$start_time" "$end_time")
SKOPEO_RSS=$(awk '/Maximum resident set size/ {if ($6 > max) max = $6} END {printf "%.1f", max / 1024}' "$WORK/skopeo.time")

printf '\nairgap bundle: %s images x %s MB, %s, bundle file %s MB\n' "$IMAGES" "$IMAGE_MB" "$COMPRESSION" "$BUNDLE_MB"
printf '%-44s %10s %12s %16s\n' "" "seconds" "peak RSS MB" "disk besides reg"
printf '%-44s %10s %12s %16s\n' "kots-vendor airgap build (client)" "$BUILD" "$(rss_mb "$WORK/build.time")" "bundle only"
printf '%-44s %10s %12s %16s\n' "kots-vendor server after the build (RSS now)" "" "$VENDOR_RSS" ""
printf '%-44s %10s %12s %16s\n' "kubectl kots push-images (from the bundle)" "$PUSH" "$(rss_mb "$WORK/push.time")" "${BUNDLE_MB} MB"
printf '%-44s %10s %12s %16s\n' "skopeo copy x$IMAGES (from an OCI layout)" "$SKOPEO" "$SKOPEO_RSS" "$((BUNDLE_MB + LAYOUT_MB)) MB"
python3 -c "print(f'push-images vs skopeo: {$SKOPEO / $PUSH:.2f}x faster')"
