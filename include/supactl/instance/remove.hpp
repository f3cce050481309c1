// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl rm`: an instance removed for good. Its containers, networks and volumes go (by
// their compose project label, as `down --volumes` removes them), then its folder; its backups
// stay unless asked. The caller has confirmed with the user and holds the instance lock.

#include <supactl/docker/engine.hpp>
#include <supactl/plan/execute.hpp>
#include <supactl/stack/stack.hpp>

#include <filesystem>
#include <string>

namespace supactl::instance {

struct RemoveOptions {
  bool purge_backups = false;  ///< also delete HOME/backups/NAME
  int stop_timeout_s = 10;     ///< seconds each container gets to stop before it is killed
};

struct RemoveResult {
  stack::DownResult down;         ///< the containers, networks and volumes removed
  bool folder_removed = false;    ///< false when an Engine operation failed (see down.report)
  std::filesystem::path backups;  ///< HOME/backups/NAME
  bool backups_removed = false;   ///< true when purged (and there was a folder)
};

/// Removes instance `name` of `home`: every container, network and volume of its project,
/// then (only when all of those went) its folder, then with `options.purge_backups` its
/// backup folder. When an Engine operation fails, returns with `folder_removed` false and the
/// folder and backups untouched (so `supactl rm` again finishes the job). Throws
/// supactl::Error(failure) when a folder cannot be deleted.
RemoveResult remove_instance(docker::Engine& engine, const std::filesystem::path& home, const std::string& name,
                             const RemoveOptions& options, plan::Progress& progress);

}  // namespace supactl::instance
