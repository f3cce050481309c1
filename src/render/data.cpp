// SPDX-License-Identifier: Apache-2.0
//
// The data object behind every template. Values derived from the spec (public URLs, the auth
// redirect list, which services run, image references with the registry applied) are worked
// out here once, so templates only place them. Service names with '-' are exposed with '_'
// (`image.minio_init`) to keep mustache tag names plain.
#include "render/data.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace supactl::render {

namespace {

using Data = kainjow::mustache::data;

std::string key(std::string service) {
  std::replace(service.begin(), service.end(), '-', '_');
  return service;
}

std::string b(bool value) { return value ? "true" : "false"; }

std::string join(const std::vector<std::string>& values, const char* sep) {
  return fmt::format("{}", fmt::join(values, sep));
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

Data auth_data(const config::AuthSpec& a) {
  Data auth;
  auth.set("disable_signup", b(a.disable_signup));
  auth.set("email_signup", b(a.email_signup));
  auth.set("email_autoconfirm", b(a.email_autoconfirm));
  auth.set("anonymous_users", b(a.anonymous_users));
  auth.set("phone_signup", b(a.phone_signup));
  auth.set("phone_autoconfirm", b(a.phone_autoconfirm));
  return auth;
}

Data smtp_data(const config::SmtpSpec& s) {
  Data smtp;
  smtp.set("host", s.host);
  smtp.set("port", std::to_string(s.port));
  smtp.set("user", s.user);
  smtp.set("sender_name", s.sender_name);
  smtp.set("admin_email", s.admin_email);
  return smtp;
}

Data providers_data(const config::AuthSpec& a, const std::string& api_external_url) {
  Data list{Data::type::list};
  for (const char* name : {"google", "github", "azure"}) {
    auto it = a.providers.find(name);
    if (it == a.providers.end() || !it->second.enabled) continue;
    Data p;
    p.set("name", name);
    p.set("upper", upper(name));
    p.set("client_id", it->second.client_id);
    p.set("secret_ref", fmt::format("${{{}_SECRET}}", upper(name)));
    p.set("redirect_uri", it->second.redirect_uri.empty() ? api_external_url + "/callback" : it->second.redirect_uri);
    list.push_back(p);
  }
  return list;
}

}  // namespace

Data template_data(const config::InstanceSpec& spec, const std::map<std::string, std::string>& images) {
  const Endpoints endpoints = instance_endpoints(spec);
  Data d;
  d.set("name", spec.name);
  d.set("release", spec.release);
  d.set("domain", spec.domain);
  d.set("shared_edge", spec.shared_edge());
  d.set("http_port", std::to_string(spec.ports.http));
  d.set("https_port", std::to_string(spec.ports.https));
  // ports.db publishes whichever Postgres is the primary (db.primary).
  if (spec.ports.db != 0) d.set(spec.db_primary == "db" ? "db_port" : "standby_port", std::to_string(spec.ports.db));
  d.set("bind_prefix", loopback_only(spec) ? std::string("127.0.0.1:") : std::string());
  if (spec.enabled("supavisor") && spec.ports.pooler_session != 0 && spec.ports.pooler_transaction != 0) {
    Data pooler;
    pooler.set("session", std::to_string(spec.ports.pooler_session));
    pooler.set("transaction", std::to_string(spec.ports.pooler_transaction));
    d.set("pooler_ports", pooler);
  }

  d.set("public_url", endpoints.api_url);
  d.set("api_url", endpoints.api_url);
  d.set("api_external_url", endpoints.api_url + "/auth/v1");
  d.set("studio_url", endpoints.studio_url);
  d.set("site_url", spec.auth.site_url);
  d.set("uri_allow_list", join(spec.auth.additional_redirect_urls, ","));
  d.set("jwt_expiry", std::to_string(spec.auth.jwt_expiry));
  d.set("auth", auth_data(spec.auth));
  d.set("smtp", smtp_data(spec.auth.smtp));
  d.set("providers", providers_data(spec.auth, endpoints.api_url + "/auth/v1"));
  d.set("functions_verify_jwt", b(spec.functions_verify_jwt));
  // The two Postgres services: db_host is the primary every service connects to; db and
  // db-standby are rendered when enabled (primary or standby), each in its role.
  d.set("db_host", spec.db_primary);
  d.set("db_on", spec.enabled("db"));
  d.set("db_follows", spec.enabled("db") && spec.db_primary != "db");
  d.set("db_standby", spec.enabled("db-standby"));
  d.set("standby_leads", spec.db_primary == "db-standby");
  d.set("wal_archive", spec.backup.wal);

  Data rest;
  rest.set("schemas", join(spec.rest.schemas, ","));
  rest.set("max_rows", std::to_string(spec.rest.max_rows));
  d.set("rest", rest);

  Data storage;
  storage.set("bucket", spec.storage.bucket);
  storage.set("file_size_limit", std::to_string(spec.storage.file_size_limit));
  storage.set("minio", spec.enabled("storage") && spec.storage.backend == config::StorageBackend::minio);
  storage.set("file", spec.enabled("storage") && spec.storage.backend == config::StorageBackend::file);
  d.set("storage", storage);

  Data logs;
  logs.set("max_size", spec.logs.max_size);
  logs.set("max_files", std::to_string(spec.logs.max_files));
  d.set("logs", logs);

  Data tls;
  tls.set("internal", spec.tls.mode == config::TlsMode::internal);
  tls.set("acme", spec.tls.mode == config::TlsMode::acme);
  tls.set("off", spec.tls.mode == config::TlsMode::off);
  d.set("tls", tls);
  d.set("tls_email", spec.tls.email);

  if (spec.kong.replicas > 1) d.set("kong_replicas", std::to_string(spec.kong.replicas));
  if (spec.kong.rate_limit.enabled) {
    Data limit;
    if (spec.kong.rate_limit.per_second > 0) limit.set("per_second", std::to_string(spec.kong.rate_limit.per_second));
    if (spec.kong.rate_limit.per_minute > 0) limit.set("per_minute", std::to_string(spec.kong.rate_limit.per_minute));
    d.set("rate_limit", limit);
  }

  Data replicas;
  for (const auto& [service, n] : spec.scale) {
    if (n > 1) replicas.set(key(service), std::to_string(n));
  }
  d.set("replicas", replicas);

  Data svc;
  Data image;
  Data limits;
  for (const std::string& service : config::all_services()) {
    svc.set(key(service), spec.enabled(service));
    if (auto it = images.find(service); it != images.end()) image.set(key(service), it->second);
    auto res = spec.resources.find(service);
    if (res == spec.resources.end() || (res->second.memory.empty() && res->second.cpus.empty())) continue;
    Data l;
    if (!res->second.memory.empty()) l.set("memory", res->second.memory);
    if (!res->second.cpus.empty()) l.set("cpus", res->second.cpus);
    limits.set(key(service), l);
  }
  d.set("svc", svc);
  d.set("image", image);
  d.set("limits", limits);
  d.set("functions_volume", spec.enabled("functions") || spec.enabled("studio"));
  return d;
}

}  // namespace supactl::render
