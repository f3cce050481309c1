// SPDX-License-Identifier: Apache-2.0
#pragma once

// The changes the converging commands make to an instance before they converge it: replicas
// (scale), a release (upgrade) and secrets (secrets rotate). Each works on an open session,
// under its lock; none converges (the command calls instance::converge next).

#include <supactl/instance/session.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace supactl::instance {

// --- scale ------------------------------------------------------------------------------------

/// "rest=3" → {"rest", 3}. Throws supactl::Error(usage) naming the fix when it is not
/// SERVICE=N with N in 1..16, or when SERVICE does not exist or cannot scale.
std::pair<std::string, int> parse_scale_target(const std::string& arg);

/// Sets the replicas in `inst.spec` (kong.replicas or scale.<service>; 1 removes the entry).
/// Throws supactl::Error(usage) when a service is not enabled in the instance. Saves nothing.
void set_replicas(config::Instance& inst, const std::map<std::string, int>& wanted);

// --- upgrade ----------------------------------------------------------------------------------

struct ImageChange {
  std::string service;
  std::string from;  ///< "" when the service had no image before
  std::string to;
};

/// The images that differ between the instance's release and `to` (usage error listing the
/// known releases when `to` is none of them).
std::vector<ImageChange> image_changes(const config::InstanceSpec& spec, const std::string& to,
                                       const std::string& templates_dir);

/// Takes the backup `upgrade` makes before changing images, into the instance's backup folder
/// (NAME-STAMP-before-RELEASE.tar.gz, no secrets). Returns its path. On failure throws
/// supactl::Error with the hint to start the instance first or pass --no-backup.
std::filesystem::path backup_before_upgrade(Session& session, const std::string& to, std::int64_t now);

// --- secrets rotate ---------------------------------------------------------------------------

struct RotateRequest {
  bool jwt = false;        ///< JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY
  bool postgres = false;   ///< POSTGRES_PASSWORD (changed in the database first)
  bool dashboard = false;  ///< DASHBOARD_PASSWORD
};

struct RotateResult {
  std::vector<std::string> rotated;  ///< keys given new values
  std::filesystem::path kept;        ///< the old secrets.env, kept 0600
};

/// New values from OpenSSL for the requested secrets. The database role passwords change
/// first (in the running db; when that fails nothing else changed), after the new secrets
/// are written as the rotation's intent (secrets.env.rotating); then the old secrets.env is
/// kept as secrets.env.STAMP.bak (never overwriting an earlier copy) and the new one
/// written; the session's instance holds the new values. Kill points: rotate:intent,
/// rotate:db-changed.
RotateResult rotate_secrets(Session& session, const RotateRequest& what, std::chrono::system_clock::time_point now);

/// Finishes a password rotation a killed `secrets rotate` left (secrets.env.rotating): the
/// database roles get the new password again (the db container is started when stopped) and
/// secrets.env takes the new secrets, the old ones kept as a .bak. Returns whether it did;
/// an instance with no db container keeps the intent for a later run.
bool finish_interrupted_rotation(Session& session, std::chrono::system_clock::time_point now);

}  // namespace supactl::instance
