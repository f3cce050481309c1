#!/bin/bash
# supactl kit stand-in for darthsim/imgproxy's entrypoint.sh: IMGPROXY_MALLOC must be malloc,
# jemalloc or tcmalloc (the real one preloads the allocator; the stand-in only checks).
set -e

case "$IMGPROXY_MALLOC" in
  malloc) ;;
  jemalloc | tcmalloc) echo "Using $IMGPROXY_MALLOC (the kit's stand-in preloads nothing)" ;;
  *)
    echo "Unknown malloc: $IMGPROXY_MALLOC" >&2
    exit 1
    ;;
esac

exec "$@"
