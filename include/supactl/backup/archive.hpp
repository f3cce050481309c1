// SPDX-License-Identifier: Apache-2.0
#pragma once

// supactl's backup archive: a gzip-compressed tar whose FIRST member is manifest.json, which
// lists every other member with its size and sha256. Members are staged as files in a private
// (0700) folder next to the destination, then written into the archive; reading checks every
// member against the manifest while extracting into a private folder, so a corrupt or
// truncated archive is refused before its contents are used anywhere.

#include <supactl/backup/crypt.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/core/sha256.hpp>

#include <nlohmann/json.hpp>

#include <sys/types.h>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace supactl::backup {

/// Format tag in manifest.json.
inline constexpr const char* k_format = "supactl-backup/1";

/// One archive member as the manifest lists it.
struct Member {
  std::string path;  ///< relative, '/'-separated, e.g. "db/postgres.dump"
  int64_t size = 0;
  std::string sha256;  ///< lower-case hex
};

using core::Sha256;

/// A private folder (mkdtemp, 0700) under `parent`, removed with its contents on destruction.
/// It is flock-ed while it exists, so the folders of a process that was killed (SIGKILL, a
/// lost host) can be told apart: making a TempDir first removes the unlocked folders of the
/// same prefix under `parent`.
class TempDir {
 public:
  TempDir(const std::filesystem::path& parent, const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }

  /// Removes the folders `parent/prefix*` no live TempDir holds; returns how many.
  static size_t remove_stale(const std::filesystem::path& parent, const std::string& prefix);

 private:
  std::filesystem::path m_path;
  std::optional<core::FileLock> m_lock;
};

/// Collects members in a staging folder, then writes the archive.
class ArchiveBuilder {
 public:
  /// `staging` must be a private, empty folder (a TempDir).
  explicit ArchiveBuilder(std::filesystem::path staging) : m_staging(std::move(staging)) {}

  /// Adds member `path` whose bytes `produce` writes through the callback it is given
  /// (e.g. an exec stream). Files are created 0600.
  void add_stream(const std::string& path,
                  const std::function<void(const std::function<void(std::string_view)>&)>& produce);
  /// Adds member `path` holding `content`.
  void add_bytes(const std::string& path, std::string_view content);
  /// Adds member `path` copied from the host file `source`.
  void add_file(const std::string& path, const std::filesystem::path& source);

  const std::vector<Member>& members() const { return m_members; }
  /// Where member `path` is staged.
  std::filesystem::path staged(const std::string& path) const;

  /// Writes the archive to `out` (a temporary file beside it with `mode`, then rename):
  /// manifest.json (`manifest` plus the member list under "members"), then every member.
  /// With `key`, the gzip stream goes through an Encryptor on its way to the file (see
  /// backup/crypt.hpp), so no unencrypted archive is ever written.
  void write(const std::filesystem::path& out, nlohmann::json manifest, mode_t mode,
             const BackupKey* key = nullptr) const;

 private:
  std::filesystem::path m_staging;
  std::vector<Member> m_members;
};

/// Reads `archive`, checks that it is a supactl backup and that every member's size and
/// sha256 match the manifest (and that none is missing or extra), extracting the members into
/// `dir` (an existing private folder). Returns the manifest. Throws supactl::Error(usage)
/// "backup FILE is corrupt: ..." on any mismatch, truncation or read error.
nlohmann::json verify_archive(const std::filesystem::path& archive, const std::filesystem::path& dir);

/// Number of regular files in the tar file `tar` (e.g. a storage volume from get_archive).
int64_t count_tar_files(const std::filesystem::path& tar);

/// `t` as a compact UTC timestamp for file names: 20261125T100000Z.
std::string utc_stamp(std::time_t t);
/// `t` as RFC 3339 UTC: 2026-11-25T10:00:00Z.
std::string utc_rfc3339(std::time_t t);

/// A backup file of an instance.
struct BackupFile {
  std::filesystem::path path;
  int64_t size = 0;
};

/// Whether `file` ends like a backup archive: `.tar.gz`, or `.tar.gz.enc` when encrypted.
bool has_archive_suffix(std::string_view file);

/// The backups of instance `name` in `dir` (files `name-*.tar.gz` and, encrypted,
/// `name-*.tar.gz.enc`), oldest first (the
/// timestamp in the name orders them).
std::vector<BackupFile> list_backups(const std::filesystem::path& dir, const std::string& name);

/// What the last `supactl backup` of an instance did (for `supactl metrics`), kept as
/// `.last-backup.json` in the instance's backup folder whatever --out said.
struct BackupOutcome {
  int64_t time = 0;  ///< Unix time the backup started
  bool ok = false;
  int64_t size = 0;  ///< bytes of the archive written (0 when it failed)
};

/// Writes `outcome` into `dir` (created 0700 when missing). Never throws: a backup's result
/// does not depend on its record.
void record_outcome(const std::filesystem::path& dir, const BackupOutcome& outcome);

/// The record record_outcome() left in `dir`, if one reads back.
std::optional<BackupOutcome> last_outcome(const std::filesystem::path& dir);

}  // namespace supactl::backup
