// SPDX-License-Identifier: Apache-2.0
//
// Swarm operations of the executor. Configs and secrets are referred to by name in the plan
// (the Engine wants their ids): a create or update of a service resolves them with one list
// call each, just before it is sent.
#include <supactl/plan/swarm_ops.hpp>

#include <supactl/core/cancel.hpp>
#include "docker/transport.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <set>
#include <thread>

namespace supactl::plan {
namespace {

using nlohmann::json;

std::string query(const json& filters) { return "filters=" + docker::url_encode(filters.dump()); }

/// name -> id of the configs (or secrets) labelled with the service's instance.
std::map<std::string, std::string> ids_of(docker::Engine& engine, const std::string& kind,
                                          const std::string& instance) {
  std::map<std::string, std::string> out;
  const json filters = {{"label", {"dev.supactl.instance=" + instance}}};
  const json list = engine.call_json("GET", "/" + kind + "?" + query(filters), nullptr, "list " + kind);
  for (const json& item : list) out[item["Spec"].value("Name", "")] = item.value("ID", "");
  return out;
}

/// Fills ConfigID / SecretID from ConfigName / SecretName.
void resolve_ids(docker::Engine& engine, json& spec) {
  json& container = spec["TaskTemplate"]["ContainerSpec"];
  const std::string instance = spec["Labels"].value("dev.supactl.instance", "");
  for (const auto& [kind, key, id_key] :
       {std::tuple{"configs", "Configs", "ConfigID"}, std::tuple{"secrets", "Secrets", "SecretID"}}) {
    if (!container.contains(key)) continue;
    const std::map<std::string, std::string> ids = ids_of(engine, kind, instance);
    const std::string name_key = std::string(key).substr(0, std::string(key).size() - 1) + "Name";
    for (json& ref : container[key]) {
      const std::string name = ref.value(name_key, "");
      auto it = ids.find(name);
      if (it == ids.end()) {
        throw docker::EngineError(
            docker::ErrorKind::not_found, 404,
            fmt::format("{} {} of service {} does not exist", kind, name, spec.value("Name", "")));
      }
      ref[id_key] = it->second;
    }
  }
}

bool gone(const docker::EngineError& e) { return e.kind() == docker::ErrorKind::not_found; }

}  // namespace

void perform_swarm(docker::Engine& engine, const Operation& op) {
  const std::string what = fmt::format("{} {}", to_string(op.type), op.target);
  try {
    switch (op.type) {
      case OpType::create_config:
      case OpType::create_secret: {
        const std::string kind = op.type == OpType::create_config ? "configs" : "secrets";
        try {
          engine.call_json("POST", "/" + kind + "/create", json::parse(op.body), what);
        } catch (const docker::EngineError& e) {
          if (e.kind() != docker::ErrorKind::conflict) throw;  // made meanwhile, same bytes: fine
        }
        return;
      }
      case OpType::create_service: {
        json spec = json::parse(op.body);
        resolve_ids(engine, spec);
        engine.call_json("POST", "/services/create", spec, what);
        return;
      }
      case OpType::update_service: {
        json spec = json::parse(op.body);
        resolve_ids(engine, spec);
        engine.call_json("POST",
                         fmt::format("/services/{}/update?version={}", docker::url_encode(op.target), op.version), spec,
                         what);
        return;
      }
      case OpType::update_node:
        engine.call_json("POST", fmt::format("/nodes/{}/update?version={}", docker::url_encode(op.target), op.version),
                         json::parse(op.body), what);
        return;
      case OpType::remove_service:
        engine.call_json("DELETE", "/services/" + docker::url_encode(op.target), nullptr, what);
        return;
      case OpType::remove_config:
        engine.call_json("DELETE", "/configs/" + docker::url_encode(op.body), nullptr, what);
        return;
      case OpType::remove_secret:
        engine.call_json("DELETE", "/secrets/" + docker::url_encode(op.body), nullptr, what);
        return;
      default: break;
    }
  } catch (const docker::EngineError& e) {
    const bool removal =
        op.type == OpType::remove_service || op.type == OpType::remove_config || op.type == OpType::remove_secret;
    if (removal && gone(e)) return;
    throw;
  }
  throw docker::EngineError(docker::ErrorKind::unsupported, 0, what + ": not a swarm operation");
}

ReadyResult wait_service(docker::Engine& engine, const std::string& name, int replicas, bool job, int timeout_s,
                         const std::atomic<bool>* abort) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::seconds(timeout_s > 0 ? timeout_s : 300);
  std::string last_error;
  const json filters = {{"service", {name}}};
  for (int round = 0;; ++round) {
    if ((abort != nullptr && *abort) || core::cancel_requested()) return {false, "aborted", {}};
    const json service =
        engine.call_json("GET", "/services/" + docker::url_encode(name), nullptr, "inspect service " + name);
    const std::string update = service.contains("UpdateStatus") ? service["UpdateStatus"].value("State", "") : "";
    if (update == "rollback_completed" || update == "rollback_paused" || update == "paused") {
      const std::string message = service["UpdateStatus"].value("Message", "");
      return {false,
              fmt::format("update {}: {}", update == "paused" ? "paused" : "failed and was rolled back", message),
              last_error};
    }
    const json tasks = engine.call_json("GET", "/tasks?" + query(filters), nullptr, "list tasks of " + name);
    // A task on a node that is down still says "running"; it does not count.
    std::set<std::string> down;
    for (const json& n : engine.call_json("GET", "/nodes", nullptr, "list swarm nodes")) {
      if (n.contains("Status") && n["Status"].value("State", "") != "ready") down.insert(n.value("ID", ""));
    }
    int running = 0;
    int completed = 0;
    int pending = 0;
    int64_t iteration = -1;
    // Tasks of the current template only: right after an update, the old ones still run.
    const auto labels_of = [](const json& holder) {
      return holder.value("ContainerSpec", json::object()).value("Labels", json::object());
    };
    const json template_spec = service.value("Spec", json::object()).value("TaskTemplate", json::object());
    const std::string task_hash = labels_of(template_spec).value("dev.supactl.task-hash", "");
    // A forced roll (`functions deploy`) changes only ForceUpdate: the hash alone would take
    // the old task, still running, for the new one.
    const int64_t force = template_spec.value("ForceUpdate", int64_t{0});
    if (job && service.contains("JobStatus")) iteration = service["JobStatus"]["JobIteration"].value("Index", -1);
    for (const json& t : tasks) {
      const std::string state = t["Status"].value("State", "");
      const std::string desired = t.value("DesiredState", "");
      if (job && iteration >= 0 && t.contains("JobIteration") && t["JobIteration"].value("Index", -1) != iteration) {
        continue;
      }
      if (state == "failed" || state == "rejected") {
        const std::string err = t["Status"].value("Err", "");
        if (!err.empty()) last_error = err;
      }
      if (state == "complete") ++completed;
      const json task_spec = t.value("Spec", json::object());
      const bool current =
          (task_hash.empty() || labels_of(task_spec).value("dev.supactl.task-hash", "") == task_hash) &&
          task_spec.value("ForceUpdate", int64_t{0}) == force;
      if (!current) {
        if (desired == "running") ++pending;  // an old task, not yet replaced
        continue;
      }
      const bool lost = down.count(t.value("NodeID", "")) != 0;
      if (desired == "running" && state == "running" && !lost) ++running;
      if (desired == "running" && (state != "running" || lost)) ++pending;
    }
    const bool updating = update == "updating" || update == "rollback_started";
    if (job ? completed >= 1 : (running >= replicas && pending == 0 && !updating)) return {true, {}, {}};
    if (clock::now() >= deadline) {
      return {false,
              job ? fmt::format("did not complete within {} s", timeout_s)
                  : fmt::format("has {} of {} tasks running after {} s", running, replicas, timeout_s),
              last_error};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(round < 20 ? 250 : 1000));
  }
}

}  // namespace supactl::plan
