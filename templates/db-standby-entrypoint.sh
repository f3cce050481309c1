#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Rendered by supactl: the entrypoint of the standby's Postgres service (instance.yaml
# db.standby): db-standby, or db after `supactl db failover` made db-standby the primary.
# Runs as root, like the image's own entrypoint. On the first start, while the standby's own
# data volume holds no finished copy, it copies the primary ($SUPACTL_PRIMARY_HOST, db by
# default) with pg_basebackup as the replication role supactl_replicator, streaming the WAL of
# the copy through the physical slot supactl_standby, and marks the copy a standby that
# follows the primary through that slot. Then it hands over to the image's
# docker-entrypoint.sh, which finds a cluster in PGDATA (so it initialises nothing) and starts
# Postgres as the postgres user. A volume fenced by a failover (supactl-fenced: a former
# primary, whose history left the new primary's) is never a finished copy: it is copied anew.
set -Eeuo pipefail

data="${PGDATA:-/var/lib/postgresql/data}"
primary="${SUPACTL_PRIMARY_HOST:-db}"
name="${SUPACTL_STANDBY_NAME:-db-standby}"
# Each service has its own finished-copy marker: pg_basebackup copies the primary's files, the
# primary's own marker among them (when it was once a copy), and a copy cut short must not
# look finished. The health check reads the same file.
if [ "$name" = db-standby ]; then
  done_marker="$data/supactl-base-copy.done"
else
  done_marker="$data/supactl-base-copy-$name.done"
fi
fenced_marker="$data/supactl-fenced"

# supabase/postgres has gosu; the test kit's image has setpriv.
if command -v gosu >/dev/null 2>&1; then
  as_postgres=(gosu postgres)
else
  as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi

if [ ! -e "$done_marker" ] || [ -e "$fenced_marker" ]; then
  mkdir -p "$data"
  # A copy cut short by a stop or a crash is not finished: start it again from nothing.
  find "$data" -mindepth 1 -delete
  chown postgres:postgres "$data"
  chmod 0700 "$data"
  echo "$name: copying the primary (pg_basebackup from $primary, slot supactl_standby)" >&2
  # A primary made anew in the same `up` (a restore, `down --volumes`) gets its replication
  # role, slot and pg_hba line from supactl once `up` has started it: until then, try again.
  until PGPASSWORD="$SUPACTL_REPLICATION_PASSWORD" "${as_postgres[@]}" pg_basebackup --no-password \
    -h "$primary" -p 5432 -U supactl_replicator -D "$data" -X stream -S supactl_standby --checkpoint=fast; do
    echo "$name: the primary does not serve the copy yet; trying again in 2 s" >&2
    find "$data" -mindepth 1 -delete
    sleep 2
  done
  # The primary's own markers came with the copy: they are not this copy's.
  rm -f "$data"/supactl-base-copy*.done
  touch "$data/standby.signal"
  cat >> "$data/postgresql.auto.conf" <<CONF
# supactl $name: follow the primary through its slot
primary_conninfo = 'host=$primary port=5432 user=supactl_replicator password=$SUPACTL_REPLICATION_PASSWORD application_name=$name'
primary_slot_name = 'supactl_standby'
CONF
  printf '%s <- %s\n' "$name" "$primary" >"$done_marker"
  chown postgres:postgres "$data/standby.signal" "$data/postgresql.auto.conf" "$done_marker"
  chmod 0600 "$data/postgresql.auto.conf"
  echo "$name: copy complete" >&2
fi

# With backup.wal, the WAL archive volume is mounted here too: a promoted standby archives
# into it as the postgres user.
if [ -d /var/lib/supactl/wal-archive ]; then
  chown postgres:postgres /var/lib/supactl/wal-archive
  chmod 0700 /var/lib/supactl/wal-archive
fi

exec docker-entrypoint.sh "$@"
