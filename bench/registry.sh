#!/usr/bin/env bash
# Benchmark: one workload against kots-registry and the reference registry (docker-registry,
# CNCF Distribution 2.8), printed side by side with the ratio.
#
#   bench/registry.sh            # needs curl, skopeo, docker-registry; builds in release mode
#   BLOB_MIB=256 RUNS=1 bench/registry.sh   # a quicker, smaller run
#
# Workloads (each registry gets the same requests, from the same clients, on the same disk):
#   upload     BLOB_MIB blob, POST then PUT ?digest= with the whole body (curl), median of RUNS
#   download   the same blob, GET to /dev/null (curl), median of RUNS
#   small push SMALL_COUNT unique 10 KiB blobs, SMALL_CONCURRENCY at a time (registry_load)
#   manifests  GET one manifest by tag for GET_SECONDS, GET_CONCURRENCY at a time (registry_load)
#   skopeo     push, then pull, of an image of SKOPEO_LAYERS layers of SKOPEO_LAYER_MIB each
#   peak RSS   the server's VmHWM at the end
# and the machine's own ceiling on one core (registry_load ceiling): sha256 of the blob, writing it
# with fsync, and both one after the other, as a registry must.
set -euo pipefail
cd "$(dirname "$0")/.."

BLOB_MIB=${BLOB_MIB:-1024}
RUNS=${RUNS:-3}
SMALL_COUNT=${SMALL_COUNT:-3000}
SMALL_CONCURRENCY=${SMALL_CONCURRENCY:-16}
GET_SECONDS=${GET_SECONDS:-10}
GET_CONCURRENCY=${GET_CONCURRENCY:-32}
SKOPEO_LAYERS=${SKOPEO_LAYERS:-8}
SKOPEO_LAYER_MIB=${SKOPEO_LAYER_MIB:-32}

for tool in curl skopeo docker-registry python3; do
    command -v "$tool" >/dev/null || { echo "bench: \`$tool\` is missing (apt-get install -y curl skopeo docker-registry)" >&2; exit 1; }
done

cargo build --release --quiet --bin kots-registry --example registry_load
KOTS=target/release/kots-registry
LOAD=target/release/examples/registry_load

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kots-bench.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

source bench/lib.sh

# --- servers ---------------------------------------------------------------------------------
mkdir -p "$WORK/kots"
RUST_LOG=warn "$KOTS" serve --data-dir "$WORK/kots" --listen 127.0.0.1:0 >"$WORK/kots.out" 2>"$WORK/kots.log" &
PIDS+=($!); KOTS_PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/kots.out" 2>/dev/null && break; sleep 0.05; done
KOTS_ADDR=$(sed -n 's|.*listening on http://||p' "$WORK/kots.out")

start_distribution

# --- data ------------------------------------------------------------------------------------
BLOB="$WORK/blob"
head -c "$((BLOB_MIB * 1024 * 1024))" /dev/urandom >"$BLOB"
"$LOAD" make-image "$WORK/image" "$SKOPEO_LAYERS" "$SKOPEO_LAYER_MIB"

