// SPDX-License-Identifier: Apache-2.0
#pragma once

// The steps of `supactl restore` once the archive is verified: make the instance (a new one
// from the archived spec, or take over an existing one), then put the data back and check it
// against the manifest. The instance is marked "restoring" (instances/NAME/.restoring) from
// the moment its folder is changed until the counts match.

#include <supactl/backup/backup.hpp>
#include <supactl/instance/session.hpp>

#include <filesystem>
#include <string>

namespace supactl::instance {

/// Marks `inst` as restoring from `archive` (instances/NAME/.restoring holds the archive's
/// path): `status` reports it and exits non-zero, `up` refuses, and running the same restore
/// again finishes it.
void mark_restoring(const config::Instance& inst, const std::string& archive);

/// Creates instance `name` like `spec` through the same code as `init`: ports as in `spec`
/// when they are free, else free ones; `localhost` when another instance has the domain; no
/// standby, db the primary; new secrets. Marked restoring from `archive` as soon as its folder
/// exists.
config::Instance create_like(const std::filesystem::path& home, const std::string& name, config::InstanceSpec spec,
                             const std::string& archive);

/// Creates instance `name` from the archived `spec` through the same code as `init`: ports as
/// archived when they are free, else free ones; secrets from the archive when it holds them,
/// else new. The instance is marked restoring from `archive` as soon as its folder exists.
/// `secrets_from` says where the secrets came from, for the report.
config::Instance create_from_backup(const std::filesystem::path& home, const std::string& name,
                                    config::InstanceSpec spec, const backup::Extracted& ex, const std::string& archive,
                                    std::string* secrets_from);

/// Marks the session's existing instance restoring from `archive`, then replaces its spec with
/// the archived one (its name, ports and secrets stay; the old instance.yaml is kept as
/// instance.yaml.before-restore-STAMP).
void adopt_backup_spec(Session& session, config::InstanceSpec spec, const std::string& archive, std::int64_t now);

/// Converges; throws supactl::Error(unhealthy) when the instance does not become healthy, with
/// a hint that ends in `again` (what to run once the cause is fixed).
void converge_healthy(Session& session, const ConvergeOptions& options, plan::Progress& progress,
                      const std::string& again);

struct RestoreOutcome {
  stack::LoadReport load;
  backup::Comparison comparison;
};

/// With the instance marked restoring from `archive`: put back what an interrupted restore left
/// set aside in the db (stack::undo_interrupted_load), converge (so db and storage run), empty
/// the storage folder and stop every service but db, load roles and databases, copy the
/// storage files, converge again, and compare with the manifest. The mark is removed only when
/// the comparison matches. Throws supactl::Error(unhealthy) when a converge fails. Kill points
/// (core/fault.hpp): restore:marked, restore:converged, restore:storage-cleared,
/// restore:quiesced, those of stack::load_dump, restore:storage-restored, restore:reconverged.
RestoreOutcome restore_data(Session& session, const backup::Extracted& ex, const std::string& archive,
                            const std::filesystem::path& scratch, const ConvergeOptions& converge_options,
                            plan::Progress& progress);

}  // namespace supactl::instance
