// SPDX-License-Identifier: Apache-2.0
//
// `supactl up NAME`: the main job. Narrated as phases: load the instance → render its files
// → take the instance lock → converge (stack::up: load compose, observe, reconcile, check
// ports, execute with readiness probing) → print endpoints or the failure. All decisions are
// the reconciler's; this file maps flags and prints.
#include "cli/engine.hpp"
#include "cli/globals.hpp"
#include "cli/progress.hpp"
#include "cli/up_flow.hpp"

#include <supactl/backup/archive.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/cancel.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/core/log.hpp>
#include <supactl/render/render.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/stack.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <set>

namespace supactl::cli {

namespace {

/// Data made by an older supactl (or restored from its backups) may still hold the JWT secret
/// as a database setting: removed once, after the first healthy `up`, then remembered.
void unpublish_jwt_secret(docker::Engine& engine, const config::Instance& inst) {
  const std::filesystem::path marker = inst.dir / stack::k_jwt_setting_marker;
  std::error_code ec;
  if (!inst.spec.enabled("db") || std::filesystem::exists(marker, ec)) return;
  try {
    stack::PgTarget target{.container = stack::running_container(engine, inst.name, "db")};
    for (const std::string& db : stack::reset_jwt_secret_setting(engine, target)) {
      spdlog::info("removed the JWT secret from the settings of database {}", db);
    }
    core::write_file_atomic(marker, "app.settings.jwt_secret is not stored in the database\n", 0644);
  } catch (const Error& e) {
    // A stack from --templates whose db is not Postgres has no psql: nothing to check there.
    const bool no_psql = std::string(e.what()).find("executable file not found") != std::string::npos;
    if (no_psql) {
      spdlog::debug("no psql in the db container; the JWT setting check is skipped");
    } else {
      spdlog::warn("could not check the database for a stored JWT secret (next `up` retries): {}", e.what());
    }
  }
}

}  // namespace

int run_up(const Globals& g, const UpOptions& o) {
  // 1. The instance: spec and secrets.
  const std::filesystem::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  if (!o.registry.empty()) inst.spec.registry = o.registry;
  config::check_override(inst);
  if (const std::string from = config::restoring_from(inst); !from.empty()) {
    throw Error(fmt::format("instance {} is being restored from {}, and that restore has not finished", inst.name, from),
                ExitCode::conflict,
                fmt::format("`supactl restore {} {} --yes` finishes it (or wait for the running one)", inst.name, from));
  }

  // 2. One `up`/`down` at a time per instance.
  // A dry run only reads: it takes no lock (and so creates no lock file).
  std::unique_ptr<core::FileLock> lock;
  if (!o.dry_run) lock = std::make_unique<core::FileLock>(inst.dir / ".lock", fmt::format("instance {}", inst.name), o.lock_timeout);

  // 2b. One Engine connection for the whole run; a command built on `up` (scale, upgrade,
  // secrets rotate) changes the spec or secrets now, under the lock, through it.
  EngineHandle engine(g);
  if (o.edit_spec) o.edit_spec(inst, *engine);

  // 3. Render the stack's files. A dry run renders into a scratch folder that stands for
  // rendered/ (same paths in the plan), so it writes nothing in the instance's folder.
  render::RenderResult rendered;
  std::unique_ptr<backup::TempDir> scratch;
  if (o.dry_run) scratch = std::make_unique<backup::TempDir>(std::filesystem::temp_directory_path(), "supactl-dry-run-");
  {
    core::PhaseTimer t("render");
    rendered = render::render_instance(inst, scratch ? scratch->path() : inst.rendered_dir(), g.templates_dir);
  }

  // 4. Converge.
  stack::UpRequest req;
  req.compose.project_name = inst.name;
  req.compose.files = {rendered.compose_file};
  if (scratch) req.compose.stands_for = inst.rendered_dir();
  if (std::filesystem::exists(inst.override_file())) req.compose.files.push_back(inst.override_file());
  req.compose.variables = rendered.variables;
  req.up.recreate = o.force_recreate ? plan::Recreate::force
                    : o.no_recreate  ? plan::Recreate::never
                                     : plan::Recreate::diverged;
  req.up.remove_orphans = o.remove_orphans;
  req.up.wait_timeout_s = o.wait_timeout > 0 ? o.wait_timeout : inst.spec.wait.timeout_s;
  req.execute.parallel = o.parallel;
  req.dry_run = o.dry_run;
  req.rollback = o.rollback;

  std::unique_ptr<plan::Progress> progress = make_progress(g);
  stack::UpResult result = stack::up(*engine, req, *progress);

  render::Endpoints e = render::instance_endpoints(inst.spec);
  if (o.dry_run) {
    if (g.json()) {
      nlohmann::json ops = nlohmann::json::array();
      for (const plan::Operation& op : result.plan.ops) {
        ops.push_back({{"id", op.id}, {"op", plan::to_string(op.type)}, {"target", op.target},
                       {"service", op.service}, {"deps", op.deps}, {"cause", op.cause}});
      }
      print_json({{"instance", inst.name}, {"dry_run", true}, {"plan", ops}, {"warnings", result.plan.warnings}});
    } else {
      std::cout << (result.plan.empty() ? fmt::format("{} is up to date: nothing to do\n", inst.name)
                                        : result.plan.to_string());
    }
    return 0;
  }

  const plan::ExecutionReport& r = result.report;
  if (g.json()) {
    nlohmann::json summary = {{"instance", inst.name},
                              {"ok", r.ok},
                              {"operations", result.plan.ops.size()},
                              {"writes", result.plan.write_count()},
                              {"engine_requests", result.engine_requests},
                              {"wall_ms", r.wall_ms},
                              {"floor_ms", result.floor_ms},
                              {"rolled_back", result.rolled_back},
                              {"errors", r.errors},
                              {"endpoints", {{"api", e.api_url}, {"studio", e.studio_url}, {"db", e.db_url}}}};
    std::cout << summary.dump() << std::endl;
  }
  if (!r.ok) {
    // Parallel operations stopped by one cause (Ctrl-C, a lost Engine) report it once.
    std::set<std::string> printed;
    for (const std::string& err : r.errors) {
      if (printed.insert(err).second) std::fprintf(stderr, "supactl: error: %s\n", err.c_str());
    }
    if (result.rolled_back) {
      std::fprintf(stderr, "supactl: rolled back: removed the %zu containers this run created; volumes kept\n",
                   r.created.size());
    }
    std::fprintf(stderr, "supactl: hint: see `supactl logs %s SERVICE`; data volumes were kept; `supactl up %s` retries\n",
                 inst.name.c_str(), inst.name.c_str());
    if (core::cancel_requested()) return static_cast<int>(ExitCode::interrupted);
    return static_cast<int>(r.engine_unavailable ? ExitCode::engine_unavailable : ExitCode::unhealthy);
  }
  unpublish_jwt_secret(*engine, inst);
  if (!g.json()) {
    if (result.plan.write_count() == 0) {
      std::cout << fmt::format("{} is up to date and healthy\n", inst.name);
    } else {
      std::cout << fmt::format("{} is up: {} operations in {:.1f} s\n", inst.name, result.plan.ops.size(),
                               r.wall_ms / 1000.0);
    }
    std::cout << fmt::format("  API      {}\n", e.api_url);
    if (!e.studio_url.empty()) std::cout << fmt::format("  Studio   {}\n", e.studio_url);
    if (!e.db_url.empty()) std::cout << fmt::format("  DB       {}\n", e.db_url);
    std::cout << fmt::format("  keys     supactl status {} --show-secrets\n", inst.name);
  }
  return 0;
}


void add_wait_options(CLI::App& sub, UpOptions& o) {
  sub.add_option("--wait-timeout", o.wait_timeout, "Seconds each service may take to become ready (default: instance.yaml wait.timeout)")
      ->check(CLI::Range(1, 86400));
  sub.add_option("--lock-timeout", o.lock_timeout, "Seconds to wait for another supactl working on this instance")
      ->check(CLI::Range(0, 86400));
}

void setup_up(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<UpOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_flag("--dry-run", o->dry_run, "Print the plan and change nothing");
  sub.add_flag("--force-recreate", o->force_recreate, "Recreate every container even if unchanged");
  sub.add_flag("--no-recreate", o->no_recreate, "Never recreate existing containers")->excludes("--force-recreate");
  sub.add_flag("--remove-orphans", o->remove_orphans, "Remove containers of services no longer in the stack");
  sub.add_flag("--rollback", o->rollback, "On failure, remove the containers this run created");
  add_wait_options(sub, *o);
  sub.add_option("--parallel", o->parallel, "Engine calls in flight at once")->check(CLI::Range(1, 64));
  sub.add_option("--registry", o->registry, "Pull through this registry mirror (HOST[:PORT]) for this run")
      ->envname("SUPACTL_REGISTRY");
  set_action(sub, g, [&g, o]() { return run_up(g, *o); });
}

}  // namespace supactl::cli
