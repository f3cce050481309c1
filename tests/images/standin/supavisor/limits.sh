#!/bin/bash
# supactl kit stand-in for supabase/supavisor's /app/limits.sh: raise the open-files limit
# (hard and soft) to RLIMIT_NOFILE, then run the command; a limit the container cannot have
# fails here, as it does for real.
set -euo pipefail

ulimit -n "$RLIMIT_NOFILE"

exec "$@"
