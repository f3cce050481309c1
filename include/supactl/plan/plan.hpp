// SPDX-License-Identifier: Apache-2.0
#pragma once

// A Plan is the reconciler's decision, written down as data: a DAG of operations, each one
// Engine call (or one readiness wait) with the cause that made it necessary. The executor
// walks it without deciding anything; `--dry-run` prints it; golden tests compare its text.

#include <supactl/docker/types.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace supactl::plan {

/// Numbered explicitly so that adding a type never shifts the others.
enum class OpType : int {
  pull_image = 1,
  create_network = 2,
  create_volume = 3,
  create_container = 4,
  start_container = 5,
  wait_ready = 6,      ///< running, and the service's health test passes
  wait_completed = 7,  ///< a one-shot job exited 0
  stop_container = 8,
  remove_container = 9,
  rename_container = 10,
  remove_network = 11,
  remove_volume = 12,
  // Swarm mode (swarm/): each one Engine call, or one wait.
  create_config = 13,
  create_secret = 14,
  create_service = 15,
  update_service = 16,
  remove_service = 17,
  remove_config = 18,
  remove_secret = 19,
  update_node = 20,
  wait_service = 21,  ///< its replicas running (healthy), or its job completed
};

/// "PullImage", "CreateContainer", ...
const char* to_string(OpType type);

struct Operation {
  int id = 0;  ///< 1-based index in Plan::ops
  OpType type = OpType::pull_image;
  std::vector<int> deps;  ///< ids that must finish first
  std::string cause;      ///< why, e.g. "no existing container", "config hash changed"

  std::string service;  ///< compose service key, for container operations
  int number = 0;       ///< replica number, for container operations
  /// What the call acts on: image ref, network/volume name, or container name.
  std::string target;
  std::string new_name;  ///< rename_container: the final name

  std::optional<docker::ContainerSpec> container;  ///< create_container
  std::optional<docker::NetworkSpec> network;      ///< create_network
  std::optional<docker::VolumeSpec> volume;        ///< create_volume
  std::optional<docker::Healthcheck> health;       ///< wait_ready: the test to probe
  int timeout_s = 0;                               ///< stop timeout, or wait timeout
  /// Swarm operations: the JSON body sent (a ServiceSpec, a config or secret, a NodeSpec)...
  std::string body;
  /// ... and the object version an update is made against (the Engine refuses a stale one).
  int64_t version = 0;
  bool job = false;  ///< wait_service: a job, done once a task completed
  bool is_write() const {
    return type != OpType::wait_ready && type != OpType::wait_completed && type != OpType::wait_service;
  }
};

struct Plan {
  std::vector<Operation> ops;
  /// Findings that do not stop the plan (orphans left in place, ...).
  std::vector<std::string> warnings;

  bool empty() const { return ops.empty(); }
  /// Number of operations of `type`.
  size_t count(OpType type) const;
  /// Number of operations that change something on the Engine.
  size_t write_count() const;
  /// Appends an operation, giving it the next id; returns the id.
  int add(Operation op);
  /// One line per operation: `#3 <- [1,2] CreateContainer service:db:1 shop-db-1 (no existing container)`.
  std::string to_string() const;
};

}  // namespace supactl::plan
