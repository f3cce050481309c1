// SPDX-License-Identifier: Apache-2.0
//
// The instance session and the one converge path every converging command takes.
#include <supactl/instance/session.hpp>

#include <supactl/instance/changes.hpp>

#include <supactl/backup/archive.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/log.hpp>
#include <supactl/edge/edge.hpp>
#include <supactl/secrets/random.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/standby.hpp>
#include <supactl/swarm/swarm.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

namespace supactl::instance {

namespace {

void check_convergeable(const std::filesystem::path& home, const config::Instance& inst) {
  config::check_override(inst);
  config::refuse_taken_domain(
      home, inst.name, inst.spec.domain,
      fmt::format("give {} a domain of its own (`supactl config set {} domain HOST`)", inst.name, inst.name));
  if (const std::string from = config::restoring_from(inst); !from.empty()) {
    throw Error(
        fmt::format("instance {} is being restored from {}, and that restore has not finished", inst.name, from),
        ExitCode::conflict,
        fmt::format("`supactl restore {} {} --yes` finishes it (or wait for the running one)", inst.name, from));
  }
}

/// Data made by an older supactl (or restored from its backups) may still hold the JWT secret
/// as a database setting: removed once, after the first healthy converge, then remembered.
void unpublish_jwt_secret(docker::Engine& engine, const config::Instance& inst) {
  const std::filesystem::path marker = inst.dir / stack::k_jwt_setting_marker;
  std::error_code ec;
  if (!inst.spec.enabled(inst.spec.db_primary) || std::filesystem::exists(marker, ec)) return;
  try {
    stack::PgTarget target{.container = stack::running_primary(engine, inst.name)};
    for (const std::string& db : stack::reset_jwt_secret_setting(engine, target)) {
      spdlog::info("removed the JWT secret from the settings of database {}", db);
    }
    core::write_file_atomic(marker, "app.settings.jwt_secret is not stored in the database\n", 0644);
  } catch (const Error& e) {
    // A stack from --templates whose db is not Postgres has no psql: nothing to check there.
    const bool no_psql = std::string(e.what()).find("executable file not found") != std::string::npos;
    if (no_psql) {
      spdlog::debug("no psql in the db container; the JWT setting check is skipped");
    } else {
      spdlog::warn("could not check the database for a stored JWT secret (next `up` retries): {}", e.what());
    }
  }
}

/// The primary's side of the standby (role, slot, pg_hba line), when the instance has one
/// and its db runs. Best effort: before stack::up the db may not run yet, and after it a
/// failure is the standby's to report (it stays unhealthy); the next `up` tries again.
void serve_standby(docker::Engine& engine, const config::Instance& inst) {
  if (!inst.spec.db_standby) return;
  auto it = inst.secrets.find(stack::k_replication_secret);
  if (it == inst.secrets.end() || it->second.empty()) return;
  try {
    stack::prepare_primary(engine, inst.name, it->second.reveal());
  } catch (const Error& e) {
    spdlog::debug("standby: the primary of {} is not ready for it yet: {}", inst.name, e.what());
  }
}

}  // namespace

void ensure_replication_secret(Session& session) {
  config::Instance& inst = session.instance();
  auto it = inst.secrets.find(stack::k_replication_secret);
  if (it != inst.secrets.end() && !it->second.empty()) return;
  secrets::Secrets updated = inst.secrets;
  updated.insert_or_assign(stack::k_replication_secret, secrets::Secret(secrets::random_hex(32)));
  secrets::write_secrets_file(inst.secrets_file(), updated);
  spdlog::info("added {} to {}", stack::k_replication_secret, inst.secrets_file().string());
  session.reload();
}

Session::Session(const std::filesystem::path& home, const std::string& name, EngineSource engine,
                 const SessionOptions& options)
    : m_home(home),
      m_inst(config::load_instance(home, name)),
      m_engine(std::move(engine)),
      m_registry(options.registry) {
  if (!m_registry.empty()) m_inst.spec.registry = m_registry;
  if (options.converging) check_convergeable(m_home, m_inst);
  if (options.lock) m_lock.emplace(config::lock_instance(m_inst.dir, m_inst.name, options.lock_timeout_s));
}

void Session::reload() {
  m_inst = config::load_instance(m_home, m_inst.name);
  if (!m_registry.empty()) m_inst.spec.registry = m_registry;
}

compose::LoadOptions compose_options(const config::Instance& inst, const std::filesystem::path& compose_file,
                                     std::map<std::string, std::string> variables) {
  compose::LoadOptions load;
  load.project_name = inst.name;
  load.files = {compose_file};
  if (std::filesystem::exists(inst.override_file())) load.files.push_back(inst.override_file());
  load.variables = std::move(variables);
  return load;
}

ConvergeResult converge(Session& session, const ConvergeOptions& options, plan::Progress& progress) {
  // Behind the shared edge: without it the instance could come up but never be reached.
  if (!options.dry_run && session.instance().spec.shared_edge()) {
    const std::string edge = edge::find_container(session.engine());
    if (edge.empty() || !session.engine().inspect_container(edge).state.running) {
      throw Error(fmt::format("instance {} routes through the shared edge (edge: shared), which does not run",
                              session.instance().name),
                  ExitCode::not_found,
                  fmt::format("start it with `supactl edge up`, then `supactl up {}`; nothing was changed",
                              session.instance().name));
    }
  }
  // A `secrets rotate --postgres` killed after the database changed: its secrets first, or
  // the services would be rendered with the password the database no longer takes.
  if (!options.dry_run) finish_interrupted_rotation(session, std::chrono::system_clock::now());
  // The replication role's password serves the standby and, with backup.wal, the base backups.
  if (!options.dry_run && (session.instance().spec.db_standby || session.instance().spec.backup.wal)) {
    ensure_replication_secret(session);
  }
  if (!options.dry_run && session.instance().spec.db_standby) serve_standby(session.engine(), session.instance());
  const config::Instance& inst = session.instance();
  // A dry run renders into a scratch folder that stands for rendered/ (same paths in the
  // plan), so it writes nothing in the instance's folder.
  std::unique_ptr<backup::TempDir> scratch;
  if (options.dry_run)
    scratch = std::make_unique<backup::TempDir>(std::filesystem::temp_directory_path(), "supactl-dry-run-");
  render::RenderResult rendered;
  {
    core::PhaseTimer t("render");
    rendered = render::render_instance(inst, scratch ? scratch->path() : inst.rendered_dir(), options.templates_dir);
  }

  if (inst.spec.swarm()) {
    swarm::UpRequest sreq;
    sreq.compose = compose_options(inst, rendered.compose_file, rendered.variables);
    if (scratch) sreq.compose.stands_for = inst.rendered_dir();
    for (const auto& [key, value] : inst.secrets) {
      // A user name is no secret (and "supabase" is in many plain values).
      if (key != "DASHBOARD_USERNAME") sreq.options.secret_values.push_back(value.reveal());
    }
    sreq.options.no_shell_services = {"rest"};  // PostgREST's image is its binary alone
    sreq.placement = inst.spec.placement;
    sreq.wait_timeout_s = options.wait_timeout_s > 0 ? options.wait_timeout_s : inst.spec.wait.timeout_s;
    sreq.execute.parallel = options.parallel;
    sreq.dry_run = options.dry_run;
    swarm::UpResult up = swarm::up(session.engine(), sreq, progress);
    ConvergeResult result;
    result.endpoints = render::instance_endpoints(inst.spec);
    result.up.project = std::move(up.project);
    result.up.plan = std::move(up.plan);
    result.up.report = std::move(up.report);
    result.up.engine_requests = up.engine_requests;
    if (!options.dry_run && result.ok()) unpublish_jwt_secret(session.engine(), inst);
    return result;
  }

  stack::UpRequest req;
  req.compose = compose_options(inst, rendered.compose_file, rendered.variables);
  if (scratch) req.compose.stands_for = inst.rendered_dir();
  req.up.recreate = options.recreate;
  req.up.remove_orphans = options.remove_orphans;
  req.up.wait_timeout_s = options.wait_timeout_s > 0 ? options.wait_timeout_s : inst.spec.wait.timeout_s;
  req.execute.parallel = options.parallel;
  if (!options.dry_run) req.execute.journal = inst.journal_file();
  req.dry_run = options.dry_run;
  req.rollback = options.rollback;

  ConvergeResult result{.up = stack::up(session.engine(), req, progress),
                        .endpoints = render::instance_endpoints(inst.spec)};
  if (!options.dry_run && result.ok()) unpublish_jwt_secret(session.engine(), inst);
  // The edge routes to the instance from now on (or, no longer shared, lets it go).
  if (!options.dry_run && result.ok() && (inst.spec.shared_edge() || edge::in_use(session.home()))) {
    const edge::SyncReport synced = edge::sync(session.engine(), session.home());
    for (const std::string& w : synced.warnings) spdlog::warn("{}", w);
  }
  // A db container made anew in this run has the image's pg_hba.conf again.
  if (!options.dry_run) serve_standby(session.engine(), inst);
  return result;
}

}  // namespace supactl::instance
