// SPDX-License-Identifier: Apache-2.0
//
// `supactl restore NAME FILE [--yes]` and `supactl restore --drill NAME [FILE]`. Phases: verify every member of the
// archive against its manifest (into a private folder; a corrupt or truncated archive stops here and nothing has
// changed) → create the instance from the archived spec (secrets from the archive when it
// holds them, else new ones, as `init` makes them) or, with --yes, take over an existing one
// (its secrets are kept) → up → empty the storage folder and stop every service but db →
// load roles and databases → copy the storage files → up again → compare row and file counts
// with the manifest.
#include "cli/globals.hpp"
#include "cli/progress.hpp"

#include <supactl/backup/backup.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/instance/drill.hpp>
#include <supactl/instance/pitr.hpp>
#include <supactl/instance/restore.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>

namespace supactl::cli {
namespace {

struct RestoreOptions {
  std::string name;
  std::string file;
  bool yes = false;
  bool drill = false;
  bool keep = false;
  std::string key_file;
  std::string s3_credentials;
  int lock_timeout = 0;
  std::string from;
  std::string to_time;
  std::string to_lsn;
  bool latest = false;
};

/// FILE as a local file. An s3:// URL, or the bare file name of a backup that only the
/// instance's off-site store (backup.target) holds, is downloaded into `into` (a private
/// folder) first; open_backup then verifies it like any other archive. Returns the local path
/// and sets `*url` to the object's URL when it downloaded.
std::filesystem::path local_copy(const std::filesystem::path& home, const RestoreOptions& o, const std::string& file,
                                 const std::filesystem::path& into, std::string* url) {
  const std::filesystem::path yaml = config::instance_dir(home, o.name) / "instance.yaml";
  std::optional<config::InstanceSpec> spec;
  if (std::filesystem::exists(yaml)) spec = config::parse_spec(core::read_file(yaml), yaml.string());
  std::optional<backup::Remote> remote;
  std::string filename;
  if (std::optional<std::pair<backup::S3Location, std::string>> object = backup::parse_s3_object(file)) {
    remote = backup::remote_at(object->first, o.s3_credentials, spec ? spec->backup.credentials : "");
    filename = object->second;
  } else if (spec && !std::filesystem::exists(file) && file.find('/') == std::string::npos) {
    remote = backup::remote_of(*spec, o.s3_credentials);
    filename = file;
  }
  if (!remote) return file;
  const std::string key = remote->location.key(filename);
  *url = remote->location.url_of(key);
  spdlog::info("downloading {}", *url);
  remote->client.download(remote->location.bucket, key, into / filename);
  return into / filename;
}

/// The key for backup `file`: read when --key-file is given or the file is encrypted (a plain
/// backup restores whatever $SUPACTL_BACKUP_KEY_FILE says).
std::optional<backup::BackupKey> key_for(const RestoreOptions& o, const std::filesystem::path& file) {
  if (o.key_file.empty() && !backup::is_encrypted(file)) return std::nullopt;
  const std::optional<std::filesystem::path> key_file = backup::key_file_from(o.key_file);
  if (!key_file) return std::nullopt;
  return backup::BackupKey::from_file(*key_file);
}

int run_drill(const Globals& g, const RestoreOptions& o) {
  config::validate_name(o.name);
  if (o.yes) {
    throw Error("--drill restores into a throwaway instance; --yes does not apply", ExitCode::usage,
                fmt::format("run `supactl restore --drill {}`", o.name));
  }
  const std::filesystem::path home = config::home_dir(g.home);
  // The newest backup of NAME unless FILE says which; with none here, the newest in the
  // instance's off-site store.
  std::string wanted = o.file;
  if (wanted.empty()) {
    const std::filesystem::path dir = backup::backup_dir(home, o.name);
    std::vector<backup::BackupFile> files = backup::list_backups(dir, o.name);
    const std::filesystem::path yaml = config::instance_dir(home, o.name) / "instance.yaml";
    if (files.empty() && std::filesystem::exists(yaml)) {
      if (std::optional<backup::Remote> remote =
              backup::remote_of(config::parse_spec(core::read_file(yaml), yaml.string()), o.s3_credentials)) {
        files = backup::list_remote_backups(*remote, o.name);
      }
    }
    if (files.empty()) {
      throw Error(fmt::format("no backups of {} in {}", o.name, dir.string()), ExitCode::not_found,
                  fmt::format("take one with `supactl backup {}`, or name the archive: `supactl restore --drill {} "
                              "FILE`",
                              o.name, o.name));
    }
    wanted = files.back().path.string();
  }
  backup::TempDir downloads(home, ".download-");
  std::string url;
  const std::filesystem::path file = local_copy(home, o, wanted, downloads.path(), &url);
  instance::DrillOptions options{.archive = file,
                                 .key = key_for(o, file),
                                 .keep = o.keep,
                                 .converge = instance::ConvergeOptions{.templates_dir = g.templates_dir}};
  std::unique_ptr<plan::Progress> progress = g.json() ? std::make_unique<plan::NullProgress>() : make_progress(g);
  instance::DrillReport r = instance::run_drill(home, o.name, g.engine_source, options, *progress);
  if (!url.empty()) r.archive = url;
  const backup::Comparison& c = r.comparison;
  if (g.json()) {
    print_json({{"instance", r.instance},
                {"backup", r.archive},
                {"created_at", r.created_at},
                {"drill_instance", r.drill_instance},
                {"tables", c.tables},
                {"row_diffs", c.row_diffs},
                {"checksums", c.checksums},
                {"checksum_diffs", c.checksum_diffs},
                {"files_expected", c.files_expected},
                {"files_restored", c.files_now},
                {"seconds", r.seconds},
                {"removed", r.removed},
                {"error", r.error},
                {"ok", r.ok()}});
  } else {
    std::cout << fmt::format("drill of {}: {} (taken {})\n", r.instance, r.archive,
                             r.created_at.empty() ? "?" : r.created_at);
    std::cout << fmt::format(
        "  restored into {} in {:.1f} s; {}\n", r.drill_instance, r.seconds,
        r.removed ? "removed again" : fmt::format("kept (remove it with `supactl rm {} --yes`)", r.drill_instance));
    if (!r.error.empty()) std::cout << fmt::format("  restore    FAILED: {}\n", r.error);
    std::cout << fmt::format(
        "  tables     {} row counts, {}\n", c.tables,
        c.row_diffs.empty() ? std::string("all match") : fmt::format("{} differ", c.row_diffs.size()));
    std::cout << fmt::format(
        "  checksums  {} tables, {}\n", c.checksums,
        c.checksum_diffs.empty() ? std::string("all match") : fmt::format("{} differ", c.checksum_diffs.size()));
    if (c.files_expected >= 0) {
      std::cout << fmt::format("  storage    {} files ({} in the backup)\n", c.files_now, c.files_expected);
    }
    for (const std::string& d : c.row_diffs) std::cout << fmt::format("  differs: {}\n", d);
    for (const std::string& d : c.checksum_diffs) std::cout << fmt::format("  differs: {}\n", d);
    std::cout << fmt::format("  result     {}\n",
                             r.ok() ? "OK: the backup restores and matches its manifest" : "FAILED");
  }
  if (!r.ok()) {
    g.json_printed = g.json();
    throw Error(fmt::format("the drill of {} failed: {}", r.instance,
                            !r.error.empty() ? r.error : "the restored copy does not match the backup's manifest"),
                ExitCode::failure,
                "counts and checksums are taken just before the dump, so writes during the backup can differ; "
                "take a backup of a quiet instance and drill it again, and keep the older backups meanwhile");
  }
  return 0;
}

/// `restore NEW --from NAME --to-time T | --to-lsn L | --latest`.
int run_point_in_time(const Globals& g, const RestoreOptions& o) {
  const int targets = (o.to_time.empty() ? 0 : 1) + (o.to_lsn.empty() ? 0 : 1) + (o.latest ? 1 : 0);
  if (targets != 1) {
    throw Error(targets == 0 ? "--from needs a target" : "--to-time, --to-lsn and --latest exclude each other",
                ExitCode::usage,
                fmt::format("add one of --to-time 2026-11-29T18:00:00Z, --to-lsn 0/3000060 or --latest: `supactl "
                            "restore {} --from {} --to-time TIME`",
                            o.name, o.from));
  }
  if (!o.file.empty() || o.yes || o.drill || o.keep || !o.key_file.empty()) {
    throw Error(
        "--from restores NAME's base backup and WAL into a new instance: it takes no FILE, --yes, --drill, "
        "--keep or --key-file",
        ExitCode::usage, fmt::format("run `supactl restore {} --from {} --to-time TIME`", o.name, o.from));
  }
  config::validate_name(o.from);
  instance::PitrOptions options{.from = o.from,
                                .target = !o.to_time.empty()  ? backup::parse_target_time(o.to_time)
                                          : !o.to_lsn.empty() ? backup::parse_target_lsn(o.to_lsn)
                                                              : backup::RecoveryTarget{},
                                .s3_credentials = o.s3_credentials,
                                .lock_timeout_s = o.lock_timeout,
                                .converge = instance::ConvergeOptions{.templates_dir = g.templates_dir}};
  std::unique_ptr<plan::Progress> progress = g.json() ? std::make_unique<plan::NullProgress>() : make_progress(g);
  const instance::PitrReport r =
      instance::restore_to_point(config::home_dir(g.home), o.name, g.engine_source, options, *progress);
  if (g.json()) {
    print_json({{"instance", r.instance},
                {"from", r.from},
                {"target", r.target},
                {"base", r.base},
                {"base_finished_at", r.base_finished},
                {"recovered_to", r.recovered_to},
                {"wal_files", r.wal_files},
                {"wal_shipped", r.shipped.shipped},
                {"source_switched", r.switched},
                {"seconds", r.seconds},
                {"ok", true}});
  } else {
    std::cout << fmt::format("restored {} into {} at {}\n", r.from, r.instance, r.target);
    std::cout << fmt::format("  base       {} (finished {})\n", r.base, r.base_finished);
    std::cout << fmt::format("  wal        {} files replayed from the archive{}\n", r.wal_files,
                             r.switched ? fmt::format(" ({} running: its current segment was archived first)", r.from)
                                        : fmt::format(" ({} does not run: WAL archived so far)", r.from));
    std::cout << fmt::format("  last commit replayed  {}\n", r.recovered_to.empty() ? "none" : r.recovered_to);
    std::cout << fmt::format("  took       {:.1f} s; {} is a new instance, {} is unchanged\n", r.seconds, r.instance,
                             r.from);
  }
  return 0;
}

int run_restore(const Globals& g, const RestoreOptions& o) {
  if (!o.from.empty()) return run_point_in_time(g, o);
  if (!o.to_time.empty() || !o.to_lsn.empty() || o.latest) {
    throw Error("--to-time, --to-lsn and --latest go with --from NAME", ExitCode::usage,
                fmt::format("run `supactl restore {} --from SOURCE --to-time TIME`", o.name));
  }
  if (o.drill) return run_drill(g, o);
  config::validate_name(o.name);
  if (o.file.empty()) {
    throw Error("restore needs the backup file", ExitCode::usage,
                fmt::format("run `supactl restore {} FILE` (`supactl backup ls NAME` lists them), or `supactl restore "
                            "--drill {}` to test the newest",
                            o.name, o.name));
  }
  if (o.keep) throw Error("--keep goes with --drill", ExitCode::usage, "drop --keep");
  const std::filesystem::path home = config::home_dir(g.home);

  // 1. Download (when remote), decrypt (when encrypted) and verify every member before anything
  // else (into private folders).
  backup::TempDir downloads(home, ".download-");
  std::string url;
  const std::filesystem::path file = local_copy(home, o, o.file, downloads.path(), &url);
  const std::optional<backup::BackupKey> key = key_for(o, file);
  backup::TempDir scratch(home, ".restore-");
  const backup::Extracted ex = backup::open_backup(file, scratch.path(), key);
  if (!ex.has("instance/instance.yaml")) {
    throw Error(fmt::format("backup {} holds no instance.yaml; nothing was changed", o.file), ExitCode::usage);
  }
  config::InstanceSpec spec =
      config::parse_spec(core::read_file(ex.member("instance/instance.yaml")), "backup instance.yaml");

  // 2. The instance: a new one, or an existing one only with --yes (or when a restore of this
  // same archive was interrupted there: running it again finishes it).
  const bool exists = std::filesystem::exists(config::instance_dir(home, o.name) / "instance.yaml");
  const std::string archive = url.empty() ? std::filesystem::absolute(o.file).lexically_normal().string() : url;
  bool resume = false;
  if (exists) {
    config::Instance there{.name = o.name, .dir = config::instance_dir(home, o.name), .spec = {}, .secrets = {}};
    resume = config::restoring_from(there) == archive;
  }
  if (exists && !o.yes && !resume) {
    throw Error(
        fmt::format("instance {} exists; restoring replaces its database and storage files; nothing was changed",
                    o.name),
        ExitCode::conflict,
        fmt::format("add --yes to restore over it, or restore into a new instance: `supactl restore NEWNAME {}`",
                    o.file));
  }
  std::string secrets_from;
  std::optional<instance::Session> session;
  const instance::SessionOptions locked{
      .lock = true, .lock_timeout_s = o.lock_timeout, .converging = false, .registry = {}};
  if (exists) {
    session.emplace(home, o.name, g.engine_source, locked);
    instance::adopt_backup_spec(*session, spec, archive, std::time(nullptr));
    secrets_from = "kept (the instance's own)";
  } else {
    instance::create_from_backup(home, o.name, spec, ex, archive, &secrets_from);
    session.emplace(home, o.name, g.engine_source, locked);
  }
  const config::Instance& inst = session->instance();

  // 3-6. Up, quiesce, load the data, up again; 7. compare with the manifest.
  // With --output json, stdout carries only the final object.
  std::unique_ptr<plan::Progress> progress = g.json() ? std::make_unique<plan::NullProgress>() : make_progress(g);
  const instance::RestoreOutcome outcome = instance::restore_data(
      *session, ex, archive, scratch.path(), instance::ConvergeOptions{.templates_dir = g.templates_dir}, *progress);
  const stack::LoadReport& load = outcome.load;
  const backup::Comparison& cmp = outcome.comparison;
  if (g.json()) {
    print_json({{"instance", inst.name},
                {"backup", url.empty() ? o.file : url},
                {"created_at", ex.manifest.created_at},
                {"databases", ex.manifest.databases.size()},
                {"tables", cmp.tables},
                {"row_diffs", cmp.row_diffs},
                {"checksums", cmp.checksums},
                {"checksum_diffs", cmp.checksum_diffs},
                {"files_expected", cmp.files_expected},
                {"files_restored", cmp.files_now},
                {"ignored_errors", load.ignored_errors},
                {"messages", load.messages},
                {"secrets", secrets_from},
                {"ok", cmp.ok()}});
  } else {
    std::cout << fmt::format("restored {} from {} (taken {})\n", inst.name, url.empty() ? o.file : url,
                             ex.manifest.created_at.empty() ? "?" : ex.manifest.created_at);
    std::cout << fmt::format("  databases  {}\n", ex.manifest.databases.size());
    std::cout << fmt::format(
        "  tables     {} compared, {}\n", cmp.tables,
        cmp.row_diffs.empty() ? std::string("row counts match") : fmt::format("{} differ", cmp.row_diffs.size()));
    if (cmp.files_expected >= 0) {
      std::cout << fmt::format("  storage    {} files ({} in the backup)\n", cmp.files_now, cmp.files_expected);
    }
    std::cout << fmt::format("  secrets    {}\n", secrets_from);
    if (cmp.checksums > 0) {
      std::cout << fmt::format(
          "  checksums  {} tables, {}\n", cmp.checksums,
          cmp.checksum_diffs.empty() ? std::string("all match") : fmt::format("{} differ", cmp.checksum_diffs.size()));
    }
    for (const std::string& d : cmp.row_diffs) std::cout << fmt::format("  differs: {}\n", d);
    for (const std::string& d : cmp.checksum_diffs) std::cout << fmt::format("  differs: {}\n", d);
  }
  for (const std::string& m : load.messages) spdlog::warn("restore: {}", m);
  if (!cmp.ok()) {
    g.json_printed = g.json();
    throw Error(fmt::format("the restored {} does not match the backup's manifest{}", inst.name,
                            cmp.files_expected != cmp.files_now ? " (storage file count)"
                            : cmp.row_diffs.empty()             ? " (table contents)"
                                                                : " (row counts)"),
                ExitCode::failure,
                fmt::format("counts are taken just before the dump, so a busy instance can differ slightly; check the "
                            "tables listed above, then `supactl restore {} {} --yes` again (the instance stays marked "
                            "as restoring until a restore verifies)",
                            inst.name, o.file));
  }
  return 0;
}

}  // namespace

void setup_restore(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<RestoreOptions>();
  sub.add_option("name", o->name, "Instance to create (or, with --yes, to restore over; with --drill, to drill)")
      ->required();
  sub.add_option("file", o->file,
                 "Backup archive (.tar.gz or .tar.gz.enc from `supactl backup`; with --drill, default the newest)");
  sub.add_flag("--drill", o->drill,
               "Restore NAME's newest backup (or FILE) into a throwaway instance, compare it with the manifest, remove "
               "it; exit 1 on any difference");
  sub.add_flag("--keep", o->keep, "With --drill: keep the throwaway instance for a look");
  sub.add_flag("-y,--yes", o->yes, "Restore over an existing instance, replacing its database and storage files");
  sub.add_option("--key-file", o->key_file,
                 fmt::format("Key file of an encrypted backup (default ${})", backup::k_key_file_env));
  sub.add_option("--s3-credentials", o->s3_credentials,
                 fmt::format("S3 credentials file for an s3:// FILE or the instance's backup.target (default ${}, "
                             "then backup.credentials)",
                             backup::k_s3_credentials_env));
  sub.add_option("--from", o->from,
                 "Point-in-time restore: rebuild NAME (a new instance) from this instance's base backup and archived "
                 "WAL (backup.wal: true)");
  sub.add_option("--to-time", o->to_time, "With --from: replay up to this time (RFC 3339, e.g. 2026-11-29T18:00:00Z)");
  sub.add_option("--to-lsn", o->to_lsn, "With --from: replay up to this WAL position (e.g. 0/3000060)");
  sub.add_flag("--latest", o->latest, "With --from: replay all the archived WAL");
  add_lock_timeout(sub, o->lock_timeout);
  set_action(sub, g, [&g, o]() { return run_restore(g, *o); });
}

}  // namespace supactl::cli
