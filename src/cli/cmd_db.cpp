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
#include <supactl/stack/stack.hpp>
#include <supactl/stack/standby.hpp>

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
      .container = stack::running_container(engine, inst.name, "db"), .user = o.user, .database = "postgres"};
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
    return stack::running_container(engine, name, "db");
  } catch (const Error& e) {
    if (e.code() != ExitCode::not_found) throw;
    throw Error(fmt::format("db standby {}: the db of {} is not running", verb, name), ExitCode::not_found,
                fmt::format("run `supactl up {}` first, then `supactl db standby {} {}` again", name, verb, name));
  }
}

int run_standby_add(const Globals& g, UpOptions& o) {
  instance::Session session = open_for_converge(g, o);
  docker::Engine& engine = session.engine();
  primary_of(engine, o.name, "add");
  instance::ensure_replication_secret(session);
  config::Instance& inst = session.instance();
  stack::prepare_primary(engine, inst.name, inst.secrets.at(stack::k_replication_secret).reveal());
  if (!inst.spec.db_standby) {
    inst.spec.db_standby = true;
    config::save_spec(inst.spec_file(), inst.spec);
  }
  const int rc = converge_and_report(g, session, o);
  if (rc != 0) return rc;
  // `up` does not wait for the base copy (the standby is ready while it runs): wait here.
  const int wait_s = o.wait_timeout > 0 ? o.wait_timeout : inst.spec.wait.timeout_s;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  // Streaming (seen on the primary) can come before the standby lets anyone read: wait for both.
  stack::StandbyState s = stack::standby_state(engine, inst.name, true);
  bool reads = s.state == "streaming" && stack::standby_accepts_reads(engine, inst.name);
  while (!reads && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    s = stack::standby_state(engine, inst.name, true);
    reads = s.state == "streaming" && stack::standby_accepts_reads(engine, inst.name);
  }
  if (!reads) {
    throw Error(fmt::format("db standby add: the standby of {} is {} after {} s, {}", inst.name, s.state, wait_s,
                            s.state == "streaming" ? "but does not accept reads yet" : "not streaming"),
                ExitCode::unhealthy,
                fmt::format("see `supactl logs {} db-standby`; `supactl status {}` shows when it streams", inst.name,
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
  // The slot can only be dropped on a running primary; refuse before anything changes.
  primary_of(engine, inst.name, "rm");

  size_t removed = 0;
  for (const docker::ContainerSummary& c : stack::list_stack_containers(engine, inst.name)) {
    if (docker::label_of(c.labels, compose::k_label_service) != stack::k_standby_service) continue;
    engine.stop_container(c.id, 30);
    engine.remove_container(c.id, true, false);
    ++removed;
  }
  const bool dropped = stack::drop_standby_slot(engine, inst.name);
  const std::string volume = fmt::format("{}_{}", inst.name, stack::k_standby_volume);
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
}

}  // namespace supactl::cli
