// SPDX-License-Identifier: Apache-2.0
//
// The service catalogue of an instance: which services exist, which may be switched off, and
// which run given a spec. The templates, `ls` and the checks in spec_parse.cpp all read it
// from here so the list is written once.
#include <supactl/config/spec.hpp>

#include <algorithm>

namespace supactl::config {

const std::vector<std::string>& all_services() {
  static const std::vector<std::string> services = {
      "db",     "kong",  "auth",      "rest",  "realtime",   "storage",   "imgproxy",
      "meta",   "studio", "functions", "minio", "minio-init", "redis",     "caddy",
      "analytics", "vector", "supavisor"};
  return services;
}

const std::vector<std::string>& optional_services() {
  static const std::vector<std::string> services = {
      "auth", "rest", "realtime", "storage", "imgproxy", "meta",
      "studio", "functions", "analytics", "vector", "supavisor"};
  return services;
}

bool default_enabled(std::string_view service) {
  return service != "analytics" && service != "vector" && service != "supavisor";
}

bool InstanceSpec::enabled(std::string_view service) const {
  if (service == "db" || service == "kong" || service == "redis" || service == "caddy") return true;
  if (service == "minio" || service == "minio-init") {
    return enabled("storage") && storage.backend == StorageBackend::minio;
  }
  const std::vector<std::string>& optional = optional_services();
  if (std::find(optional.begin(), optional.end(), service) == optional.end()) return false;
  auto it = services.find(std::string(service));
  return it == services.end() ? default_enabled(service) : it->second;
}

std::vector<std::string> InstanceSpec::enabled_services() const {
  std::vector<std::string> out;
  for (const std::string& s : all_services()) {
    if (enabled(s)) out.push_back(s);
  }
  return out;
}

std::string to_string(TlsMode mode) {
  switch (mode) {
    case TlsMode::internal: return "internal";
    case TlsMode::acme: return "acme";
    case TlsMode::off: return "off";
  }
  return "internal";
}

std::string to_string(StorageBackend backend) {
  return backend == StorageBackend::file ? "file" : "minio";
}

}  // namespace supactl::config
