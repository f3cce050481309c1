// SPDX-License-Identifier: Apache-2.0
//
// Postgres in the db container through the Engine API: queries and dumps run by exec with
// their output streamed back over the exec stream; input files (roles.sql, dumps, migration
// files) are placed with put_archive into a private folder and read from there, because the
// Engine client does not write exec standard input.
#include <supactl/stack/db.hpp>

#include <supactl/compose/model.hpp>
#include <supactl/core/cancel.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fault.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/sha256.hpp>
#include <supactl/stack/stack.hpp>
#include <supactl/swarm/swarm.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace supactl::stack {
namespace {

constexpr const char* k_socket_dir = "/var/run/postgresql";
/// The application_name of the restore's psql and pg_restore sessions, so that the next run
/// can end them when a killed supactl left them running in the container.
constexpr const char* k_restore_app = "supactl-restore";
/// The database setting that marks a database set aside by a restore, naming the database it
/// was (see set_aside and undo_interrupted_load).
constexpr const char* k_aside_setting = "supactl.aside_of";

/// The first line of `text` holding "ERROR:" or "error:", else its last non-empty line.
std::string pg_error(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (line.find("ERROR:") != std::string::npos || line.find("error:") != std::string::npos ||
        line.find("FATAL:") != std::string::npos) {
      return line;
    }
    if (!line.empty()) last = line;
  }
  return last.empty() ? std::string("no error output") : last;
}

std::string quote_ident(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string quote_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

/// A dollar-quoted literal of `s` whose tag does not occur in `s`.
std::string dollar_quote(const std::string& s) {
  std::string tag = "$supactl$";
  for (int i = 0; s.find(tag) != std::string::npos; ++i) tag = fmt::format("$supactl{}$", i);
  return tag + s + tag;
}

docker::ExecResult exec(docker::Engine& engine, const std::string& container, std::vector<std::string> cmd,
                        std::vector<std::string> env = {}) {
  return engine.exec(
      container,
      docker::ExecSpec{.cmd = std::move(cmd), .env = std::move(env), .user = {}, .working_dir = {}, .tty = false});
}

/// Runs `cmd` and streams its stdout to `out`; throws with stderr's error line on failure.
void exec_streaming(docker::Engine& engine, const std::string& container, std::vector<std::string> cmd,
                    const std::function<void(std::string_view)>& out, const std::string& what) {
  std::string err;
  docker::ExecResult r = engine.exec(
      container, docker::ExecSpec{.cmd = std::move(cmd), .env = {}, .user = {}, .working_dir = {}, .tty = false},
      [&](docker::StreamKind k, std::string_view data) {
        if (k == docker::StreamKind::stdout_) {
          out(data);
        } else if (err.size() < 64 * 1024) {
          err.append(data);
        }
        return true;
      });
  if (r.exit_code != 0) throw Error(fmt::format("{} failed (exit {}): {}", what, r.exit_code, pg_error(err)));
}

std::vector<std::string> tool_argv(const char* tool, const PgTarget& t) {
  return {tool, "-h", k_socket_dir, "-U", t.user};
}

/// The error of a command that finds no running container of `service`: on a swarm whose
/// task runs on another node, it names the node and the way there.
[[noreturn]] void not_running(docker::Engine& engine, const std::string& project, const std::string& service) {
  const std::string node = swarm::task_node_elsewhere(engine, project, service);
  if (!node.empty()) {
    throw Error(
        fmt::format("service {} of {} runs on node {}, not on the node of this Docker Engine", service, project, node),
        ExitCode::not_found,
        "run the command against that node's Engine: `supactl --host ...` or DOCKER_HOST (docs/DEPLOYMENT.md, "
        "\"Backups on a swarm\")");
  }
  throw Error(fmt::format("service {} of {} is not running", service, project), ExitCode::not_found,
              fmt::format("run `supactl up {}` first (`supactl status {}` shows what runs)", project, project));
}

}  // namespace

std::string running_container(docker::Engine& engine, const std::string& project, const std::string& service) {
  std::vector<docker::ContainerSummary> cs = list_stack_containers(engine, project);
  std::erase_if(cs, [&](const docker::ContainerSummary& c) {
    return docker::label_of(c.labels, compose::k_label_service) != service;
  });
  std::sort(cs.begin(), cs.end(),
            [](const docker::ContainerSummary& a, const docker::ContainerSummary& b) { return a.name < b.name; });
  for (const docker::ContainerSummary& c : cs) {
    if (c.run_state() == docker::RunState::running) return c.id;
  }
  not_running(engine, project, service);
}

