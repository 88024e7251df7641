#!/bin/bash
# PostgreSQL for the stack. Env: POSTGRES_PASSWORD (required), POSTGRES_USER (default srcnet),
# POSTGRES_DBS (space-separated databases owned by that user, default "srcnet").
set -euo pipefail
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
user=${POSTGRES_USER:-srcnet}
dbs=${POSTGRES_DBS:-srcnet}
bin=/usr/lib/postgresql/15/bin
data=/var/lib/postgresql/data
mkdir -p "$data" /run/postgresql
chown postgres:postgres "$data" /run/postgresql
if [ ! -s "$data/PG_VERSION" ]; then
  pwfile=$(mktemp) && printf '%s' "$POSTGRES_PASSWORD" >"$pwfile" && chown postgres "$pwfile"
  su postgres -c "$bin/initdb -D $data -U $user --pwfile=$pwfile --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8" >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$data/pg_hba.conf"
  # Throwaway test databases: durability is not what is being tested.
  cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '*'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  su postgres -c "$bin/pg_ctl -D $data -l /tmp/initdb-server.log -o '-c listen_addresses=' -w start" >/dev/null
  for db in $dbs; do su postgres -c "$bin/createdb -U $user -O $user $db"; done
  su postgres -c "$bin/pg_ctl -D $data -m fast -w stop" >/dev/null
fi
# postgres prints "database system is ready to accept connections" when it is.
exec su postgres -c "exec $bin/postgres -D $data"
