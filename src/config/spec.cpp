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
      "db",        "kong",  "auth",       "rest",  "realtime", "storage",   "imgproxy", "meta",     "studio",
      "functions", "minio", "minio-init", "redis", "caddy",    "analytics", "vector",   "supavisor"};
  return services;
}

const std::vector<std::string>& optional_services() {
  static const std::vector<std::string> services = {"auth",   "rest",      "realtime",  "storage", "imgproxy", "meta",
                                                    "studio", "functions", "analytics", "vector",  "supavisor"};
  return services;
}

const std::vector<std::string>& scalable_services() {
  static const std::vector<std::string> services = {"rest", "auth", "storage", "functions", "imgproxy", "meta", "kong"};
  return services;
}

std::string scale_refusal(std::string_view service) {
  const auto& ok = scalable_services();
  if (std::find(ok.begin(), ok.end(), service) != ok.end()) return {};
  if (service == "db")
    return "db holds the data on one volume: two Postgres servers on it would corrupt it (scale reads with a replica "
           "outside supactl)";
  if (service == "minio") return "minio runs single-node on one volume; several would not share objects";
  if (service == "redis") return "redis holds Kong's rate-limit counters; replicas would each count alone";
  if (service == "realtime") return "realtime keeps tenant and presence state per node and needs clustering to scale";
  if (service == "caddy") return "caddy publishes the host ports, which only one container can bind";
  return std::string(service) + " runs as one container in supactl's stack";
}

bool default_enabled(std::string_view service) {
  return service != "analytics" && service != "vector" && service != "supavisor";
}

bool InstanceSpec::enabled(std::string_view service) const {
  if (service == "db" || service == "db-standby")
    return db_primary == service || (db_standby && db_standby_service() == service);
  if (service == "kong" || service == "redis") return true;
  if (service == "caddy") return !shared_edge();
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

std::string to_string(StorageBackend backend) { return backend == StorageBackend::file ? "file" : "minio"; }

}  // namespace supactl::config
