#!/usr/bin/env bash
# Benchmark: copying an app's images between two local registries with the kots transfer engine,
# and with `skopeo copy` run once per image (what KOTS does), side by side, on a quiet machine and
# with a fixed CPU load beside everything.
#
#   bench/transfer.sh               # needs skopeo; builds in release mode
#   KOTS_BIN_DIR=DIR bench/transfer.sh   # use kots-registry, kubectl-kots, transfer_bench built in DIR
#   IMAGES=6 BASE_MIB=15 OWN_MIB=20 BIG_MIB=1024 RUNS=3 bench/transfer.sh
#   MODES=quiet bench/transfer.sh   # one table only (or BUSY=1 for the busy one only)
#
# The app: IMAGES images sharing 3 base layers of BASE_MIB, each with 2 layers of OWN_MIB of its
# own (defaults: 6 images, ~285 MB of distinct blobs), made by the benchmark. Then one image of a
# single BIG_MIB layer. The source is one `kots-registry` on loopback, filled once; each tool
# copies into a registry of its own. Ours is timed three ways: the engine's copy_many (the
# helper), `kubectl kots image copy` once per image as users script it (with its blob cache, so
# the second image mounts the base layers the first one pushed), and one
# `kubectl kots image copy --from-file LIST`; skopeo once per image, with its blob-info cache
# (HOME) shared by the images of a run as users get it. The 1 GiB image is copied by
# `kubectl kots image copy` and by `skopeo copy`. "again" copies the app a second time into the
# same registries (nothing to move).
#
# Every figure is the median of RUNS runs; each run starts fresh destination registries (empty
# storage), fresh kots blob caches and a fresh HOME for skopeo (so its blob-info cache starts
# empty too). MODES (default "quiet busy"): in the busy mode one `sha256sum /dev/zero` per core
# runs during each timed step (started just before it, killed just after), the same for every
# tool; bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

IMAGES=${IMAGES:-6}
BASE_MIB=${BASE_MIB:-15}
OWN_MIB=${OWN_MIB:-20}
BIG_MIB=${BIG_MIB:-1024}
RUNS=${RUNS:-3}
read -r -a MODE_LIST <<<"$(bench_modes)"

command -v skopeo >/dev/null || { echo "bench: skopeo is missing (apt-get install -y skopeo)" >&2; exit 1; }
for mode in "${MODE_LIST[@]}"; do
    case $mode in quiet | busy) ;; *) echo "bench: unknown mode \`$mode\` in MODES (quiet, busy)" >&2; exit 1 ;; esac
done
bench_build --bin kots-registry --bin kubectl-kots --example transfer_bench
REGISTRY=$(bench_bin kots-registry)
KOTS=$(bench_bin kubectl-kots)
HELPER=$(bench_bin transfer_bench)

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kots-transfer-bench.XXXXXX")
PIDS=()
cleanup() { busy_stop; for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

start_registry() { # FOLDER -> sets ADDRESS (no subshell, so PIDS keeps the pid for the cleanup)
    mkdir -p "$1/data"
    RUST_LOG=warn "$REGISTRY" serve --data-dir "$1/data" --listen 127.0.0.1:0 >"$1/out" 2>"$1/log" &
    PIDS+=($!)
    for _ in $(seq 100); do grep -q listening "$1/out" 2>/dev/null && break; sleep 0.05; done
    ADDRESS=$(sed -n 's|.*listening on http://||p' "$1/out")
}
stop_registries_after() { # COUNT: stops the registries started after the first COUNT
    local pid
    for pid in "${PIDS[@]:$1}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    PIDS=("${PIDS[@]:0:$1}")
}
start_registry "$WORK/source"; SOURCE=$ADDRESS

elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }
timed() { # ROW COMMAND...: runs COMMAND under the mode's load, appends its seconds to $WORK/$MODE.ROW
    local row=$1 start end
    shift
    busy_start
    start=$(seconds)
    "$@"
    end=$(seconds)
    busy_stop
    elapsed "$start" "$end" >>"$WORK/$MODE.$row"
}

"$HELPER" make-app "$WORK/app" "$IMAGES" 3 "$BASE_MIB" 2 "$OWN_MIB"
"$HELPER" make-app "$WORK/big" 1 0 0 1 "$BIG_MIB"
"$HELPER" copy-app "oci:$WORK/app" "http://$SOURCE/app" "$IMAGES" >/dev/null
"$HELPER" copy-app "oci:$WORK/big" "http://$SOURCE/big" 1 >/dev/null
APP_MB=$(du -sm "$WORK/app/blobs" | cut -f1)
for image in $(seq 0 $((IMAGES - 1))); do
    echo "http://$SOURCE/app/img$image:v1 http://FROMFILE/app/img$image:v1"
done >"$WORK/list.template"

skopeo_app() { # DESTINATION
    local image
    for image in $(seq 0 $((IMAGES - 1))); do
        skopeo --insecure-policy copy -q --src-tls-verify=false --dest-tls-verify=false \
            "docker://$SOURCE/app/img$image:v1" "docker://$1/app/img$image:v1"
    done
}
kots_per_image() { # DESTINATION
    local image
    for image in $(seq 0 $((IMAGES - 1))); do
        KOTS_BLOB_CACHE="$RUN/cache-perimage" "$KOTS" image copy --quiet \
            "http://$SOURCE/app/img$image:v1" "http://$1/app/img$image:v1" >>"$RUN/perimage.out"
    done
}

