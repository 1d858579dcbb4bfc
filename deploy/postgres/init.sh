#!/usr/bin/env bash
# Creates, for each service, its own role and its own database (brief §2 and §5: no service
# reads another's tables, and none can even connect to another's database):
#
#   role <prefix>_<service>   LOGIN, password from ESS_<SERVICE>_DB_PASSWORD; not a superuser,
#                             cannot create databases or roles
#   database <prefix>_<service>  owned by that role; CONNECT (and every other database
#                             privilege) revoked from PUBLIC, so only its owner (and superusers)
#                             may connect
#
# The service then creates its tables with its own migrations at start, as their owner. Objects
# an earlier version created as `postgres` in an existing database are handed over to the role.
#
# Used by docker compose (the postgres image runs the scripts of /docker-entrypoint-initdb.d once,
# on an empty data volume, with the server on its Unix socket only), by deploy/run-local.sh and by
# the tests (tests/hardening). Safe to run again: it creates what is missing and resets the
# passwords and privileges, e.g. after adding a service to an existing volume:
#   docker compose exec -u postgres postgres bash /docker-entrypoint-initdb.d/init.sh
#
# Settings (environment): ESS_REGISTRY_DB_PASSWORD, ESS_ACTIVITIES_DB_PASSWORD,
# ESS_OBSERVATORY_DB_PASSWORD (required; URL-safe: they go into DATABASE_URL); ESS_DB_PREFIX
# (default `ess`); the admin connection from POSTGRES_USER / POSTGRES_DB and the usual PGHOST,
# PGPORT. Passwords are passed to psql as variables, never on a command line.
#
# The entrypoint sources this file instead of running it when it is not executable: the body runs
# in a subshell so that its shell options never leak into the entrypoint.
(
    set -euo pipefail

    prefix=${ESS_DB_PREFIX:-ess}
    for service in registry activities observatory; do
        name=${prefix}_$service
        password_var=ESS_${service^^}_DB_PASSWORD
        password=${!password_var:-}
        if [[ -z $password ]]; then
            printf 'init.sh: %s is not set (the password of the %s role)\n' "$password_var" "$name" >&2
            exit 1
        fi
        admin=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --quiet
            --username "${POSTGRES_USER:-postgres}")

        # The role and the database. CREATE DATABASE cannot run inside a DO block: \gexec runs the
        # statements the queries return.
        "${admin[@]}" --dbname "${POSTGRES_DB:-postgres}" --set name="$name" --set password="$password" <<'EOSQL'
SELECT format('CREATE ROLE %I', :'name')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name')
\gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'name', :'password')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name')
\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'name', :'name')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name')
\gexec
EOSQL

        # Inside the database: the role owns the public schema's objects (tables an earlier
        # version migrated as postgres), except those of extensions; nobody else may use them.
        "${admin[@]}" --dbname "$name" --set name="$name" <<'EOSQL'
\o /dev/null
SELECT set_config('ess.role', :'name', false);
DO $$
DECLARE
    target text := current_setting('ess.role');
    r record;
BEGIN
    FOR r IN
        SELECT c.oid::regclass AS object
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND pg_get_userbyid(c.relowner) <> target
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %I', r.object, target);
    END LOOP;
    FOR r IN
        SELECT c.oid::regclass AS object
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'
          AND c.relkind = 'S'
          AND pg_get_userbyid(c.relowner) <> target
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
    LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.object, target);
    END LOOP;
END
$$;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
EOSQL
    done
)
