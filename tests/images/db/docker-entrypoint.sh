#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# supactl image kit: entrypoint of the db image. Behaves like supabase/postgres as supactl
# uses it: on the first boot of an empty PGDATA it runs initdb (bootstrap superuser
# $POSTGRES_USER = supabase_admin), creates what the upstream image's own init scripts create
# (supabase-image.sql), then the mounted init SQL in migrate.sh's order:
#   init-scripts/*.sql (as postgres), supabase_admin's password, migrations/*.sql (as
#   supabase_admin), then top-level *.sql / *.sh of /docker-entrypoint-initdb.d.
# Then it runs postgres in the foreground. A PGDATA that already holds a cluster is reused.
set -Eeuo pipefail

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGPORT="${PGPORT:-${POSTGRES_PORT:-5432}}"
export POSTGRES_USER="${POSTGRES_USER:-supabase_admin}"
export POSTGRES_DB="${POSTGRES_DB:-postgres}"
initdir=/docker-entrypoint-initdb.d
sock=/var/run/postgresql

say() { echo "db-entrypoint: $*" >&2; }

# Upstream's arguments: `postgres [-D DIR] [-c config_file=F] [-c k=v]...`. Our cluster lives
# in PGDATA; a -D or a config_file that does not exist here is dropped.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi
shift
args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    -D) shift 2 || shift; continue ;;
    -D*) shift; continue ;;
    -c)
      if [ "$#" -ge 2 ] && [[ "$2" == config_file=* ]] && [ ! -f "${2#config_file=}" ]; then shift 2; continue; fi
      if [ "$#" -ge 2 ] && [[ "$2" == hba_file=* || "$2" == ident_file=* ]] && [ ! -f "${2#*=}" ]; then shift 2; continue; fi
      args+=("$1" "${2:-}"); shift 2 || shift; continue ;;
    *) args+=("$1"); shift ;;
  esac
done

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" "$sock"
  chown postgres:postgres "$PGDATA" "$sock"
  chmod 0700 "$PGDATA"
  [ -d /etc/postgresql-custom ] && chown postgres:postgres /etc/postgresql-custom 2>/dev/null || true
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" postgres "${args[@]}"
fi

psql_as() {
  local user="$1" db="$2"; shift 2
  psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password -h "$sock" -p "$PGPORT" -U "$user" -d "$db" "$@"
}

run_file() {
  local user="$1" f="$2"
  case "$f" in
    *.sql) say "running $f as $user"; psql_as "$user" "$POSTGRES_DB" -f "$f" ;;
    *.sql.gz) say "running $f as $user"; gunzip -c "$f" | psql_as "$user" "$POSTGRES_DB" ;;
    *.sh)
      say "running $f"
      if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
  esac
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    say "error: the database is uninitialized and POSTGRES_PASSWORD is not set"
    exit 1
  fi
  say "initialising $PGDATA (bootstrap superuser $POSTGRES_USER)"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 \
    --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  cat >> "$PGDATA/postgresql.conf" <<CONF

# supactl image kit
listen_addresses = '*'
unix_socket_directories = '$sock'
password_encryption = scram-sha-256
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
CONF
  cat > "$PGDATA/pg_hba.conf" <<HBA
# supactl image kit: trust on the local socket, SCRAM passwords from the network.
local   all             all                     trust
local   replication     all                     trust
host    all             all     0.0.0.0/0       scram-sha-256
host    all             all     ::/0            scram-sha-256
host    replication     all     0.0.0.0/0       scram-sha-256
host    replication     all     ::/0            scram-sha-256
HBA

  pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -p $PGPORT" start >/dev/null

  if [ "$POSTGRES_DB" != postgres ]; then
    psql_as "$POSTGRES_USER" postgres -c "CREATE DATABASE \"$POSTGRES_DB\"" >/dev/null
  fi
  say "creating the roles and schemas of supabase/postgres"
  psql_as "$POSTGRES_USER" "$POSTGRES_DB" -q -f /usr/local/share/supactl-kit/supabase-image.sql

  shopt -s nullglob
  mapfile -t files < <(printf '%s\n' "$initdir"/init-scripts/*.sql | LC_ALL=C sort)
  for f in "${files[@]}"; do [ -n "$f" ] && run_file postgres "$f"; done
  psql_as "$POSTGRES_USER" "$POSTGRES_DB" -q -v pgpass="${PGPASSWORD:-$POSTGRES_PASSWORD}" \
    -v admin="$POSTGRES_USER" <<'SQL'
ALTER USER :"admin" WITH PASSWORD :'pgpass';
SQL
  mapfile -t files < <(printf '%s\n' "$initdir"/migrations/*.sql | LC_ALL=C sort)
  for f in "${files[@]}"; do [ -n "$f" ] && run_file "$POSTGRES_USER" "$f"; done
  mapfile -t files < <(printf '%s\n' "$initdir"/*.sql "$initdir"/*.sql.gz "$initdir"/*.sh | LC_ALL=C sort)
  for f in "${files[@]}"; do [ -n "$f" ] && run_file postgres "$f"; done
  shopt -u nullglob

  pg_ctl -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
  say "initialisation complete"
else
  say "reusing the cluster in $PGDATA"
fi

exec postgres -D "$PGDATA" -p "$PGPORT" "${args[@]}"
