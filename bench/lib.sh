# Sourced by the bench scripts (from the repository's root): what they share. Each script sets
# WORK (its scratch folder) and PIDS (what its cleanup kills) before using these.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts the reference registry (docker-registry, CNCF Distribution) with its storage in
# $WORK/distribution and deletes enabled, and waits until it answers; sets DIST_ADDR and
# DIST_PID. A second start after a stop serves the same storage on the same address.
start_distribution() {
    if [ ! -f "$WORK/distribution.yml" ]; then
        DIST_ADDR=127.0.0.1:$(free_port)
        cat >"$WORK/distribution.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/distribution
  delete:
    enabled: true
http:
  addr: $DIST_ADDR
YAML
    fi
    docker-registry serve "$WORK/distribution.yml" >"$WORK/distribution.log" 2>&1 &
    PIDS+=($!); DIST_PID=$!
    for _ in $(seq 200); do curl -sf "http://$DIST_ADDR/v2/" >/dev/null && break; sleep 0.05; done
}
