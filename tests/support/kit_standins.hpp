// SPDX-License-Identifier: Apache-2.0
#pragma once

// The image kit's stand-ins (tests/images/standin) are as strict as the real images: each one
// refuses to start without the variables its real process requires and, where the real one
// migrates at boot, without a database that answers on TCP. This is the known-good way to run
// each one outside compose (what supactl's templates set, reduced to what is required), shared
// by kit_test.cpp and kit_contract_test.cpp.
//
// Conventions: a container runs on a test network where the alias `db` answers TCP on 5432
// (KitDb below); "@FILES@" in args/cmd stands for a folder of fixture files (kit_files()).

#include <map>
#include <string>
#include <vector>

#include "support/docker_env.hpp"

namespace supactl::test {

/// A JWT secret of 32+ characters and an HS256 token signed with it (no exp).
inline constexpr const char* k_kit_jwt_secret = "kit-contract-jwt-secret-with-32-chars-or-more";
inline constexpr const char* k_kit_jwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImlzcyI6InN1cGFiYXNlIn0."
    "Pv9TB3mIafMFX9I8zeRcdq11gyiGQC-QrXgxj0uFQJI";
/// The same claims signed with another secret.
inline constexpr const char* k_kit_jwt_wrong =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImlzcyI6InN1cGFiYXNlIn0."
    "gFoCo4mRymnR_LnwEVqkGBk-0jNGnJTda8JgcixudbI";

struct KitStandIn {
  std::string args;    ///< docker run options (-e, -v), "@FILES@" = fixture folder
  std::string cmd;     ///< command after the image ("" = the image's CMD)
  int port = 0;        ///< where it answers inside the container
  std::string health;  ///< path probed on 127.0.0.1:port ("" = not a server)
  std::string header;  ///< extra header for the probe ("" = none)
};

/// service key (templates/images/*.yaml) -> how to run its stand-in so that it works.
inline std::map<std::string, KitStandIn> kit_standins() {
  const std::string s = k_kit_jwt_secret;
  return {
      {"kong",
       {"-e KONG_DATABASE=off -e KONG_DECLARATIVE_CONFIG=/home/kong/kong.yml "
        "-e KONG_PLUGINS=request-transformer,cors,key-auth,acl -v @FILES@/kong.yml:/home/kong/kong.yml:ro",
        "", 8000, "/status", ""}},
      {"auth",
       {"-e GOTRUE_API_HOST=0.0.0.0 -e GOTRUE_API_PORT=9999 -e GOTRUE_DB_DRIVER=postgres "
        "-e GOTRUE_DB_DATABASE_URL=postgres://supabase_auth_admin:pw@db:5432/postgres -e GOTRUE_JWT_SECRET=" +
            s + " -e API_EXTERNAL_URL=http://localhost:8000 -e GOTRUE_SITE_URL=http://localhost:3000",
        "", 9999, "/health", ""}},
      {"rest",
       {"-e PGRST_DB_URI=postgres://authenticator:pw@db:5432/postgres -e PGRST_JWT_SECRET=" + s +
            " -e PGRST_ADMIN_SERVER_PORT=3001 -e PGRST_ADMIN_SERVER_HOST=localhost",
        "postgrest", 3001, "/ready", ""}},
      {"realtime",
       {"-e PORT=4000 -e DB_HOST=db -e DB_PORT=5432 -e DB_ENC_KEY=supabaserealtime -e API_JWT_SECRET=" + s +
            " -e SECRET_KEY_BASE=kit-secret-key-base -e METRICS_JWT_SECRET=" + s +
            " -e APP_NAME=realtime -e SEED_SELF_HOST=true -e RLIMIT_NOFILE=10000",
        "", 4000, "/api/tenants/realtime-dev/health", std::string("Authorization: Bearer ") + k_kit_jwt}},
      {"storage",
       {"-e AUTH_JWT_SECRET=" + s + " -e DATABASE_URL=postgres://supabase_storage_admin:pw@db:5432/postgres", "", 5000,
        "/status", ""}},
      {"imgproxy", {"-e IMGPROXY_BIND=:5001", "", 5001, "/health", ""}},
      {"studio", {"-e HOSTNAME=0.0.0.0", "", 3000, "/api/platform/profile", ""}},
      {"functions",
       {"-v @FILES@/functions:/home/deno/functions:ro", "start --main-service /home/deno/functions/main", 9000,
        "/_internal/health", ""}},
      {"minio",
       {"-e MINIO_ROOT_USER=supa -e MINIO_ROOT_PASSWORD=kit-minio-secret", "server --console-address :9001 /data", 9000,
        "/minio/health/live", ""}},
      {"minio-init", {"", "--version", 0, "", ""}},
      {"analytics",
       {"-e DB_HOSTNAME=db -e DB_PORT=5432 -e DB_USERNAME=supabase_admin -e DB_PASSWORD=pw "
        "-e POSTGRES_BACKEND_URL=postgresql://supabase_admin:pw@db:5432/_supabase",
        "", 4000, "/health", ""}},
      {"vector",
       {"-e LOGFLARE_PUBLIC_ACCESS_TOKEN=kit-token -v @FILES@/vector.yml:/etc/vector/vector.yml:ro",
        "--config /etc/vector/vector.yml", 9001, "/health", ""}},
      {"supavisor",
       // limits.sh sets nofile to RLIMIT_NOFILE (image default 100000): above the container's hard
       // limit (Docker's default: the daemon's own, 20000 on the CI machine) that fails.
       {"-e RLIMIT_NOFILE=10000 -e PORT=4000 -e SECRET_KEY_BASE=kit-secret-key-base -e "
        "VAULT_ENC_KEY=0123456789abcdef0123456789abcdef "
        "-e DATABASE_URL=ecto://supabase_admin:pw@db:5432/_supabase",
        "", 4000, "/api/health", ""}},
  };
}

/// Writes the fixture files the table refers to into `dir` (world-readable: kong runs as 1001).
inline void write_kit_files(const std::string& dir) {
  const std::string script =
      "set -e; d='" + dir +
      "'; mkdir -p $d/functions/main; "
      "printf '_format_version: \"2.1\"\\nservices:\\n  - name: rest\\n    url: http://rest:3000/\\n    plugins:\\n"
      "      - name: cors\\n' > $d/kong.yml; "
      "printf 'Deno.serve(() => new Response(\"ok\"));\\n' > $d/functions/main/index.ts; "
      "printf 'api:\\n  enabled: true\\n  address: 0.0.0.0:9001\\nsinks:\\n  logflare:\\n    type: http\\n"
      "    request:\\n      headers:\\n        x-api-key: ${LOGFLARE_PUBLIC_ACCESS_TOKEN}\\n' > $d/vector.yml; "
      "chmod -R a+rX $d";
  run_shell(script);
}

/// Replaces every "@FILES@" in `s` by `dir`.
inline std::string with_files(std::string s, const std::string& dir) {
  for (auto at = s.find("@FILES@"); at != std::string::npos; at = s.find("@FILES@")) s.replace(at, 7, dir);
  return s;
}

}  // namespace supactl::test
