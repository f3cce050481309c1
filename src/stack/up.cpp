// SPDX-License-Identifier: Apache-2.0
//
// `up` for one compose project: load → observe → reconcile → check host ports → execute.
// Each phase is one call and is timed at debug level. The reconciler decides everything; this
// file only sequences the phases and turns a taken port into an error before any container
// exists.
#include <supactl/stack/stack.hpp>

#include <supactl/core/error.hpp>
#include <supactl/core/log.hpp>
#include <supactl/plan/journal.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>
#include <thread>

namespace supactl::stack {
namespace {

std::set<uint16_t> ports_of(const std::vector<docker::PortBinding>& bindings) {
  std::set<uint16_t> out;
  for (const docker::PortBinding& b : bindings) {
    if (b.host_port != 0) out.insert(b.host_port);
  }
  return out;
}

}  // namespace

std::vector<std::string> taken_host_ports(docker::Engine& engine, const compose::Project& project,
                                          const plan::ObservedState& observed, const ports::PortProbe& probe) {
  std::set<uint16_t> ours;
  for (const docker::ContainerSummary& c : observed.containers) {
    for (uint16_t p : ports_of(c.ports)) ours.insert(p);
  }
  std::vector<std::string> taken;
  for (const auto& [name, s] : project.services) {
    for (const docker::PortBinding& b : s.spec.ports) {
      if (b.host_port == 0 || ours.count(b.host_port) != 0) continue;
      std::string owner;
      bool own = false;  // one of the project's containers took it after we observed (a start
                         // a killed run had sent): not a clash
      bool free = false;
      // The Engine binds a published port (docker-proxy) before the container it starts counts
      // as running, and frees it a moment after one stops: a port held by no container is looked
      // at again for up to 2 s before it counts as another process's.
      for (int attempt = 0; attempt < 20; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if ((free = probe.is_free(b.host_port))) break;
        docker::Filters f;
        f.add("publish", std::to_string(b.host_port));
        for (const docker::ContainerSummary& c : engine.list_containers(f, false)) {
          own = own || docker::label_of(c.labels, compose::k_label_project) == project.name;
          owner = fmt::format("container {}", c.name);
        }
        if (!owner.empty()) break;
      }
      if (free || own) continue;
      if (owner.empty()) owner = probe.owner(b.host_port);
      taken.push_back(fmt::format("{} ({})", b.host_port, owner));
    }
  }
  return taken;
}

UpResult up(docker::Engine& engine, const UpRequest& request, plan::Progress& progress) {
  UpResult result;
  const uint64_t requests_before = engine.request_count();

  {
    core::PhaseTimer t("load compose model");
    result.project = compose::load(request.compose);
  }
  for (const std::string& w : result.project.warnings) spdlog::warn("{}", w);

  if (!request.dry_run) {
    // A run killed mid-plan may have left a container stop or removal under way.
    core::PhaseTimer t("finish interrupted");
    plan::finish_interrupted(engine, request.execute.journal);
  }
  plan::ObservedState observed;
  {
    core::PhaseTimer t("observe");
    std::vector<std::string> refs;
    for (const auto& [name, s] : result.project.services) refs.push_back(s.spec.image);
    observed = plan::observe(engine, result.project.name, refs);
  }
  {
    core::PhaseTimer t("reconcile");
    result.plan = plan::reconcile_up(result.project, observed, request.up);
  }
  for (const std::string& w : result.plan.warnings) spdlog::warn("{}", w);
  if (request.dry_run) {
    result.engine_requests = engine.request_count() - requests_before;
    return result;
  }

  if (result.plan.count(plan::OpType::create_container) + result.plan.count(plan::OpType::start_container) > 0) {
    core::PhaseTimer t("check host ports");
    const ports::HostPortProbe host;
    std::vector<std::string> taken =
        taken_host_ports(engine, result.project, observed, request.port_probe != nullptr ? *request.port_probe : host);
    if (!taken.empty()) {
      std::string list;
      for (const std::string& p : taken) list += (list.empty() ? "" : ", ") + p;
      throw Error(fmt::format("host port {} already in use; nothing was created", list), ExitCode::conflict,
                  "free the port, or pick others in instance.yaml (ports.http / ports.https / ports.db)");
    }
  }

  {
    core::PhaseTimer t("execute");
    plan::ExecuteOptions options = request.execute;
    if (options.project.empty()) options.project = result.project.name;
    result.report = plan::execute(engine, result.plan, progress, options);
  }
  result.floor_ms = plan::critical_path_ms(result.plan, result.report);

  if (!result.report.ok && request.rollback) {
    core::PhaseTimer t("rollback");
    for (const std::string& name : result.report.created) {
      try {
        engine.remove_container(name, /*force=*/true, /*remove_volumes=*/false);
      } catch (const std::exception& e) {
        spdlog::warn("rollback: could not remove {}: {}", name, e.what());
      }
    }
    result.rolled_back = true;
  }
  result.engine_requests = engine.request_count() - requests_before;
  return result;
}

}  // namespace supactl::stack
