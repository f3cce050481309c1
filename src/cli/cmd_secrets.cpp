// SPDX-License-Identifier: Apache-2.0
//
// `supactl secrets rotate NAME [--jwt] [--postgres] [--dashboard] [--all]`: new values from
// OpenSSL, the database role passwords changed in place (inside the running db container; the
// new password travels in the exec environment, never on a command line the Engine's events
// show), the old secrets.env kept as a timestamped 0600 copy, then the `up` flow re-renders
// and recreates exactly the services whose configuration read a rotated value.
#include "cli/globals.hpp"
#include "cli/up_flow.hpp"

#include <supactl/config/instance.hpp>
#include <supactl/core/error.hpp>
#include <supactl/secrets/secrets_file.hpp>
#include <supactl/stack/db.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <system_error>

namespace supactl::cli {
namespace {

struct RotateOptions {
  std::string name;
  bool jwt = false;
  bool postgres = false;
  bool dashboard = false;
  bool all = false;
  UpOptions up;
};

/// Roles whose password is POSTGRES_PASSWORD (the image's bootstrap script and roles.sql).
constexpr const char* k_password_roles[] = {"postgres",           "supabase_admin",          "authenticator",
                                            "pgbouncer",          "supabase_auth_admin",     "supabase_functions_admin",
                                            "supabase_storage_admin"};

/// Sets the password of every role above that exists, in one transaction, in the running db.
void set_role_passwords(docker::Engine& engine, const std::string& instance, const std::string& password) {
  const std::string db = stack::running_container(engine, instance, "db");
  // psql reads the password from its own environment (\getenv, psql 15+), so it is on no
  // command line: not on the exec's, and not on psql's (which `ps` on the host would show).
  std::string sql = "\\getenv pw SUPACTL_NEW_PASSWORD\nBEGIN;\n";
  for (const char* role : k_password_roles) {
    sql += fmt::format("SELECT format('ALTER ROLE %I WITH PASSWORD %L', rolname, :'pw') FROM pg_roles WHERE rolname = '{}' \\gexec\n", role);
  }
  sql += "COMMIT;\n";
  docker::ExecSpec spec;
  spec.cmd = {"sh", "-c",
              "printf '%s' \"$SUPACTL_SQL\" | psql -X -q -v ON_ERROR_STOP=1 "
              "-h /var/run/postgresql -U supabase_admin -d postgres >/dev/null"};
  spec.env = {"SUPACTL_SQL=" + sql, "SUPACTL_NEW_PASSWORD=" + password};
  docker::ExecResult r = engine.exec(db, spec);
  if (r.exit_code != 0) {
    std::string why = r.err.empty() ? r.out : r.err;
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    throw Error(fmt::format("secrets rotate: changing the database passwords failed: {}", why), ExitCode::failure,
                "nothing was changed; see `supactl logs " + instance + " db`");
  }
}

int run_rotate(const Globals& g, RotateOptions& o) {
  if (o.all) o.jwt = o.postgres = o.dashboard = true;
  if (!o.jwt && !o.postgres && !o.dashboard) {
    throw Error("secrets rotate: say what to rotate", ExitCode::usage, "add --jwt, --postgres, --dashboard or --all");
  }
  o.up.name = o.name;
  o.up.edit_spec = [&o](config::Instance& inst, docker::Engine& engine) {
    const auto now = std::chrono::system_clock::now();
    const std::int64_t epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    secrets::Secrets fresh = secrets::generate_secrets(epoch);
    secrets::Secrets next = inst.secrets;
    std::vector<std::string> rotated;
    auto take = [&](const char* key) {
      next[key] = fresh.at(key);
      rotated.emplace_back(key);
    };
    if (o.jwt) {
      take("JWT_SECRET");
      take("ANON_KEY");
      take("SERVICE_ROLE_KEY");
    }
    if (o.postgres) take("POSTGRES_PASSWORD");
    if (o.dashboard) take("DASHBOARD_PASSWORD");

    // The database first: when it refuses, secrets.env is untouched.
    if (o.postgres) set_role_passwords(engine, inst.name, next.at("POSTGRES_PASSWORD").reveal());

    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    // Never overwrite an earlier copy (two rotations within one second).
    const std::string stamp = fmt::format("secrets.env.{:%Y%m%dT%H%M%SZ}", utc);
    std::filesystem::path kept = inst.dir / (stamp + ".bak");
    for (int n = 1; std::filesystem::exists(kept); ++n) kept = inst.dir / fmt::format("{}-{}.bak", stamp, n);
    secrets::write_secrets_file(kept, inst.secrets);
    secrets::write_secrets_file(inst.secrets_file(), next);
    inst.secrets = next;
    std::cerr << fmt::format("rotated {} of {}; the old values are kept in {} (mode 0600)\n",
                             fmt::join(rotated, ", "), inst.name, kept.string());
  };
  return run_up(g, o.up);
}

}  // namespace

void setup_secrets(CLI::App& sub, Globals& g) {
  sub.require_subcommand(1);
  auto o = std::make_shared<RotateOptions>();
  CLI::App* rotate = sub.add_subcommand("rotate", "Replace secrets with new random ones and recreate what reads them");
  rotate->add_option("name", o->name, "Instance name")->required();
  rotate->add_flag("--jwt", o->jwt, "New JWT_SECRET, ANON_KEY and SERVICE_ROLE_KEY (every issued token stops working)");
  rotate->add_flag("--postgres", o->postgres, "New POSTGRES_PASSWORD, changed in the database for every service role");
  rotate->add_flag("--dashboard", o->dashboard, "New DASHBOARD_PASSWORD for Studio's login");
  rotate->add_flag("--all", o->all, "All of the above");
  add_wait_options(*rotate, o->up);
  set_action(*rotate, g, [&g, o]() { return run_rotate(g, *o); });
}

}  // namespace supactl::cli
