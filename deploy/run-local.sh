#!/usr/bin/env bash
# Runs the whole ESS platform on this machine without Docker: the local PostgreSQL and NATS
# (started if needed), one database per service, and the registry, activities and observatory
# binaries in the background (logs and pids in .run/).
#
#   deploy/run-local.sh [start] [--debug]   build (release, or debug with --debug) and (re)start
#   deploy/run-local.sh stop                stop the services started here
#   deploy/run-local.sh status              what runs; exit 1 when a service is down
#
# OTEL_EXPORTER_OTLP_ENDPOINT and RUST_LOG, when set, are passed to the services.
# Auth: the first start makes an Ed25519 key pair in .run/ (auth_private.pem stays here; the
# services get auth_public.pem); every start issues the activities service's registry token and
# a 12-hour admin token for essctl (.run/admin_token).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=deploy/lib/services.sh
source deploy/lib/services.sh

RUN_DIR=$ROOT/.run
SERVICES=(registry activities observatory)
declare -A PORT=([registry]=50051 [activities]=50052 [observatory]=50053)
READY_WAIT_SECS=60
# The services drain for up to 20 s on SIGTERM (style guide §3); past this we SIGKILL.
STOP_WAIT_SECS=25

# usage [EXIT_CODE]: the header comment of this file; 2 (a usage error) unless asked for.
usage() {
    sed -n '2,10s/^# \{0,1\}//p' "$0" >&2
    exit "${1:-2}"
}

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log' "$RUN_DIR" "$1"; }

# Prints the pid of SERVICE when the process recorded in its pid file is alive and is one of
# our binaries (a stale pid file may name a recycled pid: never signal someone else's process).
live_pid() {
    local svc=$1 file pid exe
    file=$(pid_file "$svc")
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    # After a rebuild the running binary shows as ".../registry (deleted)".
    [[ $exe == "$ROOT"/target/*/"$svc" || $exe == "$ROOT"/target/*/"$svc (deleted)" ]] || return 1
    printf '%s' "$pid"
}

