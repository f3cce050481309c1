// SPDX-License-Identifier: Apache-2.0
#pragma once

// Point-in-time recovery, the parts that need no Engine: names of archived WAL files, which of
// them a base backup needs, the base backup's own record (what pg_basebackup's
// backup_manifest and backup_label say, checked file by file), the recovery target a
// `restore --from` asks for, and the base backup that serves it.
//
// Layout of an instance's archive on the local target:
//   HOME/backups/NAME/base/NAME-<UTC stamp>.base.tar    pg_basebackup -Ft, manifest inside
//   HOME/backups/NAME/base/NAME-<UTC stamp>.base.json   BaseInfo
//   HOME/backups/NAME/wal/<WAL file names>              shipped from the archive volume
// and, with backup.target, the same files under PREFIX/NAME-base/ and PREFIX/NAME-wal/.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace supactl::backup {

/// Where archive_command puts finished WAL files, in db and db-standby (volume k_wal_volume).
inline constexpr const char* k_wal_archive_dir = "/var/lib/supactl/wal-archive";
/// The compose key of the archive volume (Docker name `<instance>_wal-archive`).
inline constexpr const char* k_wal_volume = "wal-archive";
/// The WAL segment size of every supported image (initdb's default).
inline constexpr std::uint64_t k_wal_segment_bytes = std::uint64_t{16} << 20;
/// Format tag of a BaseInfo file.
inline constexpr const char* k_base_format = "supactl-base/1";

/// An archived WAL file's name, read.
struct WalName {
  enum class Kind { segment, history, backup_label, partial };
  Kind kind = Kind::segment;
  std::uint32_t timeline = 0;
  std::uint64_t segno = 0;  ///< segment number (log * 256 + seg for 16 MiB segments); 0 for history files
};
/// 000000010000000000000003, 00000002.history, 000000010000000000000003.00000028.backup,
/// 000000010000000000000003.partial; nullopt for anything else (a `.part` being written, a
/// stray file).
std::optional<WalName> parse_wal_name(std::string_view name);
/// The segment file name of `segno` on `timeline`.
std::string wal_segment_name(std::uint32_t timeline, std::uint64_t segno);
inline std::uint64_t segno_of(std::uint64_t lsn) { return lsn / k_wal_segment_bytes; }

/// Whether a recovery from a base backup that started at `start_lsn` can need archived file
/// `name`: every history file, and every segment (of any timeline) from the one holding
/// `start_lsn` on.
bool wal_needed_from(std::string_view name, std::uint64_t start_lsn);

/// The archived files `backup prune` may delete: none when no base backup is kept (the WAL is
/// then all there is), else those no kept base backup needs (wal_needed_from the oldest kept
/// one's start).
std::vector<std::string> wal_to_prune(const std::vector<std::string>& archived,
                                      const std::vector<std::uint64_t>& kept_base_starts);

/// A base backup (`backup NAME --base`), as its .base.json records it.
struct BaseInfo {
  std::string format = k_base_format;
  std::string instance;
  std::string file;          ///< the tar's file name (NAME-<stamp>.base.tar)
  std::string started_at;    ///< RFC 3339 UTC, from backup_label's START TIME
  std::string finished_at;   ///< RFC 3339 UTC, when pg_basebackup was done (after the end of its WAL)
  std::time_t finished = 0;  ///< the same as seconds since the epoch
  std::uint32_t timeline = 0;
  std::uint64_t start_lsn = 0;
  std::uint64_t end_lsn = 0;
  std::int64_t size = 0;   ///< bytes of the tar
  std::string sha256;      ///< of the tar
  std::int64_t files = 0;  ///< files in the manifest, each checked
  std::string postgres_image;

  nlohmann::json to_json() const;
  /// Throws supactl::Error(usage) naming the first missing or mistyped key.
  static BaseInfo from_json(const nlohmann::json& j);
};

/// What the tar of one `pg_basebackup -Ft -D - --manifest-checksums=SHA256` holds, checked.
struct BaseCheck {
  std::uint32_t timeline = 0;
  std::uint64_t start_lsn = 0;
  std::uint64_t end_lsn = 0;
  std::string start_time;  ///< backup_label's START TIME, as written ("2026-12-01 02:00:00 UTC")
  std::int64_t files = 0;  ///< manifest entries, every one found with its size and checksum
  std::int64_t size = 0;
  std::string sha256;  ///< of the whole tar
};
/// Reads the tar file `tar` once, streaming: every regular file's SHA-256, then the injected
/// backup_manifest, whose own checksum is checked, and whose every entry must be in the tar
/// with its size and checksum; every file of the tar but the manifest must be in it. Throws
/// supactl::Error(usage) naming the first difference.
BaseCheck check_base_tar(const std::filesystem::path& tar);
/// The same check of a tar read from file descriptor `fd` until its end (`size` is 0): a base
/// backup checked while it streams in. It reads to the end of the stream even when it fails
/// early, so a writer into a pipe never blocks on it.
BaseCheck check_base_stream(int fd);

/// Parses a backup_manifest: its WAL range (timeline, start and end LSN) and files
/// ("Path"/"Encoded-Path" → size, SHA-256), after checking its Manifest-Checksum.
struct BaseManifest {
  std::uint32_t timeline = 0;
  std::uint64_t start_lsn = 0;
  std::uint64_t end_lsn = 0;
  struct File {
    std::string path;
    std::int64_t size = 0;
    std::string sha256;
  };
  std::vector<File> files;
};
BaseManifest parse_base_manifest(std::string_view text);

/// Where `restore NEW --from NAME` stops replaying.
struct RecoveryTarget {
  enum class Kind { latest, time, lsn };
  Kind kind = Kind::latest;
  std::time_t time = 0;          ///< Kind::time: seconds since the epoch
  std::string time_text;         ///< Kind::time: as Postgres reads it ("2026-11-29 18:00:00+00")
  std::uint64_t lsn = 0;         ///< Kind::lsn
  std::string describe() const;  ///< "2026-11-29T18:00:00Z", "LSN 0/3000060", "the latest archived WAL"
};
/// --to-time: RFC 3339 with a zone (2026-11-29T18:00:00Z, ...+01:00, fractions of a second
/// allowed). Throws supactl::Error(usage) naming the expected form.
RecoveryTarget parse_target_time(std::string_view text);
/// --to-lsn: Postgres' text form (0/3000060). Throws supactl::Error(usage).
RecoveryTarget parse_target_lsn(std::string_view text);

/// The lines appended to the restored cluster's postgresql.auto.conf: restore_command reading
/// `wal_dir`, the target, recovery_target_action = promote, and hot_standby = off so that no
/// service connects before the promotion.
std::string recovery_settings(const RecoveryTarget& target, const std::string& wal_dir);

/// The base backup a recovery to `target` starts from: the newest that finished before it
/// (any for latest); nullopt when none did. `bases` oldest first.
std::optional<BaseInfo> choose_base(const std::vector<BaseInfo>& bases, const RecoveryTarget& target);

}  // namespace supactl::backup
