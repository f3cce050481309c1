// SPDX-License-Identifier: Apache-2.0
//
// `supactl restore NAME FILE [--yes]`. Phases: verify every member of the archive against its
// manifest (into a private folder; a corrupt or truncated archive stops here and nothing has
// changed) → create the instance from the archived spec (secrets from the archive when it
// holds them, else new ones, as `init` makes them) or, with --yes, take over an existing one
// (its secrets are kept) → up → empty the storage folder and stop every service but db →
// load roles and databases → copy the storage files → up again → compare row and file counts
// with the manifest.
#include "cli/engine.hpp"
#include "cli/globals.hpp"
#include "cli/progress.hpp"

#include <supactl/backup/backup.hpp>
#include <supactl/compose/model.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/render/render.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/stack.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace supactl::cli {
namespace {

struct RestoreOptions {
  std::string name;
  std::string file;
  bool yes = false;
  int lock_timeout = 0;
};

/// Creates instance `name` from the archived spec through the same code as `init`: ports
/// as archived when they are free, else free ones; secrets new unless the archive has them.
config::Instance create_from_backup(const std::filesystem::path& home, const std::string& name, config::InstanceSpec spec,
                                    const backup::Extracted& ex, std::string* secrets_from) {
  config::CreateOptions create;
  create.domain = spec.domain;
  create.registry = spec.registry;
  for (const auto& [svc, on] : spec.services) (on ? create.enable : create.exclude).push_back(svc);
  ports::HostPortProbe probe;
  const std::int64_t now = std::time(nullptr);
  config::Instance inst;
  try {
    create.ports = ports::PortRequest{.http = spec.ports.http, .https = spec.ports.https,
                                      .db = spec.ports.db != 0 ? std::optional<int>(spec.ports.db) : std::nullopt,
                                      .want_db = spec.ports.db != 0};
    inst = config::create_instance(home, name, create, ports::port_range_from_env(), probe, now);
  } catch (const Error& e) {
    if (e.code() != ExitCode::conflict || std::filesystem::exists(config::instance_dir(home, name))) throw;
    spdlog::info("the archived ports are taken ({}); using free ones", e.what());
    create.ports = ports::PortRequest{.http = std::nullopt, .https = std::nullopt, .db = std::nullopt, .want_db = spec.ports.db != 0};
    inst = config::create_instance(home, name, create, ports::port_range_from_env(), probe, now);
  }
  spec.name = name;
  spec.ports = inst.spec.ports;
  config::save_spec(inst.spec_file(), spec);
  if (ex.has("instance/compose.override.yml")) {
    core::write_file_atomic(inst.override_file(), core::read_file(ex.member("instance/compose.override.yml")));
  }
  *secrets_from = "new (the backup holds none)";
  if (ex.has("instance/secrets.env")) {
    secrets::Secrets s = secrets::parse_secrets_env(core::read_file(ex.member("instance/secrets.env")), "backup secrets.env");
    secrets::add_missing_secrets(s, now);
    secrets::write_secrets_file(inst.secrets_file(), s);
    *secrets_from = "from the backup";
  }
  return config::load_instance(home, name);
}

/// Renders and converges the instance; throws when it does not become healthy.
void converge(const Globals& g, docker::Engine& engine, const config::Instance& inst) {
  render::RenderResult rendered = render::render_instance(inst, inst.rendered_dir(), g.templates_dir);
  config::check_override(inst);
  stack::UpRequest req;
  req.compose.project_name = inst.name;
  req.compose.files = {rendered.compose_file};
  if (std::filesystem::exists(inst.override_file())) req.compose.files.push_back(inst.override_file());
  req.compose.variables = rendered.variables;
  req.up.wait_timeout_s = inst.spec.wait.timeout_s;
  // With --output json, stdout carries only the final object.
  std::unique_ptr<plan::Progress> progress =
      g.json() ? std::make_unique<plan::NullProgress>() : make_progress(g);
  stack::UpResult r = stack::up(engine, req, *progress);
  if (!r.report.ok) {
    throw Error(fmt::format("{} did not come up: {}", inst.name, r.report.errors.empty() ? "unknown error" : r.report.errors.front()),
                ExitCode::unhealthy,
                fmt::format("see `supactl logs {} SERVICE`, then run `supactl restore {} FILE --yes` again", inst.name, inst.name));
  }
}

/// Stops every running container of the instance except db (so nothing is connected while
/// the databases are replaced).
void stop_all_but_db(docker::Engine& engine, const std::string& project) {
  for (const docker::ContainerSummary& c : stack::list_stack_containers(engine, project)) {
    auto svc = c.labels.find(compose::k_label_service);
    if (c.state != "running" || svc == c.labels.end() || svc->second == "db") continue;
    engine.stop_container(c.id, 10);
  }
}

int run_restore(const Globals& g, const RestoreOptions& o) {
  config::validate_name(o.name);
  const std::filesystem::path home = config::home_dir(g.home);

  // 1. Verify every member before anything else (extracted into a private folder).
  backup::TempDir scratch(home, ".restore-");
  backup::Extracted ex{.manifest = backup::verify_archive(o.file, scratch.path()), .dir = scratch.path()};
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
    throw Error(fmt::format("instance {} exists; restoring replaces its database and storage files; nothing was changed", o.name),
                ExitCode::conflict,
                fmt::format("add --yes to restore over it, or restore into a new instance: `supactl restore NEWNAME {}`", o.file));
  }
  std::string secrets_from;
  config::Instance inst;
  std::unique_ptr<core::FileLock> lock;
  if (exists) {
    inst = config::load_instance(home, o.name);
    lock = std::make_unique<core::FileLock>(inst.dir / ".lock", fmt::format("instance {}", inst.name), o.lock_timeout);
    const std::string old = core::read_file(inst.spec_file());
    core::write_file_atomic(inst.dir / fmt::format("instance.yaml.before-restore-{}", backup::utc_stamp(std::time(nullptr))), old);
    spec.name = inst.name;
    spec.ports = inst.spec.ports;
    config::save_spec(inst.spec_file(), spec);
    inst = config::load_instance(home, o.name);
    secrets_from = "kept (the instance's own)";
  } else {
    inst = create_from_backup(home, o.name, spec, ex, &secrets_from);
    lock = std::make_unique<core::FileLock>(inst.dir / ".lock", fmt::format("instance {}", inst.name), o.lock_timeout);
  }

