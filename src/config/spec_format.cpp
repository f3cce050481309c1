// SPDX-License-Identifier: Apache-2.0
//
// InstanceSpec → instance.yaml. Written by hand rather than through a YAML emitter so the file
// keeps comments for the people who edit it, lists every field with its default, and is
// byte-for-byte stable. Strings are written as JSON strings, which are valid YAML scalars.
#include <supactl/config/spec.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace supactl::config {

namespace {

std::string q(const std::string& value) { return nlohmann::json(value).dump(); }

const char* b(bool value) { return value ? "true" : "false"; }

std::string list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + q(values[i]);
  return out + "]";
}

}  // namespace

std::string format_spec(const InstanceSpec& spec) {
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  line("# supactl instance spec. Secrets are in secrets.env next to this file.");
  line("# Edit, then run `supactl render NAME` (or `supactl up NAME`) to apply.");
  line(fmt::format("name: {}", q(spec.name)));
  line(fmt::format("release: {}", q(spec.release)));
  line(fmt::format("domain: {}", q(spec.domain)));
  line("# The URL clients use when a proxy of your own (nginx, Traefik, a load balancer) sits in front,");
  line("# e.g. https://api.example.com; \"\" = the one derived from domain and ports.");
  line(fmt::format("public_url: {}", q(spec.public_url)));
  line("# own = this instance's Caddy publishes its ports; shared = the shared edge (`supactl edge up`)");
  line("# routes `domain` here.");
  line(fmt::format("edge: {}", q(spec.edge)));
  if (spec.swarm()) {
    line("# swarm = Swarm services on the swarm this Engine manages (docs/DEPLOYMENT.md, Docker Swarm).");
    line("engine:");
    line(fmt::format("  mode: {}", q(spec.engine_mode)));
    line("# The node (id or hostname) each stateful service is pinned to; unset = the manager.");
    if (spec.placement.empty()) {
      line("placement: {}");
    } else {
      line("placement:");
      for (const auto& [service, node] : spec.placement) line(fmt::format("  {}: {}", service, q(node)));
    }
  }
  line("# Image mirror (HOST[:PORT]); images are then pulled as REGISTRY/repo:tag.");
  line(fmt::format("registry: {}", q(spec.registry)));
  line("# Per-service image overrides, e.g. `studio: supabase/studio:2026.09.07-sha-7996410`.");
  if (spec.images.empty()) {
    line("images: {}");
  } else {
    line("images:");
    for (const auto& [service, image] : spec.images) line(fmt::format("  {}: {}", service, q(image)));
  }
  line("ports:");
  line(fmt::format("  http: {}", spec.ports.http));
  line(fmt::format("  https: {}", spec.ports.https));
  line("  # Postgres on 127.0.0.1 of the host; 0 = not published.");
  line(fmt::format("  db: {}", spec.ports.db));
  line("  # Supavisor (services.supavisor) on 127.0.0.1: session and transaction mode; 0 = not published.");
  line(fmt::format("  pooler_session: {}", spec.ports.pooler_session));
  line(fmt::format("  pooler_transaction: {}", spec.ports.pooler_transaction));
  line("services:");
  for (const std::string& s : optional_services()) line(fmt::format("  {}: {}", s, b(spec.enabled(s))));
  line("kong:");
  line(fmt::format("  replicas: {}", spec.kong.replicas));
  line("  rate_limit:");
  line(fmt::format("    enabled: {}", b(spec.kong.rate_limit.enabled)));
  line(fmt::format("    per_second: {}", spec.kong.rate_limit.per_second));
  line(fmt::format("    per_minute: {}", spec.kong.rate_limit.per_minute));
  const AuthSpec& a = spec.auth;
  line("auth:");
  line(fmt::format("  site_url: {}", q(a.site_url)));
  line(fmt::format("  additional_redirect_urls: {}", list(a.additional_redirect_urls)));
  line(fmt::format("  jwt_expiry: {}", a.jwt_expiry));
  line(fmt::format("  disable_signup: {}", b(a.disable_signup)));
  line(fmt::format("  email_signup: {}", b(a.email_signup)));
  line(fmt::format("  email_autoconfirm: {}", b(a.email_autoconfirm)));
  line(fmt::format("  anonymous_users: {}", b(a.anonymous_users)));
  line(fmt::format("  phone_signup: {}", b(a.phone_signup)));
  line(fmt::format("  phone_autoconfirm: {}", b(a.phone_autoconfirm)));
  line("  # OAuth client secrets go in secrets.env as GOOGLE_SECRET, GITHUB_SECRET, AZURE_SECRET.");
  line("  providers:");
  for (const char* name : {"google", "github", "azure"}) {
    auto it = a.providers.find(name);
    OAuthProvider p = it == a.providers.end() ? OAuthProvider{} : it->second;
    line(fmt::format("    {}:", name));
    line(fmt::format("      enabled: {}", b(p.enabled)));
    line(fmt::format("      client_id: {}", q(p.client_id)));
    line(fmt::format("      redirect_uri: {}", q(p.redirect_uri)));
  }
  line("  # The SMTP password goes in secrets.env as SMTP_PASS.");
  line("  smtp:");
  line(fmt::format("    host: {}", q(a.smtp.host)));
  line(fmt::format("    port: {}", a.smtp.port));
  line(fmt::format("    user: {}", q(a.smtp.user)));
  line(fmt::format("    sender_name: {}", q(a.smtp.sender_name)));
  line(fmt::format("    admin_email: {}", q(a.smtp.admin_email)));
  line("rest:");
  line(fmt::format("  schemas: {}", list(spec.rest.schemas)));
  line(fmt::format("  max_rows: {}", spec.rest.max_rows));
  line("storage:");
  line(fmt::format("  backend: {}  # minio or file", to_string(spec.storage.backend)));
  line(fmt::format("  bucket: {}", q(spec.storage.bucket)));
  line(fmt::format("  file_size_limit: {}", spec.storage.file_size_limit));
  line("tls:");
  line(fmt::format("  mode: {}  # internal (Caddy's own CA), acme (public domain) or off", to_string(spec.tls.mode)));
  line(fmt::format("  email: {}", q(spec.tls.email)));
  line("# Container limits per service, e.g. `db: {memory: 2g, cpus: \"2\"}`.");
  if (spec.resources.empty()) {
    line("resources: {}");
  } else {
    line("resources:");
    for (const auto& [service, res] : spec.resources) {
      line(fmt::format("  {}:", service));
      if (!res.memory.empty()) line(fmt::format("    memory: {}", q(res.memory)));
      if (!res.cpus.empty()) line(fmt::format("    cpus: {}", q(res.cpus)));
    }
  }
  line("# Replicas of stateless services, e.g. `rest: 3` (kong: kong.replicas); `supactl scale` sets them.");
  if (spec.scale.empty()) {
    line("scale: {}");
  } else {
    line("scale:");
    for (const auto& [service, n] : spec.scale) line(fmt::format("  {}: {}", service, n));
  }
  line("wait:");
  line(fmt::format("  timeout: {}  # seconds `up` waits for the stack to be healthy", spec.wait.timeout_s));
  line("# json-file rotation of every container's log: files of max_size, max_files kept.");
  line("logs:");
  line(fmt::format("  max_size: {}", q(spec.logs.max_size)));
  line(fmt::format("  max_files: {}", spec.logs.max_files));
  line("# Off-site copies: every `supactl backup` is also uploaded to target (s3://bucket/prefix),");
  line("# with the endpoint, region and keys read from the 0600 file named by credentials.");
  line("backup:");
  line(fmt::format("  target: {}", q(spec.backup.target)));
  line(fmt::format("  credentials: {}", q(spec.backup.credentials)));
  line(fmt::format("  wal: {}  # archive WAL for point-in-time recovery (`backup --base`, `restore --from`)",
                   b(spec.backup.wal)));
  line("functions:");
  line(fmt::format("  verify_jwt: {}", b(spec.functions_verify_jwt)));
  line("db:");
  line(fmt::format("  standby: {}  # a streaming hot standby (`supactl db standby add|rm`)", b(spec.db_standby)));
  line(fmt::format("  primary: {}  # the service that takes writes (`supactl db failover` moves it)", spec.db_primary));
  line("overrides:");
  line(fmt::format("  allow_host_access: {}  # let compose.override.yml hand the host to a container",
                   b(spec.overrides_allow_host_access)));
  return out;
}

}  // namespace supactl::config
