// SPDX-License-Identifier: Apache-2.0
#pragma once

// A small literal project with every dependency kind supactl's stack uses (healthy, started,
// completed_successfully), and helpers to fake the observed state of a converged instance.

#include <supactl/compose/model.hpp>
#include <supactl/plan/reconcile.hpp>

namespace supactl::test {

inline compose::Service make_service(const std::string& name, const std::string& image,
                                     std::vector<compose::Dependency> deps = {}, bool healthcheck = true) {
  compose::Service s;
  s.name = name;
  s.spec.image = image;
  s.spec.env = {"SERVICE=" + name};
  if (healthcheck) {
    s.spec.healthcheck = docker::Healthcheck{.test = {"CMD-SHELL", "probe " + name},
                                             .interval_ns = 5'000'000'000,
                                             .timeout_ns = 5'000'000'000,
                                             .start_period_ns = 0,
                                             .start_interval_ns = 0,
                                             .retries = 3};
  }
  s.spec.restart.name = "unless-stopped";
  s.depends_on = std::move(deps);
  s.networks = {compose::ServiceNetwork{.key = "backend", .aliases = {}}};
  return s;
}

/// db <- rest (healthy) <- kong (started); minio <- minio-init (healthy) <- storage
/// (completed_successfully + db healthy).
inline compose::Project make_project() {
  using compose::DependsCondition;
  compose::Project p;
  p.name = "shop";
  p.working_dir = "/srv/shop/rendered";
  p.config_files = {"/srv/shop/rendered/compose.yml"};
  auto add = [&](compose::Service s) { p.services[s.name] = std::move(s); };
  add(make_service("db", "supabase/postgres:17.6.1.136"));
  add(make_service("rest", "postgrest/postgrest:v14.17", {{"db", DependsCondition::healthy, false, true}}));
  add(make_service("kong", "kong/kong:3.9.3", {{"rest", DependsCondition::started, false, true}}));
  add(make_service("minio", "minio/minio:RELEASE.2025-04-22T22-12-26Z"));
  compose::Service init = make_service("minio-init", "minio/mc:RELEASE.2025-04-16T18-13-26Z",
                                       {{"minio", DependsCondition::healthy, false, true}}, false);
  init.spec.restart.name = "no";
  add(std::move(init));
  add(make_service("storage", "supabase/storage-api:v1.74.0",
                   {{"db", DependsCondition::healthy, false, true},
                    {"minio-init", DependsCondition::completed_successfully, false, true}}));
  p.networks["backend"] = compose::Network{.key = "backend",
                                           .name = "shop_backend",
                                           .driver = "bridge",
                                           .internal = true,
                                           .attachable = false,
                                           .external = false,
                                           .labels = {}};
  p.volumes["db-data"] =
      compose::Volume{.key = "db-data", .name = "shop_db-data", .driver = "local", .external = false, .labels = {}};
  return p;
}

/// The state of `p` fully converged: images present, network and volume there, every
/// container running and healthy (minio-init exited 0).
inline plan::ObservedState converged(const compose::Project& p) {
  plan::ObservedState o;
  for (const auto& [name, s] : p.services) {
    o.image_ids[s.spec.image] = "sha256:" + s.spec.image;
    for (int n = 1; n <= s.replicas; ++n) {
      docker::ContainerSpec spec = compose::container_spec(p, s, n);
      docker::ContainerSummary c;
      c.id = "0123456789ab" + spec.name;
      c.name = spec.name;
      c.image = s.spec.image;
      c.image_id = "sha256:" + s.spec.image;
      c.labels = spec.labels;
      if (name == "minio-init") {
        c.state = "exited";
        c.status = "Exited (0) 2 minutes ago";
      } else {
        c.state = "running";
        c.status = "Up 2 minutes (healthy)";
      }
      o.containers.push_back(c);
    }
  }
  for (const auto& [k, n] : p.networks) {
    o.networks.push_back(docker::NetworkInfo{.id = n.name,
                                             .name = n.name,
                                             .driver = "bridge",
                                             .internal = n.internal,
                                             .labels = compose::network_labels(p, n),
                                             .container_ids = {}});
  }
  for (const auto& [k, v] : p.volumes) {
    o.volumes.push_back(
        docker::VolumeInfo{v.name, "local", "/var/lib/docker/volumes/" + v.name, compose::volume_labels(p, v)});
  }
  return o;
}

}  // namespace supactl::test
