// SPDX-License-Identifier: Apache-2.0
//
// `supactl db migrate NAME DIR`: applies DIR's *.sql files in name order, each in its own
// transaction together with its row in supabase_migrations.schema_migrations (the table the
// Supabase CLI uses), skipping the ones recorded already. The work is stack::migrate.
//
// `supactl db standby add|rm NAME`: a streaming hot standby of the instance's Postgres.
// `add` prepares the running primary (stack::prepare_primary), sets db.standby in
// instance.yaml and converges, which starts db-standby; its entrypoint makes the base copy.
// `rm` removes the standby's container and its own volume, drops the slot on the primary and
// unsets db.standby. The primary's data volume is never touched.
#include "cli/globals.hpp"
#include "cli/up_flow.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/docker/engine.hpp>
#include <supactl/render/render.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/failover.hpp>
#include <supactl/stack/stack.hpp>
#include <supactl/stack/standby.hpp>

#include <supactl/backup/archive.hpp>

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <thread>

namespace supactl::cli {
namespace {

struct MigrateOptions {
  std::string name;
  std::string dir;
  std::string user = "postgres";
  int lock_timeout = 0;
};

int run_migrate(const Globals& g, const MigrateOptions& o) {
  const std::filesystem::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  std::vector<stack::Migration> migrations = stack::read_migrations(o.dir);
  const core::FileLock lock = config::lock_instance(inst.dir, inst.name, o.lock_timeout);
  docker::Engine& engine = g.engine();
  stack::PgTarget target{
      .container = stack::running_primary(engine, inst.name), .user = o.user, .database = "postgres"};
  stack::MigrateResult r = stack::migrate(engine, target, migrations, [&g](const std::string& file) {
    if (!g.json()) std::cout << fmt::format("applied {}\n", file) << std::flush;
  });
  if (g.json()) {
    print_json({{"instance", inst.name}, {"applied", r.applied}, {"skipped", r.skipped}});
  } else {
    std::cout << fmt::format("{}: {} migration(s) applied, {} already applied\n", inst.name, r.applied.size(),
                             r.skipped.size());
  }
  return 0;
}

/// The primary's container; the error names `up` when it does not run.
std::string primary_of(docker::Engine& engine, const std::string& name, const std::string& verb) {
  try {
    return stack::running_primary(engine, name);
  } catch (const Error& e) {
    if (e.code() != ExitCode::not_found) throw;
    throw Error(fmt::format("db standby {}: the db of {} is not running", verb, name), ExitCode::not_found,
                fmt::format("run `supactl up {}` first, then `supactl db standby {} {}` again", name, verb, name));
  }
}

/// The db standby and failover are built for standalone instances only: a swarm instance is
/// refused before anything is changed.
void refuse_swarm(const config::Instance& inst, const std::string& verb) {
  if (!inst.spec.swarm()) return;
  throw Error(fmt::format("{}: {} runs on Docker Swarm (engine.mode: swarm), where a db standby is not built yet; "
                          "nothing was changed",
                          verb, inst.name),
              ExitCode::usage,
              fmt::format("back it up off-site instead: `supactl backup {}` (docs/DEPLOYMENT.md, \"Backups on a "
                          "swarm\")",
                          inst.name));
}

int run_standby_add(const Globals& g, UpOptions& o) {
  instance::Session session = open_for_converge(g, o);
  refuse_swarm(session.instance(), "db standby add");
  docker::Engine& engine = session.engine();
  primary_of(engine, o.name, "add");
  instance::ensure_replication_secret(session);
  config::Instance& inst = session.instance();
  stack::prepare_primary(engine, inst.name, inst.secrets.at(stack::k_replication_secret).reveal());
  const std::string standby = inst.spec.db_standby_service();
  if (!inst.spec.db_standby) {
    if (inst.spec.db_primary != "db" && !g.json()) {
      std::cout << fmt::format("{}: db was fenced by a failover; its volume {}_{} is copied anew from {}\n", inst.name,
                               inst.name, stack::data_volume_of(standby), inst.spec.db_primary);
    }
    inst.spec.db_standby = true;
    config::save_spec(inst.spec_file(), inst.spec);
  }
  const int rc = converge_and_report(g, session, o);
  if (rc != 0) return rc;
  // `up` does not wait for the base copy (the standby is ready while it runs): wait here.
  const int wait_s = o.wait_timeout > 0 ? o.wait_timeout : inst.spec.wait.timeout_s;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  // Streaming (seen on the primary) can come before the standby lets anyone read: wait for both.
  stack::StandbyState s = stack::standby_state(engine, inst.name, true, standby);
  bool reads = s.state == "streaming" && stack::standby_accepts_reads(engine, inst.name, standby);
  while (!reads && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    s = stack::standby_state(engine, inst.name, true, standby);
    reads = s.state == "streaming" && stack::standby_accepts_reads(engine, inst.name, standby);
  }
  if (!reads) {
    throw Error(fmt::format("db standby add: the standby of {} is {} after {} s, {}", inst.name, s.state, wait_s,
                            s.state == "streaming" ? "but does not accept reads yet" : "not streaming"),
                ExitCode::unhealthy,
                fmt::format("see `supactl logs {} {}`; `supactl status {}` shows when it streams", inst.name, standby,
                            inst.name));
  }
  if (!g.json()) std::cout << fmt::format("standby: {}\n", s.state);
  return 0;
}

struct StandbyRmOptions {
  std::string name;
  int lock_timeout = 0;
};

int run_standby_rm(const Globals& g, const StandbyRmOptions& o) {
  instance::Session session(
      config::home_dir(g.home), o.name, g.engine_source,
      instance::SessionOptions{.lock = true, .lock_timeout_s = o.lock_timeout, .converging = false, .registry = {}});
  docker::Engine& engine = session.engine();
  config::Instance& inst = session.instance();
  // After a failover without a new standby, db is the fenced former primary: its volume may
  // hold what never reached the new primary, and is removed only by hand.
  const std::string standby = inst.spec.db_standby_service();
  if (!inst.spec.db_standby && inst.spec.db_primary != "db") {
    throw Error(
        fmt::format("db standby rm: {} has no standby; db is its former primary, fenced by a failover", inst.name),
        ExitCode::not_found,
        fmt::format("its volume {}_{} is kept: `supactl db standby add {}` copies it anew, `docker volume rm "
                    "{}_{}` removes it",
                    inst.name, stack::data_volume_of(standby), inst.name, inst.name, stack::data_volume_of(standby)));
  }
  // The slot can only be dropped on a running primary; refuse before anything changes.
  primary_of(engine, inst.name, "rm");

  size_t removed = 0;
  for (const docker::ContainerSummary& c : stack::list_stack_containers(engine, inst.name)) {
    if (docker::label_of(c.labels, compose::k_label_service) != standby) continue;
    engine.stop_container(c.id, 30);
    engine.remove_container(c.id, true, false);
    ++removed;
  }
  const bool dropped = stack::drop_standby_slot(engine, inst.name);
  const std::string volume = fmt::format("{}_{}", inst.name, stack::data_volume_of(standby));
  bool volume_removed = true;
  try {
    engine.remove_volume(volume, false);
  } catch (const docker::EngineError& e) {
    if (e.kind() != docker::ErrorKind::not_found) throw;
    volume_removed = false;
  }
  if (inst.spec.db_standby) {
    inst.spec.db_standby = false;
    config::save_spec(inst.spec_file(), inst.spec);
  }
  render::render_instance(inst, inst.rendered_dir(), g.templates_dir);

  if (g.json()) {
    print_json({{"instance", inst.name},
                {"containers_removed", removed},
                {"slot_dropped", dropped},
                {"volume_removed", volume_removed ? nlohmann::json(volume) : nlohmann::json(nullptr)}});
  } else {
    std::cout << fmt::format("{}: standby removed ({} container(s), slot {}, volume {})\n", inst.name, removed,
                             dropped ? "dropped" : "already gone", volume_removed ? volume : "already gone");
  }
  return 0;
}

struct FailoverOptions {
  UpOptions up;
  bool switchover = false;
  bool force = false;
};

/// The image of `service`'s container (any state), for the helper containers a failover
/// creates on a data volume: the Postgres the instance already runs, no pull.
std::string image_of(docker::Engine& engine, const std::string& project, const std::string& service) {
  for (const docker::ContainerSummary& c : stack::list_stack_containers(engine, project)) {
    if (docker::label_of(c.labels, compose::k_label_service) == service) return c.image;
  }
  throw Error(fmt::format("db failover: {} of {} has no container", service, project), ExitCode::not_found,
              fmt::format("`supactl status {}` shows what runs; nothing was changed", project));
}

/// Whether the running container `id` of `project` is the Postgres that takes writes.
bool is_primary(docker::Engine& engine, const std::string& project, const std::string& id) {
  try {
    return stack::running_primary(engine, project) == id;
  } catch (const Error& e) {
    if (e.code() != ExitCode::not_found) throw;
    return false;
  }
}

/// --switchover: replay lag 0, a clean stop of the primary, then proof that the standby has
/// replayed past the primary's shutdown checkpoint. Returns that checkpoint's LSN. Anything
/// short of that starts the primary again and throws: nothing is lost and nothing changed.
std::uint64_t hand_over(docker::Engine& engine, const config::Instance& inst, const std::string& from,
                        const std::string& to, const std::string& primary_id, const std::string& image, int wait_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  for (;;) {
    const stack::StandbyState s = stack::standby_state(engine, inst.name, true, to);
    if (s.state == "streaming" && s.lag_bytes && *s.lag_bytes == 0) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error(
          fmt::format("db failover --switchover: {} of {} did not catch up within {} s ({})", to, inst.name, wait_s,
                      s.lag_bytes ? fmt::format("{}, {} bytes behind", s.state, *s.lag_bytes) : s.state),
          ExitCode::unhealthy,
          fmt::format("nothing was changed; `supactl status {}` shows the lag (--wait-timeout waits longer)",
                      inst.name));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // docker stop: the image's STOPSIGNAL (SIGINT), Postgres' fast shutdown, which ends every
  // session and sends all WAL to the standby, the shutdown checkpoint last.
  engine.stop_container(primary_id, 120);
  std::string why;
  std::uint64_t checkpoint = 0;
  try {
    const stack::ControlData control = stack::read_pg_control(engine, inst.name, from, image);
    checkpoint = control.checkpoint;
    if (!control.shut_down())
      why = fmt::format("{} did not shut down cleanly (pg_control state {})", from, control.state);
  } catch (const Error& e) {
    why = fmt::format("pg_control of {} could not be read: {}", from, e.what());
  }
  if (why.empty()) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::optional<std::uint64_t> replayed = stack::replayed_lsn(engine, inst.name, to);
    while ((!replayed || *replayed <= checkpoint) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      replayed = stack::replayed_lsn(engine, inst.name, to);
    }
    if (!replayed || *replayed <= checkpoint) {
      why = fmt::format("{} replayed up to {}, not past {}'s shutdown checkpoint {}", to,
                        replayed ? stack::format_lsn(*replayed) : std::string("nothing"), from,
                        stack::format_lsn(checkpoint));
    }
  }
  if (!why.empty()) {
    engine.start_container(primary_id);
    throw Error(fmt::format("db failover --switchover: {}; {} was started again", why, from), ExitCode::unhealthy,
                fmt::format("nothing else was changed; see `supactl logs {} {}`", inst.name, to));
  }
  return checkpoint;
}

int run_failover(const Globals& g, FailoverOptions& o) {
  instance::Session session = open_for_converge(g, o.up);
  docker::Engine& engine = session.engine();
  config::Instance& inst = session.instance();
  refuse_swarm(inst, o.switchover ? "db failover --switchover" : "db failover");
  const std::string from = inst.spec.db_primary;
  const std::string to = inst.spec.db_standby_service();
  const std::string verb = o.switchover ? "db failover --switchover" : "db failover";
  if (!inst.spec.db_standby) {
    throw Error(fmt::format("{}: {} has no standby to promote", verb, inst.name), ExitCode::not_found,
                fmt::format("`supactl db standby add {}` makes one", inst.name));
  }
  const int wait_s = o.up.wait_timeout > 0 ? o.up.wait_timeout : inst.spec.wait.timeout_s;
  const std::vector<std::string> steps = stack::failover_steps(inst.name, from, to, o.switchover);
  if (o.up.dry_run) {
    if (g.json()) {
      print_json({{"instance", inst.name},
                  {"dry_run", true},
                  {"from", from},
                  {"to", to},
                  {"switchover", o.switchover},
                  {"steps", steps}});
    } else {
      std::cout << fmt::format("{}: {} from {} to {} would:\n", inst.name, verb, from, to);
      for (size_t i = 0; i < steps.size(); ++i) std::cout << fmt::format("  {}. {}\n", i + 1, steps[i]);
    }
    return 0;
  }

  std::string to_id;
  try {
    to_id = stack::running_container(engine, inst.name, to);
  } catch (const Error& e) {
    if (e.code() != ExitCode::not_found) throw;
    throw Error(fmt::format("{}: the standby {} of {} does not run: there is nothing to promote", verb, to, inst.name),
                ExitCode::unhealthy, fmt::format("nothing was changed; see `supactl logs {} {}`", inst.name, to));
  }
  // A run killed after the promotion finds `to` already out of recovery: it only finishes.
  const bool promoted = is_primary(engine, inst.name, to_id);
  if (!promoted && !stack::standby_accepts_reads(engine, inst.name, to)) {
    throw Error(fmt::format("{}: the standby {} of {} does not answer as a standby", verb, to, inst.name),
                ExitCode::unhealthy, fmt::format("nothing was changed; see `supactl logs {} {}`", inst.name, to));
  }
  const std::string image = image_of(engine, inst.name, to);
  std::string from_id;
  try {
    from_id = stack::running_container(engine, inst.name, from);
  } catch (const Error& e) {
    if (e.code() != ExitCode::not_found) throw;
  }
  nlohmann::json checkpoint = nullptr;
  if (!promoted && o.switchover) {
    if (from_id.empty()) {
      throw Error(fmt::format("{}: the primary {} of {} does not run", verb, from, inst.name), ExitCode::not_found,
                  fmt::format("nothing was changed; `supactl db failover {}` (without --switchover) promotes the "
                              "standby when the primary is lost",
                              inst.name));
    }
    checkpoint = stack::format_lsn(hand_over(engine, inst, from, to, from_id, image, wait_s));
  } else if (!promoted && !from_id.empty() && !o.force && is_primary(engine, inst.name, from_id)) {
    throw Error(fmt::format("{}: the primary {} of {} still runs and takes writes", verb, from, inst.name),
                ExitCode::conflict,
                fmt::format("nothing was changed; `supactl db failover {} --switchover` hands over without losing a "
                            "committed transaction (--force fails over anyway)",
                            inst.name));
  }

  // Fence before promoting: from then on, the former primary can only start as a standby.
  const std::string why = fmt::format("fenced by `supactl {}` at {}: {} became the primary of {}", verb,
                                      backup::utc_stamp(std::time(nullptr)), to, inst.name);
  const std::string volume = stack::fence_postgres(engine, inst.name, from, image, why);
  if (!g.json()) std::cout << fmt::format("{}: fenced {} (volume {} kept)\n", inst.name, from, volume);
  if (!promoted) stack::promote(engine, inst.name, to, wait_s);
  if (!g.json()) std::cout << fmt::format("{}: promoted {}\n", inst.name, to);

  inst.spec.db_primary = to;
  inst.spec.db_standby = false;
  config::save_spec(inst.spec_file(), inst.spec);
  session.reload();
  o.up.report_extra = {{"failover",
                        {{"from", from},
                         {"to", to},
                         {"switchover", o.switchover},
                         {"fenced_volume", volume},
                         {"checkpoint_lsn", checkpoint}}}};
  return converge_and_report(g, session, o.up);
}

}  // namespace

void setup_db(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<MigrateOptions>();
  sub.require_subcommand(1);
  CLI::App* migrate = sub.add_subcommand("migrate", "Apply DIR/*.sql in name order, each once, each in a transaction");
  migrate->add_option("name", o->name, "Instance name")->required();
  migrate->add_option("dir", o->dir, "Folder of *.sql migration files")->required();
  migrate->add_option("-U,--user", o->user, "Database role that runs them (default postgres)");
  add_lock_timeout(*migrate, o->lock_timeout);
  set_action(*migrate, g, [&g, o]() { return run_migrate(g, *o); });

  CLI::App* standby = sub.add_subcommand("standby", "A streaming hot standby of the instance's Postgres");
  standby->require_subcommand(1);
  auto add_o = std::make_shared<UpOptions>();
  CLI::App* add = standby->add_subcommand("add", "Copy the primary into a db-standby service that follows it");
  add->add_option("name", add_o->name, "Instance name")->required();
  add_wait_options(*add, *add_o);
  set_action(*add, g, [&g, add_o]() { return run_standby_add(g, *add_o); });
  auto rm_o = std::make_shared<StandbyRmOptions>();
  CLI::App* rm = standby->add_subcommand("rm", "Remove the standby, its own volume and its slot on the primary");
  rm->add_option("name", rm_o->name, "Instance name")->required();
  add_lock_timeout(*rm, rm_o->lock_timeout);
  set_action(*rm, g, [&g, rm_o]() { return run_standby_rm(g, *rm_o); });

  auto fo = std::make_shared<FailoverOptions>();
  CLI::App* failover =
      sub.add_subcommand("failover", "Promote the standby, point every service at it and fence the former primary");
  failover->add_option("name", fo->up.name, "Instance name")->required();
  failover->add_flag(
      "--switchover", fo->switchover,
      "Planned: wait for replay lag 0 and stop the primary cleanly first (no committed transaction lost)");
  failover->add_flag("--force", fo->force, "Fail over even though the primary still runs and takes writes");
  failover->add_flag("--dry-run", fo->up.dry_run, "Print the steps; change nothing");
  add_wait_options(*failover, fo->up);
  set_action(*failover, g, [&g, fo]() { return run_failover(g, *fo); });
}

}  // namespace supactl::cli
