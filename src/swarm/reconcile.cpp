// SPDX-License-Identifier: Apache-2.0
//
// Observe a swarm project with a fixed number of calls, and reconcile it: desired vs observed
// -> Plan, with no Engine call. Order in the plan: networks, node labels, configs and secrets
// first (services refer to them); services in dependency order, each created or updated only
// when its spec hash changed and waited for after its dependencies' waits; services no longer
// wanted removed; configs and secrets nothing uses any more removed last.
#include <supactl/swarm/swarm.hpp>

#include <supactl/core/base64.hpp>
#include <supactl/core/error.hpp>

#include "swarm/query.hpp"

#include <fmt/format.h>

#include <functional>

// Operations are written with designated initializers that name only what differs from the
// defaults of plan::Operation; leaving the rest out is the point, not an oversight.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace supactl::swarm {
namespace {

using nlohmann::json;

std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

/// Service keys in dependency order (dependencies first); unknown dependencies are ignored.
std::vector<std::string> ordered(const Desired& desired) {
  std::vector<std::string> out;
  std::set<std::string> done;
  std::set<std::string> visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (done.count(name) != 0 || visiting.count(name) != 0) return;
    auto it = desired.services.find(name);
    if (it == desired.services.end()) return;
    visiting.insert(name);
    for (const compose::Dependency& d : it->second.depends_on) visit(d.service);
    visiting.erase(name);
    done.insert(name);
    out.push_back(name);
  };
  for (const auto& [name, s] : desired.services) visit(name);
  return out;
}

}  // namespace

Observed observe(docker::Engine& engine, const std::string& project) {
  Observed out;
  const json info = engine.info();
  if (info.contains("Swarm")) {
    const json& sw = info["Swarm"];
    out.manager = sw.value("ControlAvailable", false) && sw.value("LocalNodeState", "") == "active";
    out.self_node = sw.value("NodeID", "");
  }
  if (!out.manager) return out;
  for (const json& n : engine.call_json("GET", "/nodes", nullptr, "list swarm nodes")) {
    Node node;
    node.id = n.value("ID", "");
    node.version = n["Version"].value("Index", int64_t{0});
    node.spec = n.value("Spec", json::object());
    node.labels = string_map(node.spec.value("Labels", json::object()));
    node.role = node.spec.value("Role", "");
    node.availability = node.spec.value("Availability", "");
    if (n.contains("Description")) node.hostname = n["Description"].value("Hostname", "");
    if (n.contains("Status")) node.state = n["Status"].value("State", "");
    out.nodes.push_back(std::move(node));
  }
  const std::string q = "?" + detail::namespace_query(project);
  for (const json& s : engine.call_json("GET", "/services" + q, nullptr, "list services of " + project)) {
    ObservedService svc;
    svc.id = s.value("ID", "");
    svc.version = s["Version"].value("Index", int64_t{0});
    const json& spec = s["Spec"];
    svc.name = spec.value("Name", "");
    const auto labels = string_map(spec.value("Labels", json::object()));
    if (auto it = labels.find(k_label_service); it != labels.end()) svc.service = it->second;
    if (auto it = labels.find(k_label_spec_hash); it != labels.end()) svc.hash = it->second;
    out.services.push_back(std::move(svc));
  }
  for (const json& n : engine.call_json("GET", "/networks" + q, nullptr, "list networks of " + project)) {
    out.networks.insert(n.value("Name", ""));
  }
  for (const json& c : engine.call_json("GET", "/configs" + q, nullptr, "list configs of " + project)) {
    out.configs[c["Spec"].value("Name", "")] = c.value("ID", "");
  }
  for (const json& c : engine.call_json("GET", "/secrets" + q, nullptr, "list secrets of " + project)) {
    out.secrets[c["Spec"].value("Name", "")] = c.value("ID", "");
  }
  return out;
}

std::map<std::string, std::string> resolve_placement(const Observed& observed, const std::set<std::string>& stateful,
                                                     const std::map<std::string, std::string>& placement) {
  std::map<std::string, std::string> out;
  for (const std::string& service : stateful) {
    auto it = placement.find(service);
    if (it == placement.end()) {
      out[service] = observed.self_node;
      continue;
    }
    std::vector<std::string> ids;
    for (const Node& n : observed.nodes) {
      if (n.id == it->second || n.hostname == it->second) ids.push_back(n.id);
    }
    if (ids.empty()) {
      throw Error(fmt::format("placement.{}: the swarm has no node `{}`", service, it->second), ExitCode::usage,
                  "name a node id or host name that `docker node ls` shows");
    }
    if (ids.size() > 1) {
      throw Error(fmt::format("placement.{}: {} nodes are called `{}`", service, ids.size(), it->second),
                  ExitCode::usage, "name the node by its id (`docker node ls` shows them)");
    }
    out[service] = ids.front();
  }
  return out;
}

