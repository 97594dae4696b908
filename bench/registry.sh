#!/usr/bin/env bash
# Benchmark: one workload against kots-registry and the reference registry (docker-registry,
# CNCF Distribution 2.8), printed side by side with the ratio, once on a quiet machine and once
# with a fixed CPU load beside both servers.
#
#   bench/registry.sh            # needs curl, skopeo, docker-registry; builds in release mode
#   KOTS_BIN_DIR=DIR bench/registry.sh      # use kots-registry, registry_load already built in DIR
#   BLOB_MIB=256 RUNS=1 bench/registry.sh   # a quicker, smaller run
#   MODES=quiet bench/registry.sh           # one table only (or BUSY=1 for the busy one only)
#
# MODES (default "quiet busy"): each mode starts both servers afresh (empty storage) and runs every
# workload below against each, then prints its table; with both, a last table puts the ratios
# side by side. In the busy mode one `sha256sum /dev/zero` per core runs during each measured
# step (started just before it, killed just after), identically for both servers; bench/lib.sh.
#
# Workloads (each registry gets the same requests, from the same clients, on the same disk):
#   upload     BLOB_MIB blob, POST then PUT ?digest= with the whole body (curl), median of RUNS
#   download   the same blob, GET to /dev/null (curl), median of RUNS
#   CPU s/GiB  the server's CPU seconds (utime + stime of all its threads, /proc/PID/stat) from
#              just before each upload (download) to 0.2 s after curl returns, per GiB; median
#   small push SMALL_COUNT unique 10 KiB blobs, SMALL_CONCURRENCY at a time (registry_load)
#   manifests  GET one manifest by tag for GET_SECONDS, GET_CONCURRENCY at a time (registry_load)
#   skopeo     push, then pull, of an image of SKOPEO_LAYERS layers of SKOPEO_LAYER_MIB each
#   peak RSS   the server's VmHWM at the end of the mode
# and the machine's own ceiling on one core (registry_load ceiling, under the mode's load): sha256
# of the blob, writing it with fsync, and both one after the other, as a registry must.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

BLOB_MIB=${BLOB_MIB:-1024}
RUNS=${RUNS:-3}
SMALL_COUNT=${SMALL_COUNT:-3000}
SMALL_CONCURRENCY=${SMALL_CONCURRENCY:-16}
GET_SECONDS=${GET_SECONDS:-10}
GET_CONCURRENCY=${GET_CONCURRENCY:-32}
SKOPEO_LAYERS=${SKOPEO_LAYERS:-8}
SKOPEO_LAYER_MIB=${SKOPEO_LAYER_MIB:-32}
read -r -a MODE_LIST <<<"$(bench_modes)"

for tool in curl skopeo docker-registry python3; do
    command -v "$tool" >/dev/null || { echo "bench: \`$tool\` is missing (apt-get install -y curl skopeo docker-registry)" >&2; exit 1; }
done
for mode in "${MODE_LIST[@]}"; do
    case $mode in quiet | busy) ;; *) echo "bench: unknown mode \`$mode\` in MODES (quiet, busy)" >&2; exit 1 ;; esac
done

bench_build --bin kots-registry --example registry_load
KOTS=$(bench_bin kots-registry)
LOAD=$(bench_bin registry_load)

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kots-bench.XXXXXX")
PIDS=()
cleanup() { busy_stop; for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# --- servers: fresh ones, with empty storage, for each mode ----------------------------------
start_servers() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    PIDS=()
    rm -rf "$WORK/kots" "$WORK/distribution" "$WORK/distribution.yml"
    mkdir -p "$WORK/kots"
    RUST_LOG=warn "$KOTS" serve --data-dir "$WORK/kots" --listen 127.0.0.1:0 >"$WORK/kots.out" 2>"$WORK/kots.log" &
    PIDS+=($!); KOTS_PID=$!
    for _ in $(seq 100); do grep -q listening "$WORK/kots.out" 2>/dev/null && break; sleep 0.05; done
    KOTS_ADDR=$(sed -n 's|.*listening on http://||p' "$WORK/kots.out")
    start_distribution
}

# --- data ------------------------------------------------------------------------------------
BLOB="$WORK/blob"
head -c "$((BLOB_MIB * 1024 * 1024))" /dev/urandom >"$BLOB"
"$LOAD" make-image "$WORK/image" "$SKOPEO_LAYERS" "$SKOPEO_LAYER_MIB"

