// SPDX-License-Identifier: Apache-2.0
#pragma once

// `backup` and the data half of `restore` for one instance, over the Engine: the logical dump
// (roles + pg_dump -Fc per database, taken inside the running db container and streamed out
// through exec), the storage volume (MinIO's /data or the file backend's folder, via the
// archive API), the instance's files, and manifest.json (see backup/archive.hpp).

#include <supactl/backup/archive.hpp>
#include <supactl/backup/s3.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/docker/engine.hpp>
#include <supactl/stack/db.hpp>

#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace supactl::backup {

/// Schemas whose tables' row counts go into the manifest and are compared after a restore.
const std::vector<std::string>& counted_schemas();

/// Where an instance's stored objects live: the service whose container mounts the volume,
/// and the folder inside it. Empty `service` when the instance runs no storage.
struct StorageLocation {
  std::string service;  ///< "minio" or "storage"
  std::string path;     ///< "/data" or "/var/lib/storage"
};
StorageLocation storage_location(const config::InstanceSpec& spec);

/// `HOME/backups/NAME`.
std::filesystem::path backup_dir(const std::filesystem::path& home, const std::string& name);

/// manifest.json of a backup archive (format supactl-backup/1), typed. Written first in the
/// archive; `members` lists every other member with its size and sha256.
struct Manifest {
  struct Database {
    std::string name;
    std::string member;  ///< "db/00-postgres.dump" (pg_dump -Fc)
  };
  struct Storage {
    std::string service;  ///< the service whose container holds the files
    std::string path;     ///< the folder in it
    std::string member;   ///< "storage/minio.tar": the Engine's tar of that folder
    int64_t files = 0;    ///< regular files in it when the backup was taken
  };
  struct Image {
    std::string image;
    std::string image_id;
  };

  std::string format = k_format;
  std::string supactl_version;
  std::string instance;
  std::string release;
  std::string created_at;  ///< RFC 3339, UTC
  bool include_secrets = false;
  std::map<std::string, int64_t> row_counts;  ///< "schema.table" → rows, just before the dump
  /// "schema.table" → stack::row_checksums, taken with the counts (empty in backups made
  /// before manifests had them: then only the counts are compared)
  std::map<std::string, std::string> row_checksums;
  std::string roles_member = "db/roles.sql";
  std::vector<Database> databases;
  std::optional<Storage> storage;
  std::map<std::string, Image> images;  ///< service → what it ran
  std::vector<Member> members;

  nlohmann::json to_json() const;
  /// Throws supactl::Error(usage) naming the first missing or mistyped key.
  static Manifest from_json(const nlohmann::json& j);
  bool has_member(const std::string& path) const;
};

struct BackupOptions {
  std::filesystem::path out;  ///< the archive to write (parent created 0700)
  bool include_secrets = false;
  std::string supactl_version;
  std::optional<BackupKey> key;  ///< encrypt the archive with it (see backup/crypt.hpp)
};

struct BackupResult {
  std::filesystem::path path;
  int64_t size = 0;
  Manifest manifest;
};

/// Writes a backup of running instance `inst` to options.out (mode 0600; staging files are
/// private and live beside it). Needs the db container running (and the storage container
/// when the instance has storage). Throws supactl::Error.
BackupResult create_backup(docker::Engine& engine, const config::Instance& inst, const BackupOptions& options,
                           std::time_t now);

/// The members of a verified, extracted backup (`dir` as given to verify_archive).
struct Extracted {
  Manifest manifest;
  std::filesystem::path dir;
  /// Host path of member `path`.
  std::filesystem::path member(const std::string& path) const { return dir / "m" / path; }
  bool has(const std::string& path) const;
};

/// Checks backup `file` and extracts its members into `scratch` (a private folder): an
/// encrypted one is first decrypted there with `key`, every chunk authenticated, then the
/// archive is verified member by member. Throws supactl::Error (usage) when it is encrypted and
/// no key is given, when the key is another one, or when anything fails its check; nothing
/// outside `scratch` has been touched then.
Extracted open_backup(const std::filesystem::path& file, const std::filesystem::path& scratch,
                      const std::optional<BackupKey>& key);

/// Loads the backup's roles and databases into the running db container of `project`
/// (the other services must be stopped). Staged input files are removed afterwards.
stack::LoadReport restore_databases(docker::Engine& engine, const std::string& project, const Extracted& backup);

/// Empties the storage folder in the running storage container (before the services stop).
void clear_storage(docker::Engine& engine, const std::string& project, const Extracted& backup);
/// Copies the backup's storage files into the (possibly stopped) storage container.
void restore_storage(docker::Engine& engine, const std::string& project, const Extracted& backup);

/// A comparison of the restored instance with the manifest.
struct Comparison {
  int tables = 0;                           ///< tables whose row counts were compared
  std::vector<std::string> row_diffs;       ///< "public.todos: 3 in the backup, 2 now"
  int checksums = 0;                        ///< tables whose content checksums were compared
  std::vector<std::string> checksum_diffs;  ///< "public.todos: content differs from the backup"
  int64_t files_expected = -1;              ///< -1 when the backup has no storage
  int64_t files_now = -1;
  bool ok() const { return row_diffs.empty() && checksum_diffs.empty() && files_expected == files_now; }
};
Comparison compare_with_manifest(docker::Engine& engine, const std::string& project, const Extracted& backup,
                                 const std::filesystem::path& scratch);

/// An instance's off-site store (`backup.target`): where its backups go and a client for it.
struct Remote {
  S3Location location;
  S3Client client;
};
/// The store of `spec`, with the credentials file s3_credentials_path picks (`flag` first);
/// nullopt when the instance has no backup.target. Throws supactl::Error(usage) when the
/// target is set and the credentials file is missing or unfit.
std::optional<Remote> remote_of(const config::InstanceSpec& spec, const std::string& credentials_flag);
/// The store named by an s3:// URL (restore of a remote file, e.g. on a new host).
Remote remote_at(const S3Location& location, const std::string& credentials_flag, const std::string& configured);

/// Instance `name`'s backups in the store, oldest first: objects directly under the prefix
/// named NAME-<UTC time>...tar.gz[.enc] (`path` is the file name, `size` the object's).
std::vector<BackupFile> list_remote_backups(Remote& remote, const std::string& name);

}  // namespace supactl::backup