std::string running_primary(docker::Engine& engine, const std::string& project) {
  std::vector<docker::ContainerSummary> cs = list_stack_containers(engine, project);
  std::erase_if(cs, [&](const docker::ContainerSummary& c) {
    const std::string svc = docker::label_of(c.labels, compose::k_label_service);
    return (svc != "db" && svc != "db-standby") || c.run_state() != docker::RunState::running;
  });
  // db first, then db-standby; within a service the lowest replica.
  std::sort(cs.begin(), cs.end(), [](const docker::ContainerSummary& a, const docker::ContainerSummary& b) {
    const std::string sa = docker::label_of(a.labels, compose::k_label_service);
    const std::string sb = docker::label_of(b.labels, compose::k_label_service);
    return sa != sb ? sa < sb : a.name < b.name;
  });
  if (cs.empty()) not_running(engine, project, "db");
  if (cs.size() == 1 && docker::label_of(cs.front().labels, compose::k_label_service) == "db") return cs.front().id;
  for (const docker::ContainerSummary& c : cs) {
    try {
      std::string out = query(engine, PgTarget{.container = c.id}, "SELECT pg_is_in_recovery()");
      while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
      if (out == "f") return c.id;
    } catch (const Error& e) {
      spdlog::debug("{} is not asked whether it is the primary: {}", c.name, e.what());  // stopping, say
    }
  }
  throw Error(fmt::format("no primary Postgres of {} is running (only a standby, in recovery)", project),
              ExitCode::not_found,
              fmt::format("`supactl db failover {}` promotes the standby; `supactl status {}` shows what runs", project,
                          project));
}

std::vector<std::string> psql_argv(const PgTarget& target, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"psql", "-X", "-h", k_socket_dir, "-U", target.user, "-d", target.database};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string query(docker::Engine& engine, const PgTarget& target, const std::string& sql) {
  docker::ExecResult r = exec(engine, target.container,
                              psql_argv(target, {"-A", "-t", "-q", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql}));
  if (r.exit_code != 0) {
    throw Error(fmt::format("psql in the db container failed: {}", pg_error(r.err + r.out)));
  }
  return r.out;
}

std::vector<std::string> reset_jwt_secret_setting(docker::Engine& engine, const PgTarget& target) {
  const std::string out =
      query(engine, target,
            "SELECT d.datname FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE s.setrole = 0 AND EXISTS (SELECT 1 FROM unnest(s.setconfig) c "
            "WHERE c LIKE 'app.settings.jwt\\_secret=%') ORDER BY 1");
  std::vector<std::string> reset;
  std::istringstream lines(out);
  for (std::string name; std::getline(lines, name);) {
    if (name.empty()) continue;
    query(engine, target, fmt::format("ALTER DATABASE {} RESET \"app.settings.jwt_secret\"", quote_ident(name)));
    reset.push_back(name);
  }
  return reset;
}

namespace {
/// Roles whose password is POSTGRES_PASSWORD (the image's bootstrap script and roles.sql).
constexpr const char* k_password_roles[] = {"postgres",
                                            "supabase_admin",
                                            "authenticator",
                                            "pgbouncer",
                                            "supabase_auth_admin",
                                            "supabase_functions_admin",
                                            "supabase_storage_admin"};
}  // namespace

void set_role_passwords(docker::Engine& engine, const std::string& project, const std::string& password) {
  const std::string db = running_primary(engine, project);
  // psql reads the password from its own environment (\getenv, psql 15+), so it is on no
  // command line: not on the exec's, and not on psql's (which `ps` on the host would show).
  std::string sql = "\\getenv pw SUPACTL_NEW_PASSWORD\nBEGIN;\n";
  for (const char* role : k_password_roles) {
    sql += fmt::format(
        "SELECT format('ALTER ROLE %I WITH PASSWORD %L', rolname, :'pw') FROM pg_roles WHERE rolname = '{}' \\gexec\n",
        role);
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
                "nothing was changed; see `supactl logs " + project + " db`");
  }
}

