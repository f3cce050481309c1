// SPDX-License-Identifier: Apache-2.0
//
// `supactl backup NAME [--out FILE] [--include-secrets] [--encrypt --key-file PATH]`,
// `supactl backup ls NAME`, `supactl backup prune NAME --keep N` and `supactl backup keygen PATH`. Taking the backup is
// backup::create_backup; this file picks the default location ($SUPACTL_HOME/backups/NAME/NAME-<UTC stamp>.tar.gz),
// holds the instance lock so no `up`/`down` runs meanwhile, and prints the result.
#include "cli/globals.hpp"

#include <supactl/backup/backup.hpp>
#include <supactl/backup/pitr.hpp>
#include <supactl/backup/schedule.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/stack/failover.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

namespace supactl::cli {
namespace {

struct BackupOptions {
  std::string name;
  std::string out;
  bool include_secrets = false;
  bool encrypt = false;
  std::string key_file;
  std::string keygen_path;
  int lock_timeout = 0;
  std::string keep;
  std::string s3_credentials;
  bool base = false;
  bool wal = false;
};

std::string human_size(int64_t n) {
  if (n >= (int64_t{1} << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(n) / (1 << 30));
  if (n >= (int64_t{1} << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(n) / (1 << 20));
  if (n >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(n) / 1024);
  return fmt::format("{} B", n);
}

nlohmann::json ship_json(const backup::ShipResult& s) {
  return {{"shipped", s.shipped},     {"bytes", s.bytes},
          {"in_volume", s.in_volume}, {"removed_from_volume", s.removed},
          {"uploaded", s.uploaded},   {"primary_ran", s.primary_ran}};
}

void print_ship(const backup::ShipResult& s, const std::filesystem::path& dir) {
  std::cout << fmt::format(
      "  wal: {} new files ({}) shipped to {}{}; {} left in the archive volume\n", s.shipped, human_size(s.bytes),
      dir.string(), s.uploaded > 0 ? fmt::format(", {} uploaded", s.uploaded) : std::string(), s.in_volume - s.removed);
}

/// `backup NAME --base` and `backup NAME --wal`: the point-in-time archive (backup.wal).
int run_wal_backup(const Globals& g, const BackupOptions& o) {
  if (!o.out.empty() || o.include_secrets || o.encrypt || !o.key_file.empty()) {
    throw Error(
        "--base and --wal write to the instance's archive (backups/NAME/base and wal): they take no --out, "
        "--include-secrets, --encrypt or --key-file",
        ExitCode::usage, fmt::format("run `supactl backup {} --base`", o.name));
  }
  const std::filesystem::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  if (!inst.spec.backup.wal) {
    throw Error(
        fmt::format("{} needs WAL archiving, and {} has backup.wal: false", o.base ? "--base" : "--wal", inst.name),
        ExitCode::usage,
        fmt::format("run `supactl config set {} backup.wal true` and `supactl up {}` first (a plain `supactl "
                    "backup {}` needs neither)",
                    inst.name, inst.name, inst.name));
  }
  std::optional<backup::Remote> remote = backup::remote_of(inst.spec, o.s3_credentials);
  const core::FileLock lock = config::lock_instance(inst.dir, inst.name, o.lock_timeout);
  docker::Engine& engine = g.engine();
  std::optional<backup::BaseInfo> base;
  if (o.base) base = backup::take_base_backup(engine, inst, home, std::time(nullptr), remote ? &*remote : nullptr);
  const backup::ShipResult shipped = backup::ship_wal(engine, inst, home, remote ? &*remote : nullptr);
  const std::filesystem::path wal_dir = backup::wal_dir(home, inst.name);
  if (g.json()) {
    nlohmann::json j{{"instance", inst.name}, {"wal_dir", wal_dir.string()}, {"wal", ship_json(shipped)}};
    if (base) {
      j["base"] = base->to_json();
      j["path"] = (backup::base_dir(home, inst.name) / base->file).string();
      j["remote"] = remote ? remote->location.url_of(backup::remote_base_key(*remote, inst.name, base->file)) : "";
    }
    print_json(j);
    return 0;
  }
  if (base) {
    std::cout << fmt::format("base backup of {} written to {} ({})\n", inst.name,
                             (backup::base_dir(home, inst.name) / base->file).string(), human_size(base->size));
    std::cout << fmt::format("  {} files checked against its manifest; WAL {} to {} on timeline {}\n", base->files,
                             stack::format_lsn(base->start_lsn), stack::format_lsn(base->end_lsn), base->timeline);
    std::cout << fmt::format("  restore to a point after it with: supactl restore NEWNAME --from {} --to-time TIME\n",
                             inst.name);
  }
  print_ship(shipped, wal_dir);
  return 0;
}

int run_backup(const Globals& g, const BackupOptions& o) {
  if (o.name.empty()) {
    throw Error("backup needs an instance name", ExitCode::usage, "run `supactl backup NAME` (or `backup ls NAME`)");
  }
  if (o.base || o.wal) return run_wal_backup(g, o);
  // 1. The instance, locked against a concurrent up/down.
  const std::filesystem::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);

  // 2. The key, when encrypting: --key-file (which implies --encrypt), else the file named by
  // SUPACTL_BACKUP_KEY_FILE. Never a key on the command line.
  std::optional<backup::BackupKey> key;
  if (o.encrypt || !o.key_file.empty()) {
    const std::optional<std::filesystem::path> key_file = backup::key_file_from(o.key_file);
    if (!key_file) {
      throw Error("--encrypt needs a key file", ExitCode::usage,
                  fmt::format("pass --key-file PATH or set {} (make a key with `supactl backup keygen PATH`)",
                              backup::k_key_file_env));
    }
    key = backup::BackupKey::from_file(*key_file);
  }
  // The off-site store, when instance.yaml names one: its credentials are checked before the dump.
  std::optional<backup::Remote> remote = backup::remote_of(inst.spec, o.s3_credentials);
  const core::FileLock lock = config::lock_instance(inst.dir, inst.name, o.lock_timeout);

  // 3. Where to: --out, else the instance's backup folder.
  const std::time_t now = std::time(nullptr);
  std::filesystem::path out =
      o.out.empty() ? backup::backup_dir(home, inst.name) /
                          fmt::format("{}-{}.tar.gz{}", inst.name, backup::utc_stamp(now), key ? ".enc" : "")
                    : std::filesystem::absolute(o.out);
  if (std::filesystem::exists(out)) {
    throw Error(fmt::format("{} exists already", out.string()), ExitCode::conflict, "choose another --out FILE");
  }
  if (key) {
    backup::refuse_key_inside(*key, home / "backups");
    backup::refuse_key_inside(*key, out.parent_path());
  }

  // 4. Dump, copy, write.
  docker::Engine& engine = g.engine();
  // The outcome is recorded either way, for `supactl metrics` (supactl_backup_last_success).
  const std::filesystem::path record_dir = backup::backup_dir(home, inst.name);
  backup::BackupResult r;
  try {
    r = backup::create_backup(
        engine, inst,
        backup::BackupOptions{
            .out = out, .include_secrets = o.include_secrets, .supactl_version = SUPACTL_VERSION, .key = key},
        now);
  } catch (const Error&) {
    backup::record_outcome(record_dir, {.time = now, .ok = false, .size = 0});
    throw;
  }
  // 5. Off-site: upload, streamed from the file just written. A failed upload keeps the local
  // archive and counts as a failed backup (the copy that survives the host is missing).
  std::string remote_url;
  if (remote) {
    const std::string object = remote->location.key(r.path.filename().string());
    remote_url = remote->location.url_of(object);
    try {
      remote->client.upload(remote->location.bucket, object, r.path);
    } catch (const Error& e) {
      backup::record_outcome(record_dir, {.time = now, .ok = false, .size = r.size});
      throw Error(fmt::format("{} (the local backup {} is kept)", e.what(), r.path.string()), e.code(),
                  "fix the store or its credentials and run `supactl backup " + inst.name + "` again");
    }
  }
  backup::record_outcome(record_dir, {.time = now, .ok = true, .size = r.size});
  // With backup.wal, every backup (a scheduled one too) also ships the archived WAL. A failure
  // here loses nothing (the files stay in the archive volume): it is reported, not fatal.
  std::optional<backup::ShipResult> shipped;
  if (inst.spec.backup.wal) {
    try {
      shipped = backup::ship_wal(engine, inst, home, remote ? &*remote : nullptr);
    } catch (const Error& e) {
      spdlog::warn(
          "the archived WAL of {} was not shipped: {} (it stays in the archive volume; `supactl backup {} "
          "--wal` tries again)",
          inst.name, e.what(), inst.name);
    }
  }

  const backup::Manifest& m = r.manifest;
  const int64_t files = m.storage ? m.storage->files : 0;
  if (g.json()) {
    print_json({{"instance", inst.name},
                {"path", r.path.string()},
                {"size", r.size},
                {"databases", m.databases.size()},
                {"tables", m.row_counts.size()},
                {"storage_files", files},
                {"include_secrets", o.include_secrets},
                {"encrypted", key.has_value()},
                {"key_id", key ? key->id() : ""},
                {"remote", remote_url},
                {"wal", shipped ? ship_json(*shipped) : nlohmann::json(nullptr)},
                {"members", m.to_json()["members"]}});
  } else {
    std::cout << fmt::format("backup of {} written to {} ({})\n", inst.name, r.path.string(), human_size(r.size));
    if (remote) std::cout << fmt::format("  uploaded to {}\n", remote_url);
    std::cout << fmt::format("  {} databases, {} tables counted, {} storage files; secrets {}\n", m.databases.size(),
                             m.row_counts.size(), files,
                             o.include_secrets ? "included (file is 0600)" : "not included");
    if (key) {
      std::cout << fmt::format("  encrypted with AES-256-GCM, key id {} ({})\n", key->id(), key->path().string());
      std::cout << fmt::format("  restore with: supactl restore NAME {} --key-file {}\n", r.path.string(),
                               key->path().string());
    } else {
      std::cout << fmt::format("  restore with: supactl restore NAME {}\n", r.path.string());
    }
    if (shipped) print_ship(*shipped, backup::wal_dir(home, inst.name));
  }
  return 0;
}

/// The instance's off-site store, when it exists and names one (`backup ls` and `prune` also
/// work for an instance that is gone: then local backups only).
std::optional<backup::Remote> remote_if_any(const std::filesystem::path& home, const BackupOptions& o) {
  if (!std::filesystem::exists(config::instance_dir(home, o.name) / "instance.yaml")) return std::nullopt;
  return backup::remote_of(config::load_instance(home, o.name).spec, o.s3_credentials);
}

int run_ls(const Globals& g, const BackupOptions& o) {
  config::validate_name(o.name);
  const std::filesystem::path home = config::home_dir(g.home);
  const std::filesystem::path dir = backup::backup_dir(home, o.name);
  std::vector<backup::BackupFile> files = backup::list_backups(dir, o.name);
  std::optional<backup::Remote> remote = remote_if_any(home, o);
  std::vector<backup::BackupFile> remote_files;
  if (remote) remote_files = backup::list_remote_backups(*remote, o.name);
  if (g.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const backup::BackupFile& f : files) {
      const std::optional<std::string> key_id = backup::encrypted_key_id(f.path);
      list.push_back({{"path", f.path.string()},
                      {"size", f.size},
                      {"encrypted", key_id.has_value()},
                      {"key_id", key_id.value_or("")}});
    }
    nlohmann::json remote_list = nlohmann::json::array();
    for (const backup::BackupFile& f : remote_files) {
      const std::string key = remote->location.key(f.path.string());
      remote_list.push_back({{"url", remote->location.url_of(key)},
                             {"key", key},
                             {"size", f.size},
                             {"encrypted", f.path.extension() == ".enc"}});
    }
    print_json({{"instance", o.name},
                {"dir", dir.string()},
                {"backups", list},
                {"target", remote ? remote->location.url() : ""},
                {"remote", remote_list}});
    return 0;
  }
  if (remote) {
    std::cout << fmt::format("{:<52} {:>10}  {}\n", "REMOTE (" + remote->location.url() + ")", "SIZE", "ENCRYPTED");
    for (const backup::BackupFile& f : remote_files) {
      std::cout << fmt::format("{:<52} {:>10}  {}\n", f.path.string(), human_size(f.size),
                               f.path.extension() == ".enc" ? "yes" : "no");
    }
    std::cout << fmt::format("({} in {})\n\n", remote_files.size(), remote->location.url());
  }
  if (files.empty()) {
    std::cout << fmt::format("no backups of {} in {}\n", o.name, dir.string());
    return 0;
  }
  std::cout << fmt::format("{:<52} {:>10}  {}\n", "BACKUP", "SIZE", "ENCRYPTED");
  for (const backup::BackupFile& f : files) {
    const std::optional<std::string> key_id = backup::encrypted_key_id(f.path);
    std::cout << fmt::format("{:<52} {:>10}  {}\n", f.path.filename().string(), human_size(f.size),
                             key_id ? "key " + *key_id : "no");
  }
  std::cout << fmt::format("({} in {})\n", files.size(), dir.string());
  return 0;
}

int run_prune(const Globals& g, const BackupOptions& o) {
  config::validate_name(o.name);
  const std::filesystem::path dir = backup::backup_dir(config::home_dir(g.home), o.name);
  const backup::Keep keep = backup::parse_keep(o.keep);
  std::vector<backup::BackupFile> files = backup::list_backups(dir, o.name);
  std::vector<std::string> removed;
  for (const backup::BackupFile& f : backup::backups_to_prune(files, o.name, keep, std::time(nullptr))) {
    std::error_code ec;
    std::filesystem::remove(f.path, ec);
    if (ec) throw Error(fmt::format("cannot remove {}: {}", f.path.string(), ec.message()));
    removed.push_back(f.path.string());
  }
  // The same rule in the off-site store: it is judged on its own list, so its newest copy stays
  // even when the local one is newer.
  std::vector<std::string> remote_removed;
  size_t remote_kept = 0;
  backup::RemotePrune remote_pitr;
  if (std::optional<backup::Remote> remote = remote_if_any(config::home_dir(g.home), o)) {
    const std::vector<backup::BackupFile> remote_files = backup::list_remote_backups(*remote, o.name);
    for (const backup::BackupFile& f : backup::backups_to_prune(remote_files, o.name, keep, std::time(nullptr))) {
      const std::string key = remote->location.key(f.path.string());
      remote->client.remove(remote->location.bucket, key);
      remote_removed.push_back(remote->location.url_of(key));
    }
    remote_kept = remote_files.size() - remote_removed.size();
    backup::TempDir scratch(config::home_dir(g.home), ".prune-");
    remote_pitr = backup::prune_remote_pitr(*remote, o.name, keep, std::time(nullptr), scratch.path());
  }
  // Base backups by the same rule, then the WAL that no kept base backup needs (all of it
  // stays while no base backup is kept: it is then all there is).
  const std::filesystem::path base_dir = backup::base_dir(config::home_dir(g.home), o.name);
  std::vector<backup::BaseInfo> bases = backup::list_bases(base_dir);
  std::vector<backup::BackupFile> base_files;
  base_files.reserve(bases.size());
  for (const backup::BaseInfo& b : bases) base_files.push_back({.path = base_dir / b.file, .size = b.size});
  std::vector<std::string> bases_removed;
  for (const backup::BackupFile& f : backup::backups_to_prune(base_files, o.name, keep, std::time(nullptr))) {
    std::filesystem::path json = f.path;
    json.replace_extension(".json");  // NAME-STAMP.base.tar → NAME-STAMP.base.json
    std::filesystem::remove(f.path);
    std::filesystem::remove(json);
    bases_removed.push_back(f.path.string());
  }
  std::vector<std::uint64_t> kept_starts;
  for (const backup::BaseInfo& b : backup::list_bases(base_dir)) kept_starts.push_back(b.start_lsn);
  const std::filesystem::path wal_dir = backup::wal_dir(config::home_dir(g.home), o.name);
  std::vector<std::string> archived;
  std::error_code ec;
  if (std::filesystem::is_directory(wal_dir, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(wal_dir)) archived.push_back(e.path().filename().string());
  }
  const std::vector<std::string> wal_removed = backup::wal_to_prune(archived, kept_starts);
  for (const std::string& f : wal_removed) std::filesystem::remove(wal_dir / f);
  if (g.json()) {
    print_json({{"instance", o.name},
                {"removed", removed},
                {"kept", files.size() - removed.size()},
                {"remote_removed", remote_removed},
                {"remote_kept", remote_kept},
                {"base_removed", bases_removed},
                {"base_kept", bases.size() - bases_removed.size()},
                {"wal_removed", wal_removed.size()},
                {"wal_kept", archived.size() - wal_removed.size()},
                {"remote_base_removed", remote_pitr.bases_removed},
                {"remote_wal_removed", remote_pitr.wal_removed}});
  } else {
    for (const std::string& r : removed) std::cout << fmt::format("removed {}\n", r);
    for (const std::string& r : remote_removed) std::cout << fmt::format("removed {}\n", r);
    std::cout << fmt::format("{} backups of {} kept, {} removed\n", files.size() - removed.size(), o.name,
                             removed.size());
    if (!remote_removed.empty() || remote_kept > 0) {
      std::cout << fmt::format("{} off-site backups kept, {} removed\n", remote_kept, remote_removed.size());
    }
    for (const std::string& r : bases_removed) std::cout << fmt::format("removed {}\n", r);
    if (!bases.empty() || !archived.empty()) {
      std::cout << fmt::format(
          "{} base backups kept, {} removed; {} WAL files kept, {} removed (older than every kept "
          "base backup)\n",
          bases.size() - bases_removed.size(), bases_removed.size(), archived.size() - wal_removed.size(),
          wal_removed.size());
    }
    for (const std::string& r : remote_pitr.bases_removed) std::cout << fmt::format("removed {}\n", r);
    if (!remote_pitr.bases_removed.empty() || remote_pitr.wal_removed > 0) {
      std::cout << fmt::format("{} off-site base backups kept, {} removed; {} off-site WAL files removed\n",
                               remote_pitr.bases_kept, remote_pitr.bases_removed.size(), remote_pitr.wal_removed);
    }
  }
  return 0;
}

int run_keygen(const Globals& g, const BackupOptions& o) {
  const backup::BackupKey key = backup::write_new_key(o.keygen_path);
  if (g.json()) {
    print_json({{"path", key.path().string()}, {"key_id", key.id()}});
  } else {
    std::cout << fmt::format("wrote a new backup key to {} (0600), key id {}\n", key.path().string(), key.id());
    std::cout << "  keep a copy away from this host and its backups: without it, its backups cannot be restored\n";
  }
  return 0;
}

}  // namespace

/// `backup schedule`, `backup schedule ls|rm` (cmd_backup_schedule.cpp). `backup prune --keep`
/// also takes an age (14d) there: backup::parse_keep and backups_to_prune.
void setup_backup_schedule(CLI::App& backup, Globals& g);

void setup_backup(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<BackupOptions>();
  sub.add_option("name", o->name, "Instance name");
  sub.add_option("--out", o->out, "Archive to write (default $SUPACTL_HOME/backups/NAME/NAME-<UTC time>.tar.gz)");
  sub.add_flag("--include-secrets", o->include_secrets,
               "Also store secrets.env and rendered/.env (the file is 0600 anyway)");
  sub.add_flag(
      "--encrypt", o->encrypt,
      fmt::format("Encrypt the archive (AES-256-GCM) with the key in --key-file or ${}", backup::k_key_file_env));
  sub.add_option("--key-file", o->key_file, "File holding the 256-bit key (implies --encrypt; see `backup keygen`)");
  const std::string s3_help = fmt::format(
      "S3 credentials file for backup.target (default ${}, then backup.credentials)", backup::k_s3_credentials_env);
  sub.add_option("--s3-credentials", o->s3_credentials, s3_help);
  sub.add_flag("--base", o->base,
               "Take a base backup (pg_basebackup, checked against its manifest) for point-in-time restores "
               "(backup.wal: true), then ship the archived WAL");
  sub.add_flag("--wal", o->wal, "Only ship the archived WAL to the backup target (backup.wal: true)");
  add_lock_timeout(sub, o->lock_timeout);
  sub.require_subcommand(0, 1);

  CLI::App* keygen = sub.add_subcommand("keygen", "Write a new random backup key to a file (0600, never over one)");
  keygen->add_option("path", o->keygen_path, "Key file to create")->required();
  set_action(*keygen, g, [&g, o]() { return run_keygen(g, *o); });

  CLI::App* ls = sub.add_subcommand("ls", "List an instance's backups, oldest first");
  ls->add_option("name", o->name, "Instance name")->required();
  ls->add_option("--s3-credentials", o->s3_credentials, s3_help);
  set_action(*ls, g, [&g, o]() { return run_ls(g, *o); });

  CLI::App* prune = sub.add_subcommand(
      "prune", "Delete an instance's oldest backups, keeping the newest N or those younger than an age");
  prune->add_option("name", o->name, "Instance name")->required();
  prune
      ->add_option("--keep", o->keep,
                   "How many of the newest backups to keep (0-100000), or an age (36h, 14d, 8w): older ones go, "
                   "never the newest")
      ->required();
  prune->add_option("--s3-credentials", o->s3_credentials, s3_help);
  set_action(*prune, g, [&g, o]() { return run_prune(g, *o); });

  setup_backup_schedule(sub, g);

  CLI::App* self = &sub;
  sub.callback([&g, o, self] {
    if (g.dry_parse || !self->get_subcommands().empty()) return;
    g.exit_code = run_backup(g, *o);
  });
}

}  // namespace supactl::cli
