#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# supactl image kit: like the official redis image's entrypoint. `redis-server` without a
# config file gets `--protected-mode no --bind 0.0.0.0` (other containers connect without a
# password) and runs as user redis, in /data.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  shift
  case "${1:-}" in
    *.conf) conf="$1"; shift; set -- redis-server "$conf" --protected-mode no --bind 0.0.0.0 "$@" ;;
    *) set -- redis-server --protected-mode no --bind 0.0.0.0 "$@" ;;
  esac
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