std::string start_db(docker::Engine& engine, const std::string& project, const std::string& service) {
  std::vector<docker::ContainerSummary> dbs = list_stack_containers(engine, project);
  std::erase_if(dbs, [&](const docker::ContainerSummary& c) {
    return docker::label_of(c.labels, compose::k_label_service) != service ||
           docker::label_of(c.labels, compose::k_label_number) != "1";
  });
  if (dbs.empty()) return {};
  const std::string id = dbs.front().id;
  if (dbs.front().run_state() != docker::RunState::running) engine.start_container(id);
  // A db that was just started takes a moment to accept connections.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      query(engine, PgTarget{.container = id, .database = "template1"}, "SELECT 1");
      return id;
    } catch (const Error&) {
      if (core::cancel_requested() || std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

std::vector<std::string> list_databases(docker::Engine& engine, const PgTarget& target) {
  std::string out =
      query(engine, target, "select datname from pg_database where not datistemplate and datallowconn order by 1");
  std::vector<std::string> dbs;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) dbs.push_back(line);
  }
  return dbs;
}

namespace {

/// `per_table` (a SELECT with one column `c`, `%I.%I` for the table, `t` its alias) for every
/// ordinary and partitioned table in `schemas`: "schema.table" -> the value. One statement:
/// query_to_xml runs the per-table query without a function of our own.
std::map<std::string, std::string> per_table_value(docker::Engine& engine, const PgTarget& target,
                                                   const std::vector<std::string>& schemas,
                                                   const std::string& per_table) {
  std::string list;
  for (const std::string& s : schemas) list += (list.empty() ? "" : ",") + quote_literal(s);
  const std::string sql = fmt::format(
      "select n.nspname || '.' || c.relname, "
      "(xpath('/row/c/text()', query_to_xml(format({}, n.nspname, c.relname), false, true, '')))[1]::text "
      "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
      "where c.relkind in ('r', 'p') and n.nspname in ({}) order by 1",
      quote_literal(per_table), list);
  std::map<std::string, std::string> values;
  std::istringstream in(query(engine, target, sql));
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    values[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return values;
}

}  // namespace

std::map<std::string, int64_t> row_counts(docker::Engine& engine, const PgTarget& target,
                                          const std::vector<std::string>& schemas) {
  std::map<std::string, int64_t> counts;
  for (const auto& [table, value] : per_table_value(engine, target, schemas, "select count(*) as c from %I.%I t")) {
    counts[table] = std::stoll(value);
  }
  return counts;
}

std::map<std::string, std::string> row_checksums(docker::Engine& engine, const PgTarget& target,
                                                 const std::vector<std::string>& schemas) {
  return per_table_value(engine, target, schemas,
                         "select coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) as c from %I.%I t");
}

void dump_roles(docker::Engine& engine, const PgTarget& target, const std::function<void(std::string_view)>& out) {
  std::vector<std::string> cmd = tool_argv("pg_dumpall", target);
  cmd.insert(cmd.end(), {"--roles-only", "--no-role-passwords", "-l", target.database});
  exec_streaming(engine, target.container, cmd, out, "pg_dumpall --roles-only");
}

void dump_database(docker::Engine& engine, const PgTarget& target, const std::string& database,
                   const std::function<void(std::string_view)>& out) {
  std::vector<std::string> cmd = tool_argv("pg_dump", target);
  cmd.insert(cmd.end(), {"-Fc", "-d", database});
  exec_streaming(engine, target.container, cmd, out, "pg_dump of database " + database);
}

std::string stage_files(docker::Engine& engine, const std::string& container,
                        const std::vector<docker::TarFile>& files) {
  std::random_device rd;
  const std::string name = fmt::format("supactl-{:08x}{:08x}", rd(), rd());
  std::vector<docker::TarFile> entries;
  entries.push_back({.path = name + "/", .content = {}, .mode = 0700});
  for (const docker::TarFile& f : files)
    entries.push_back({.path = name + "/" + f.path, .content = f.content, .mode = 0600});
  engine.put_archive(container, "/tmp", docker::make_tar(entries));
  return "/tmp/" + name;
}

std::string stage_host_files(docker::Engine& engine, const std::string& container,
                             const std::vector<std::pair<std::string, std::filesystem::path>>& files,
                             const std::filesystem::path& scratch) {
  std::random_device rd;
  const std::string name = fmt::format("supactl-{:08x}{:08x}", rd(), rd());
  std::vector<docker::TarFileRef> entries;
  entries.push_back({.path = name + "/", .source = {}, .mode = 0700});
  for (const auto& [file, source] : files)
    entries.push_back({.path = name + "/" + file, .source = source, .mode = 0600});
  const std::filesystem::path tar = scratch / (name + ".tar");
  docker::write_tar_file(tar, entries);
  try {
    engine.put_archive_file(container, "/tmp", tar);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tar, ec);
    throw;
  }
  std::error_code ec;
  std::filesystem::remove(tar, ec);
  return "/tmp/" + name;
}

