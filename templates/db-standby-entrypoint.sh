#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Rendered by supactl: the entrypoint of the db-standby service (instance.yaml db.standby).
# Runs as root, like the image's own entrypoint. On the first start, while the standby's own
# data volume holds no finished copy, it copies the primary `db` with pg_basebackup as the
# replication role supactl_replicator, streaming the WAL of the copy through the physical
# slot supactl_standby, and marks the copy a standby that follows the primary through that
# slot. Then it hands over to the image's docker-entrypoint.sh, which finds a cluster in
# PGDATA (so it initialises nothing) and starts Postgres as the postgres user.
set -Eeuo pipefail

data="${PGDATA:-/var/lib/postgresql/data}"
done_marker="$data/supactl-base-copy.done"

# supabase/postgres has gosu; the test kit's image has setpriv.
if command -v gosu >/dev/null 2>&1; then
  as_postgres=(gosu postgres)
else
  as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi

if [ ! -e "$done_marker" ]; then
  mkdir -p "$data"
  # A copy cut short by a stop or a crash is not finished: start it again from nothing.
  find "$data" -mindepth 1 -delete
  chown postgres:postgres "$data"
  chmod 0700 "$data"
  echo "db-standby: copying the primary (pg_basebackup from db, slot supactl_standby)" >&2
  # A primary made anew in the same `up` (a restore, `down --volumes`) gets its replication
  # role, slot and pg_hba line from supactl once `up` has started it: until then, try again.
  until PGPASSWORD="$SUPACTL_REPLICATION_PASSWORD" "${as_postgres[@]}" pg_basebackup --no-password \
    -h db -p 5432 -U supactl_replicator -D "$data" -X stream -S supactl_standby --checkpoint=fast; do
    echo "db-standby: the primary does not serve the copy yet; trying again in 2 s" >&2
    find "$data" -mindepth 1 -delete
    sleep 2
  done
  touch "$data/standby.signal"
  cat >> "$data/postgresql.auto.conf" <<CONF
# supactl db-standby: follow the primary through its slot
primary_conninfo = 'host=db port=5432 user=supactl_replicator password=$SUPACTL_REPLICATION_PASSWORD application_name=db-standby'
primary_slot_name = 'supactl_standby'
CONF
  touch "$done_marker"
  chown postgres:postgres "$data/standby.signal" "$data/postgresql.auto.conf" "$done_marker"
  chmod 0600 "$data/postgresql.auto.conf"
  echo "db-standby: copy complete" >&2
fi

exec docker-entrypoint.sh "$@"
