#!/usr/bin/env bash
# Benchmark: kots-helm next to Helm's own engine (v4.2.3, helm-python-sdk's libhelm) on the
# largest chart of the corpus (argo-cd and its redis-ha subchart, 133 templates): load, values
# and render, COUNT renders in one process each side, median printed side by side with the
# ratio (Helm's time / ours: > 1 means we are faster).
#
#   bench/helm.sh                        # needs python3 with helm-python-sdk==0.2.2
#   CHART=prometheus CASE=default COUNT=10 bench/helm.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS=${HELM_CORPUS:-../shared/compat/helm-charts}
[ -d "$CORPUS" ] || CORPUS=/work/shared/compat/helm-charts
CHART=${CHART:-argo-cd}
CASE=${CASE:-default}
COUNT=${COUNT:-20}
python3 -c 'import helm_python' 2>/dev/null || { echo "bench: pip install helm-python-sdk==0.2.2" >&2; exit 1; }
cargo build --release --quiet -p kots-helm --example helm_bench

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kots-helm-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
HELM_CORPUS="$CORPUS" python3 bench/helm/oracle.py "$CORPUS/$CHART/chart" "$CORPUS/$CHART/values/$CASE.yaml" "$COUNT" >"$WORK/helm.txt"
target/release/examples/helm_bench "$CORPUS/$CHART/chart" "$CORPUS/$CHART/values/$CASE.yaml" "$COUNT" >"$WORK/ours.txt"

h=$(cut -d' ' -f1 "$WORK/helm.txt" | tail -n +2 | median)
o=$(cut -d' ' -f1 "$WORK/ours.txt" | tail -n +2 | median)
hb=$(head -1 "$WORK/helm.txt" | cut -d' ' -f2)
ob=$(head -1 "$WORK/ours.txt" | cut -d' ' -f2)
echo "chart: $CHART ($CASE), $COUNT renders each (the first, a warm-up, left out), median"
printf '%-10s %12s %12s %8s\n' "" "helm (ms)" "kots (ms)" ratio
printf '%-10s %12s %12s %7.2fx\n' render "$h" "$o" "$(echo "$h / $o" | bc -l)"
[ "$hb" = "$ob" ] || echo "note: bytes rendered differ: helm $hb, kots $ob"
echo "bytes rendered per render: $ob"