# stop_services [quiet]: SIGTERM to every live service of ours, then wait (SIGKILL past the limit).
stop_services() {
    local quiet=${1:-} svc pid pids=()
    for svc in "${SERVICES[@]}"; do
        if pid=$(live_pid "$svc"); then
            ess_log "stopping $svc (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    local deadline=$((SECONDS + STOP_WAIT_SECS))
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null; do
            if ((SECONDS >= deadline)); then
                ess_log "pid $pid still running after ${STOP_WAIT_SECS}s; killing it"
                kill -KILL "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.2
        done
    done
    for svc in "${SERVICES[@]}"; do rm -f "$(pid_file "$svc")"; done
    ((${#pids[@]} > 0)) || [[ -n $quiet ]] || ess_log "no service of ours was running"
}

status() {
    local svc pid all_up=0
    if ess_postgres_answers; then echo "postgres     up    $ESS_PG_HOST:$ESS_PG_PORT"; else echo "postgres     DOWN  $ESS_PG_HOST:$ESS_PG_PORT"; all_up=1; fi
    if ess_nats_answers; then echo "nats         up    $ESS_NATS_HOST:$ESS_NATS_PORT"; else echo "nats         DOWN  $ESS_NATS_HOST:$ESS_NATS_PORT"; all_up=1; fi
    for svc in "${SERVICES[@]}"; do
        if pid=$(live_pid "$svc"); then
            if ess_port_open 127.0.0.1 "${PORT[$svc]}"; then
                printf '%-12s up    http://127.0.0.1:%s  pid %s  log .run/%s.log\n' "$svc" "${PORT[$svc]}" "$pid" "$svc"
            else
                printf '%-12s START http://127.0.0.1:%s  pid %s, port not open yet  log .run/%s.log\n' "$svc" "${PORT[$svc]}" "$pid" "$svc"
                all_up=1
            fi
        else
            printf '%-12s DOWN\n' "$svc"
            all_up=1
        fi
    done
    return "$all_up"
}

create_databases() {
    local svc db
    for svc in "${SERVICES[@]}"; do
        db=ess_$svc
        if [[ -z $(ess_psql -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
            ess_log "creating database $db"
            ess_psql -d postgres -c "CREATE DATABASE $db"
        fi
    done
}

# Starts one service in its own session (so a Ctrl-C or a closed terminal does not reach it),
# with an environment made only of what it needs.
start_service() {
    local svc=$1 bin=$2 log
    log=$(log_file "$svc")
    local env_vars=(
        "PATH=$PATH"
        "HOME=${HOME:-/root}"
        "DATABASE_URL=postgres://$ESS_PG_USER@$ESS_PG_HOST:$ESS_PG_PORT/ess_$svc"
        "NATS_URL=nats://$ESS_NATS_HOST:$ESS_NATS_PORT"
        "GRPC_ADDR=127.0.0.1:${PORT[$svc]}"
    )
    env_vars+=("ESS_AUTH_PUBLIC_KEY_FILE=$RUN_DIR/auth_public.pem")
    if [[ $svc == activities ]]; then
        env_vars+=("REGISTRY_URL=http://127.0.0.1:${PORT[registry]}")
        env_vars+=("REGISTRY_TOKEN=$(<"$RUN_DIR/registry_token")")
    fi
    [[ -z ${OTEL_EXPORTER_OTLP_ENDPOINT:-} ]] || env_vars+=("OTEL_EXPORTER_OTLP_ENDPOINT=$OTEL_EXPORTER_OTLP_ENDPOINT")
    [[ -z ${RUST_LOG:-} ]] || env_vars+=("RUST_LOG=$RUST_LOG")
    # setsid execs in place here (a background subshell is no group leader), so $! is the binary.
    (exec env -i "${env_vars[@]}" setsid "$bin" </dev/null >"$log" 2>&1) &
    echo $! >"$(pid_file "$svc")"
}

# Waits for every service's gRPC port; on failure shows the log tail and stops them all.
wait_ready() {
    local svc deadline=$((SECONDS + READY_WAIT_SECS))
    for svc in "${SERVICES[@]}"; do
        until ess_port_open 127.0.0.1 "${PORT[$svc]}"; do
            local why=""
            if ! live_pid "$svc" >/dev/null; then
                why="$svc exited during start-up"
            elif ((SECONDS >= deadline)); then
                why="$svc does not accept connections on 127.0.0.1:${PORT[$svc]} after ${READY_WAIT_SECS}s"
            fi
            if [[ -n $why ]]; then
                printf '\n--- last lines of .run/%s.log ---\n' "$svc" >&2
                tail -n 40 "$(log_file "$svc")" >&2 || true
                printf -- '---\n' >&2
                stop_services
                ess_die "$why (full log: .run/$svc.log)"
            fi
            sleep 0.5
        done
        ess_log "$svc listens on 127.0.0.1:${PORT[$svc]}"
    done
}

# setup_auth ESSCTL: the key pair (first start only), then fresh tokens: the activities
# service's `service` token for the registry and an admin token for essctl. Tokens are files
# readable by this user only.
setup_auth() {
    local essctl=$1 key=$RUN_DIR/auth_private.pem
    if [[ ! -f $key ]]; then
        ess_log "making the auth key pair in .run/ (auth_private.pem signs tokens: keep it here)"
        "$essctl" auth keygen --out-dir "$RUN_DIR" >/dev/null
    fi
    (
        umask 077
        "$essctl" auth issue --key-file "$key" --role service --subject activities --ttl 720h >"$RUN_DIR/registry_token"
        "$essctl" auth issue --key-file "$key" --role admin --subject "local-admin-${USER:-$(id -un)}" --ttl 12h >"$RUN_DIR/admin_token"
    )
}

start() {
    local profile=release cargo_profile=(--release)
    while (($#)); do
        case $1 in
            --debug) profile=debug cargo_profile=() ;;
            -h | --help) usage 0 ;;
            *) printf 'unknown option: %s\n' "$1" >&2; usage ;;
        esac
        shift
    done

    ess_ensure_services
    create_databases

    ess_log "building ($profile)"
    cargo build "${cargo_profile[@]}" -p registry -p activities -p observatory -p essctl

    mkdir -p "$RUN_DIR"
    setup_auth "$ROOT/target/$profile/essctl"
    stop_services quiet
    local svc
    for svc in "${SERVICES[@]}"; do
        if ess_port_open 127.0.0.1 "${PORT[$svc]}"; then
            ess_die "port ${PORT[$svc]} ($svc) is taken by a process not started here; find it with: ss -ltnp 'sport = :${PORT[$svc]}'"
        fi
    done
    for svc in "${SERVICES[@]}"; do
        local bin=$ROOT/target/$profile/$svc
        [[ -x $bin ]] || ess_die "$bin is missing after the build"
        ess_log "starting $svc"
        start_service "$svc" "$bin"
    done
    wait_ready

    local essctl=target/$profile/essctl
    cat <<EOF

The ESS platform runs ($profile build):
$(status)

Every call needs a token. An admin token (12 h) is in .run/admin_token:
  export ESS_TOKEN=\$(cat .run/admin_token)      # or: $essctl --token-file .run/admin_token ...
Other roles: $essctl auth issue --key-file .run/auth_private.pem --role partner --subject coop-1 --partner <ID>

Try it:
  $essctl partner create --name "Coop Test" --siret 73282932000074 --commune 14118
  $essctl partner get <ID printed above>
  $essctl stats partners-by-departement
  $essctl --output json partner get <ID>

Logs:   tail -f .run/*.log
Status: deploy/run-local.sh status
Stop:   deploy/run-local.sh stop
EOF
}

action=${1:-start}
case $action in
    -h | --help | help) usage 0 ;;
    start) shift $(($# > 0 ? 1 : 0)); start "$@" ;;
    --*) start "$@" ;;
    stop) stop_services ;;
    status) status ;;
    *) printf 'unknown command: %s\n' "$action" >&2; usage ;;
esac
