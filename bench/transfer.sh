#!/usr/bin/env bash
# Benchmark: copying an app's images between two local registries with the kots transfer engine,
# and with `skopeo copy` run once per image (what KOTS does), side by side.
#
#   bench/transfer.sh               # needs skopeo; builds in release mode
#   IMAGES=6 BASE_MIB=15 OWN_MIB=20 BIG_MIB=1024 bench/transfer.sh
#
# The app: IMAGES images sharing 3 base layers of BASE_MIB, each with 2 layers of OWN_MIB of its
# own (defaults: 6 images, ~285 MB of distinct blobs), made by the benchmark. Then one image of a
# single BIG_MIB layer. Source and destinations are fresh `kots-registry` servers on loopback;
# each tool copies into a registry of its own. Ours is timed three ways: the engine's copy_many
# (the helper), `kubectl kots image copy` once per image as users script it (with its blob
# cache, in a fresh folder, so the second image mounts the base layers the first one pushed),
# and one `kubectl kots image copy --from-file LIST`. skopeo also starts from a fresh blob-info
# cache (its HOME is a fresh folder).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGES=${IMAGES:-6}
BASE_MIB=${BASE_MIB:-15}
OWN_MIB=${OWN_MIB:-20}
BIG_MIB=${BIG_MIB:-1024}

command -v skopeo >/dev/null || { echo "bench: skopeo is missing (apt-get install -y skopeo)" >&2; exit 1; }
cargo build --release --quiet --bin kots-registry --bin kubectl-kots --example transfer_bench
REGISTRY=target/release/kots-registry
KOTS=target/release/kubectl-kots
HELPER=target/release/examples/transfer_bench

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kots-transfer-bench.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

start_registry() { # NAME -> sets ADDRESS (no subshell, so PIDS keeps the pid for the cleanup)
    mkdir -p "$WORK/$1"
    RUST_LOG=warn "$REGISTRY" serve --data-dir "$WORK/$1" --listen 127.0.0.1:0 >"$WORK/$1.out" 2>"$WORK/$1.log" &
    PIDS+=($!)
    for _ in $(seq 100); do grep -q listening "$WORK/$1.out" 2>/dev/null && break; sleep 0.05; done
    ADDRESS=$(sed -n 's|.*listening on http://||p' "$WORK/$1.out")
}
start_registry source; SOURCE=$ADDRESS
start_registry engine; ENGINE=$ADDRESS
start_registry skopeo; SKOPEO=$ADDRESS
start_registry perimage; PERIMAGE=$ADDRESS
start_registry fromfile; FROMFILE=$ADDRESS
mkdir -p "$WORK/skopeo-home"
skopeo() { HOME="$WORK/skopeo-home" command skopeo "$@"; }

