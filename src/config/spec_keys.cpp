// SPDX-License-Identifier: Apache-2.0
//
// The keys of instance.yaml, written once. The loader (spec_parse.cpp) asks this list which
// keys a mapping may hold, and the documentation test checks docs/API_REFERENCE.md against
// it, so a key cannot be accepted without being documented, nor documented without being
// accepted.
#include <supactl/config/spec.hpp>

#include <algorithm>

namespace supactl::config {

const std::vector<std::string>& oauth_providers() {
  static const std::vector<std::string> providers = {"google", "github", "azure"};
  return providers;
}

const std::vector<std::string>& spec_key_paths() {
  static const std::vector<std::string> keys = {
      "name",
      "release",
      "domain",
      "public_url",
      "edge",
      "engine.mode",
      "placement.<service>",
      "registry",
      "images.<service>",
      "ports.http",
      "ports.https",
      "ports.db",
      "ports.pooler_session",
      "ports.pooler_transaction",
      "services.<service>",
      "kong.replicas",
      "scale.<service>",
      "kong.rate_limit.enabled",
      "kong.rate_limit.per_second",
      "kong.rate_limit.per_minute",
      "auth.site_url",
      "auth.additional_redirect_urls",
      "auth.jwt_expiry",
      "auth.disable_signup",
      "auth.email_signup",
      "auth.email_autoconfirm",
      "auth.anonymous_users",
      "auth.phone_signup",
      "auth.phone_autoconfirm",
      "auth.providers.<provider>.enabled",
      "auth.providers.<provider>.client_id",
      "auth.providers.<provider>.redirect_uri",
      "auth.smtp.host",
      "auth.smtp.port",
      "auth.smtp.user",
      "auth.smtp.sender_name",
      "auth.smtp.admin_email",
      "rest.schemas",
      "rest.max_rows",
      "storage.backend",
      "storage.bucket",
      "storage.file_size_limit",
      "tls.mode",
      "tls.email",
      "resources.<service>.memory",
      "resources.<service>.cpus",
      "wait.timeout",
      "logs.max_size",
      "logs.max_files",
      "backup.target",
      "backup.credentials",
      "backup.wal",
      "functions.verify_jwt",
      "db.standby",
      "db.primary",
      "overrides.allow_host_access",
  };
  return keys;
}

std::vector<std::string> spec_child_keys(std::string_view path) {
  const std::string prefix = path.empty() ? std::string() : std::string(path) + ".";
  std::vector<std::string> children;
  for (const std::string& key : spec_key_paths()) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = key.substr(prefix.size());
    std::string child = rest.substr(0, rest.find('.'));
    if (child.empty()) continue;
    if (child.front() == '<') return {};
    if (std::find(children.begin(), children.end(), child) == children.end()) children.push_back(child);
  }
  return children;
}

}  // namespace supactl::config
