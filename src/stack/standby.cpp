// SPDX-License-Identifier: Apache-2.0
//
// The primary's side of the db standby. The standby itself is a compose service
// (templates/compose.yml.mustache, db-standby-entrypoint.sh); here the primary gets what it
// needs to serve it, through exec in its container, every step repeatable:
//  1. the role k_replication_role (LOGIN REPLICATION) with the password from secrets.env,
//     handed to psql in its environment, never on a command line;
//  2. the physical slot k_standby_slot, so WAL the standby has not replayed is kept;
//  3. a `host replication` line at the top of the server's hba_file. supabase/postgres keeps
//     that file in the image (/etc/postgresql/pg_hba.conf) and allows no replication from the
//     network, so the line is written into the running container and the server reloaded;
//     a container made anew loses it, which is why every converge of an instance with a
//     standby calls prepare_primary again (instance/session.cpp).
// The standby's state is read from pg_stat_replication on the primary, joined on the slot.
#include <supactl/stack/standby.hpp>

#include <supactl/core/error.hpp>
#include <supactl/stack/db.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>
#include <thread>
#include <vector>

namespace supactl::stack {
namespace {

/// The last non-empty line of `text`, trimmed.
std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string last;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) last = line;
  }
  return last;
}

/// Runs `cmd` in `container` as `user` with `env`; throws `what` with the output's last line.
std::string run(docker::Engine& engine, const std::string& container, std::vector<std::string> cmd,
                std::vector<std::string> env, const std::string& user, const std::string& what) {
  docker::ExecResult r = engine.exec(
      container,
      docker::ExecSpec{.cmd = std::move(cmd), .env = std::move(env), .user = user, .working_dir = {}, .tty = false});
  if (r.exit_code != 0) {
    throw Error(fmt::format("{} failed (exit {}): {}", what, r.exit_code, last_line(r.err + r.out)));
  }
  return r.out;
}

/// Puts `line` first in `file` unless the file holds it already; the file keeps its owner
/// and mode (it is rewritten in place, not replaced).
constexpr const char* k_prepend_script =
    "f=\"$1\"; line=\"$2\"\n"
    "grep -qxF \"$line\" \"$f\" && exit 0\n"
    "tmp=$(mktemp)\n"
    "{ printf '%s\\n' '# supactl db standby: the standby replicates as this role only' \"$line\"; cat \"$f\"; } "
    "> \"$tmp\"\n"
    "cat \"$tmp\" > \"$f\"\n"
    "rm -f \"$tmp\"\n";

}  // namespace

std::string standby_hba_line() { return fmt::format("host replication {} samenet scram-sha-256", k_replication_role); }

std::string replication_setup_sql(bool with_slot) {
  std::string sql = fmt::format(
      "\\getenv pw SUPACTL_REPLICATION_PASSWORD\n"
      "SET password_encryption = 'scram-sha-256';\n"
      "SELECT format('CREATE ROLE %I', '{0}') WHERE NOT EXISTS "
      "(SELECT 1 FROM pg_roles WHERE rolname = '{0}') \\gexec\n"
      "SELECT format('ALTER ROLE %I WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', "
      "'{0}', :'pw') \\gexec\n",
      k_replication_role);
  if (with_slot) {
    sql += fmt::format(
        "SELECT pg_create_physical_replication_slot('{0}') WHERE NOT EXISTS "
        "(SELECT 1 FROM pg_replication_slots WHERE slot_name = '{0}');\n",
        k_standby_slot);
  }
  return sql;
}

