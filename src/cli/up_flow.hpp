// SPDX-License-Identifier: Apache-2.0
#pragma once

// The `up` flow, shared by the commands that end in converging an instance (up, scale).

#include "cli/globals.hpp"

#include <supactl/config/instance.hpp>
#include <supactl/docker/engine.hpp>

#include <functional>
#include <string>

namespace supactl::cli {

struct UpOptions {
  std::string name;
  bool dry_run = false;
  bool force_recreate = false;
  bool no_recreate = false;
  bool remove_orphans = false;
  bool rollback = false;
  int wait_timeout = 0;  ///< 0 = instance.yaml's wait.timeout
  int lock_timeout = 0;
  int parallel = 8;
  std::string registry;
  /// Runs after the instance lock is taken and before rendering, with the run's Engine
  /// connection (scale, upgrade and secrets rotate change the spec or secrets here).
  std::function<void(config::Instance&, docker::Engine&)> edit_spec;
};

/// Loads, locks, renders and converges instance `o.name`; prints the result. Returns the exit code.
int run_up(const Globals& g, const UpOptions& o);

/// --wait-timeout and --lock-timeout, as every converging command takes them.
void add_wait_options(CLI::App& sub, UpOptions& o);

}  // namespace supactl::cli