  // Until the data is verified (step 7), the instance is "restoring".
  core::write_file_atomic(inst.restoring_file(), archive + "\n", 0600);

  // 3. Up, so the db (and storage) containers run.
  EngineHandle engine(g);
  converge(g, *engine, inst);

  // 4. Quiesce: empty the storage folder, stop everything but db.
  backup::clear_storage(*engine, inst.name, ex);
  stop_all_but_db(*engine, inst.name);

  // 5. Roles and databases, then the storage files.
  stack::LoadReport load = backup::restore_databases(*engine, inst.name, ex);
  backup::restore_storage(*engine, inst.name, ex);
  // A dump made by an older supactl may bring the JWT secret back as a database setting.
  stack::reset_jwt_secret_setting(*engine, stack::PgTarget{.container = stack::running_container(*engine, inst.name, "db")});

  // 6. Up again: starts what was stopped and waits for health.
  converge(g, *engine, inst);

  // 7. Compare with the manifest.
  backup::Comparison cmp = backup::compare_with_manifest(*engine, inst.name, ex, scratch.path());
  if (g.json()) {
    print_json({{"instance", inst.name},
                {"backup", o.file},
                {"created_at", ex.manifest.value("created_at", "")},
                {"databases", ex.manifest["databases"].size()},
                {"tables", cmp.tables},
                {"row_diffs", cmp.row_diffs},
                {"files_expected", cmp.files_expected},
                {"files_restored", cmp.files_now},
                {"ignored_errors", load.ignored_errors},
                {"messages", load.messages},
                {"secrets", secrets_from},
                {"ok", cmp.ok()}});
  } else {
    std::cout << fmt::format("restored {} from {} (taken {})\n", inst.name, o.file, ex.manifest.value("created_at", "?"));
    std::cout << fmt::format("  databases  {}\n", ex.manifest["databases"].size());
    std::cout << fmt::format("  tables     {} compared, {}\n", cmp.tables,
                             cmp.row_diffs.empty() ? std::string("row counts match") : fmt::format("{} differ", cmp.row_diffs.size()));
    if (cmp.files_expected >= 0) {
      std::cout << fmt::format("  storage    {} files ({} in the backup)\n", cmp.files_now, cmp.files_expected);
    }
    std::cout << fmt::format("  secrets    {}\n", secrets_from);
    for (const std::string& d : cmp.row_diffs) std::cout << fmt::format("  differs: {}\n", d);
  }
  for (const std::string& m : load.messages) spdlog::warn("restore: {}", m);
  if (cmp.ok()) std::filesystem::remove(inst.restoring_file());
  if (!cmp.ok()) {
    std::fprintf(stderr, "supactl: error: the restored %s does not match the backup's manifest%s\n", inst.name.c_str(),
                 cmp.files_expected != cmp.files_now ? " (storage file count)" : " (row counts)");
    std::fprintf(stderr,
                 "supactl: hint: counts are taken just before the dump, so a busy instance can differ slightly; "
                 "check the tables listed above, then `supactl restore %s %s --yes` again (the instance stays "
                 "marked as restoring until a restore verifies)\n",
                 inst.name.c_str(), o.file.c_str());
    return static_cast<int>(ExitCode::failure);
  }
  return 0;
}

}  // namespace

void setup_restore(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<RestoreOptions>();
  sub.add_option("name", o->name, "Instance to create (or, with --yes, to restore over)")->required();
  sub.add_option("file", o->file, "Backup archive (.tar.gz from `supactl backup`)")->required();
  sub.add_flag("-y,--yes", o->yes, "Restore over an existing instance, replacing its database and storage files");
  sub.add_option("--lock-timeout", o->lock_timeout, "Seconds to wait for another supactl working on this instance")
      ->check(CLI::Range(0, 86400));
  set_action(sub, g, [&g, o]() { return run_restore(g, *o); });
}

}  // namespace supactl::cli
