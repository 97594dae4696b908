#!/usr/bin/env bash
# Benchmark: the registry workloads of bench/registry.sh (unique 10 KiB pushes, manifest GETs)
# on three deployments, side by side:
#   1. one replica on the embedded default (files + SQLite);
#   2. one replica on S3 (s3s-fs on loopback) + PostgreSQL;
#   3. two replicas on the same S3 + PostgreSQL, requests taking turns between them.
# Throughput (requests/s) and latency (p50, p99). Everything on this machine, on loopback: the
# S3 server is s3s-fs (files), so the figures show the cost of the shape (network hops,
# transactions in PostgreSQL), not of a real object store.
#
#   bench/scale.sh                    # builds in release mode; needs PostgreSQL and skopeo
#   SMALL_COUNT=4000 SMALL_CONCURRENCY=16 GET_SECONDS=5 GET_CONCURRENCY=32 bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SMALL_COUNT=${SMALL_COUNT:-3000}
SMALL_CONCURRENCY=${SMALL_CONCURRENCY:-16}
GET_SECONDS=${GET_SECONDS:-5}
GET_CONCURRENCY=${GET_CONCURRENCY:-32}

command -v skopeo >/dev/null || { echo "bench: skopeo is missing (apt-get install -y skopeo)" >&2; exit 1; }
cargo build --release --quiet --bin kots-registry --example registry_load --example scale_env
REGISTRY=$PWD/target/release/kots-registry
LOAD=$PWD/target/release/examples/registry_load

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kots-scale-bench.XXXXXX")
PIDS=()
ENV_PID=""
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    # scale_env stops its PostgreSQL when its stdin closes; a signal would leave it running.
    exec 3>&- 2>/dev/null || true
    [[ -n "$ENV_PID" ]] && wait "$ENV_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The backends: PostgreSQL (a database per deployment) and the S3 server.
mkfifo "$WORK/env.in"
target/release/examples/scale_env single double <"$WORK/env.in" >"$WORK/env" 2>"$WORK/env.log" &
ENV_PID=$!
exec 3>"$WORK/env.in"
for _ in $(seq 300); do grep -q READY "$WORK/env" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$WORK/env" || { cat "$WORK/env.log" >&2; exit 1; }
set -a; source "$WORK/env"; set +a

start() { # NAME ARGS... -> sets ADDRESS; no subshell, so PIDS keeps the pid
    local name=$1; shift
    mkdir -p "$WORK/$name"
    RUST_LOG=warn "$REGISTRY" serve --data-dir "$WORK/$name" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
    PIDS+=($!)
    for _ in $(seq 200); do grep -q listening "$WORK/$name.out" 2>/dev/null && break; sleep 0.05; done
    ADDRESS=$(sed -n 's|.*listening on http://||p' "$WORK/$name.out")
}
s3_args() { # DATABASE PREFIX
    echo --database "$1" --storage "s3://$S3_BUCKET/$2" --s3-endpoint "$S3_ENDPOINT" --s3-region us-east-1 --s3-path-style
}

start files --listen 127.0.0.1:0
FILES=$ADDRESS
# shellcheck disable=SC2046
start s3-one --listen 127.0.0.1:0 $(s3_args "$DATABASE_SINGLE" single)
ONE=$ADDRESS
# shellcheck disable=SC2046
start s3-a --listen 127.0.0.1:0 $(s3_args "$DATABASE_DOUBLE" double)
A=$ADDRESS
# shellcheck disable=SC2046
start s3-b --listen 127.0.0.1:0 $(s3_args "$DATABASE_DOUBLE" double) --public-url "http://$A"
B=$ADDRESS

"$LOAD" make-image "$WORK/image" 2 1 >/dev/null
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }
run() { # LABEL ADDRESSES
    skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$WORK/image:v1" "docker://${2%%,*}/bench/image:v1"
    local small gets
    small=$("$LOAD" push-small "$2" "$SMALL_COUNT" "$SMALL_CONCURRENCY")
    gets=$("$LOAD" get-manifest "$2" "$GET_SECONDS" "$GET_CONCURRENCY")
    printf '%-34s %10s %9s %9s %6s | %10s %9s %9s %6s\n' "$1" \
        "$(field rate "$small")" "$(field p50 "$small")" "$(field p99 "$small")" "$(field errors "$small")" \
        "$(field rate "$gets")" "$(field p50 "$gets")" "$(field p99 "$gets")" "$(field errors "$gets")"
}

printf '\n%-34s %10s %9s %9s %6s | %10s %9s %9s %6s\n' "" "push/s" "p50" "p99" "errors" "GET/s" "p50" "p99" "errors"
printf '%-34s %s\n' "" "10 KiB pushes x$SMALL_CONCURRENCY, $SMALL_COUNT      | manifest GETs x$GET_CONCURRENCY, ${GET_SECONDS}s"
run "1 replica, files + SQLite" "$FILES"
run "1 replica, S3 + PostgreSQL" "$ONE"
run "2 replicas, S3 + PostgreSQL" "$A,$B"
