#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Rendered by supactl. Kong's entrypoint (kong/kong 3.x: bash, sh, awk, no curl):
#  1. kong.yml (mounted at /home/kong/temp.yml) names its secrets as $NAME placeholders; each
#     one the container environment defines is replaced by its value as a YAML double-quoted
#     string (backslash, quote and control characters escaped), so no value can change the
#     file's structure. The result goes where KONG_DECLARATIVE_CONFIG points.
#  2. X-Forwarded-For is believed only from the instance's own Caddy: KONG_TRUSTED_IPS becomes
#     the address range of the edge network, the one network of Kong's with a default route
#     (the backend network is internal and has none). Read from /proc/net/route.
#  3. Hand over to the image's own entrypoint, /entrypoint.sh.
set -eu

template=/home/kong/temp.yml
target="${KONG_DECLARATIVE_CONFIG:-/usr/local/kong/kong.yml}"

awk '
function yaml_quote(s,    out, i, c, n) {
  out = ""
  n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c == "\\") out = out "\\\\"
    else if (c == "\"") out = out "\\\""
    else if (c == "\n") out = out "\\n"
    else if (c == "\t") out = out "\\t"
    else if (c == "\r") out = out "\\r"
    else out = out c
  }
  return "\"" out "\""
}
{
  rest = $0
  out = ""
  while (match(rest, /\$[A-Za-z_][A-Za-z0-9_]*/)) {
    name = substr(rest, RSTART + 1, RLENGTH - 1)
    word = substr(rest, RSTART, RLENGTH)
    if (name in ENVIRON) word = yaml_quote(ENVIRON[name])
    out = out substr(rest, 1, RSTART - 1) word
    rest = substr(rest, RSTART + RLENGTH)
  }
  print out rest
}' "$template" > "$target"

if [ -z "${KONG_TRUSTED_IPS:-}" ]; then
  edge_range="$(awk '
    function hexval(h,    i, v) {
      v = 0
      h = toupper(h)
      for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
      return v
    }
    # /proc/net/route holds addresses as little-endian hex words.
    function dotted(h) {
      return hexval(substr(h, 7, 2)) "." hexval(substr(h, 5, 2)) "." hexval(substr(h, 3, 2)) "." hexval(substr(h, 1, 2))
    }
    function prefix(h,    v, n) {
      v = hexval(h)
      n = 0
      while (v > 0) { n += v % 2; v = int(v / 2) }
      return n
    }
    NR > 1 {
      if ($2 == "00000000") default_iface = $1
      else if ($3 == "00000000") { net[$1] = dotted($2) "/" prefix($8) }
    }
    END { if (default_iface != "" && (default_iface in net)) print net[default_iface] }
  ' /proc/net/route 2>/dev/null || true)"
  if [ -n "$edge_range" ]; then
    KONG_TRUSTED_IPS="$edge_range"
  else
    echo "kong-entrypoint: no edge network found; X-Forwarded-For is not trusted from anyone" >&2
    KONG_TRUSTED_IPS=127.0.0.1
  fi
  export KONG_TRUSTED_IPS
fi

exec /entrypoint.sh kong docker-start
