// SPDX-License-Identifier: Apache-2.0
#pragma once

// Postgres inside a stack's `db` container, driven only through the Engine: exec for psql,
// pg_dump and pg_restore (output streamed through the exec stream, never a host file), and
// put_archive to place input files, so psql and pg_restore read them by name (errors carry
// file:line, and pg_restore needs a seekable file). Used by `backup`, `restore`, `psql` and
// `db migrate`.

#include <supactl/docker/engine.hpp>
#include <supactl/docker/tar.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace supactl::stack {

/// Id of the running container of `service` in `project` (the lowest replica number).
/// Throws supactl::Error(not_found) with the hint `supactl up PROJECT` when none runs.
std::string running_container(docker::Engine& engine, const std::string& project, const std::string& service);

/// Id of `project`'s running primary Postgres: the running container of service `db` or
/// `db-standby` (after `supactl db failover` the standby service is the primary) that is not
/// in recovery. With only `db` running and no standby container, that one, without asking it
/// (as running_container). Never a standby: writes there would fail, and a dump of it could
/// lag. Throws supactl::Error(not_found) naming `up`, or `db failover` when only a standby runs.
std::string running_primary(docker::Engine& engine, const std::string& project);

/// Which Postgres, as whom: psql/pg_dump run inside `container` over the local socket.
struct PgTarget {
  std::string container;
  std::string user = "supabase_admin";
  std::string database = "postgres";
};

/// `psql -X -h /var/run/postgresql -U user -d database` followed by `args`.
std::vector<std::string> psql_argv(const PgTarget& target, const std::vector<std::string>& args);

/// Runs `sql` (psql -X -A -t -q, ON_ERROR_STOP) and returns its unaligned output, fields
/// separated by a tab. Throws supactl::Error carrying Postgres' own error line.
std::string query(docker::Engine& engine, const PgTarget& target, const std::string& sql);

/// Removes the database setting `app.settings.jwt_secret` wherever it is stored (supactl
/// before 2026-11-29 and upstream before v0.8 published the JWT signing secret there, where
/// every role can read it). Returns the databases it was removed from.
std::vector<std::string> reset_jwt_secret_setting(docker::Engine& engine, const PgTarget& target);

/// Sets the password of every Supabase service role that exists (postgres, supabase_admin,
/// authenticator, pgbouncer, supabase_auth_admin, supabase_functions_admin,
/// supabase_storage_admin) to `password`, in one transaction, in `project`'s running db. psql
/// reads the password from its environment, so it is on no command line. Throws
/// supactl::Error when psql fails (nothing changed then).
void set_role_passwords(docker::Engine& engine, const std::string& project, const std::string& password);

/// The container of `project`'s `service` (replica 1; the instance's primary, `db` unless
/// a failover moved it), started when it is stopped, once Postgres in it accepts connections
/// (waits up to 60 s); empty when the project has no such container.
std::string start_db(docker::Engine& engine, const std::string& project, const std::string& service = "db");

/// The instance-folder marker that says reset_jwt_secret_setting ran for this instance's
/// data; `restore` removes it, since a restored dump may bring the setting back.
inline constexpr const char* k_jwt_setting_marker = ".jwt-setting-reset";

/// Databases that take connections and are not templates, sorted.
std::vector<std::string> list_databases(docker::Engine& engine, const PgTarget& target);

/// Exact row counts ("schema.table" -> rows) of the ordinary and partitioned tables in
/// `schemas` of target.database.
std::map<std::string, int64_t> row_counts(docker::Engine& engine, const PgTarget& target,
                                          const std::vector<std::string>& schemas);

/// A checksum of each table's content ("schema.table" -> a decimal string) in `schemas` of
/// target.database: the sum over its rows of hashtextextended(row::text, 0), so it does not
/// depend on the rows' physical order (which a reload changes) and needs no memory per row.
/// An empty table's is "0".
std::map<std::string, std::string> row_checksums(docker::Engine& engine, const PgTarget& target,
                                                 const std::vector<std::string>& schemas);

/// `pg_dumpall --roles-only --no-role-passwords`, streamed to `out` (role passwords stay
/// those of the instance the dump is restored into, which match its secrets).
void dump_roles(docker::Engine& engine, const PgTarget& target, const std::function<void(std::string_view)>& out);

/// `pg_dump -Fc` of `database`, streamed to `out`.
void dump_database(docker::Engine& engine, const PgTarget& target, const std::string& database,
                   const std::function<void(std::string_view)>& out);

/// Copies `files` into a new private folder (/tmp/supactl-<random>, 0700) of `container` and
/// returns the folder. Remove it with remove_staged.
std::string stage_files(docker::Engine& engine, const std::string& container,
                        const std::vector<docker::TarFile>& files);
/// stage_files for host files of any size: writes the tar into `scratch` (a private host
/// folder) and streams it to the Engine. `files` maps a name in the folder to a host file.
std::string stage_host_files(docker::Engine& engine, const std::string& container,
                             const std::vector<std::pair<std::string, std::filesystem::path>>& files,
                             const std::filesystem::path& scratch);
/// Removes a folder made by stage_files (best effort).
void remove_staged(docker::Engine& engine, const std::string& container, const std::string& dir);

/// What loading a logical dump reported.
struct LoadReport {
  int ignored_errors = 0;             ///< pg_restore/psql errors that did not stop the load
  std::vector<std::string> messages;  ///< their first lines (expected "already exists" excluded)
};

/// Loads a dump made by dump_roles/dump_database: `roles_file` with psql (roles that exist
/// already are kept), then for each database -> dump file (paths inside the container): the
/// database is set aside (renamed, closed to connections, marked with its name), the dump is
/// loaded with `pg_restore --create`, and only then is the set-aside copy dropped. Sessions on
/// a database are ended before it is set aside (stop the other services first). Kill points:
/// restore:roles-loaded, restore:set-aside:DB, restore:loaded:DB (core/fault.hpp).
LoadReport load_dump(docker::Engine& engine, const PgTarget& target, const std::string& roles_file,
                     const std::map<std::string, std::string>& database_files);

/// Repairs what a killed load_dump left: ends the restore's psql and pg_restore sessions (so
/// no pg_restore keeps running in the container), and puts every set-aside database back
/// under its own name, dropping the partly loaded database that holds the name. Each step can
/// be repeated. Returns the databases put back.
std::vector<std::string> undo_interrupted_load(docker::Engine& engine, const PgTarget& target);

// --- migrations -------------------------------------------------------------------------------

struct Migration {
  std::string file;     ///< file name, e.g. "20240101000000_create_todos.sql"
  std::string version;  ///< the digits before the first '_', else the whole stem
  std::string name;     ///< the rest of the stem
  std::string sql;
};

/// The *.sql files of `dir` in name order. Throws supactl::Error(usage) when `dir` is not a
/// folder or two files share a version.
std::vector<Migration> read_migrations(const std::string& dir);

struct MigrateResult {
  std::vector<std::string> applied;  ///< file names applied now
  std::vector<std::string> skipped;  ///< already recorded
};

/// Applies the migrations not yet recorded in supabase_migrations.schema_migrations (created
/// when missing), each in its own transaction together with its record. Stops at the first
/// failure with supactl::Error carrying Postgres' error; earlier ones stay applied.
/// `on_applied` is called after each file that was applied.
MigrateResult migrate(docker::Engine& engine, const PgTarget& target, const std::vector<Migration>& migrations,
                      const std::function<void(const std::string&)>& on_applied = {});

}  // namespace supactl::stack
