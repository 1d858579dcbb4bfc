# shellcheck shell=bash
# Shared by deploy/run-local.sh and .ci/run (sourced, not executed): makes sure the local
# PostgreSQL (127.0.0.1:5432, user postgres, trust auth) and NATS with JetStream (127.0.0.1:4222)
# answer, starting them with the machine's own commands when they do not. No Docker.

ESS_PG_HOST=127.0.0.1
ESS_PG_PORT=5432
ESS_PG_USER=postgres
ESS_NATS_HOST=127.0.0.1
ESS_NATS_PORT=4222
# How long a service gets to answer after we start it.
ESS_START_WAIT_SECS=${ESS_START_WAIT_SECS:-15}

ess_log() { printf '==> %s\n' "$*" >&2; }
ess_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True when something accepts TCP connections on host:port (bash's /dev/tcp, 2 s at most).
ess_port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

ess_postgres_answers() {
    pg_isready -q -h "$ESS_PG_HOST" -p "$ESS_PG_PORT" 2>/dev/null
}

ess_nats_answers() {
    ess_port_open "$ESS_NATS_HOST" "$ESS_NATS_PORT"
}

ess_start_postgres() {
    # shellcheck disable=SC2046  # one cluster version directory is expected under /etc/postgresql
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
}

ess_start_nats() {
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
}

# ess_wait_until SECONDS COMMAND...: polls COMMAND every 0.5 s until it succeeds or time is up.
ess_wait_until() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

# ess_ensure NAME CHECK START HINT: runs START when CHECK fails, then waits for CHECK.
ess_ensure() {
    local name=$1 check=$2 start=$3 hint=$4 out_file
    if "$check"; then
        ess_log "$name answers"
        return 0
    fi
    ess_log "$name does not answer; starting it"
    # Output goes to a file, not a pipe: a daemon that kept the pipe open would hang a $(...).
    # A failing start command is not fatal by itself (it may be starting already): the check decides.
    out_file=$(mktemp)
    "$start" >"$out_file" 2>&1 || true
    if ess_wait_until "$ESS_START_WAIT_SECS" "$check"; then
        rm -f "$out_file"
        ess_log "$name answers"
    else
        cat "$out_file" >&2
        rm -f "$out_file"
        ess_die "$name still does not answer ${ESS_START_WAIT_SECS}s after starting it. $hint"
    fi
}

ess_ensure_postgres() {
    ess_ensure "PostgreSQL ($ESS_PG_HOST:$ESS_PG_PORT)" ess_postgres_answers ess_start_postgres \
        "Check 'pg_lsclusters' and the log under /var/log/postgresql/."
}

ess_ensure_nats() {
    ess_ensure "NATS ($ESS_NATS_HOST:$ESS_NATS_PORT)" ess_nats_answers ess_start_nats \
        "Check /var/log/nats-server.log (is /usr/sbin/nats-server installed?)."
}

ess_ensure_services() {
    command -v pg_isready >/dev/null || ess_die "pg_isready not found: install the postgresql-client package"
    command -v psql >/dev/null || ess_die "psql not found: install the postgresql-client package"
    ess_ensure_postgres
    ess_ensure_nats
}

# ess_psql ARGS...: psql as the superuser on the local server, quiet, stopping on the first error.
ess_psql() {
    psql -h "$ESS_PG_HOST" -p "$ESS_PG_PORT" -U "$ESS_PG_USER" -X -q -v ON_ERROR_STOP=1 "$@"
}
