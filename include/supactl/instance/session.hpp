// SPDX-License-Identifier: Apache-2.0
#pragma once

// One instance, opened once per command: loaded from its folder, locked (when the command
// changes it) and given one Engine connection. Every command that converges does so through
// `converge` below, in sequence: open the session → change the spec or secrets (scale,
// upgrade, secrets rotate, restore) → converge → report. Nothing calls back into the caller.

#include <supactl/compose/model.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/docker/engine.hpp>
#include <supactl/plan/execute.hpp>
#include <supactl/plan/reconcile.hpp>
#include <supactl/render/render.hpp>
#include <supactl/stack/stack.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace supactl::instance {

/// Where a session gets its Engine connection, the first time it needs one (the command line
/// connects to the real Engine; tests hand over a fake one).
using EngineSource = std::function<docker::Engine&()>;

struct SessionOptions {
  bool lock = true;        ///< take the instance lock (false for read-only work: dry runs)
  int lock_timeout_s = 0;  ///< seconds to wait for another supactl holding it
  /// The session will converge: refuse an unsafe compose.override.yml, an instance whose
  /// restore has not finished and a domain another instance has, before anything changes.
  bool converging = false;
  std::string registry;  ///< non-empty: pull through this mirror for this run only
};

class Session {
 public:
  /// Loads instance `name` of `home`, checks it for converging when asked, then takes its
  /// lock (unless `options.lock` is false). Throws supactl::Error (not_found, usage, conflict).
  Session(const std::filesystem::path& home, const std::string& name, EngineSource engine,
          const SessionOptions& options);

  const std::filesystem::path& home() const { return m_home; }
  config::Instance& instance() { return m_inst; }
  const config::Instance& instance() const { return m_inst; }
  /// The run's one Engine connection (made on first use).
  docker::Engine& engine() { return m_engine(); }
  bool locked() const { return m_lock.has_value(); }
  /// Reads instance.yaml and secrets.env again (after a step rewrote them), keeping the lock
  /// and the run's registry mirror.
  void reload();

 private:
  std::filesystem::path m_home;
  config::Instance m_inst;
  std::optional<core::FileLock> m_lock;
  EngineSource m_engine;
  std::string m_registry;
};

/// Adds the standby's replication password (stack::k_replication_secret) to the session's
/// secrets.env when it has none (instances made before the standby existed), then reloads.
void ensure_replication_secret(Session& session);

/// How an instance's compose project is loaded: project = instance name, `compose_file`
/// (rendered) then the instance's compose.override.yml when present, interpolated with
/// `variables` (rendered/.env). The one place that builds these options.
compose::LoadOptions compose_options(const config::Instance& inst, const std::filesystem::path& compose_file,
                                     std::map<std::string, std::string> variables);

struct ConvergeOptions {
  plan::Recreate recreate = plan::Recreate::diverged;
  bool remove_orphans = false;
  int wait_timeout_s = 0;  ///< 0 = instance.yaml's wait.timeout
  int parallel = 8;
  bool dry_run = false;   ///< render into a scratch folder, plan, change nothing
  bool rollback = false;  ///< on failure, remove the containers this run created
  std::string templates_dir;
};

struct ConvergeResult {
  stack::UpResult up;
  render::Endpoints endpoints;
  bool ok() const { return up.report.ok; }
};

/// Renders the instance's files (into rendered/, or a scratch folder on a dry run, so a dry
/// run writes nothing) and converges its containers with stack::up. After a healthy run, once
/// per instance, removes a JWT secret an older supactl stored as a database setting. An
/// execution failure is returned (result.ok() false); bad files and taken ports throw.
ConvergeResult converge(Session& session, const ConvergeOptions& options, plan::Progress& progress);

}  // namespace supactl::instance
