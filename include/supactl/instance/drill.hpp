// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl restore --drill NAME`: a backup is only a backup once it has been restored. The
// drill restores one (the newest of NAME by default) into a throwaway instance beside the live
// one, compares every table's row count and content checksum and the storage file count with
// the backup's manifest, and removes the throwaway instance again, whatever the outcome.

#include <supactl/backup/backup.hpp>
#include <supactl/instance/session.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace supactl::instance {

/// The throwaway instance a drill of `name` uses: `name-drill` (shortened to fit the name
/// limit). Its folder holds `.drill`, so that one left by a killed drill can be told from an
/// instance of the user's and removed by the next drill.
std::string drill_name(const std::string& name);

/// Whether instance `name` of `home` is a drill's throwaway instance.
bool is_drill_instance(const std::filesystem::path& home, const std::string& name);

struct DrillOptions {
  std::filesystem::path archive;  ///< the backup to restore
  std::optional<backup::BackupKey> key;
  bool keep = false;  ///< leave the throwaway instance for a look (the report says so)
  ConvergeOptions converge;
};

struct DrillReport {
  std::string instance;        ///< whose backup was drilled
  std::string drill_instance;  ///< the throwaway instance
  std::string archive;
  std::string created_at;  ///< when the backup was taken (manifest)
  backup::Comparison comparison;
  double seconds = 0;    ///< the whole drill, restore and removal included
  bool removed = false;  ///< the throwaway instance is gone
  std::string error;     ///< why the restore itself failed ("" when it ran to the comparison)
  bool ok() const { return error.empty() && comparison.ok(); }
};

/// Runs a drill of instance `name`'s backup options.archive (see above). Throws
/// supactl::Error only for what stops it before anything is made (an unreadable, encrypted
/// without key or tampered archive: usage; a throwaway name held by an instance that is not a
/// drill's: conflict). A restore that fails later is reported in DrillReport::error, after the
/// throwaway instance was removed.
DrillReport run_drill(const std::filesystem::path& home, const std::string& name, const EngineSource& engine,
                      const DrillOptions& options, plan::Progress& progress);

}  // namespace supactl::instance
