// SPDX-License-Identifier: Apache-2.0
//
// A snapshot in the Prometheus text exposition format (version 0.0.4): each family once, with
// `# HELP` and `# TYPE`, all of its samples together, label values escaped. Counters end in
// `_total`, units are spelled out (`_seconds`, `_bytes`), as promtool's linter asks. The
// values come from the Engine, Postgres and the backup folder; no secret is ever one.
#include <supactl/metrics/metrics.hpp>

#include <fmt/format.h>

#include <functional>
#include <utility>

namespace supactl::metrics {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number(double value) { return fmt::format("{}", value); }

class Writer {
 public:
  /// Starts family `name`; `add` then writes its samples through sample().
  void family(const std::string& name, const char* type, const char* help) {
    m_name = name;
    m_out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(const Labels& labels, double value) {
    std::string text;
    for (const auto& [key, label] : labels)
      text += fmt::format("{}{}=\"{}\"", text.empty() ? "" : ",", key, escape(label));
    m_out +=
        fmt::format("{}{}{}{} {}\n", m_name, labels.empty() ? "" : "{", text, labels.empty() ? "" : "}", number(value));
  }
  std::string take() { return std::move(m_out); }

 private:
  std::string m_name;
  std::string m_out;
};

Labels container_labels(const ContainerSample& c) {
  return {{"instance", c.instance}, {"service", c.service}, {"container", c.container}};
}

void containers(Writer& w, const Snapshot& s) {
  w.family("supactl_service_up", "gauge", "Whether the service's container is running (1) or not (0).");
  for (const ContainerSample& c : s.containers) w.sample(container_labels(c), c.running ? 1 : 0);
  w.family("supactl_service_healthy", "gauge",
           "Whether the container passes its health check (running without one counts; a finished job that "
           "exited 0 counts).");
  for (const ContainerSample& c : s.containers) w.sample(container_labels(c), c.healthy ? 1 : 0);
  w.family("supactl_service_restarts_total", "counter",
           "Restarts of the container by the Engine's restart policy (RestartCount).");
  for (const ContainerSample& c : s.containers) {
    if (c.restarts) w.sample(container_labels(c), *c.restarts);
  }
  w.family("supactl_service_cpu_seconds_total", "counter", "CPU time the container has used since it started.");
  for (const ContainerSample& c : s.containers) {
    if (c.stats) w.sample(container_labels(c), static_cast<double>(c.stats->cpu_ns) / 1e9);
  }
  w.family("supactl_service_memory_bytes", "gauge",
           "Memory the container uses, less the page cache (as docker stats).");
  for (const ContainerSample& c : s.containers) {
    if (c.stats) w.sample(container_labels(c), static_cast<double>(c.stats->memory_bytes));
  }
}

void databases(Writer& w, const Snapshot& s) {
  w.family("supactl_db_up", "gauge", "Whether the instance's Postgres answered the metrics query.");
  for (const DatabaseSample& d : s.databases) w.sample({{"instance", d.instance}}, d.up ? 1 : 0);
  w.family("supactl_db_size_bytes", "gauge", "Size of all databases of the instance's Postgres.");
  for (const DatabaseSample& d : s.databases) {
    if (d.up) w.sample({{"instance", d.instance}}, static_cast<double>(d.size_bytes));
  }
  w.family("supactl_db_connections", "gauge", "Client connections to Postgres by state.");
  for (const DatabaseSample& d : s.databases) {
    for (const auto& [state, n] : d.connections)
      w.sample({{"instance", d.instance}, {"state", state}}, static_cast<double>(n));
  }
  w.family("supactl_db_longest_transaction_seconds", "gauge", "Age of the oldest open transaction (0 when none).");
  for (const DatabaseSample& d : s.databases) {
    if (d.up) w.sample({{"instance", d.instance}}, d.longest_transaction_s);
  }
  w.family("supactl_db_replication_lag_seconds", "gauge",
           "Replay lag of each standby (standby=\"self\" on a standby: time since the last replayed transaction).");
  for (const DatabaseSample& d : s.databases) {
    for (const auto& [standby, lag] : d.replication_lag_s)
      w.sample({{"instance", d.instance}, {"standby", standby}}, lag);
  }
  w.family("supactl_db_wal_archive_failures_total", "counter", "Failed WAL archive attempts (pg_stat_archiver).");
  for (const DatabaseSample& d : s.databases) {
    if (d.up) w.sample({{"instance", d.instance}}, static_cast<double>(d.wal_archive_failures));
  }
}

void backups(Writer& w, const Snapshot& s) {
  w.family("supactl_backup_last_timestamp_seconds", "gauge", "Unix time of the instance's last backup.");
  for (const BackupSample& b : s.backups) {
    if (b.exists) w.sample({{"instance", b.instance}}, static_cast<double>(b.time_s));
  }
  w.family("supactl_backup_last_size_bytes", "gauge", "Size of the instance's last backup archive.");
  for (const BackupSample& b : s.backups) {
    if (b.exists) w.sample({{"instance", b.instance}}, static_cast<double>(b.size_bytes));
  }
  w.family("supactl_backup_last_success", "gauge", "Whether the instance's last backup succeeded (1) or failed (0).");
  for (const BackupSample& b : s.backups) {
    if (b.exists) w.sample({{"instance", b.instance}}, b.ok ? 1 : 0);
  }
}

}  // namespace

std::string exposition(const Snapshot& s) {
  Writer w;
  w.family("supactl_instance_healthy", "gauge",
           "Whether every service the instance should run is running and healthy (as supactl status judges).");
  for (const InstanceSample& i : s.instances) w.sample({{"instance", i.instance}}, i.healthy ? 1 : 0);
  containers(w, s);
  databases(w, s);
  backups(w, s);
  w.family("supactl_certificate_expiry_timestamp_seconds", "gauge",
           "Unix time a certificate the instance's Caddy serves expires (issuer \"local\": Caddy's own CA).");
  for (const CertificateSample& c : s.certificates) {
    w.sample({{"instance", c.instance}, {"issuer", c.issuer}, {"name", c.name}}, static_cast<double>(c.not_after_s));
  }
  if (s.disk) {
    w.family("supactl_docker_data_root_free_bytes", "gauge", "Free space on the Docker data root (DockerRootDir).");
    w.sample({{"path", s.disk->path}}, static_cast<double>(s.disk->free_bytes));
    w.family("supactl_docker_data_root_size_bytes", "gauge", "Size of the file system of the Docker data root.");
    w.sample({{"path", s.disk->path}}, static_cast<double>(s.disk->total_bytes));
  }
  w.family("supactl_scrape_duration_seconds", "gauge", "How long supactl took to collect these metrics.");
  w.sample({}, s.duration_s);
  w.family("supactl_scrape_engine_requests", "gauge", "Docker Engine API requests made to collect these metrics.");
  w.sample({}, static_cast<double>(s.engine_requests));
  w.family("supactl_scrape_skipped_requests", "gauge",
           "Requests not made because the collection deadline had passed (their series are missing).");
  w.sample({}, s.late);
  return w.take();
}

}  // namespace supactl::metrics
