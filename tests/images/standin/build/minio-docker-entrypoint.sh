#!/bin/sh
#
# supactl kit stand-in for minio/minio's /usr/bin/docker-entrypoint.sh: prepends `minio` when
# the command does not start with it (so `command: ["server", ...]` works).

# If command starts with an option, prepend minio.
if [ "${1}" != "minio" ]; then
    if [ -n "${1}" ]; then
        set -- minio "$@"
    fi
fi

exec "$@"
