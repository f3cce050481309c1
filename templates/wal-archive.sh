#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Rendered by supactl when instance.yaml has backup.wal: true. The WAL archive of the
# instance's Postgres, in the archive volume mounted at /var/lib/supactl/wal-archive in db and
# db-standby (only the primary archives: archive_mode=on).
#   wal-archive.sh archive PATH NAME   Postgres' archive_command (%p %f): copies finished WAL
#                                       file PATH into the archive as NAME, synced to disk
#                                       before it gets its name, so a crash never leaves a
#                                       short file under a segment's name. A file already
#                                       archived under NAME is accepted only when it is the
#                                       same bytes (Postgres may archive a file twice after a
#                                       crash); anything else fails, and Postgres keeps the
#                                       segment and tries again.
#   wal-archive.sh entrypoint ARGS...  The db service's entrypoint (as root): makes the archive
#                                       folder the postgres user's, then hands over to the
#                                       image's docker-entrypoint.sh.
# supactl moves archived files on to the backup target (`supactl backup NAME --wal`).
set -eu
dir=/var/lib/supactl/wal-archive

case "${1:-}" in
archive)
  src="$2"
  name="$3"
  if [ -f "$dir/$name" ]; then
    exec cmp -s "$src" "$dir/$name"
  fi
  cp "$src" "$dir/$name.part"
  sync "$dir/$name.part"
  mv "$dir/$name.part" "$dir/$name"
  sync "$dir"
  ;;
entrypoint)
  shift
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  chmod 0700 "$dir"
  exec docker-entrypoint.sh "$@"
  ;;
*)
  echo "usage: wal-archive.sh archive PATH NAME | entrypoint ARGS..." >&2
  exit 2
  ;;
esac