void remove_staged(docker::Engine& engine, const std::string& container, const std::string& dir) {
  try {
    exec(engine, container, {"rm", "-rf", "--", dir});
  } catch (const std::exception& e) {
    spdlog::warn("could not remove {} in the db container: {}", dir, e.what());
  }
}

namespace {

/// The name a database is set aside under while its dump is loaded: short and fixed per name,
/// whatever the name's length.
std::string aside_name(const std::string& db) { return "supactl_aside_" + core::sha256_hex(db).substr(0, 16); }

PgTarget admin_of(const PgTarget& target) {
  PgTarget admin = target;
  admin.database = "template1";
  return admin;
}

/// Renames `db` (when it exists) to its aside name, closed to connections and marked with the
/// name it was, in one transaction: a kill leaves either the database or its aside copy.
/// Other sessions on it are ended first (the rename waits up to 5 s for them to go).
void set_aside(docker::Engine& engine, const PgTarget& admin, const std::string& db) {
  const std::string aside = aside_name(db);
  const std::string body = fmt::format(
      "DECLARE tries int := 0; BEGIN "
      "IF NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = {lit}) THEN RETURN; END IF; "
      "LOOP "
      "PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {lit} AND pid <> pg_backend_pid(); "
      "BEGIN "
      "ALTER DATABASE {db} RENAME TO {aside}; "
      "ALTER DATABASE {aside} ALLOW_CONNECTIONS false; "
      "ALTER DATABASE {aside} SET {setting} = {lit}; "
      "RETURN; "
      "EXCEPTION WHEN object_in_use THEN tries := tries + 1; IF tries >= 6 THEN RAISE; END IF; "
      "END; END LOOP; END",
      fmt::arg("lit", quote_literal(db)), fmt::arg("db", quote_ident(db)), fmt::arg("aside", quote_ident(aside)),
      fmt::arg("setting", quote_ident(k_aside_setting)));
  query(engine, admin, "DO " + dollar_quote(body));
}

}  // namespace

std::vector<std::string> undo_interrupted_load(docker::Engine& engine, const PgTarget& target) {
  const PgTarget admin = admin_of(target);
  // The restore's own sessions first: a pg_restore whose supactl was killed stops here.
  query(engine, admin,
        fmt::format("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = {} AND "
                    "pid <> pg_backend_pid()",
                    quote_literal(k_restore_app)));
  const std::string out = query(engine, admin,
                                fmt::format("SELECT d.datname, substr(c, length({0}) + 2) FROM pg_db_role_setting s "
                                            "JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c "
                                            "WHERE s.setrole = 0 AND starts_with(c, {0} || '=') ORDER BY 1",
                                            quote_literal(k_aside_setting)));
  std::vector<std::string> put_back;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    const std::string aside = line.substr(0, tab);
    const std::string db = line.substr(tab + 1);
    // What holds the name now is a partly loaded copy; the set-aside one is the data as it
    // was. Each step can be repeated: a kill between them is undone by the next run.
    query(engine, admin, fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(db)));
    query(engine, admin,
          fmt::format("ALTER DATABASE {0} RENAME TO {1}; ALTER DATABASE {1} RESET {2}; ALTER DATABASE {1} "
                      "ALLOW_CONNECTIONS true",
                      quote_ident(aside), quote_ident(db), quote_ident(k_aside_setting)));
    spdlog::info("restore: put database {} back as it was before the interrupted restore", db);
    put_back.push_back(db);
  }
  return put_back;
}

