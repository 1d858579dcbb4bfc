#!/usr/bin/env bash
# Runs the whole ESS platform on this machine without Docker: the local PostgreSQL (started if
# needed) with one role and one database per service (deploy/postgres/init.sh), a NATS server of
# its own with one user per service (deploy/nats-users.conf, on 127.0.0.1:4223, data in .run/nats),
# and the registry, activities and observatory binaries in the background (logs and pids in
# .run/). Passwords are generated once into .run/secrets/ (mode 600, never committed).
#
#   deploy/run-local.sh [start] [--debug]   build (release, or debug with --debug) and (re)start
#   deploy/run-local.sh stop                stop the services started here
#   deploy/run-local.sh status              what runs; exit 1 when a service is down
#
# OTEL_EXPORTER_OTLP_ENDPOINT and RUST_LOG, when set, are passed to the services. `start` then
# loads the synthetic demo (essctl seed demo; idempotent), unless ESS_SEED_DEMO=false.
# Auth: the first start makes an Ed25519 key pair in .run/ (auth_private.pem stays here; the
# services get auth_public.pem); every start issues the activities service's registry token and
# a 12-hour admin token for essctl (.run/admin_token).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=deploy/lib/services.sh
source deploy/lib/services.sh

RUN_DIR=$ROOT/.run
SECRETS_DIR=$RUN_DIR/secrets
NATS_DIR=$RUN_DIR/nats
# Our own NATS server (least privilege needs its users), not the machine's one on 4222.
LOCAL_NATS_PORT=${ESS_LOCAL_NATS_PORT:-4223}
SERVICES=(registry activities observatory)
declare -A PORT=([registry]=50051 [activities]=50052 [observatory]=50053)
READY_WAIT_SECS=60
# The services drain for up to 20 s on SIGTERM (style guide §3); past this we SIGKILL.
STOP_WAIT_SECS=25