plan::Plan reconcile(const Desired& desired, const Observed& observed, const ReconcileOptions& options) {
  plan::Plan plan;
  std::vector<int> setup;  // every op a service create or update must follow

  for (const docker::NetworkSpec& n : desired.networks) {
    if (observed.networks.count(n.name) != 0) continue;
    plan::Operation op{.type = plan::OpType::create_network, .cause = "no existing network", .target = n.name};
    op.network = n;
    setup.push_back(plan.add(std::move(op)));
  }

  // Node labels: each stateful service's label on its node, and on no other.
  for (const Node& node : observed.nodes) {
    json labels = node.spec.value("Labels", json::object());
    std::vector<std::string> changes;
    for (const auto& [name, svc] : desired.services) {
      if (!svc.stateful) continue;
      const std::string label = placement_label(desired.project, name);
      auto want = options.placement.find(name);
      const bool here = want != options.placement.end() && want->second == node.id;
      const bool has = node.labels.count(label) != 0;
      if (here && !has) {
        labels[label] = "true";
        changes.push_back("+" + name);
      } else if (!here && has) {
        labels.erase(label);
        changes.push_back("-" + name);
      }
    }
    if (changes.empty()) continue;
    json spec = node.spec;
    spec["Labels"] = labels;
    std::string list;
    for (const std::string& c : changes) list += (list.empty() ? "" : " ") + c;
    plan::Operation op{.type = plan::OpType::update_node, .cause = "placement " + list, .target = node.id};
    op.body = spec.dump();
    op.version = node.version;
    setup.push_back(plan.add(std::move(op)));
  }

  auto add_files = [&](const std::map<std::string, FileObject>& files, const std::map<std::string, std::string>& seen,
                       plan::OpType type) {
    for (const auto& [name, f] : files) {
      if (seen.count(name) != 0) continue;
      json body = {{"Name", name},
                   {"Labels", f.labels},
                   {"Data", core::base64_encode(f.data, core::Base64Alphabet::standard, /*pad=*/true)}};
      plan::Operation op{.type = type, .cause = "new content", .target = name};
      op.body = body.dump();
      setup.push_back(plan.add(std::move(op)));
    }
  };
  add_files(desired.configs, observed.configs, plan::OpType::create_config);
  add_files(desired.secrets, observed.secrets, plan::OpType::create_secret);

  std::map<std::string, const ObservedService*> existing;
  for (const ObservedService& s : observed.services) existing[s.service] = &s;
  std::map<std::string, int> waits;
  std::vector<int> all_waits;
  for (const std::string& name : ordered(desired)) {
    const ServiceObject& svc = desired.services.at(name);
    std::vector<int> deps = setup;
    for (const compose::Dependency& d : svc.depends_on) {
      if (auto it = waits.find(d.service); it != waits.end()) deps.push_back(it->second);
    }
    auto seen = existing.find(name);
    int changed = 0;
    if (seen == existing.end()) {
      plan::Operation op{
          .type = plan::OpType::create_service, .deps = deps, .cause = "no existing service", .service = name};
      op.target = svc.name;
      op.number = svc.replicas;
      op.body = svc.spec.dump();
      changed = plan.add(std::move(op));
    } else if (seen->second->hash != svc.hash) {
      plan::Operation op{.type = plan::OpType::update_service, .deps = deps, .cause = "spec changed", .service = name};
      op.target = svc.name;
      op.number = svc.replicas;
      op.body = svc.spec.dump();
      op.version = seen->second->version;
      changed = plan.add(std::move(op));
    }
    if (changed != 0) deps = {changed};
    plan::Operation wait{.type = plan::OpType::wait_service,
                         .deps = deps,
                         .cause = svc.job ? "job completed" : "replicas running and healthy",
                         .service = name};
    wait.target = svc.name;
    wait.number = svc.replicas;
    wait.job = svc.job;
    wait.timeout_s = options.wait_timeout_s;
    waits[name] = plan.add(std::move(wait));
    all_waits.push_back(waits[name]);
  }

  std::vector<int> removals = all_waits;
  for (const ObservedService& s : observed.services) {
    if (desired.services.count(s.service) != 0 || !options.remove_orphans) continue;
    plan::Operation op{.type = plan::OpType::remove_service,
                       .deps = all_waits,
                       .cause = "no longer in the compose file",
                       .service = s.service,
                       .target = s.name};
    removals.push_back(plan.add(std::move(op)));
  }
  auto drop_files = [&](const std::map<std::string, std::string>& seen, const std::map<std::string, FileObject>& files,
                        plan::OpType type) {
    for (const auto& [name, id] : seen) {
      if (files.count(name) != 0) continue;
      plan::Operation op{.type = type, .deps = removals, .cause = "no service uses it", .target = name};
      op.body = id;
      plan.add(std::move(op));
    }
  };
  drop_files(observed.configs, desired.configs, plan::OpType::remove_config);
  drop_files(observed.secrets, desired.secrets, plan::OpType::remove_secret);
  return plan;
}

}  // namespace supactl::swarm
