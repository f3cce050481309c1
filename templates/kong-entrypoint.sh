#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Rendered by supactl. Kong's entrypoint: kong.yml (mounted at /home/kong/temp.yml) names its
# secrets as $NAME placeholders; fill each one that the container environment defines, write
# the result where KONG_DECLARATIVE_CONFIG points, then hand over to the image's entrypoint.
# Values are copied verbatim (no shell or sed evaluation), so any character is safe.
set -eu

template=/home/kong/temp.yml
target="${KONG_DECLARATIVE_CONFIG:-/usr/local/kong/kong.yml}"

awk '
{
  rest = $0
  out = ""
  while (match(rest, /\$[A-Za-z_][A-Za-z0-9_]*/)) {
    name = substr(rest, RSTART + 1, RLENGTH - 1)
    word = substr(rest, RSTART, RLENGTH)
    if (name in ENVIRON) word = ENVIRON[name]
    out = out substr(rest, 1, RSTART - 1) word
    rest = substr(rest, RSTART + RLENGTH)
  }
  print out rest
}' "$template" > "$target"

exec /docker-entrypoint.sh kong docker-start
