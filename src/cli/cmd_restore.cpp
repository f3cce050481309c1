// SPDX-License-Identifier: Apache-2.0
//
// `supactl restore NAME FILE [--yes]`. Phases: verify every member of the archive against its
// manifest (into a private folder; a corrupt or truncated archive stops here and nothing has
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
  int lock_timeout = 0;
};

int run_restore(const Globals& g, const RestoreOptions& o) {
  config::validate_name(o.name);
  const std::filesystem::path home = config::home_dir(g.home);

  // 1. Verify every member before anything else (extracted into a private folder).
  backup::TempDir scratch(home, ".restore-");
  backup::Extracted ex{.manifest = backup::Manifest::from_json(backup::verify_archive(o.file, scratch.path())),
                       .dir = scratch.path()};
  if (!ex.has("instance/instance.yaml")) {
    throw Error(fmt::format("backup {} holds no instance.yaml; nothing was changed", o.file), ExitCode::usage);
  }
  config::InstanceSpec spec =
      config::parse_spec(core::read_file(ex.member("instance/instance.yaml")), "backup instance.yaml");

  // 2. The instance: a new one, or an existing one only with --yes (or when a restore of this
  // same archive was interrupted there: running it again finishes it).
  const bool exists = std::filesystem::exists(config::instance_dir(home, o.name) / "instance.yaml");
  const std::string archive = std::filesystem::absolute(o.file).lexically_normal().string();
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
                {"backup", o.file},
                {"created_at", ex.manifest.created_at},
                {"databases", ex.manifest.databases.size()},
                {"tables", cmp.tables},
                {"row_diffs", cmp.row_diffs},
                {"files_expected", cmp.files_expected},
                {"files_restored", cmp.files_now},
                {"ignored_errors", load.ignored_errors},
                {"messages", load.messages},
                {"secrets", secrets_from},
                {"ok", cmp.ok()}});
  } else {
    std::cout << fmt::format("restored {} from {} (taken {})\n", inst.name, o.file,
                             ex.manifest.created_at.empty() ? "?" : ex.manifest.created_at);
    std::cout << fmt::format("  databases  {}\n", ex.manifest.databases.size());
    std::cout << fmt::format(
        "  tables     {} compared, {}\n", cmp.tables,
        cmp.row_diffs.empty() ? std::string("row counts match") : fmt::format("{} differ", cmp.row_diffs.size()));
    if (cmp.files_expected >= 0) {
      std::cout << fmt::format("  storage    {} files ({} in the backup)\n", cmp.files_now, cmp.files_expected);
    }
    std::cout << fmt::format("  secrets    {}\n", secrets_from);
    for (const std::string& d : cmp.row_diffs) std::cout << fmt::format("  differs: {}\n", d);
  }
  for (const std::string& m : load.messages) spdlog::warn("restore: {}", m);
  if (!cmp.ok()) {
    g.json_printed = g.json();
    throw Error(fmt::format("the restored {} does not match the backup's manifest{}", inst.name,
                            cmp.files_expected != cmp.files_now ? " (storage file count)" : " (row counts)"),
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
  sub.add_option("name", o->name, "Instance to create (or, with --yes, to restore over)")->required();
  sub.add_option("file", o->file, "Backup archive (.tar.gz from `supactl backup`)")->required();
  sub.add_flag("-y,--yes", o->yes, "Restore over an existing instance, replacing its database and storage files");
  add_lock_timeout(sub, o->lock_timeout);
  set_action(sub, g, [&g, o]() { return run_restore(g, *o); });
}

}  // namespace supactl::cli
