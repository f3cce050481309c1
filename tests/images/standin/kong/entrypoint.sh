#!/usr/bin/env bash
# supactl kit stand-in for kong/kong:3.9.3's /entrypoint.sh (build/dockerfiles/entrypoint.sh):
# `kong docker-start` runs `kong prepare -p $PREFIX` (the stand-in's config checks, see
# tests/images/README.md) and execs nginx (the stand-in proxy); anything else is exec'd as given.
set -Eeo pipefail

export KONG_NGINX_DAEMON="off"
PREFIX=${KONG_PREFIX:=/usr/local/kong}
export KONG_PREFIX

if [[ "$1" == "kong" ]]; then
  if [[ "$2" == "docker-start" ]]; then
    shift 2
    kong prepare -p "$PREFIX" "$@"
    ln -sfn /dev/stdout "$PREFIX/logs/access.log"
    ln -sfn /dev/stdout "$PREFIX/logs/admin_access.log"
    ln -sfn /dev/stderr "$PREFIX/logs/error.log"
    exec /usr/local/openresty/nginx/sbin/nginx -p "$PREFIX" -c nginx.conf
  fi
fi

exec "$@"
