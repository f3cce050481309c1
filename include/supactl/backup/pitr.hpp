// SPDX-License-Identifier: Apache-2.0
#pragma once

// Point-in-time recovery over the Engine (instance.yaml `backup.wal: true`):
//  - Postgres' archive_command (templates/wal-archive.sh) copies every finished WAL file into
//    the instance's archive volume, which outlives the db containers and their data volumes;
//  - ship_wal moves them from that volume to the backup target: HOME/backups/NAME/wal, and
//    PREFIX/NAME-wal/ in the off-site store when backup.target is set;
//  - take_base_backup streams `pg_basebackup -Ft -X none` out of the primary into
//    HOME/backups/NAME/base and checks it against its own manifest;
//  - prepare_recovery fills a new instance's data volume with a base backup, the WAL after it
//    and the settings that make Postgres replay to a target and promote
//    (instance/pitr.hpp runs the whole restore).
// Names and formats: backup/wal.hpp.

#include <supactl/backup/backup.hpp>
#include <supactl/backup/schedule.hpp>
#include <supactl/backup/wal.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/docker/engine.hpp>

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace supactl::backup {

/// HOME/backups/NAME/base and HOME/backups/NAME/wal.
std::filesystem::path base_dir(const std::filesystem::path& home, const std::string& name);
std::filesystem::path wal_dir(const std::filesystem::path& home, const std::string& name);

/// The off-site keys: PREFIX/NAME-base/FILE and PREFIX/NAME-wal/FILE.
std::string remote_base_key(const Remote& remote, const std::string& name, const std::string& file);
std::string remote_wal_key(const Remote& remote, const std::string& name, const std::string& file);

/// Asks the running primary of `project` to finish its current WAL segment (pg_switch_wal)
/// and waits up to `timeout_s` seconds until the archiver has archived it. Returns the
/// segment's name. Throws supactl::Error(unhealthy) with the archiver's last failure when it
/// does not arrive.
std::string switch_and_archive(docker::Engine& engine, const std::string& project, int timeout_s);

struct ShipResult {
  int shipped = 0;           ///< files newly written to the local WAL folder
  std::int64_t bytes = 0;    ///< their bytes
  int in_volume = 0;         ///< WAL files found in the archive volume
  int removed = 0;           ///< of those, removed from the volume (only while a primary runs)
  int uploaded = 0;          ///< files uploaded to the off-site store
  bool primary_ran = false;  ///< read from the running primary (else from the stopped volume)
};
/// Moves the archived WAL files of `inst` from its archive volume to the local WAL folder
/// (each written as NAME.part, synced, then renamed; a file already there with the same size
/// is not written again), then removes from the volume what is safely on disk, and uploads to
/// `remote` what it does not hold yet. Reads through the running primary, or, when none runs,
/// through a container created on the volume (nothing is removed then). Throws
/// supactl::Error(usage) when the instance has no backup.wal.
ShipResult ship_wal(docker::Engine& engine, const config::Instance& inst, const std::filesystem::path& home,
                    Remote* remote);

/// The archiver, as `status` shows it.
struct ArchiverState {
  std::int64_t archived = 0;
  std::int64_t failed = 0;
  std::string last_archived_wal;
  std::string last_archived_at;  ///< RFC 3339 UTC, empty when never
  std::string last_failed_wal;
  std::string last_failed_at;
  bool failing = false;         ///< the last attempt failed (a failure after the last success)
  std::int64_t waiting = 0;     ///< finished segments Postgres has not archived yet (.ready)
  std::int64_t in_volume = -1;  ///< archived files not shipped to the target yet (-1: unknown)
};
/// Read from pg_stat_archiver on the running primary; nullopt when none runs.
std::optional<ArchiverState> archiver_state(docker::Engine& engine, const std::string& project);
/// One row of archiver_state's query (tab-separated), read.
ArchiverState parse_archiver_row(const std::string& row);

/// Takes a base backup of `inst`'s running primary into base_dir (NAME-<stamp>.base.tar and
/// .base.json), checked against its manifest, and uploads both to `remote` when given. The
/// WAL it needs is archived before it returns (pg_basebackup waits for that). Throws
/// supactl::Error(usage) without backup.wal.
BaseInfo take_base_backup(docker::Engine& engine, const config::Instance& inst, const std::filesystem::path& home,
                          std::time_t now, Remote* remote);

/// The base backups in `dir`, oldest first (a tar without a readable record is skipped).
std::vector<BaseInfo> list_bases(const std::filesystem::path& dir);

/// `backup prune` in the off-site store: the base backups under PREFIX/NAME-base/ by `keep`
/// (the store's own list; its newest is kept), then the WAL under PREFIX/NAME-wal/ that no
/// kept base needs (none while no base is kept). Returns the removed objects' URLs (bases)
/// and how many WAL files went.
struct RemotePrune {
  std::vector<std::string> bases_removed;
  int bases_kept = 0;
  int wal_removed = 0;
};
RemotePrune prune_remote_pitr(Remote& remote, const std::string& name, const Keep& keep, std::time_t now,
                              const std::filesystem::path& scratch);

/// Fills `project`'s Postgres data volume (made here, with compose's labels, so `up` takes it
/// as its own) for a recovery: the base backup `base_tar`, the WAL files `wal` (host paths)
/// in a folder of the data directory that restore_command reads, and recovery_settings for
/// `target`. When `config_tar` is given (a tar of the source's /etc/postgresql-custom), the
/// config volume is made from it too, so the restored cluster keeps the source's pgsodium
/// root key. Runs one short-lived container of `image` as root. Throws supactl::Error.
void prepare_recovery(docker::Engine& engine, const std::string& project, const std::string& image,
                      const std::filesystem::path& base_tar, const std::vector<std::filesystem::path>& wal,
                      const RecoveryTarget& target, const std::optional<std::filesystem::path>& config_tar,
                      const std::filesystem::path& scratch);

/// After the restored primary of `project` promoted: removes the recovery settings
/// (ALTER SYSTEM RESET) and the copied WAL. Returns the commit time of the last replayed
/// transaction (pg_last_xact_replay_timestamp, RFC 3339), empty when none was replayed.
std::string finish_recovery(docker::Engine& engine, const std::string& project);

}  // namespace supactl::backup
