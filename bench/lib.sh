# shellcheck shell=bash
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
    PIDS+=($!)
    # shellcheck disable=SC2034 # DIST_PID is for the caller
    DIST_PID=$!
    for _ in $(seq 200); do curl -sf "http://$DIST_ADDR/v2/" >/dev/null && break; sleep 0.05; done
}

# --- binaries --------------------------------------------------------------------------------
# `bench_build ARGS...` builds what a script runs, with cargo's own selection arguments
# (`--bin NAME`, `--example NAME`, `-p PACKAGE`), in release mode. With KOTS_BIN_DIR=DIR it builds
# nothing and checks that every `--bin`/`--example` NAME is an executable DIR/NAME (or
# DIR/examples/NAME) instead; DIR is absolute or relative to the repository's root. Then
# `bench_bin NAME` prints the absolute path of one of them.
bench_build() {
    local names=() argument previous=
    for argument in "$@"; do
        case $previous in --bin | --example) names+=("$argument") ;; esac
        previous=$argument
    done
    if [ -n "${KOTS_BIN_DIR:-}" ]; then
        local name
        for name in "${names[@]}"; do bench_bin "$name" >/dev/null; done
    else
        cargo build --release --quiet "$@"
    fi
}

bench_bin() { # NAME -> absolute path
    local folder candidate
    if [ -n "${KOTS_BIN_DIR:-}" ]; then folder=$KOTS_BIN_DIR; else folder=target/release; fi
    for candidate in "$folder/$1" "$folder/examples/$1"; do
        if [ -f "$candidate" ] && [ -x "$candidate" ]; then
            echo "$(cd "$(dirname "$candidate")" && pwd)/$1"
            return
        fi
    done
    echo "bench: no executable \`$1\` in $folder (nor $folder/examples)${KOTS_BIN_DIR:+; KOTS_BIN_DIR is set, so nothing was built}" >&2
    return 1
}

# --- the busy variant ------------------------------------------------------------------------
# A fixed CPU load to run beside the servers: one `sha256sum /dev/zero` per core (user-space
# hashing, deterministic, never ends until killed). `busy_start` starts it when BUSY_MODE is
# `busy` (and does nothing when it is `quiet`), `busy_stop` kills it and waits for it, so that
# the scripts can wrap each measured step in the pair. BUSY_LOAD describes it for the headers.
BUSY_MODE=quiet
BUSY_PIDS=()
BUSY_LOAD="$(nproc) x \`sha256sum /dev/zero\` (one per core) during each measured step"
busy_start() {
    [ "$BUSY_MODE" = busy ] || return 0
    local _
    for _ in $(seq "$(nproc)"); do
        sha256sum /dev/zero >/dev/null &
        BUSY_PIDS+=($!)
    done
}
busy_stop() {
    local pid
    for pid in "${BUSY_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${BUSY_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    BUSY_PIDS=()
}
busy_header() { # MODE -> a line for the table's header; the load average shows other work
    local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
    if [ "$1" = busy ]; then echo "busy: $BUSY_LOAD; load average after: $load"; else echo "quiet: no load beside the servers; load average after: $load"; fi
}

# The modes to run, from MODES ("quiet busy" by default) or BUSY (1: busy only, 0: quiet only).
bench_modes() {
    case ${BUSY:-} in
        1 | yes | true) echo busy ;;
        0 | no | false) echo quiet ;;
        *) echo "${MODES:-quiet busy}" ;;
    esac
}

# --- figures ---------------------------------------------------------------------------------
seconds() { python3 -c "import time; print(time.time())"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# CPU seconds (user + system, all threads) PID has used so far: fields 14 and 15 of
# /proc/PID/stat, in clock ticks (the fields are counted after the `(comm)` one, which may hold
# spaces).
cpu_seconds() { # PID
    local stat fields
    stat=$(<"/proc/$1/stat")
    read -r -a fields <<<"${stat##*) }"
    python3 -c "print((${fields[11]} + ${fields[12]}) / $(getconf CLK_TCK))"
}
