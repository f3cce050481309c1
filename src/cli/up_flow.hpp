// SPDX-License-Identifier: Apache-2.0
#pragma once

// The options and the report of the commands that converge an instance (up, scale, upgrade,
// secrets rotate). Each opens an instance::Session, makes its change, calls
// instance::converge and reports with `report_converge`.

#include "cli/globals.hpp"

#include <supactl/instance/session.hpp>

#include <nlohmann/json.hpp>

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
  /// Keys a command that converges after its own work (`db failover`) adds to the JSON
  /// summary, so that --output json still prints one object.
  nlohmann::json report_extra = nlohmann::json::object();
};

/// Opens instance `o.name` for converging: locked unless it is a dry run.
instance::Session open_for_converge(const Globals& g, const UpOptions& o);

/// Converges the session's instance with `o` and prints the result (the plan on a dry run;
/// endpoints, or the errors and the hint). Returns the exit code.
int converge_and_report(const Globals& g, instance::Session& session, const UpOptions& o);

/// --wait-timeout and --lock-timeout, as every converging command takes them.
void add_wait_options(CLI::App& sub, UpOptions& o);

}  // namespace supactl::cli