seconds() { python3 -c "import time; print(time.time())"; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

"$HELPER" make-app "$WORK/app" "$IMAGES" 3 "$BASE_MIB" 2 "$OWN_MIB"
"$HELPER" make-app "$WORK/big" 1 0 0 1 "$BIG_MIB"
"$HELPER" copy-app "oci:$WORK/app" "http://$SOURCE/app" "$IMAGES" >/dev/null
"$HELPER" copy-app "oci:$WORK/big" "http://$SOURCE/big" 1 >/dev/null
APP_MB=$(du -sm "$WORK/app/blobs" | cut -f1)

start=$(seconds)
"$HELPER" copy-app "http://$SOURCE/app" "http://$ENGINE/app" "$IMAGES" >"$WORK/engine-app.out"
end=$(seconds); ENGINE_APP=$(elapsed "$start" "$end")

start=$(seconds)
for image in $(seq 0 $((IMAGES - 1))); do
    skopeo --insecure-policy copy -q --src-tls-verify=false --dest-tls-verify=false \
        "docker://$SOURCE/app/img$image:v1" "docker://$SKOPEO/app/img$image:v1"
done
end=$(seconds); SKOPEO_APP=$(elapsed "$start" "$end")

start=$(seconds)
for image in $(seq 0 $((IMAGES - 1))); do
    KOTS_BLOB_CACHE="$WORK/cache-perimage" "$KOTS" image copy --quiet \
        "http://$SOURCE/app/img$image:v1" "http://$PERIMAGE/app/img$image:v1" >>"$WORK/perimage.out"
done
end=$(seconds); PERIMAGE_APP=$(elapsed "$start" "$end")

for image in $(seq 0 $((IMAGES - 1))); do
    echo "http://$SOURCE/app/img$image:v1 http://$FROMFILE/app/img$image:v1"
done >"$WORK/list.txt"
start=$(seconds)
KOTS_BLOB_CACHE="$WORK/cache-fromfile" "$KOTS" image copy --quiet --from-file "$WORK/list.txt" >"$WORK/fromfile.out"
end=$(seconds); FROMFILE_APP=$(elapsed "$start" "$end")

start=$(seconds)
"$KOTS" image copy --quiet "http://$SOURCE/big/img0:v1" "http://$ENGINE/big/img0:v1" >"$WORK/engine-big.out"
end=$(seconds); ENGINE_BIG=$(elapsed "$start" "$end")

start=$(seconds)
skopeo --insecure-policy copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$SOURCE/big/img0:v1" "docker://$SKOPEO/big/img0:v1"
end=$(seconds); SKOPEO_BIG=$(elapsed "$start" "$end")

start=$(seconds)
"$HELPER" copy-app "http://$SOURCE/app" "http://$ENGINE/app" "$IMAGES" >"$WORK/engine-again.out"
end=$(seconds); ENGINE_AGAIN=$(elapsed "$start" "$end")
start=$(seconds)
for image in $(seq 0 $((IMAGES - 1))); do
    skopeo --insecure-policy copy -q --src-tls-verify=false --dest-tls-verify=false \
        "docker://$SOURCE/app/img$image:v1" "docker://$SKOPEO/app/img$image:v1"
done
end=$(seconds); SKOPEO_AGAIN=$(elapsed "$start" "$end")

ratio() { python3 -c "print(f'{$1 / $2:.2f}x')"; }
printf '\n%s images sharing base layers, %s MB of distinct blobs; one %s MiB single-layer image\n' "$IMAGES" "$APP_MB" "$BIG_MIB"
printf 'engine, app copy: %s\n' "$(cat "$WORK/engine-app.out")"
printf 'kubectl kots image copy per image (blob cache on):\n%s\n' "$(sed 's|^|  |' "$WORK/perimage.out")"
printf 'kubectl kots image copy --from-file:\n%s\n\n' "$(sed 's|^|  |' "$WORK/fromfile.out")"
printf '%-40s %12s %16s %8s\n' "workload (seconds)" "kots" "skopeo per image" "speed-up"
printf '%-40s %12s %16s %8s\n' "app: $IMAGES images, first copy" "$ENGINE_APP" "$SKOPEO_APP" "$(ratio "$SKOPEO_APP" "$ENGINE_APP")"
printf '%-40s %12s %16s %8s\n' "app: kubectl kots image copy per image" "$PERIMAGE_APP" "$SKOPEO_APP" "$(ratio "$SKOPEO_APP" "$PERIMAGE_APP")"
printf '%-40s %12s %16s %8s\n' "app: image copy --from-file (1 process)" "$FROMFILE_APP" "$SKOPEO_APP" "$(ratio "$SKOPEO_APP" "$FROMFILE_APP")"
printf '%-40s %12s %16s %8s\n' "app: again (nothing to move)" "$ENGINE_AGAIN" "$SKOPEO_AGAIN" "$(ratio "$SKOPEO_AGAIN" "$ENGINE_AGAIN")"
printf '%-40s %12s %16s %8s\n' "one image, one $BIG_MIB MiB layer" "$ENGINE_BIG" "$SKOPEO_BIG" "$(ratio "$SKOPEO_BIG" "$ENGINE_BIG")"
