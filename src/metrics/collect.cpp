// SPDX-License-Identifier: Apache-2.0
//
// One metrics snapshot. The cost is bounded and known: one labelled list call for every
// container of every instance, then per container one inspect (RestartCount) and, when it
// runs, one one-shot stats sample, plus one psql exec per running database, one archive read
// of the certificates per running Caddy and one `info` call for the data root (and, only for
// containers whose first Docker health check is pending, their health test, as `status`).
// The Engine answers a stats sample at its collector's next tick (once a second), so the
// samples are all asked at once (up to `stats_parallel`), the other requests `parallel` at a
// time beside them. Once the deadline has passed no new request starts, and what was not
// asked is left out of the snapshot (counted in `late`) rather than making the scrape slow.
#include <supactl/metrics/metrics.hpp>

#include <supactl/backup/archive.hpp>
#include <supactl/backup/backup.hpp>
#include <supactl/compose/model.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/instance/expectation.hpp>
#include <supactl/stack/certs.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/inspect.hpp>
#include <supactl/stack/stack.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

namespace supactl::metrics {

namespace {

using Clock = std::chrono::steady_clock;

/// Runs `tasks`, `parallel` at a time; a task not started by `deadline` is skipped. Returns
/// how many were skipped.
int run_bounded(std::vector<std::function<void()>>& tasks, int parallel, Clock::time_point deadline) {
  std::atomic<size_t> next{0};
  std::atomic<int> skipped{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < tasks.size();) {
      if (Clock::now() > deadline) {
        ++skipped;
        continue;
      }
      tasks[i]();
    }
  };
  std::vector<std::thread> threads;
  const size_t n = std::min(tasks.size(), static_cast<size_t>(std::max(1, parallel)));
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  return skipped.load();
}

BackupSample backup_sample(const std::filesystem::path& home, const std::string& name) {
  BackupSample sample{.instance = name, .exists = false, .time_s = 0, .size_bytes = 0, .ok = false};
  const std::filesystem::path dir = backup::backup_dir(home, name);
  if (const std::optional<backup::BackupOutcome> outcome = backup::last_outcome(dir)) {
    sample.exists = true;
    sample.time_s = outcome->time;
    sample.size_bytes = static_cast<uint64_t>(outcome->size);
    sample.ok = outcome->ok;
    return sample;
  }
  // Archives older than the outcome record (or copied in by hand): the newest one counts.
  const std::vector<backup::BackupFile> files = backup::list_backups(dir, name);
  if (files.empty()) return sample;
  std::error_code ec;
  const auto written = std::filesystem::last_write_time(files.back().path, ec);
  if (ec) return sample;
  const auto system = std::chrono::file_clock::to_sys(written);
  sample.exists = true;
  sample.time_s = std::chrono::duration_cast<std::chrono::seconds>(system.time_since_epoch()).count();
  sample.size_bytes = static_cast<uint64_t>(files.back().size);
  sample.ok = files.back().size > 0;
  return sample;
}

}  // namespace

const std::string& database_query() {
  // One statement per fact, as rows of (kind, label, value). Our own session is left out of
  // the connection counts and the transaction age; the statement timeout bounds a stuck
  // database.
  static const std::string sql = R"sql(set statement_timeout = 2000;
select 'size', '', coalesce(sum(pg_database_size(datname)), 0)::text from pg_database where datallowconn
union all
select 'connections', coalesce(state, 'unknown'), count(*)::text from pg_stat_activity
  where backend_type = 'client backend' and pid <> pg_backend_pid() group by state
union all
select 'longest_transaction', '', coalesce(extract(epoch from max(clock_timestamp() - xact_start)), 0)::text
  from pg_stat_activity
  where backend_type = 'client backend' and pid <> pg_backend_pid() and xact_start is not null
union all
select 'wal_archive_failures', '', failed_count::text from pg_stat_archiver
union all
select 'replication_lag', coalesce(nullif(application_name, ''), client_addr::text, pid::text),
       coalesce(extract(epoch from replay_lag), 0)::text from pg_stat_replication
union all
select 'replication_lag', 'self',
       coalesce(extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()), 0)::text
  where pg_is_in_recovery();
)sql";
  return sql;
}