# usage [EXIT_CODE]: the header comment of this file; 2 (a usage error) unless asked for.
usage() {
    sed -n '2,11s/^# \{0,1\}//p' "$0" >&2
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
    if nats_pid >/dev/null && ess_port_open 127.0.0.1 "$LOCAL_NATS_PORT"; then echo "nats         up    127.0.0.1:$LOCAL_NATS_PORT  log .run/nats.log"; else echo "nats         DOWN  127.0.0.1:$LOCAL_NATS_PORT"; all_up=1; fi
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

# secret NAME: the password stored in .run/secrets/NAME, generated on first use (letters and
# digits, a letter first: it goes into URLs, and nats-server parses it from the environment).
secret() {
    local file=$SECRETS_DIR/$1
    if [[ ! -s $file ]]; then
        (umask 077 && mkdir -p "$SECRETS_DIR" &&
            printf 'p%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$file")
    fi
    cat "$file"
}

# One role per service, owner of its database and unable to connect to the others.
create_databases() {
    ess_log "creating or checking the services' roles and databases"
    env PGHOST="$ESS_PG_HOST" PGPORT="$ESS_PG_PORT" POSTGRES_USER="$ESS_PG_USER" POSTGRES_DB=postgres \
        ESS_REGISTRY_DB_PASSWORD="$(secret registry-db)" \
        ESS_ACTIVITIES_DB_PASSWORD="$(secret activities-db)" \
        ESS_OBSERVATORY_DB_PASSWORD="$(secret observatory-db)" \
        bash deploy/postgres/init.sh
}

# Prints the pid of our nats-server when it runs.
nats_pid() {
    local pid exe
    [[ -f $RUN_DIR/nats.pid ]] || return 1
    pid=$(<"$RUN_DIR/nats.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    [[ $exe == */nats-server ]] || return 1
    printf '%s' "$pid"
}

# Starts our NATS server with the deployment's users (passwords from .run/secrets, given in its
# environment, never on a command line) unless it runs already.
start_nats() {
    command -v nats-server >/dev/null || ess_die "nats-server not found on the PATH"
    if nats_pid >/dev/null; then
        ess_log "nats answers on 127.0.0.1:$LOCAL_NATS_PORT"
        return 0
    fi
    if ess_port_open 127.0.0.1 "$LOCAL_NATS_PORT"; then
        ess_die "port $LOCAL_NATS_PORT is taken by another process; set ESS_LOCAL_NATS_PORT"
    fi
    mkdir -p "$NATS_DIR"
    cp deploy/nats-users.conf "$NATS_DIR/nats-users.conf"
    {
        echo "# Written by deploy/run-local.sh: the deployment's users and permissions on a local port."
        echo "listen: 127.0.0.1:$LOCAL_NATS_PORT"
        echo "jetstream {"
        echo "    store_dir: \"$NATS_DIR/jetstream\""
        echo "}"
        echo "include nats-users.conf"
    } >"$NATS_DIR/nats.conf"
    local env_file=$SECRETS_DIR/nats.env
    (umask 077 && mkdir -p "$SECRETS_DIR" && printf 'export %q\n' \
        "NATS_REGISTRY_PASSWORD=$(secret nats-registry)" \
        "NATS_ACTIVITIES_PASSWORD=$(secret nats-activities)" \
        "NATS_OBSERVATORY_PASSWORD=$(secret nats-observatory)" \
        "NATS_ADMIN_PASSWORD=$(secret nats-admin)" >"$env_file")
    ess_log "starting nats-server on 127.0.0.1:$LOCAL_NATS_PORT"
    # bash execs setsid, which execs nats-server: $! is the server.
    (exec env -i PATH="$PATH" ESS_ENV_FILE="$env_file" \
        bash -c '. "$ESS_ENV_FILE" && unset ESS_ENV_FILE && exec setsid "$@"' _ nats-server -c "$NATS_DIR/nats.conf" \
        </dev/null >"$RUN_DIR/nats.log" 2>&1) &
    echo $! >"$RUN_DIR/nats.pid"
    ess_wait_until 10 ess_port_open 127.0.0.1 "$LOCAL_NATS_PORT" ||
        ess_die "nats-server does not answer on 127.0.0.1:$LOCAL_NATS_PORT (log: .run/nats.log)"
}

stop_nats() {
    local pid
    if pid=$(nats_pid); then
        ess_log "stopping nats-server (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        ess_wait_until 10 bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN_DIR/nats.pid"
}

# Starts one service in its own session (so a Ctrl-C or a closed terminal does not reach it),
# with an environment made only of what it needs.
start_service() {
    local svc=$1 bin=$2 log env_file
    log=$(log_file "$svc")
    # The settings, secrets included, go through a file only we can read, not a command line.
    env_file=$SECRETS_DIR/$svc.env
    local env_vars=(
        "PATH=$PATH"
        "HOME=${HOME:-/root}"
        "DATABASE_URL=postgres://ess_$svc:$(secret "$svc-db")@$ESS_PG_HOST:$ESS_PG_PORT/ess_$svc"
        "NATS_URL=nats://127.0.0.1:$LOCAL_NATS_PORT"
        "NATS_USER=$svc"
        "NATS_PASSWORD=$(secret "nats-$svc")"
        "GRPC_ADDR=127.0.0.1:${PORT[$svc]}"
    )
    env_vars+=("ESS_AUTH_PUBLIC_KEY_FILE=$RUN_DIR/auth_public.pem")
    if [[ $svc == activities ]]; then
        env_vars+=("REGISTRY_URL=http://127.0.0.1:${PORT[registry]}")
        env_vars+=("REGISTRY_TOKEN=$(<"$RUN_DIR/registry_token")")
    fi
    # The observatory's public dashboard: http://127.0.0.1:8080 (ESS_HTTP_PORT to move it).
    [[ $svc != observatory ]] || env_vars+=("HTTP_ADDR=127.0.0.1:${ESS_HTTP_PORT:-8080}")
    [[ -z ${OTEL_EXPORTER_OTLP_ENDPOINT:-} ]] || env_vars+=("OTEL_EXPORTER_OTLP_ENDPOINT=$OTEL_EXPORTER_OTLP_ENDPOINT")
    [[ -z ${RUST_LOG:-} ]] || env_vars+=("RUST_LOG=$RUST_LOG")
    (umask 077 && printf 'export %q\n' "${env_vars[@]}" >"$env_file")
    # setsid execs in place here (a background subshell is no group leader) and bash execs it,
    # so $! is the binary.
    (exec env -i ESS_ENV_FILE="$env_file" bash -c '. "$ESS_ENV_FILE" && unset ESS_ENV_FILE && exec setsid "$0"' "$bin" \
        </dev/null >"$log" 2>&1) &
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

# The synthetic demo through the public APIs, with the admin token. essctl itself reads
# ESS_SEED_DEMO (false: no-op) and finds what a previous start created, so restarting creates
# nothing more.
seed_demo() {
    local essctl=$1
    if [[ ${ESS_SEED_DEMO:-true} == false ]]; then
        ess_log "demo seeding switched off (ESS_SEED_DEMO=false)"
        return
    fi
    ess_log "seeding the synthetic demo (essctl seed demo; ESS_SEED_DEMO=false to skip)"
    "$essctl" --registry-url "http://127.0.0.1:${PORT[registry]}" \
        --activities-url "http://127.0.0.1:${PORT[activities]}" \
        --observatory-url "http://127.0.0.1:${PORT[observatory]}" \
        --token-file "$RUN_DIR/admin_token" --timeout 30s seed demo ||
        ess_die "the services run, but seeding the demo failed (see above); retry: $essctl seed demo"
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

    command -v psql >/dev/null || ess_die "psql not found: install the postgresql-client package"
    ess_ensure_postgres
    create_databases
    mkdir -p "$RUN_DIR"
    start_nats

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
    seed_demo "$essctl"
    cat <<EOF

The ESS platform runs ($profile build):
$(status)

Every call needs a token. An admin token (12 h) is in .run/admin_token:
  export ESS_TOKEN=\$(cat .run/admin_token)      # or: $essctl --token-file .run/admin_token ...
Other roles: $essctl auth issue --key-file .run/auth_private.pem --role partner --subject coop-1 --partner <ID>

For doctor and events tail, the local NATS (its admin user):
  export NATS_URL=nats://127.0.0.1:$LOCAL_NATS_PORT NATS_USER=admin NATS_PASSWORD=\$(cat .run/secrets/nats-admin)

Try it (the demo is synthetic: every name ends with "(démo)"):
  $essctl doctor
  $essctl partner list --query démo
  $essctl events tail --limit 5
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
    stop) stop_services; stop_nats ;;
    status) status ;;
    *) printf 'unknown command: %s\n' "$action" >&2; usage ;;
esac