mbps() { python3 -c "print(f'{$BLOB_MIB * 1.048576 / $1:.0f}')"; }
per_gib() { python3 -c "print(f'{($2 - $1) * 1024 / $BLOB_MIB:.2f}')"; }

# Changes the blob's first bytes so that every run uploads new content (no deduplication).
vary_blob() { printf '%016d' "$1" | dd of="$BLOB" bs=16 count=1 conv=notrunc status=none; }

# One upload of the blob as new content; appends its seconds to $WORK/NAME.upload and the server's
# CPU seconds per GiB to $WORK/NAME.upload-cpu, then does the same for a download of it.
upload_download() { # NAME ADDRESS PID RUN
    local name=$1 address=$2 pid=$3 run=$4 digest location sep code time before after
    vary_blob "$run$RANDOM"
    digest="sha256:$(sha256sum "$BLOB" | cut -d' ' -f1)"
    location=$(curl -s -D - -o /dev/null -X POST "http://$address/v2/bench/big/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    [[ $location == http* ]] || location="http://$address$location"
    [[ $location == *\?* ]] && sep='&' || sep='?'

    busy_start
    before=$(cpu_seconds "$pid")
    curl -s -o /dev/null -H 'Expect:' -H 'Content-Type: application/octet-stream' -T "$BLOB" \
        -w '%{http_code} %{time_total}\n' "$location${sep}digest=$digest" >"$WORK/curl.out"
    sleep 0.2
    after=$(cpu_seconds "$pid")
    busy_stop
    read -r code time <"$WORK/curl.out"
    [ "$code" = 201 ] || { echo "bench: upload to $address answered $code" >&2; exit 1; }
    echo "$time" >>"$WORK/$name.upload"
    per_gib "$before" "$after" >>"$WORK/$name.upload-cpu"

    busy_start
    before=$(cpu_seconds "$pid")
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "http://$address/v2/bench/big/blobs/$digest" >"$WORK/curl.out"
    sleep 0.2
    after=$(cpu_seconds "$pid")
    busy_stop
    read -r code time <"$WORK/curl.out"
    [ "$code" = 200 ] || { echo "bench: download from $address answered $code" >&2; exit 1; }
    echo "$time" >>"$WORK/$name.download"
    per_gib "$before" "$after" >>"$WORK/$name.download-cpu"
}

measure() { # NAME ADDRESS PID
    local name=$1 address=$2 pid=$3 run
    rm -f "$WORK/$name".upload* "$WORK/$name".download*
    for run in $(seq "$RUNS"); do upload_download "$name" "$address" "$pid" "$run"; done
    eval "${name}_UPLOAD=$(mbps "$(median <"$WORK/$name.upload")")"
    eval "${name}_DOWNLOAD=$(mbps "$(median <"$WORK/$name.download")")"
    eval "${name}_UPLOAD_CPU=$(median <"$WORK/$name.upload-cpu")"
    eval "${name}_DOWNLOAD_CPU=$(median <"$WORK/$name.download-cpu")"

    local small
    busy_start
    small=$("$LOAD" push-small "$address" "$SMALL_COUNT" "$SMALL_CONCURRENCY")
    busy_stop
    [[ $small == *errors=0 ]] || { echo "bench: $name small pushes: $small" >&2; exit 1; }
    eval "${name}_SMALL=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$small")"

    local start end
    rm -rf "$WORK/pulled-$name"
    busy_start
    start=$(seconds)
    skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$WORK/image:v1" "docker://$address/bench/image:v1"
    end=$(seconds)
    busy_stop
    eval "${name}_PUSH=$(python3 -c "print(f'{$end - $start:.2f}')")"
    busy_start
    start=$(seconds)
    skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$address/bench/image:v1" "oci:$WORK/pulled-$name:v1"
    end=$(seconds)
    busy_stop
    eval "${name}_PULL=$(python3 -c "print(f'{$end - $start:.2f}')")"

    local gets
    busy_start
    gets=$("$LOAD" get-manifest "$address" "$GET_SECONDS" "$GET_CONCURRENCY")
    busy_stop
    [[ $gets == *errors=0 ]] || { echo "bench: $name manifest GETs: $gets" >&2; exit 1; }
    eval "${name}_GETS=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$gets")"

    eval "${name}_RSS=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")"
}

