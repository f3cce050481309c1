// SPDX-License-Identifier: Apache-2.0
#pragma once

// Observe and reconcile: a snapshot of what the Engine has for one project (taken with one
// labelled list call per object kind), and the pure functions that compare it with the
// compose model and write down a Plan. Nothing in reconcile_* calls the Engine.

#include <supactl/compose/model.hpp>
#include <supactl/docker/engine.hpp>
#include <supactl/plan/plan.hpp>

#include <map>
#include <string>
#include <vector>

namespace supactl::plan {

/// What the Engine has for one project, taken before reconciling so the reconciler can
/// compare without further calls.
struct ObservedState {
  std::vector<docker::ContainerSummary> containers;  ///< every state, one-offs included
  std::vector<docker::NetworkInfo> networks;
  std::vector<docker::VolumeInfo> volumes;
  /// Image reference (repo:tag as written in the model) -> local image id, for the refs that
  /// are present locally.
  std::map<std::string, std::string> image_ids;
};

/// Lists the project's containers, networks and volumes by the compose project label (one
/// call each) and, when `image_refs` is not empty, the local images (one call).
ObservedState observe(docker::Engine& engine, const std::string& project, const std::vector<std::string>& image_refs);

enum class Recreate { diverged, force, never };

struct UpOptions {
  Recreate recreate = Recreate::diverged;
  bool remove_orphans = false;
  int wait_timeout_s = 300;  ///< per-service readiness timeout
  int stop_timeout_s = 10;
  /// Per-service readiness timeout overrides.
  std::map<std::string, int> service_wait_timeout_s;
};

/// The plan that takes `observed` to `project`: pulls missing images (all before any create),
/// creates missing networks and volumes, creates/recreates/starts containers in dependency
/// order with readiness waits where dependents need them, scales replicas, and handles
/// orphans. A converged project gives an empty plan (or only read-only waits).
Plan reconcile_up(const compose::Project& project, const ObservedState& observed, const UpOptions& options);

struct DownOptions {
  bool remove_volumes = false;
  int stop_timeout_s = 10;
};

/// The plan that stops and removes every container of the observed project in reverse
/// dependency order (read from the containers' depends_on labels, so it works without the
/// model), then its networks, then — only with `remove_volumes` — its volumes.
Plan reconcile_down(const ObservedState& observed, const DownOptions& options);

/// Parses a container's `status` text ("Exited (1) 3 minutes ago") for the exit code; -1 when
/// the container has not exited.
int exit_code_from_status(const std::string& status);

}  // namespace supactl::plan
