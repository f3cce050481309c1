// SPDX-License-Identifier: Apache-2.0
//
// Status of every instance from one labelled list call: containers are grouped by
// instance and service, and an instance is healthy when every expected service has its
// containers running (and healthy where a health check exists) or, for one-shot jobs,
// exited 0.
#include <supactl/stack/stack.hpp>

#include <supactl/plan/reconcile.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace supactl::stack {
namespace {

std::string label_or(const docker::Labels& labels, const std::string& key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

std::string health_of(const std::string& status) {
  if (status.find("(healthy)") != std::string::npos) return "healthy";
  if (status.find("(unhealthy)") != std::string::npos) return "unhealthy";
  if (status.find("(health: starting)") != std::string::npos) return "starting";
  return "";
}

}  // namespace

std::vector<docker::ContainerSummary> list_stack_containers(docker::Engine& engine,
                                                            const std::string& instance) {
  docker::Filters f;
  f.label(compose::k_label_instance, instance);
  return engine.list_containers(f, /*all=*/true);
}

std::vector<InstanceStatus> summarize(const std::vector<docker::ContainerSummary>& containers,
                                      const std::map<std::string, std::vector<std::string>>& expected,
                                      const std::vector<std::string>& jobs) {
  std::map<std::string, std::map<std::string, ServiceStatus>> grouped;
  for (const auto& [instance, services] : expected) {
    for (const std::string& s : services) grouped[instance][s].service = s;
  }
  for (const docker::ContainerSummary& c : containers) {
    std::string instance = label_or(c.labels, compose::k_label_instance);
    if (instance.empty()) instance = label_or(c.labels, compose::k_label_project);
    std::string service = label_or(c.labels, compose::k_label_service);
    if (label_or(c.labels, compose::k_label_oneoff) == "True") continue;
    ServiceStatus& s = grouped[instance][service];
    s.service = service;
    ContainerStatus cs;
    cs.name = c.name;
    cs.number = std::atoi(label_or(c.labels, compose::k_label_number).c_str());
    cs.state = c.state;
    cs.health = health_of(c.status);
    cs.status = c.status;
    cs.image = c.image;
    cs.ports = c.ports;
    s.containers.push_back(std::move(cs));
  }
  const std::set<std::string> job_set(jobs.begin(), jobs.end());
  std::vector<InstanceStatus> out;
  for (auto& [instance, services] : grouped) {
    InstanceStatus is;
    is.instance = instance;
    is.healthy = true;
    for (auto& [name, s] : services) {
      std::sort(s.containers.begin(), s.containers.end(),
                [](const auto& a, const auto& b) { return a.number < b.number; });
      bool all_ok = !s.containers.empty();
      for (const ContainerStatus& c : s.containers) {
        bool running = c.state == "running";
        if (running) ++s.running;
        bool ok = running && (c.health.empty() || c.health == "healthy");
        if (job_set.count(name) != 0 && c.state == "exited" &&
            plan::exit_code_from_status(c.status) == 0) {
          ok = true;
        }
        all_ok = all_ok && ok;
      }
      s.ok = all_ok;
      if (s.containers.empty()) is.missing.push_back(name);
      is.healthy = is.healthy && s.ok;
      is.services.push_back(std::move(s));
    }
    out.push_back(std::move(is));
  }
  return out;
}

}  // namespace supactl::stack
