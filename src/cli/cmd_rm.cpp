// SPDX-License-Identifier: Apache-2.0
//
// `supactl rm NAME`: deletes an instance for good -- its containers, networks and data
// volumes, then its folder (spec, secrets, rendered files). Its backups stay unless
// `--purge-backups`. Nothing happens without `--yes` or a confirmation typed at a terminal,
// and nothing while a backup or restore (or any other command) holds the instance lock.
#include "cli/globals.hpp"
#include "cli/progress.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/instance/remove.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

namespace supactl::cli {
namespace {

struct RmOptions {
  std::string name;
  bool yes = false;
  bool purge_backups = false;
  int timeout = 10;
  int lock_timeout = 0;
};

int run_rm(const Globals& g, const RmOptions& o) {
  // 1. The instance must exist; nothing is asked of the Engine before it is locked.
  config::validate_name(o.name);
  const std::filesystem::path home = config::home_dir(g.home);
  const std::filesystem::path dir = config::instance_dir(home, o.name);
  std::error_code ec;
  if (!std::filesystem::exists(dir / "instance.yaml", ec)) {
    throw Error(fmt::format("no instance `{}` in {}", o.name, home.string()), ExitCode::not_found,
                "`supactl ls` lists the instances");
  }
  const core::FileLock lock = config::lock_instance(dir, o.name, o.lock_timeout);

  // 2. Confirmation: --yes, or the name typed at a terminal.
  const std::string backups = o.purge_backups ? "and its backups" : "(its backups are kept)";
  if (!o.yes) {
    confirm_by_name(g, o.name,
                    fmt::format("This deletes instance {} for good: its containers, data volumes and folder {} {}",
                                o.name, dir.string(), backups),
                    fmt::format("refusing to delete instance {} without --yes", o.name),
                    fmt::format("run `supactl rm {} --yes` to delete it; nothing was changed", o.name));
  }

  // 3. Engine objects, then the folder, then (when asked) the backups.
  std::unique_ptr<plan::Progress> progress = make_progress(g);
  const instance::RemoveResult r = instance::remove_instance(
      g.engine(), home, o.name, instance::RemoveOptions{.purge_backups = o.purge_backups, .stop_timeout_s = o.timeout},
      *progress);
  const plan::Plan& plan = r.down.plan;
  if (g.json()) {
    print_json({{"instance", o.name},
                {"ok", r.folder_removed},
                {"removed_containers", plan.count(plan::OpType::remove_container)},
                {"removed_networks", plan.count(plan::OpType::remove_network)},
                {"removed_volumes", plan.count(plan::OpType::remove_volume)},
                {"folder_removed", r.folder_removed},
                {"backups", r.backups.string()},
                {"backups_removed", r.backups_removed},
                {"errors", r.down.report.errors}});
  }
  if (!r.folder_removed) {
    g.json_printed = g.json();
    throw run_failure(r.down.report.errors, ExitCode::failure, fmt::format("removing {} failed", o.name),
                      fmt::format("`supactl rm {}` again finishes it; the instance folder was kept", o.name));
  }
  if (!g.json()) {
    std::cout << fmt::format("{} removed: {} containers, {} networks, {} volumes and its folder; backups in {} {}\n",
                             o.name, plan.count(plan::OpType::remove_container),
                             plan.count(plan::OpType::remove_network), plan.count(plan::OpType::remove_volume),
                             r.backups.string(), r.backups_removed ? "deleted" : "kept");
  }
  return 0;
}

}  // namespace

void setup_rm(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<RmOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_flag("-y,--yes", o->yes, "Delete without asking");
  sub.add_flag("--purge-backups", o->purge_backups, "Also delete the instance's backups in $SUPACTL_HOME/backups/NAME");
  sub.add_option("-t,--timeout", o->timeout, "Seconds each container gets to stop before it is killed")
      ->check(CLI::Range(0, 3600));
  add_lock_timeout(sub, o->lock_timeout);
  set_action(sub, g, [&g, o]() { return run_rm(g, *o); });
}

}  // namespace supactl::cli
