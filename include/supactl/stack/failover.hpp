// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl db failover NAME [--switchover]`: the standby becomes the primary. The steps that
// touch Postgres live here: reading a stopped cluster's pg_control (did it shut down cleanly,
// where is its last checkpoint), fencing a former primary's volume so that it never starts as
// a primary again, promoting the standby and reading how far it has replayed. The command
// (src/cli/cmd_db.cpp) orders them and moves instance.yaml's db.primary.

#include <supactl/docker/engine.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace supactl::stack {

/// The file a failover writes into the former primary's data folder, beside standby.signal:
/// who fenced it and when. Its presence makes the standby entrypoint copy the volume anew.
inline constexpr const char* k_fenced_marker = "supactl-fenced";

/// What global/pg_control says of a cluster (the fields a failover needs).
struct ControlData {
  std::uint32_t version = 0;     ///< pg_control_version: 1300 (PostgreSQL 13 to 16), 1700 (17)
  int state = 0;                 ///< DBState: 1 shut down, 2 shut down in recovery, 6 in production, ...
  std::uint64_t checkpoint = 0;  ///< the LSN of the latest checkpoint record
  bool shut_down() const { return state == 1; }
};

/// Reads the leading fields of a pg_control file (system identifier, pg_control_version,
/// catalog version, state, time, checkpoint LSN; little-endian, the layout of PostgreSQL 11
/// to 17). Throws supactl::Error when the bytes are too short or the version is not one of
/// those.
ControlData parse_pg_control(std::string_view bytes);

/// "16/B374D848" (Postgres' text form of an LSN) ↔ its 64-bit value.
std::string format_lsn(std::uint64_t lsn);
std::optional<std::uint64_t> parse_lsn(std::string_view text);

/// Creates the container `spec` (a leftover of that name, from a killed run, is removed
/// first), runs `fn` with its id, and removes it again whatever `fn` does.
void with_helper_container(docker::Engine& engine, const docker::ContainerSpec& spec,
                           const std::function<void(const std::string&)>& fn);

/// Runs `fn` with the id of a container named `helper`, created (never started) from `image`
/// with Docker volume `volume` mounted at `target`, then removes that container (a leftover of
/// a killed run is removed first). The Engine's archive endpoint reads and writes a stopped
/// container's volumes, so no process of the image runs.
void on_volume(docker::Engine& engine, const std::string& helper, const std::string& image, const std::string& volume,
               const std::string& target, const std::function<void(const std::string&)>& fn);

/// The Docker name of Postgres service `service`'s data volume in `project`.
std::string data_volume_name(const std::string& project, const std::string& service);

/// pg_control of `service`'s data volume, read through a container created (never started)
/// on that volume with `image`. The cluster must not run.
ControlData read_pg_control(docker::Engine& engine, const std::string& project, const std::string& service,
                            const std::string& image);

/// Fences the former primary `service` of `project`: stops its containers (Postgres' fast
/// shutdown), removes them (never the volume), and writes standby.signal and k_fenced_marker
/// (holding `why`) into its data volume, so that Postgres on it only ever starts as a standby
/// that follows nothing. Returns the volume's name.
std::string fence_postgres(docker::Engine& engine, const std::string& project, const std::string& service,
                           const std::string& image, const std::string& why);

/// Promotes the standby `service` of `project` (pg_promote, waiting up to `wait_s` seconds)
/// and checks that it left recovery. Throws supactl::Error(unhealthy) when it did not.
void promote(docker::Engine& engine, const std::string& project, const std::string& service, int wait_s);

/// How far the running Postgres of `service` has replayed WAL (pg_last_wal_replay_lsn());
/// nullopt when it is not in recovery or does not answer.
std::optional<std::uint64_t> replayed_lsn(docker::Engine& engine, const std::string& project,
                                          const std::string& service);

/// The steps of a failover from `from` to `to`, as `--dry-run` prints them and the command
/// runs them, in order.
std::vector<std::string> failover_steps(const std::string& project, const std::string& from, const std::string& to,
                                        bool switchover);

}  // namespace supactl::stack
