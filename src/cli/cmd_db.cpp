// SPDX-License-Identifier: Apache-2.0
//
// `supactl db migrate NAME DIR`: applies DIR's *.sql files in name order, each in its own
// transaction together with its row in supabase_migrations.schema_migrations (the table the
// Supabase CLI uses), skipping the ones recorded already. The work is stack::migrate.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/stack/db.hpp>

#include <fmt/format.h>

#include <iostream>

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
}

}  // namespace supactl::cli
