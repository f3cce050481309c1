// SPDX-License-Identifier: Apache-2.0
#pragma once

// Fixed instances for the render tests: a default spec and a "full" one with every option
// switched on, both with fixed (fake) secrets so rendering is byte-for-byte reproducible.

#include <supactl/config/instance.hpp>
#include <supactl/secrets/jwt.hpp>

namespace supactl::test {

inline secrets::Secrets fixed_secrets() {
  const std::string jwt = "test-jwt-secret-0123456789abcdefghijklmnop";
  secrets::Secrets s;
  s["POSTGRES_PASSWORD"] = secrets::Secret("0123456789abcdef0123456789abcdef");
  s["JWT_SECRET"] = secrets::Secret(jwt);
  s["ANON_KEY"] = secrets::Secret(secrets::make_api_key("anon", jwt, 1767225600));
  s["SERVICE_ROLE_KEY"] = secrets::Secret(secrets::make_api_key("service_role", jwt, 1767225600));
  s["DASHBOARD_USERNAME"] = secrets::Secret("supabase");
  s["DASHBOARD_PASSWORD"] = secrets::Secret("dashboard-password-0123456789ab");
  s["SECRET_KEY_BASE"] = secrets::Secret(std::string(64, 'k'));
  s["VAULT_ENC_KEY"] = secrets::Secret(std::string(32, 'v'));
  s["PG_META_CRYPTO_KEY"] = secrets::Secret(std::string(32, 'm'));
  s["REALTIME_DB_ENC_KEY"] = secrets::Secret(std::string(16, 'r'));
  s["LOGFLARE_PUBLIC_ACCESS_TOKEN"] = secrets::Secret(std::string(40, 'p'));
  s["LOGFLARE_PRIVATE_ACCESS_TOKEN"] = secrets::Secret(std::string(40, 'q'));
  s["MINIO_ROOT_USER"] = secrets::Secret("supa-storage");
  s["MINIO_ROOT_PASSWORD"] = secrets::Secret("minio-password-0123456789");
  s["S3_PROTOCOL_ACCESS_KEY_ID"] = secrets::Secret(std::string(32, 'a'));
  s["S3_PROTOCOL_ACCESS_KEY_SECRET"] = secrets::Secret(std::string(64, 'b'));
  s["SMTP_PASS"] = secrets::Secret("");
  s["GOOGLE_SECRET"] = secrets::Secret("");
  s["GITHUB_SECRET"] = secrets::Secret("github-client-secret");
  s["AZURE_SECRET"] = secrets::Secret("");
  s["OPENAI_API_KEY"] = secrets::Secret("");
  return s;
}

/// `init shop` with ports 8000/8443 and everything else at its default.
inline config::Instance default_instance(const std::filesystem::path& dir) {
  config::Instance inst;
  inst.name = "shop";
  inst.dir = dir;
  inst.spec.name = "shop";
  inst.spec.ports = config::Ports{.http = 8000, .https = 8443, .db = 0};
  inst.spec.tls.mode = config::TlsMode::off;  // what `init` writes without --domain
  inst.secrets = fixed_secrets();
  return inst;
}

/// Every optional service and option on: file storage, published DB, Kong replicas, limits,
/// an OAuth provider, a registry mirror, ACME TLS.
inline config::Instance full_instance(const std::filesystem::path& dir) {
  config::Instance inst = default_instance(dir);
  inst.name = inst.spec.name = "full";
  inst.spec.domain = "api.example.com";
  inst.spec.registry = "127.0.0.1:5000";
  inst.spec.ports =
      config::Ports{.http = 80, .https = 443, .db = 5433, .pooler_session = 5434, .pooler_transaction = 6543};
  for (const char* s : {"analytics", "vector", "supavisor"}) inst.spec.services[s] = true;
  inst.spec.kong.replicas = 3;
  inst.spec.kong.rate_limit.per_second = 0;
  inst.spec.auth.site_url = "https://app.example.com";
  inst.spec.auth.additional_redirect_urls = {"https://app.example.com/**", "http://localhost:3000"};
  inst.spec.auth.providers["github"] =
      config::OAuthProvider{.enabled = true, .client_id = "gh-client", .redirect_uri = ""};
  inst.spec.storage.backend = config::StorageBackend::file;
  inst.spec.tls = config::TlsSpec{.mode = config::TlsMode::acme, .email = "ops@example.com"};
  inst.spec.resources["db"] = config::Resources{.memory = "2g", .cpus = "2"};
  inst.spec.resources["kong"] = config::Resources{.memory = "512m", .cpus = ""};
  inst.spec.images["studio"] = "supabase/studio:pinned";
  return inst;
}

}  // namespace supactl::test