seconds() { python3 -c "import time; print(time.time())"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mbps() { python3 -c "print(f'{$BLOB_MIB * 1.048576 / $1:.0f}')"; }

CEILING=$("$LOAD" ceiling "$BLOB" "$WORK")

# Changes the blob's first bytes so that every run uploads new content (no deduplication).
vary_blob() { printf '%016d' "$1" | dd of="$BLOB" bs=16 count=1 conv=notrunc status=none; }

upload_once() { # ADDRESS RUN -> seconds
    local address=$1 run=$2 digest location
    vary_blob "$run$RANDOM"
    digest="sha256:$(sha256sum "$BLOB" | cut -d' ' -f1)"
    location=$(curl -s -D - -o /dev/null -X POST "http://$address/v2/bench/big/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    [[ $location == http* ]] || location="http://$address$location"
    [[ $location == *\?* ]] && sep='&' || sep='?'
    curl -s -o /dev/null -H 'Expect:' -H 'Content-Type: application/octet-stream' -T "$BLOB" \
        -w '%{http_code} %{time_total}\n' "$location${sep}digest=$digest" >"$WORK/upload.out"
    read -r code time <"$WORK/upload.out"
    [ "$code" = 201 ] || { echo "bench: upload to $address answered $code" >&2; exit 1; }
    echo "$time" >&2
    LAST_DIGEST=$digest
}

measure() { # NAME ADDRESS PID
    local name=$1 address=$2 pid=$3
    local uploads=() downloads=()
    for run in $(seq "$RUNS"); do
        upload_once "$address" "$run" 2>>"$WORK/$name.upload"
        curl -s -o /dev/null -w '%{time_total}\n' "http://$address/v2/bench/big/blobs/$LAST_DIGEST" >>"$WORK/$name.download"
    done
    eval "${name}_UPLOAD=$(mbps "$(median <"$WORK/$name.upload")")"
    eval "${name}_DOWNLOAD=$(mbps "$(median <"$WORK/$name.download")")"

    local small; small=$("$LOAD" push-small "$address" "$SMALL_COUNT" "$SMALL_CONCURRENCY")
    [[ $small == *errors=0 ]] || { echo "bench: $name small pushes: $small" >&2; exit 1; }
    eval "${name}_SMALL=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$small")"

    local start end
    start=$(seconds)
    skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$WORK/image:v1" "docker://$address/bench/image:v1"
    end=$(seconds); eval "${name}_PUSH=$(python3 -c "print(f'{$end - $start:.2f}')")"
    start=$(seconds)
    skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$address/bench/image:v1" "oci:$WORK/pulled-$name:v1"
    end=$(seconds); eval "${name}_PULL=$(python3 -c "print(f'{$end - $start:.2f}')")"

    local gets; gets=$("$LOAD" get-manifest "$address" "$GET_SECONDS" "$GET_CONCURRENCY")
    [[ $gets == *errors=0 ]] || { echo "bench: $name manifest GETs: $gets" >&2; exit 1; }
    eval "${name}_GETS=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$gets")"

    eval "${name}_RSS=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")"
}

measure KOTS "$KOTS_ADDR" "$KOTS_PID"
measure DIST "$DIST_ADDR" "$DIST_PID"

ratio() { python3 -c "print(f'{$1 / $2:.2f}x')"; }
printf '\nmachine: %s cores; one core, MB/s: %s\n\n' "$(nproc)" "$CEILING"
printf '%-38s %14s %16s %8s\n' "workload" "kots-registry" "docker-registry" "ratio"
printf '%-38s %14s %16s %8s\n' "upload ${BLOB_MIB} MiB blob (MB/s)" "$KOTS_UPLOAD" "$DIST_UPLOAD" "$(ratio "$KOTS_UPLOAD" "$DIST_UPLOAD")"
printf '%-38s %14s %16s %8s\n' "download ${BLOB_MIB} MiB blob (MB/s)" "$KOTS_DOWNLOAD" "$DIST_DOWNLOAD" "$(ratio "$KOTS_DOWNLOAD" "$DIST_DOWNLOAD")"
printf '%-38s %14s %16s %8s\n' "10 KiB blob pushes x$SMALL_CONCURRENCY (per s)" "$KOTS_SMALL" "$DIST_SMALL" "$(ratio "$KOTS_SMALL" "$DIST_SMALL")"
printf '%-38s %14s %16s %8s\n' "manifest GETs x$GET_CONCURRENCY (per s)" "$KOTS_GETS" "$DIST_GETS" "$(ratio "$KOTS_GETS" "$DIST_GETS")"
printf '%-38s %14s %16s %8s\n' "skopeo push ${SKOPEO_LAYERS}x${SKOPEO_LAYER_MIB} MiB (s)" "$KOTS_PUSH" "$DIST_PUSH" "$(ratio "$DIST_PUSH" "$KOTS_PUSH")"
printf '%-38s %14s %16s %8s\n' "skopeo pull ${SKOPEO_LAYERS}x${SKOPEO_LAYER_MIB} MiB (s)" "$KOTS_PULL" "$DIST_PULL" "$(ratio "$DIST_PULL" "$KOTS_PULL")"
printf '%-38s %14s %16s %8s\n' "server peak RSS (MiB)" "$KOTS_RSS" "$DIST_RSS" "$(ratio "$KOTS_RSS" "$DIST_RSS")"
printf '\nratio > 1 means kots-registry is better, except RSS (kots / docker-registry, lower is better)\n'
