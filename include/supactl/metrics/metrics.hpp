// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl metrics`: what Prometheus (or node_exporter's textfile collector) reads about every
// instance. collect() takes one snapshot through the Engine (one list call, then an inspect
// and a one-shot stats sample per container, one psql exec per running database and one
// archive read per running Caddy, a few at a time and within a deadline) and the backup folders; exposition() turns a
// snapshot into the Prometheus text format. No secret is ever part of a snapshot.

#include <supactl/docker/engine.hpp>
#include <supactl/stack/disk.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace supactl::metrics {

/// One container of one service of one instance.
struct ContainerSample {
  std::string instance;
  std::string service;
  std::string container;
  bool running = false;
  /// healthy, or running without a health check; a finished one-shot job that exited 0
  bool healthy = false;
  std::optional<int> restarts;                  ///< RestartCount; nullopt when not inspected in time
  std::optional<docker::ContainerStats> stats;  ///< running containers sampled in time
};

/// What one psql exec reports about an instance's Postgres.
struct DatabaseSample {
  std::string instance;
  bool up = false;  ///< the query answered; the other fields are only meaningful then
  int64_t size_bytes = 0;
  std::map<std::string, int64_t> connections;       ///< client connections by state ("active", "idle", ...)
  double longest_transaction_s = 0;                 ///< age of the oldest open transaction; 0 = none
  std::map<std::string, double> replication_lag_s;  ///< by standby name ("self" on a standby)
  int64_t wal_archive_failures = 0;
};

/// The newest backup archive in HOME/backups/NAME.
struct BackupSample {
  std::string instance;
  bool exists = false;
  int64_t time_s = 0;  ///< Unix time the archive was written
  uint64_t size_bytes = 0;
  bool ok = false;  ///< its manifest reads back (a cut-short archive does not)
};

/// A certificate the instance's Caddy holds.
struct CertificateSample {
  std::string instance;
  std::string issuer;  ///< "local" for Caddy's own CA (its leaf certificates live 12 hours)
  std::string name;
  int64_t not_after_s = 0;
};

struct InstanceSample {
  std::string instance;
  bool healthy = false;  ///< every expected service ok (as `supactl status` judges)
};

struct Snapshot {
  std::vector<InstanceSample> instances;
  std::vector<ContainerSample> containers;
  std::vector<DatabaseSample> databases;
  std::vector<BackupSample> backups;
  std::vector<CertificateSample> certificates;
  std::optional<stack::DiskSpace> disk;  ///< nullopt for an Engine on another host
  double duration_s = 0;
  uint64_t engine_requests = 0;
  int late = 0;  ///< requests not started because the deadline had passed
};

struct CollectOptions {
  std::filesystem::path home;
  std::vector<std::string> instances;  ///< empty = every instance in `home`
  int parallel = 8;                    ///< Engine requests at once, stats samples aside
  /// Stats samples at once: the Engine answers each at its collector's next tick (every
  /// second), so asking them together makes the whole snapshot take about one tick.
  size_t stats_parallel = 512;
  /// No request starts after this long; a request under way is waited for.
  std::chrono::milliseconds deadline{3000};
};

/// Takes one snapshot. An instance whose files do not load is reported with what runs.
Snapshot collect(docker::Engine& engine, const CollectOptions& options);

/// The Prometheus text format of `snapshot`: every family with `# HELP` and `# TYPE`, series
/// named supactl_*, labelled by instance (and service, container, state, standby).
std::string exposition(const Snapshot& snapshot);

/// The SQL of the database sample: rows of (kind, label, value), tab-separated by psql.
const std::string& database_query();

/// Reads database_query()'s rows into `sample` (sets `up`).
void read_database_rows(const std::vector<std::vector<std::string>>& rows, DatabaseSample& sample);

}  // namespace supactl::metrics
