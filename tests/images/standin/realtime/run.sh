#!/bin/bash
# supactl kit stand-in for supabase/realtime's /app/run.sh: the same steps, any failure exits.
set -euo pipefail

if [ -n "${RLIMIT_NOFILE:-}" ]; then
  echo "Setting RLIMIT_NOFILE to ${RLIMIT_NOFILE}"
  ulimit -Sn "$RLIMIT_NOFILE"
fi

echo "Running migrations"
sudo -E -u nobody /app/bin/migrate

if [ "${SEED_SELF_HOST-}" = true ]; then
  echo "Seeding selfhosted Realtime"
  sudo -E -u nobody /app/bin/realtime eval 'Realtime.Release.seeds(Realtime.Repo)'
fi

echo "Starting Realtime"
exec "$@"