ratio() { python3 -c "print(f'{$1 / $2:.2f}x' if $2 > 0 else '-')"; }
row() { # LABEL KOTS DIST RATIO: one line of the table, and kept for the summary
    printf '%-40s %14s %16s %8s\n' "$@"
    printf '%s\t%s\n' "$1" "$4" >>"$WORK/ratios.$MODE"
}

for MODE in "${MODE_LIST[@]}"; do
    BUSY_MODE=$MODE
    start_servers
    busy_start
    CEILING=$("$LOAD" ceiling "$BLOB" "$WORK")
    busy_stop
    measure KOTS "$KOTS_ADDR" "$KOTS_PID"
    measure DIST "$DIST_ADDR" "$DIST_PID"
    # shellcheck disable=SC2001 # three fields out of `hash=X write_fsync=Y hash_write_fsync=Z`
    read -r hash write both < <(sed 's/[a-z_]*=//g' <<<"$CEILING")

    rm -f "$WORK/ratios.$MODE"
    printf '\n== %s (%s cores; %s MiB blob, medians of %s) ==\n' "$(busy_header "$MODE")" "$(nproc)" "$BLOB_MIB" "$RUNS"
    printf '%-40s %14s %16s %8s\n' "workload" "kots-registry" "docker-registry" "ratio"
    row "upload ${BLOB_MIB} MiB blob (MB/s)" "$KOTS_UPLOAD" "$DIST_UPLOAD" "$(ratio "$KOTS_UPLOAD" "$DIST_UPLOAD")"
    row "upload: server CPU s per GiB" "$KOTS_UPLOAD_CPU" "$DIST_UPLOAD_CPU" "$(ratio "$DIST_UPLOAD_CPU" "$KOTS_UPLOAD_CPU")"
    printf '  one core ceiling: sha256 %s MB/s, write+fsync %s MB/s, both %s MB/s\n' "$hash" "$write" "$both"
    row "download ${BLOB_MIB} MiB blob (MB/s)" "$KOTS_DOWNLOAD" "$DIST_DOWNLOAD" "$(ratio "$KOTS_DOWNLOAD" "$DIST_DOWNLOAD")"
    row "download: server CPU s per GiB" "$KOTS_DOWNLOAD_CPU" "$DIST_DOWNLOAD_CPU" "$(ratio "$DIST_DOWNLOAD_CPU" "$KOTS_DOWNLOAD_CPU")"
    row "10 KiB blob pushes x$SMALL_CONCURRENCY (per s)" "$KOTS_SMALL" "$DIST_SMALL" "$(ratio "$KOTS_SMALL" "$DIST_SMALL")"
    row "manifest GETs x$GET_CONCURRENCY (per s)" "$KOTS_GETS" "$DIST_GETS" "$(ratio "$KOTS_GETS" "$DIST_GETS")"
    row "skopeo push ${SKOPEO_LAYERS}x${SKOPEO_LAYER_MIB} MiB (s)" "$KOTS_PUSH" "$DIST_PUSH" "$(ratio "$DIST_PUSH" "$KOTS_PUSH")"
    row "skopeo pull ${SKOPEO_LAYERS}x${SKOPEO_LAYER_MIB} MiB (s)" "$KOTS_PULL" "$DIST_PULL" "$(ratio "$DIST_PULL" "$KOTS_PULL")"
    row "server peak RSS (MiB)" "$KOTS_RSS" "$DIST_RSS" "$(ratio "$KOTS_RSS" "$DIST_RSS")"
done
printf '\nratio > 1 means kots-registry is better (CPU s and seconds: docker-registry / kots),\nexcept RSS (kots / docker-registry, lower is better)\n'

if [ "${#MODE_LIST[@]}" -gt 1 ]; then
    printf '\n%-40s' "ratio by mode"
    for mode in "${MODE_LIST[@]}"; do printf ' %10s' "$mode"; done
    printf '\n'
    rows=$(wc -l <"$WORK/ratios.${MODE_LIST[0]}")
    for line in $(seq "$rows"); do
        printf '%-40s' "$(sed -n "${line}p" "$WORK/ratios.${MODE_LIST[0]}" | cut -f1)"
        for mode in "${MODE_LIST[@]}"; do printf ' %10s' "$(sed -n "${line}p" "$WORK/ratios.$mode" | cut -f2)"; done
        printf '\n'
    done
fi
