// SPDX-License-Identifier: Apache-2.0
#pragma once

// Stack operations: `up`, `down`, `status` and `logs` for one compose project on one Engine.
// This layer knows compose files, plans and the Engine; it knows nothing of instance.yaml,
// secrets or the command line (those live in config/, render/ and cli/).

#include <supactl/compose/model.hpp>
#include <supactl/docker/engine.hpp>
#include <supactl/plan/execute.hpp>
#include <supactl/plan/reconcile.hpp>
#include <supactl/ports/ports.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace supactl::stack {

// --- up -------------------------------------------------------------------------------------------

struct UpRequest {
  compose::LoadOptions compose;  ///< project name, files, interpolation variables
  plan::UpOptions up;
  plan::ExecuteOptions execute;
  bool dry_run = false;   ///< print the plan, change nothing
  bool rollback = false;  ///< on failure, remove the containers this run created
  /// Who answers "is this host port free?" (null: the host, as `init` asks it).
  const ports::PortProbe* port_probe = nullptr;
};

struct UpResult {
  compose::Project project;
  plan::Plan plan;
  plan::ExecutionReport report;
  uint64_t engine_requests = 0;  ///< Engine requests made by this `up`
  double floor_ms = 0;           ///< critical path of the Engine operations
  bool rolled_back = false;
};

/// Loads the compose files, observes, reconciles, checks published host ports, and (unless
/// dry_run) executes the plan. Throws supactl::Error when the files are bad or a host port
/// is taken (before any container is created); an execution failure is returned in
/// `report` (report.ok == false) so the caller can print it.
UpResult up(docker::Engine& engine, const UpRequest& request, plan::Progress& progress);

/// Host ports the project publishes that are already taken, each described with its owner
/// ("8000 (container other-caddy-1)", "5432 (process nc (pid 42))"), as `probe` sees them. Ports published by the
/// project's own containers are not counted.
std::vector<std::string> taken_host_ports(docker::Engine& engine, const compose::Project& project,
                                          const plan::ObservedState& observed, const ports::PortProbe& probe);

// --- down -----------------------------------------------------------------------------------------

struct DownResult {
  plan::Plan plan;
  plan::ExecutionReport report;
};

/// Stops and removes the project's containers (reverse dependency order) and networks;
/// volumes only with `options.remove_volumes`. Works from labels alone: no compose file is
/// needed.
DownResult down(docker::Engine& engine, const std::string& project, const plan::DownOptions& options,
                plan::Progress& progress, bool dry_run = false, const std::filesystem::path& journal = {});

/// Stops every running container of `project` except those of the services in `keep` (restore
/// stops all but db so nothing is connected while the databases are replaced).
void stop_services(docker::Engine& engine, const std::string& project, const std::vector<std::string>& keep,
                   int timeout_s = 10);

/// The project's volumes (what `down --volumes` would remove).
std::vector<std::string> project_volumes(docker::Engine& engine, const std::string& project);

// --- status ---------------------------------------------------------------------------------------

struct ContainerStatus {
  std::string name;
  int number = 0;
  docker::RunState state = docker::RunState::unknown;
  docker::Health health = docker::Health::none;
  std::string status;  ///< the Engine's text, e.g. "Up 3 minutes (healthy)"
  std::string image;
  std::vector<docker::PortBinding> ports;
  int exit_code = -1;  ///< of an exited container, else -1
};

struct ServiceStatus {
  std::string service;
  std::vector<ContainerStatus> containers;
  int running = 0;
  bool job = false;  ///< a one-shot service: ok once exited 0
  /// running (and healthy where a health check exists), or a completed job (exit 0)
  bool ok = false;
};

struct InstanceStatus {
  std::string instance;
  std::vector<ServiceStatus> services;
  bool healthy = false;              ///< every service ok and none missing
  std::vector<std::string> missing;  ///< expected services without a container
};

/// Groups container summaries (from one labelled list call) by instance and service.
/// `expected` maps instance -> service names it should have (for `missing`); instances not in
/// the map are judged on what exists. `jobs` lists one-shot services (ok when exited 0).
std::vector<InstanceStatus> summarize(const std::vector<docker::ContainerSummary>& containers,
                                      const std::map<std::string, std::vector<std::string>>& expected,
                                      const std::vector<std::string>& jobs);

/// Health tests by instance, then service.
using HealthTests = std::map<std::string, std::map<std::string, docker::Healthcheck>>;

/// Right after `up`, Docker's own first health check may still be pending ("starting"): runs
/// the service's health test (from `tests`) in such containers, a few at a time, marks those
/// that pass healthy and judges their services and instances again. A probe that fails or
/// cannot run leaves the container "starting".
void probe_starting(docker::Engine& engine, std::vector<InstanceStatus>& statuses, const HealthTests& tests);

/// One list call: every container labelled dev.supactl.instance (or only `instance`'s).
std::vector<docker::ContainerSummary> list_stack_containers(docker::Engine& engine, const std::string& instance = {});

// --- logs -----------------------------------------------------------------------------------------

struct LogsRequest {
  std::string project;
  std::vector<std::string> services;  ///< empty = all
  docker::LogOptions options;
  bool color = false;
};

/// Streams the logs of the project's containers (several at once when following), each line
/// prefixed with `service-n |`, to `out` (serialised). Throws when no container matches.
void logs(docker::Engine& engine, const LogsRequest& request, const std::function<void(std::string_view)>& out);

/// Parses `--since`: unix seconds, RFC 3339 (2026-11-25T10:00:00Z) or a duration ago
/// (30s, 10m, 2h, 1d). Throws supactl::Error(usage) naming the accepted forms.
int64_t parse_since(const std::string& text, int64_t now);

/// Where Caddy keeps the root certificate of its internal CA (`tls internal`), inside the
/// caddy container (XDG_DATA_HOME=/data, the caddy-data volume).
inline constexpr const char* k_caddy_root_ca = "/data/caddy/pki/authorities/local/root.crt";

/// The PEM root certificate of the internal CA of `project`'s running Caddy. Throws
/// supactl::Error(not_found) when Caddy does not run or has not made its CA yet.
std::string caddy_root_ca(docker::Engine& engine, const std::string& project);

}  // namespace supactl::stack