void prepare_primary(docker::Engine& engine, const std::string& project, const std::string& password, bool with_slot) {
  const std::string db = running_primary(engine, project);
  run(engine, db,
      {"sh", "-c",
       "printf '%s' \"$SUPACTL_SQL\" | psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -U supabase_admin "
       "-d postgres >/dev/null"},
      {"SUPACTL_SQL=" + replication_setup_sql(with_slot), "SUPACTL_REPLICATION_PASSWORD=" + password}, "",
      "creating the replication role and slot on the primary");

  const PgTarget target{.container = db};
  std::string hba = query(engine, target, "SHOW hba_file");
  while (!hba.empty() && (hba.back() == '\n' || hba.back() == '\r')) hba.pop_back();
  run(engine, db, {"sh", "-c", k_prepend_script, "sh", hba, standby_hba_line()}, {}, "root",
      fmt::format("adding the replication line to {} on the primary", hba));
  query(engine, target, "SELECT pg_reload_conf()");
  const std::string errors =
      query(engine, target, "SELECT error FROM pg_hba_file_rules WHERE error IS NOT NULL LIMIT 1");
  if (!last_line(errors).empty()) {
    throw Error(fmt::format("the primary's {} has an error: {}", hba, last_line(errors)), ExitCode::failure,
                fmt::format("fix the file in the db container (`supactl logs {} db`)", project));
  }
}

bool drop_standby_slot(docker::Engine& engine, const std::string& project, int wait_s) {
  const PgTarget target{.container = running_primary(engine, project)};
  const std::string sql = fmt::format(
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{}'", k_standby_slot);
  const std::string exists = fmt::format("SELECT 1 FROM pg_replication_slots WHERE slot_name = '{}'", k_standby_slot);
  if (last_line(query(engine, target, exists)).empty()) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  for (;;) {
    try {
      query(engine, target, sql);
      return true;
    } catch (const Error& e) {
      // A slot is busy while the standby's WAL sender still holds it: it lets go within moments.
      if (std::chrono::steady_clock::now() >= deadline) throw;
      spdlog::debug("slot {} not dropped yet: {}", k_standby_slot, e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

StandbyState parse_standby_row(const std::string& row, bool configured) {
  StandbyState s;
  const std::string line = last_line(row);
  if (line.empty()) {
    s.state = configured ? "down" : "absent";
    return s;
  }
  std::vector<std::string> f;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, '\t');) f.push_back(field);
  f.resize(3);
  s.state = f[0].empty() ? "down" : f[0];
  try {
    if (!f[1].empty()) s.lag_bytes = std::stoll(f[1]);
    if (!f[2].empty()) {
      s.lag_seconds = std::stod(f[2]);
    } else if (s.lag_bytes && *s.lag_bytes == 0) {
      s.lag_seconds = 0.0;  // caught up and idle: Postgres clears replay_lag then
    }
  } catch (const std::exception&) {
    s.lag_bytes.reset();
    s.lag_seconds.reset();
  }
  return s;
}

StandbyState standby_state(docker::Engine& engine, const std::string& project, bool configured,
                           const std::string& standby) {
  std::string row;
  try {
    const PgTarget target{.container = running_primary(engine, project)};
    row = query(engine, target,
                // pg_basebackup's own WAL stream holds the slot (and reads `streaming`) while
                // the base copy runs: only the standby's WAL receiver (application_name = its
                // service, set by its entrypoint) is the standby itself.
                fmt::format("SELECT CASE WHEN r.application_name = '{1}' THEN r.state ELSE 'backup' END, "
                            "pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::bigint, "
                            "extract(epoch FROM r.replay_lag) FROM pg_replication_slots s "
                            "JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = '{0}'",
                            k_standby_slot, standby));
  } catch (const Error& e) {
    spdlog::debug("standby state of {}: {}", project, e.what());
  }
  return parse_standby_row(row, configured);
}

bool standby_accepts_reads(docker::Engine& engine, const std::string& project, const std::string& standby) {
  try {
    const PgTarget target{.container = running_container(engine, project, standby)};
    return last_line(query(engine, target, "SELECT pg_is_in_recovery()")) == "t";
  } catch (const Error& e) {
    spdlog::debug("standby of {} does not read yet: {}", project, e.what());
    return false;
  }
}

}  // namespace supactl::stack