one_run() {
    RUN=$WORK/run
    rm -rf "$RUN"; mkdir -p "$RUN"
    local engine skopeo_registry perimage fromfile
    start_registry "$RUN/engine"; engine=$ADDRESS
    start_registry "$RUN/skopeo"; skopeo_registry=$ADDRESS
    start_registry "$RUN/perimage"; perimage=$ADDRESS
    start_registry "$RUN/fromfile"; fromfile=$ADDRESS
    mkdir -p "$RUN/skopeo-home"
    skopeo() { HOME="$RUN/skopeo-home" command skopeo "$@"; }
    sed "s|FROMFILE|$fromfile|" "$WORK/list.template" >"$RUN/list.txt"

    timed engine_app "$HELPER" copy-app "http://$SOURCE/app" "http://$engine/app" "$IMAGES" >"$RUN/engine-app.out"
    timed skopeo_app skopeo_app "$skopeo_registry"
    timed perimage_app kots_per_image "$perimage"
    KOTS_BLOB_CACHE="$RUN/cache-fromfile" timed fromfile_app \
        "$KOTS" image copy --quiet --from-file "$RUN/list.txt" >"$RUN/fromfile.out"
    KOTS_BLOB_CACHE="$RUN/cache-big" timed engine_big \
        "$KOTS" image copy --quiet "http://$SOURCE/big/img0:v1" "http://$engine/big/img0:v1" >"$RUN/engine-big.out"
    timed skopeo_big skopeo --insecure-policy copy -q --src-tls-verify=false --dest-tls-verify=false \
        "docker://$SOURCE/big/img0:v1" "docker://$skopeo_registry/big/img0:v1"
    timed engine_again "$HELPER" copy-app "http://$SOURCE/app" "http://$engine/app" "$IMAGES" >"$RUN/engine-again.out"
    timed skopeo_again skopeo_app "$skopeo_registry"

    # What the last run moved, printed with the table.
    {
        printf 'engine, app copy: %s\n' "$(cat "$RUN/engine-app.out")"
        printf 'engine, again: %s\n' "$(cat "$RUN/engine-again.out")"
        printf 'kubectl kots image copy per image (blob cache on):\n%s\n' "$(sed 's|^|  |' "$RUN/perimage.out")"
        printf 'kubectl kots image copy --from-file:\n%s\n' "$(sed 's|^|  |' "$RUN/fromfile.out")"
    } >"$WORK/$MODE.details"
    stop_registries_after 1
    rm -rf "$RUN"
}

ratio() { python3 -c "print(f'{$1 / $2:.2f}x' if $2 > 0 else '-')"; }
row() { # LABEL ROW REFERENCE_ROW: medians of both, and the speed-up, kept for the summary too
    local ours theirs speedup
    ours=$(median <"$WORK/$MODE.$2"); theirs=$(median <"$WORK/$MODE.$3"); speedup=$(ratio "$theirs" "$ours")
    printf '%-42s %10s %16s %8s\n' "$1" "$ours" "$theirs" "$speedup"
    printf '%s\t%s\n' "$1" "$speedup" >>"$WORK/ratios.$MODE"
}

for MODE in "${MODE_LIST[@]}"; do
    BUSY_MODE=$MODE
    rm -f "$WORK/$MODE".* "$WORK/ratios.$MODE"
    for _ in $(seq "$RUNS"); do one_run; done

    printf '\n== %s (%s cores; medians of %s) ==\n' "$(busy_header "$MODE")" "$(nproc)" "$RUNS"
    printf '%s images sharing base layers, %s MB of distinct blobs; one %s MiB single-layer image\n' "$IMAGES" "$APP_MB" "$BIG_MIB"
    cat "$WORK/$MODE.details"
    printf '\n%-42s %10s %16s %8s\n' "workload (seconds)" "kots" "skopeo per image" "speed-up"
    row "app: $IMAGES images, first copy (engine)" engine_app skopeo_app
    row "app: kubectl kots image copy per image" perimage_app skopeo_app
    row "app: image copy --from-file (1 process)" fromfile_app skopeo_app
    row "app: again (nothing to move)" engine_again skopeo_again
    row "one image, one $BIG_MIB MiB layer" engine_big skopeo_big
done

if [ "${#MODE_LIST[@]}" -gt 1 ]; then
    printf '\n%-42s' "speed-up by mode"
    for mode in "${MODE_LIST[@]}"; do printf ' %10s' "$mode"; done
    printf '\n'
    rows=$(wc -l <"$WORK/ratios.${MODE_LIST[0]}")
    for line in $(seq "$rows"); do
        printf '%-42s' "$(sed -n "${line}p" "$WORK/ratios.${MODE_LIST[0]}" | cut -f1)"
        for mode in "${MODE_LIST[@]}"; do printf ' %10s' "$(sed -n "${line}p" "$WORK/ratios.$mode" | cut -f2)"; done
        printf '\n'
    done
fi
