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

/// Creates instance `name` from the archived `spec` through the same code as `init`: ports as
/// archived when they are free, else free ones; secrets from the archive when it holds them,
/// else new. `secrets_from` says which, for the report.
config::Instance create_from_backup(const std::filesystem::path& home, const std::string& name,
                                    config::InstanceSpec spec, const backup::Extracted& ex, std::string* secrets_from);

/// Replaces the spec of the session's existing instance with the archived one (its name, ports
/// and secrets stay; the old instance.yaml is kept as instance.yaml.before-restore-STAMP).
void adopt_backup_spec(Session& session, config::InstanceSpec spec, std::int64_t now);

struct RestoreOutcome {
  stack::LoadReport load;
  backup::Comparison comparison;
};

/// With the instance marked restoring from `archive`: converge (so db and storage run), empty
/// the storage folder and stop every service but db, load roles and databases, copy the
/// storage files, converge again, and compare with the manifest. The mark is removed only when
/// the comparison matches. Throws supactl::Error(unhealthy) when a converge fails.
RestoreOutcome restore_data(Session& session, const backup::Extracted& ex, const std::string& archive,
                            const std::filesystem::path& scratch, const ConvergeOptions& converge_options,
                            plan::Progress& progress);

}  // namespace supactl::instance
