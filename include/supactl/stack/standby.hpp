// SPDX-License-Identifier: Apache-2.0
#pragma once

// The streaming hot standby of an instance's Postgres (`supactl db standby add|rm`, the
// standby section of `supactl status`). The standby is the `db-standby` service of the
// rendered compose file (instance.yaml `db.standby: true`); its entrypoint copies the primary
// with pg_basebackup on first start. This module prepares the primary for it (replication
// role, pg_hba line, physical slot), reads its state and drops the slot again.

#include <supactl/docker/engine.hpp>

#include <optional>
#include <string>

namespace supactl::stack {

inline constexpr const char* k_standby_service = "db-standby";
/// The login role the standby replicates as (LOGIN REPLICATION, nothing else).
inline constexpr const char* k_replication_role = "supactl_replicator";
/// The physical replication slot on the primary that keeps the WAL the standby needs.
inline constexpr const char* k_standby_slot = "supactl_standby";
/// The secrets.env name of k_replication_role's password.
inline constexpr const char* k_replication_secret = "DB_REPLICATION_PASSWORD";
/// The standby's own data volume (compose key; Docker name `<instance>_db-standby-data`).
inline constexpr const char* k_standby_volume = "db-standby-data";

/// The data volume (compose key) of Postgres service `service`: db-data or db-standby-data.
inline const char* data_volume_of(const std::string& service) { return service == "db" ? "db-data" : k_standby_volume; }

/// The pg_hba.conf line that lets the standby replicate: only k_replication_role, only the
/// `replication` pseudo-database, only from the db container's own networks, with a password.
std::string standby_hba_line();

/// The psql script (run as a superuser, password in psql variable `pw`) that creates or
/// updates k_replication_role with that password (stored as SCRAM) and, `with_slot`, creates
/// k_standby_slot when it is missing. Every statement can be repeated.
std::string replication_setup_sql(bool with_slot = true);

/// Makes `project`'s running primary ready for a standby: the role and slot of
/// replication_setup_sql, and standby_hba_line() at the top of the server's own hba_file
/// (`SHOW hba_file`; first match wins), then pg_reload_conf(). Repeatable. Throws
/// supactl::Error(not_found) when db does not run. Without `with_slot` (a base backup's
/// pg_basebackup, which streams no WAL), no slot is made.
void prepare_primary(docker::Engine& engine, const std::string& project, const std::string& password,
                     bool with_slot = true);

/// Drops k_standby_slot on `project`'s running primary when it exists, waiting up to
/// `wait_s` seconds for the standby's WAL sender to let go of it. Returns whether a slot was
/// dropped.
bool drop_standby_slot(docker::Engine& engine, const std::string& project, int wait_s = 15);

/// What `status` shows of the standby.
struct StandbyState {
  /// absent (not configured, no container), down (configured, not replicating), or the WAL
  /// sender's state: startup, catchup, streaming, backup (the base copy), stopping.
  std::string state = "absent";
  std::optional<long long> lag_bytes;  ///< primary's current WAL position minus the standby's replayed one
  std::optional<double> lag_seconds;   ///< pg_stat_replication.replay_lag (0 when caught up and idle)
};

/// One row of the primary's `pg_stat_replication` for the slot's sender, as `query` returns
/// it (state, lag bytes, lag seconds or empty; tab-separated), read into a StandbyState. An
/// empty row means `down` when `configured`, `absent` otherwise.
StandbyState parse_standby_row(const std::string& row, bool configured);

/// The standby's state, read on `project`'s primary. `configured`: instance.yaml has
/// db.standby; `standby`: the standby's service (db-standby, or db after a failover), whose
/// WAL receiver names itself so. A primary that does not run gives `down` (or `absent`).
StandbyState standby_state(docker::Engine& engine, const std::string& project, bool configured,
                           const std::string& standby);

/// Whether `project`'s standby (service `standby`) answers a read-only query over its own socket and reports
/// itself in recovery. The primary lists the standby as `streaming` as soon as its WAL
/// receiver connects, which can be before the standby has reached a consistent state and
/// lets anyone read; `db standby add` waits for both.
bool standby_accepts_reads(docker::Engine& engine, const std::string& project, const std::string& standby);

}  // namespace supactl::stack
