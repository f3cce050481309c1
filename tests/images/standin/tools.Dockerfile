FROM supactl-kit/base:bookworm
# supactl image kit: supactl-kit/standin, the parent of every stand-in. It holds the stand-in
# runtime off PATH in /.standin (the host's Node.js, patched to load its libraries from
# /.standin/lib, so it runs in FROM-scratch images too; standin.js; the `get` client) and the
# tools that some real images have (curl, jq, tini, sudo, openssl, busybox). Each stand-in
# removes what its real image lacks (Debian/Ubuntu-based ones) or copies only what its real
# image has into a FROM-scratch image (build/mkroot: Alpine, ubi-micro and postgrest ones).
ARG DEBIAN_FRONTEND=noninteractive
COPY node /.standin/node
COPY standin.js get unhealthy /.standin/
COPY build/ /usr/local/lib/standin-build/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl jq tini sudo openssl busybox-static patchelf \
 && mkdir -p /.standin/lib /.standin/tmp && chmod 1777 /.standin/tmp \
 && for l in $(ldd /.standin/node | awk '/=>/ && $3 ~ /^\// {print $3} /^\t\/.*ld-linux/ {print $1}'); do cp -L "$l" /.standin/lib/; done \
 && patchelf --set-interpreter /.standin/lib/ld-linux-x86-64.so.2 --set-rpath /.standin/lib /.standin/node \
 && apt-get purge -y patchelf && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/* \
 && chmod 755 /.standin /.standin/node /.standin/get /.standin/unhealthy && chmod 644 /.standin/standin.js \
 && /.standin/node -e 'process.exit(0)'
LABEL dev.supactl.kit=standin-base
