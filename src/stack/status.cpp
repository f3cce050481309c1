// SPDX-License-Identifier: Apache-2.0
//
// Status of every instance from one labelled list call: containers are grouped by
// instance and service, and an instance is healthy when every expected service has its
// containers running (and healthy where a health check exists) or, for one-shot jobs,
// exited 0.
#include <supactl/stack/stack.hpp>

#include <supactl/plan/readiness.hpp>
#include <supactl/plan/reconcile.hpp>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <set>

namespace supactl::stack {
namespace {

/// Judges each service (ok, running) and the instance (healthy, missing) from its containers.
void judge(InstanceStatus& is) {
  is.healthy = true;
  is.missing.clear();
  for (ServiceStatus& s : is.services) {
    s.running = 0;
    bool all_ok = !s.containers.empty();
    for (const ContainerStatus& c : s.containers) {
      const bool running = c.state == docker::RunState::running;
      if (running) ++s.running;
      bool ok = running && (c.health == docker::Health::none || c.health == docker::Health::healthy);
      if (s.job && c.state == docker::RunState::exited && c.exit_code == 0) ok = true;
      all_ok = all_ok && ok;
    }
    s.ok = all_ok;
    if (s.containers.empty()) is.missing.push_back(s.service);
    is.healthy = is.healthy && s.ok;
  }
}

}  // namespace

std::vector<docker::ContainerSummary> list_stack_containers(docker::Engine& engine, const std::string& instance) {
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
    std::string instance = docker::label_of(c.labels, compose::k_label_instance);
    if (instance.empty()) instance = docker::label_of(c.labels, compose::k_label_project);
    std::string service = docker::label_of(c.labels, compose::k_label_service);
    if (docker::label_of(c.labels, compose::k_label_oneoff) == "True") continue;
    ServiceStatus& s = grouped[instance][service];
    s.service = service;
    ContainerStatus cs;
    cs.name = c.name;
    cs.number = std::atoi(docker::label_of(c.labels, compose::k_label_number).c_str());
    cs.state = c.run_state();
    cs.health = c.health();
    cs.status = c.status;
    cs.image = c.image;
    cs.ports = c.ports;
    cs.exit_code = c.exit_code();
    s.containers.push_back(std::move(cs));
  }
  const std::set<std::string> job_set(jobs.begin(), jobs.end());
  std::vector<InstanceStatus> out;
  for (auto& [instance, services] : grouped) {
    InstanceStatus is;
    is.instance = instance;
    for (auto& [name, s] : services) {
      std::sort(s.containers.begin(), s.containers.end(),
                [](const auto& a, const auto& b) { return a.number < b.number; });
      s.job = job_set.count(name) != 0;
      is.services.push_back(std::move(s));
    }
    judge(is);
    out.push_back(std::move(is));
  }
  return out;
}

void probe_starting(docker::Engine& engine, std::vector<InstanceStatus>& statuses, const HealthTests& tests) {
  struct Probe {
    ContainerStatus* container;
    std::vector<std::string> cmd;
  };
  std::vector<Probe> probes;
  for (InstanceStatus& is : statuses) {
    auto by_service = tests.find(is.instance);
    if (by_service == tests.end()) continue;
    for (ServiceStatus& s : is.services) {
      auto test = by_service->second.find(s.service);
      if (test == by_service->second.end()) continue;
      for (ContainerStatus& c : s.containers) {
        if (c.health != docker::Health::starting) continue;
        std::vector<std::string> cmd = plan::probe_command(test->second);
        if (!cmd.empty()) probes.push_back({&c, std::move(cmd)});
      }
    }
  }
  constexpr size_t k_parallel = 8;
  for (size_t first = 0; first < probes.size(); first += k_parallel) {
    std::vector<std::future<bool>> running;
    for (size_t i = first; i < std::min(probes.size(), first + k_parallel); ++i) {
      running.push_back(std::async(std::launch::async, [&engine, &p = probes[i]] {
        try {
          docker::ExecSpec spec;
          spec.cmd = p.cmd;
          return engine.exec(p.container->name, spec).exit_code == 0;
        } catch (const std::exception&) {
          return false;  // keep "starting"
        }
      }));
    }
    for (size_t i = 0; i < running.size(); ++i) {
      if (running[i].get()) probes[first + i].container->health = docker::Health::healthy;
    }
  }
  for (InstanceStatus& is : statuses) judge(is);
}

}  // namespace supactl::stack