void read_database_rows(const std::vector<std::vector<std::string>>& rows, DatabaseSample& sample) {
  for (const std::vector<std::string>& row : rows) {
    const std::string& kind = row.at(0);
    const std::string& label = row.at(1);
    const double value = row.at(2).empty() ? 0 : std::stod(row.at(2));
    if (kind == "size") {
      sample.size_bytes = static_cast<int64_t>(value);
    } else if (kind == "connections") {
      sample.connections[label] = static_cast<int64_t>(value);
    } else if (kind == "longest_transaction") {
      sample.longest_transaction_s = value;
    } else if (kind == "wal_archive_failures") {
      sample.wal_archive_failures = static_cast<int64_t>(value);
    } else if (kind == "replication_lag") {
      sample.replication_lag_s[label] = value;
    }
  }
  sample.up = true;
}

Snapshot collect(docker::Engine& engine, const CollectOptions& options) {
  const Clock::time_point start = Clock::now();
  const uint64_t requests_before = engine.request_count();
  Snapshot snap;

  // 1. What each instance should run, from its files (an instance that does not load is
  //    judged on what exists).
  std::vector<std::string> names = options.instances.empty() ? config::list_instances(options.home) : options.instances;
  std::map<std::string, std::vector<std::string>> expected;
  std::set<std::string> jobs;
  stack::HealthTests health;
  std::map<std::string, std::string> primaries;  // instance -> its primary Postgres service
  for (const std::string& name : names) {
    try {
      const config::Instance inst = config::load_instance(options.home, name);
      primaries[name] = inst.spec.db_primary;
      const instance::Expectation e = instance::expectation_of(inst);
      expected[name] = e.services;
      jobs.insert(e.jobs.begin(), e.jobs.end());
      health[name] = e.health;
    } catch (const Error& e) {
      spdlog::warn("instance {}: {}", name, e.what());
      expected[name] = {};
    }
  }

  // 2. One list call for every container, grouped as `status` groups them.
  std::vector<docker::ContainerSummary> listed = stack::list_stack_containers(engine);
  std::erase_if(listed, [&](const docker::ContainerSummary& c) {
    auto it = c.labels.find(compose::k_label_instance);
    return it == c.labels.end() || expected.count(it->second) == 0;
  });
  std::vector<stack::InstanceStatus> statuses =
      stack::summarize(listed, expected, std::vector<std::string>(jobs.begin(), jobs.end()));
  // As `status` does: a container whose first Docker health check is still pending runs its
  // health test once, so the two agree right after `up`.
  stack::probe_starting(engine, statuses, health);

  // 3. Per container an inspect and a stats sample, per running db one query: bounded.
  std::vector<std::function<void()>> tasks;
  std::vector<std::function<void()>> stats_tasks;
  std::mutex mutex;
  for (const stack::InstanceStatus& s : statuses) {
    snap.instances.push_back({.instance = s.instance, .healthy = s.healthy});
    for (const stack::ServiceStatus& svc : s.services) {
      for (const stack::ContainerStatus& c : svc.containers) {
        const bool running = c.state == docker::RunState::running;
        const bool healthy =
            svc.job ? (c.state == docker::RunState::exited && c.exit_code == 0)
                    : running && c.health != docker::Health::starting && c.health != docker::Health::unhealthy;
        snap.containers.push_back({.instance = s.instance,
                                   .service = svc.service,
                                   .container = c.name,
                                   .running = running,
                                   .healthy = healthy,
                                   .restarts = std::nullopt,
                                   .stats = std::nullopt});
      }
    }
  }
  for (ContainerSample& sample : snap.containers) {
    tasks.emplace_back([&engine, &sample, &mutex] {
      try {
        const int restarts = engine.inspect_container(sample.container).restart_count;
        std::lock_guard<std::mutex> lock(mutex);
        sample.restarts = restarts;
      } catch (const Error& e) {
        spdlog::debug("metrics: inspect {}: {}", sample.container, e.what());
      }
    });
    if (!sample.running) continue;
    stats_tasks.emplace_back([&engine, &sample, &mutex] {
      try {
        const docker::ContainerStats stats = engine.container_stats(sample.container);
        std::lock_guard<std::mutex> lock(mutex);
        sample.stats = stats;
      } catch (const Error& e) {
        spdlog::debug("metrics: stats {}: {}", sample.container, e.what());
      }
    });
  }
  snap.databases.reserve(snap.instances.size());  // no reallocation: tasks hold pointers into it
  for (const InstanceSample& inst : snap.instances) {
    auto db = std::find_if(snap.containers.begin(), snap.containers.end(), [&](const ContainerSample& c) {
      auto primary = primaries.find(inst.instance);
      return c.instance == inst.instance && c.running &&
             c.service == (primary == primaries.end() ? std::string("db") : primary->second);
    });
    DatabaseSample empty;
    empty.instance = inst.instance;
    snap.databases.push_back(std::move(empty));
    if (db == snap.containers.end()) continue;
    DatabaseSample* sample = &snap.databases.back();
    const std::string container = db->container;
    tasks.emplace_back([&engine, sample, container, &mutex] {
      try {
        const stack::PgTarget target{.container = container, .user = "supabase_admin", .database = "postgres"};
        const auto rows = stack::parse_unaligned(stack::query(engine, target, database_query()), 3);
        std::lock_guard<std::mutex> lock(mutex);
        read_database_rows(rows, *sample);
      } catch (const std::exception& e) {
        spdlog::debug("metrics: database of {}: {}", sample->instance, e.what());
      }
    });
  }
  std::vector<std::pair<std::string, std::string>> caddies;  // instance, container
  for (const ContainerSample& c : snap.containers) {
    if (c.service == "caddy" && c.running) caddies.emplace_back(c.instance, c.container);
  }
  for (const auto& [instance, container] : caddies) {
    tasks.emplace_back([&engine, &snap, &mutex, instance = instance, container = container] {
      try {
        const std::vector<stack::Certificate> certs = stack::caddy_certificates(engine, container);
        std::lock_guard<std::mutex> lock(mutex);
        for (const stack::Certificate& c : certs) {
          snap.certificates.push_back(
              {.instance = instance, .issuer = c.issuer, .name = c.name, .not_after_s = c.not_after_s});
        }
      } catch (const std::exception& e) {
        spdlog::debug("metrics: certificates of {}: {}", instance, e.what());
      }
    });
  }
  const Clock::time_point deadline = start + options.deadline;
  // The Engine answers a stats request at its collector's next tick (each second), so the
  // samples are asked all at once (up to stats_parallel), beside the other requests.
  int late_stats = 0;
  std::thread stats_thread([&] {
    const int at_once = static_cast<int>(std::min<size_t>(stats_tasks.size(), options.stats_parallel));
    late_stats = run_bounded(stats_tasks, at_once, deadline);
  });
  snap.late = run_bounded(tasks, options.parallel, deadline);
  stats_thread.join();
  snap.late += late_stats;
  std::sort(snap.certificates.begin(), snap.certificates.end(),
            [](const CertificateSample& a, const CertificateSample& b) {
              return std::tie(a.instance, a.issuer, a.name) < std::tie(b.instance, b.issuer, b.name);
            });

  // 4. Backups (files only) and the data root (one info call).
  for (const InstanceSample& inst : snap.instances) snap.backups.push_back(backup_sample(options.home, inst.instance));
  try {
    snap.disk = stack::data_root_space(engine);
  } catch (const Error& e) {
    spdlog::debug("metrics: data root: {}", e.what());
  }
  snap.engine_requests = engine.request_count() - requests_before;
  snap.duration_s = std::chrono::duration<double>(Clock::now() - start).count();
  return snap;
}

}  // namespace supactl::metrics
