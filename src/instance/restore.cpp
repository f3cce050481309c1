// SPDX-License-Identifier: Apache-2.0
//
// The data steps of `restore` (see restore.hpp).
#include <supactl/instance/restore.hpp>

#include <supactl/config/home.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fault.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/swarm/swarm.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

namespace supactl::instance {

void mark_restoring(const config::Instance& inst, const std::string& archive) {
  core::write_file_atomic(inst.restoring_file(), archive + "\n", 0600);
  core::fault_point("restore:marked");
}

config::Instance create_like(const std::filesystem::path& home, const std::string& name, config::InstanceSpec spec,
                             const std::string& archive) {
  // A copy next to the original (a restore drill, a clone) must not take the original's domain:
  // two instances on one domain would both be refused by `up`. The copy gets `localhost`.
  if (const std::string owner = config::domain_owner(home, spec.domain, name); !owner.empty()) {
    spdlog::warn(
        "domain {} belongs to instance {}, so {} gets localhost (and none of {}'s public_url or ACME certificates); "
        "give it a domain of its own with `supactl config set {} domain HOST`",
        spec.domain, owner, name, owner, name);
    spec.domain = "localhost";
    spec.public_url.clear();
    if (spec.tls.mode == config::TlsMode::acme) spec.tls.mode = config::TlsMode::internal;
  }
  config::CreateOptions create;
  create.domain = spec.domain == "localhost" ? std::string() : spec.domain;
  create.registry = spec.registry;
  for (const auto& [svc, on] : spec.services) (on ? create.enable : create.exclude).push_back(svc);
  ports::HostPortProbe probe;
  const std::int64_t now = std::time(nullptr);
  config::Instance inst;
  try {
    create.ports = ports::PortRequest{.http = spec.ports.http,
                                      .https = spec.ports.https,
                                      .db = spec.ports.db != 0 ? std::optional<int>(spec.ports.db) : std::nullopt,
                                      .want_db = spec.ports.db != 0};
    inst = config::create_instance(home, name, create, ports::port_range_from_env(), probe, now);
  } catch (const Error& e) {
    if (e.code() != ExitCode::conflict || std::filesystem::exists(config::instance_dir(home, name))) throw;
    spdlog::info("the archived ports are taken ({}); using free ones", e.what());
    create.ports = ports::PortRequest{
        .http = std::nullopt, .https = std::nullopt, .db = std::nullopt, .want_db = spec.ports.db != 0};
    inst = config::create_instance(home, name, create, ports::port_range_from_env(), probe, now);
  }
  mark_restoring(inst, archive);
  spec.name = name;
  spec.ports = inst.spec.ports;
  // A standby is a copy of a running primary, not part of the data: the new instance starts
  // without one (`supactl db standby add NAME` makes it), so a drill or clone does not copy
  // its database twice.
  spec.db_standby = false;
  spec.db_primary = "db";  // the data goes into a new db, whichever served the archived instance
  config::save_spec(inst.spec_file(), spec);
  return inst;
}

config::Instance create_from_backup(const std::filesystem::path& home, const std::string& name,
                                    config::InstanceSpec spec, const backup::Extracted& ex, const std::string& archive,
                                    std::string* secrets_from) {
  const std::int64_t now = std::time(nullptr);
  const config::Instance inst = create_like(home, name, std::move(spec), archive);
  if (ex.has("instance/compose.override.yml")) {
    core::write_file_atomic(inst.override_file(), core::read_file(ex.member("instance/compose.override.yml")));
  }
  *secrets_from = "new (the backup holds none)";
  if (ex.has("instance/secrets.env")) {
    secrets::Secrets s =
        secrets::parse_secrets_env(core::read_file(ex.member("instance/secrets.env")), "backup secrets.env");
    secrets::add_missing_secrets(s, now);
    secrets::write_secrets_file(inst.secrets_file(), s);
    *secrets_from = "from the backup";
  }
  if (ex.has("instance/functions.json")) {
    core::write_file_atomic(inst.function_settings_file(), core::read_file(ex.member("instance/functions.json")), 0600);
  }
  return config::load_instance(home, name);
}

void converge_healthy(Session& session, const ConvergeOptions& options, plan::Progress& progress,
                      const std::string& again) {
  const config::Instance& inst = session.instance();
  config::check_override(inst);
  const ConvergeResult r = converge(session, options, progress);
  if (!r.ok()) {
    const auto& errors = r.up.report.errors;
    throw Error(fmt::format("{} did not come up: {}", inst.name, errors.empty() ? "unknown error" : errors.front()),
                ExitCode::unhealthy, fmt::format("see `supactl logs {} SERVICE`, then {}", inst.name, again));
  }
}

void adopt_backup_spec(Session& session, config::InstanceSpec spec, const std::string& archive, std::int64_t now) {
  const config::Instance& inst = session.instance();
  mark_restoring(inst, archive);
  const std::string old = core::read_file(inst.spec_file());
  core::write_file_atomic(inst.dir / fmt::format("instance.yaml.before-restore-{}", backup::utc_stamp(now)), old);
  spec.name = inst.name;
  spec.ports = inst.spec.ports;
  spec.db_standby = inst.spec.db_standby;  // the instance's own standby stays (or stays absent)
  spec.db_primary = inst.spec.db_primary;  // and so does its primary (a failover is not undone)
  config::save_spec(inst.spec_file(), spec);
  session.reload();
}

namespace {

/// Puts back what an interrupted restore left half-done in the db (stack::undo_interrupted_load),
/// starting the db container when it is stopped; does nothing for an instance with no db
/// container yet.
void repair_interrupted_load(Session& session) {
  const std::string db = stack::start_db(session.engine(), session.instance().name, session.instance().spec.db_primary);
  if (!db.empty()) stack::undo_interrupted_load(session.engine(), stack::PgTarget{.container = db});
}

}  // namespace

RestoreOutcome restore_data(Session& session, const backup::Extracted& ex, const std::string& archive,
                            const std::filesystem::path& scratch, const ConvergeOptions& converge_options,
                            plan::Progress& progress) {
  const config::Instance& inst = session.instance();
  docker::Engine& engine = session.engine();
  const std::string again = fmt::format("run `supactl restore {} FILE --yes` again", inst.name);
  // Until the data is verified, the instance is "restoring" (already so when it was made or
  // taken over for this restore).
  if (config::restoring_from(inst) != archive) mark_restoring(inst, archive);
  // A restore killed while loading left databases set aside: they go back first, so that the
  // services find their databases again.
  repair_interrupted_load(session);

  // Up, so the db (and storage) containers run; then quiesce: empty the storage folder and
  // stop everything but db.
  converge_healthy(session, converge_options, progress, again);
  core::fault_point("restore:converged");
  backup::clear_storage(engine, inst.name, ex);
  core::fault_point("restore:storage-cleared");
  if (inst.spec.swarm()) {
    swarm::stop_services(engine, inst.name, {inst.spec.db_primary});  // Swarm would restart a stopped task
  } else {
    stack::stop_services(engine, inst.name, {inst.spec.db_primary});
  }
  core::fault_point("restore:quiesced");

  // Roles and databases, then the storage files. A dump made by an older supactl may bring
  // the JWT secret back as a database setting.
  RestoreOutcome out;
  out.load = backup::restore_databases(engine, inst.name, ex);
  backup::restore_storage(engine, inst.name, ex);
  core::fault_point("restore:storage-restored");
  stack::reset_jwt_secret_setting(engine, stack::PgTarget{.container = stack::running_primary(engine, inst.name)});

  // Up again: starts what was stopped and waits for health; then compare with the manifest.
  converge_healthy(session, converge_options, progress, again);
  core::fault_point("restore:reconverged");
  out.comparison = backup::compare_with_manifest(engine, inst.name, ex, scratch);
  if (out.comparison.ok()) std::filesystem::remove(inst.restoring_file());
  return out;
}

}  // namespace supactl::instance
