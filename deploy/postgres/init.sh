#!/usr/bin/env bash
# Creates the database of each service (brief §2: no service reads another's tables). The
# postgres image runs the scripts of /docker-entrypoint-initdb.d once, on an empty data volume,
# with the server listening on its Unix socket only; each service then creates its tables with
# its own migrations at start.
#
# Safe to run again (it skips existing databases), e.g. after adding a service to an existing
# volume:  docker compose exec -u postgres postgres bash /docker-entrypoint-initdb.d/init.sh
#
# The entrypoint sources this file instead of running it when it is not executable: the body runs
# in a subshell so that its shell options never leak into the entrypoint.
(
    set -euo pipefail

    for db in ess_registry ess_activities ess_observatory; do
        # CREATE DATABASE cannot run inside a DO block: \gexec runs the statement the query
        # returns, which is none when the database exists.
        psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --quiet \
            --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
            --set db="$db" <<'EOSQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
EOSQL
    done
)
