// SPDX-License-Identifier: Apache-2.0
//
// Plan bookkeeping and its printable form. The text is stable on purpose: `--dry-run` shows
// it to people and the reconcile golden tests compare it byte for byte.
#include <supactl/plan/plan.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace supactl::plan {

const char* to_string(OpType type) {
  switch (type) {
    case OpType::pull_image: return "PullImage";
    case OpType::create_network: return "CreateNetwork";
    case OpType::create_volume: return "CreateVolume";
    case OpType::create_container: return "CreateContainer";
    case OpType::start_container: return "StartContainer";
    case OpType::wait_ready: return "WaitReady";
    case OpType::wait_completed: return "WaitCompleted";
    case OpType::stop_container: return "StopContainer";
    case OpType::remove_container: return "RemoveContainer";
    case OpType::rename_container: return "RenameContainer";
    case OpType::remove_network: return "RemoveNetwork";
    case OpType::remove_volume: return "RemoveVolume";
    case OpType::create_config: return "CreateConfig";
    case OpType::create_secret: return "CreateSecret";
    case OpType::create_service: return "CreateService";
    case OpType::update_service: return "UpdateService";
    case OpType::remove_service: return "RemoveService";
    case OpType::remove_config: return "RemoveConfig";
    case OpType::remove_secret: return "RemoveSecret";
    case OpType::update_node: return "UpdateNode";
    case OpType::wait_service: return "WaitService";
  }
  return "?";
}

size_t Plan::count(OpType type) const {
  return static_cast<size_t>(
      std::count_if(ops.begin(), ops.end(), [&](const Operation& op) { return op.type == type; }));
}

size_t Plan::write_count() const {
  return static_cast<size_t>(std::count_if(ops.begin(), ops.end(), [](const Operation& op) { return op.is_write(); }));
}

int Plan::add(Operation op) {
  op.id = static_cast<int>(ops.size()) + 1;
  std::sort(op.deps.begin(), op.deps.end());
  op.deps.erase(std::unique(op.deps.begin(), op.deps.end()), op.deps.end());
  ops.push_back(std::move(op));
  return ops.back().id;
}

std::string Plan::to_string() const {
  std::string out;
  for (const Operation& op : ops) {
    std::string deps;
    for (int d : op.deps) deps += (deps.empty() ? "" : ",") + std::to_string(d);
    std::string what =
        op.service.empty() ? op.target : fmt::format("service:{}:{} {}", op.service, op.number, op.target);
    if (!op.new_name.empty()) what += " -> " + op.new_name;
    out += fmt::format("#{} <- [{}] {} {} ({})\n", op.id, deps, plan::to_string(op.type), what, op.cause);
  }
  for (const std::string& w : warnings) out += "warning: " + w + "\n";
  return out;
}

}  // namespace supactl::plan