LoadReport load_dump(docker::Engine& engine, const PgTarget& target, const std::string& roles_file,
                     const std::map<std::string, std::string>& database_files) {
  LoadReport report;
  auto collect = [&report](const std::string& err, const std::string& skip) {
    std::istringstream in(err);
    std::string line;
    while (std::getline(in, line)) {
      const bool is_error = line.find("ERROR:") != std::string::npos || line.find("error:") != std::string::npos;
      if (!is_error || line.find("errors ignored on restore") != std::string::npos) continue;
      if (!skip.empty() && line.find(skip) != std::string::npos) continue;
      ++report.ignored_errors;
      if (report.messages.size() < 20) report.messages.push_back(line);
    }
  };
  const std::vector<std::string> app_env = {fmt::format("PGAPPNAME={}", k_restore_app)};
  // 1. Roles: the ones the new instance created already exist; their attributes and
  //    memberships are applied, their passwords are left alone.
  docker::ExecResult roles = exec(engine, target.container, psql_argv(target, {"-q", "-f", roles_file}), app_env);
  collect(roles.err, "already exists");
  core::fault_point("restore:roles-loaded");
  // 2. Each database, re-created from its dump. The one it replaces is set aside first and
  //    dropped only once the dump is in, so an interruption never leaves the name without a
  //    database: undo_interrupted_load puts the set-aside one back.
  const PgTarget admin = admin_of(target);
  for (const auto& [db, file] : database_files) {
    set_aside(engine, admin, db);
    core::fault_point("restore:set-aside:" + db);
    std::vector<std::string> cmd = tool_argv("pg_restore", target);
    cmd.insert(cmd.end(), {"--create", "-d", "template1", file});
    docker::ExecResult r = exec(engine, target.container, cmd, app_env);
    collect(r.err, "");
    if (r.exit_code != 0 && r.err.find("errors ignored on restore") == std::string::npos) {
      throw Error(fmt::format("pg_restore of database {} failed: {}", db, pg_error(r.err)));
    }
    core::fault_point("restore:loaded:" + db);
    query(engine, admin, fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(aside_name(db))));
  }
  return report;
}

// --- migrations -------------------------------------------------------------------------------

std::vector<Migration> read_migrations(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(fmt::format("{} is not a folder", dir), ExitCode::usage,
                "pass the folder that holds the *.sql migration files");
  }
  std::vector<Migration> out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".sql") continue;
    Migration m;
    m.file = e.path().filename().string();
    const std::string stem = e.path().stem().string();
    const size_t us = stem.find('_');
    const std::string head = stem.substr(0, us);
    const bool digits =
        !head.empty() && std::all_of(head.begin(), head.end(), [](char c) { return c >= '0' && c <= '9'; });
    m.version = digits && us != std::string::npos ? head : stem;
    m.name = digits && us != std::string::npos ? stem.substr(us + 1) : stem;
    m.sql = core::read_file(e.path());
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) { return a.file < b.file; });
  std::map<std::string, std::string> seen;
  for (const Migration& m : out) {
    auto [it, fresh] = seen.emplace(m.version, m.file);
    if (!fresh) {
      throw Error(fmt::format("{} and {} share the migration version {}", it->second, m.file, m.version),
                  ExitCode::usage, "give each migration file its own leading number, e.g. 20240101120000_name.sql");
    }
  }
  return out;
}

MigrateResult migrate(docker::Engine& engine, const PgTarget& target, const std::vector<Migration>& migrations,
                      const std::function<void(const std::string&)>& on_applied) {
  query(engine, target,
        "create schema if not exists supabase_migrations; "
        "create table if not exists supabase_migrations.schema_migrations "
        "(version text not null primary key, statements text[], name text)");
  std::set<std::string> done;
  {
    std::istringstream in(query(engine, target, "select version from supabase_migrations.schema_migrations"));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) done.insert(line);
    }
  }
  MigrateResult result;
  for (const Migration& m : migrations) {
    if (done.count(m.version) != 0) {
      result.skipped.push_back(m.file);
      continue;
    }
    const std::string record = fmt::format(
        "insert into supabase_migrations.schema_migrations (version, name, statements) values ({}, {}, array[{}]);\n",
        quote_literal(m.version), quote_literal(m.name), dollar_quote(m.sql));
    const std::string dir = stage_files(
        engine, target.container,
        {{.path = m.file, .content = m.sql, .mode = 0600}, {.path = "zz-record.sql", .content = record, .mode = 0600}});
    docker::ExecResult r;
    try {
      // One transaction for the file and its record (-1 wraps every -f).
      r = exec(engine, target.container,
               psql_argv(target, {"-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", dir + "/" + m.file, "-f",
                                  dir + "/zz-record.sql"}));
    } catch (...) {
      remove_staged(engine, target.container, dir);
      throw;
    }
    remove_staged(engine, target.container, dir);
    if (r.exit_code != 0) {
      std::string err = pg_error(r.err + r.out);
      const std::string prefix = "psql:" + dir + "/";
      if (err.rfind(prefix, 0) == 0) err = err.substr(prefix.size());
      throw Error(fmt::format("migration {} failed: {}", m.file, err), ExitCode::failure,
                  fmt::format("{} was rolled back; the migrations before it stay applied ({} applied by this run); fix "
                              "the file and run `supactl db migrate` again",
                              m.file, result.applied.size()));
    }
    result.applied.push_back(m.file);
    if (on_applied) on_applied(m.file);
  }
  return result;
}

}  // namespace supactl::stack
