#!/usr/bin/env bash
# The whole story on one machine, on loopback, with the embedded defaults:
#   vendor server → example app and its images → license → customer registry →
#   kubectl kots pull --rewrite-images → kubectl kustomize.
# Everything lives in a fresh temporary folder (kept with KEEP=1) and every server stops at
# the end. Needs cargo and kubectl; no Docker, no network beyond loopback.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/kots-demo.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Starts a server whose first stdout line is "… listening on http://ADDRESS" and sets ADDRESS
# (not in a subshell, so that `pids` keeps it and the cleanup stops it).
start() {
  local log="$1"; shift
  "$@" >"$log.out" 2>"$log.err" &
  pids+=("$!")
  for _ in $(seq 100); do
    if [[ -s "$log.out" ]]; then ADDRESS=$(sed -n 's#.*listening on http://##p' "$log.out" | head -1); return; fi
    sleep 0.1
  done
  echo "server did not start: $*" >&2; cat "$log.err" >&2; exit 1
}

say "Building kots-vendor, kots-registry and kubectl-kots (release)"
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" \
  --bin kots-vendor --bin kots-registry --bin kubectl-kots
bin="$repo/target/release"
export PATH="$bin:$PATH"

say "Vendor: a fresh kots-vendor with its first user"
export KOTS_VENDOR_TOKEN
KOTS_VENDOR_TOKEN="$(kots-vendor bootstrap --data-dir "$work/vendor" --email vendor@example.com)"
start "$work/vendor" kots-vendor serve --data-dir "$work/vendor" --listen 127.0.0.1:0; vendor=$ADDRESS
export KOTS_VENDOR_URL="http://$vendor"
echo "vendor server and its registry at $KOTS_VENDOR_URL"
kots-vendor app create myapp --name "My App"

say "A public registry standing in for Docker Hub, with the app's public images"
start "$work/public" kots-registry serve --data-dir "$work/public" --listen 127.0.0.1:0; public=$ADDRESS
for image in library/nginx:1.25 library/busybox:1.36 library/redis:7 library/postgres:16; do
  kubectl-kots image make "http://$public/$image" --size 2000000 --seed "$image"
done

say "Vendor: private images pushed to the vendor registry (email + user token, as docker login)"
for image in myapp/api:1.0 myapp/report:1.0; do
  kubectl-kots image make "$vendor/$image" --size 3000000 --seed "$image" \
    --dest-creds "vendor@example.com:$KOTS_VENDOR_TOKEN"
done

say "Vendor: release the example app (examples/myapp) to the Stable channel"
mkdir -p "$work/release"
for file in "$repo"/examples/myapp/*.yaml; do
  sed "s#VENDOR_REGISTRY#$vendor#g" "$file" >"$work/release/$(basename "$file")"
done
kots-vendor release create --app myapp --yaml-dir "$work/release" --version 1.0.0 --promote stable

say "Vendor: a customer and its signed license; the key customers trust"
kots-vendor customer create --app myapp --name "Example Customer" --channel stable --output "$work/license.yaml"
kots-vendor key export --output-dir "$work/keys"

say "Customer: a private registry of its own"
start "$work/customer-registry" kots-registry serve --data-dir "$work/customer-registry" --listen 127.0.0.1:0
registry=$ADDRESS
echo "customer registry at http://$registry"

say "Customer: kubectl kots pull"
mkdir -p "$work/customer"
kubectl-kots pull replicated://myapp \
  --license-file "$work/license.yaml" --trusted-key "$work/keys" \
  --rewrite-images --image-namespace myapp --registry-endpoint "http://$registry" \
  --registry-mirror "docker.io=http://$public" \
  --rootdir "$work/customer"

say "Customer: the app folder"
(cd "$work/customer" && find myapp -path myapp/images/blobs -prune -o -type f -print | sort)

say "Customer: kubectl kustomize myapp/overlays/downstreams/this-cluster (images only)"
kubectl kustomize "$work/customer/myapp/overlays/downstreams/this-cluster" | grep 'image:' | sort | uniq -c

say "Customer: the registry now holds"
curl -fsS "http://$registry/v2/_catalog"; echo
