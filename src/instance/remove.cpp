// SPDX-License-Identifier: Apache-2.0
//
// Removing an instance for good (`supactl rm`). The Engine side is `stack::down` with volumes;
// the folder is first renamed to a hidden name in the instances folder, so a removal cut
// short never leaves a half-deleted folder that looks like an instance, then deleted.
#include <supactl/instance/remove.hpp>

#include <supactl/backup/backup.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/error.hpp>
#include <supactl/edge/edge.hpp>
#include <supactl/plan/reconcile.hpp>
#include <supactl/swarm/swarm.hpp>

#include <fmt/format.h>

#include <unistd.h>

namespace supactl::instance {

namespace fs = std::filesystem;

namespace {

void remove_folder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  const fs::path doomed = dir.parent_path() / fmt::format(".{}.removing-{}", dir.filename().string(), ::getpid());
  fs::rename(dir, doomed, ec);
  if (ec) throw Error(fmt::format("cannot remove {}: {}", dir.string(), ec.message()));
  fs::remove_all(doomed, ec);
  if (ec) throw Error(fmt::format("cannot remove {}: {}", doomed.string(), ec.message()));
}

}  // namespace

RemoveResult remove_instance(docker::Engine& engine, const fs::path& home, const std::string& name,
                             const RemoveOptions& options, plan::Progress& progress) {
  RemoveResult result;
  result.backups = backup::backup_dir(home, name);
  // 1. Containers, networks and volumes, found by the project label.
  plan::DownOptions down;
  down.remove_volumes = true;
  down.stop_timeout_s = options.stop_timeout_s;
  // The journal too, as `down` does: stops a killed run left under way are finished first.
  const fs::path dir = config::instance_dir(home, name);
  edge::release(engine, home, name);
  if (config::is_swarm_instance(home, name)) {
    // Services, networks, configs, secrets, and the volumes on this node.
    swarm::down(engine, name, /*remove_volumes=*/true, swarm::rendered_db_image(dir));
  } else {
    result.down = stack::down(engine, name, down, progress, /*dry_run=*/false, dir / config::Instance::k_journal_name);
  }
  if (!result.down.report.ok) return result;
  // 2. The instance folder (spec, secrets, rendered files, lock).
  remove_folder(dir);
  result.folder_removed = true;
  // 3. Backups, only when asked.
  if (options.purge_backups) {
    std::error_code ec;
    result.backups_removed = fs::exists(result.backups, ec);
    remove_folder(result.backups);
  }
  return result;
}

}  // namespace supactl::instance
