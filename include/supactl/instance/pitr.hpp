// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl restore NEW --from NAME --to-time T | --to-lsn L | --latest`: a new instance whose
// database is NAME's as it was at the target, rebuilt from a base backup of NAME and the WAL
// archived after it (instance.yaml backup.wal). NAME is not changed, except that its archived
// WAL is shipped first (and, while it runs, its current WAL segment finished and archived, so
// the recovery can reach the present).

#include <supactl/backup/pitr.hpp>
#include <supactl/instance/session.hpp>

#include <filesystem>
#include <string>

namespace supactl::instance {

struct PitrOptions {
  std::string from;  ///< the instance whose archive is restored
  backup::RecoveryTarget target;
  std::string s3_credentials;  ///< for NAME's backup.target, when the files are only there
  int lock_timeout_s = 0;
  ConvergeOptions converge;
};

struct PitrReport {
  std::string instance;
  std::string from;
  std::string base;           ///< the base backup's file name
  std::string base_finished;  ///< when it finished (RFC 3339)
  std::string target;         ///< RecoveryTarget::describe()
  std::string recovered_to;   ///< commit time of the last replayed transaction, RFC 3339 (may be empty)
  int wal_files = 0;          ///< WAL files handed to the recovery
  backup::ShipResult shipped;
  bool switched = false;  ///< NAME ran and its current segment was archived first
  double seconds = 0;
};

/// Runs the whole restore into new instance `name` (which must not exist). Throws
/// supactl::Error: not_found without NAME or without a base backup before the target, usage
/// without backup.wal or with a WAL gap, unhealthy when the recovered instance does not come
/// up (it stays, marked restoring, for a look).
PitrReport restore_to_point(const std::filesystem::path& home, const std::string& name, EngineSource engine_source,
                            const PitrOptions& options, plan::Progress& progress);

}  // namespace supactl::instance
