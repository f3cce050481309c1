// SPDX-License-Identifier: Apache-2.0
//
// The plan executor. Each operation runs on its own thread as soon as all of its
// dependencies have finished; a counting semaphore bounds the Engine write calls in flight
// (readiness waits do not hold a slot, so a slow health check never starves the creates of
// unrelated services). The first failure stops scheduling: operations already running finish,
// the rest are reported as skipped. No decisions are made here. Each Engine write is journaled
// before and after its call (plan/journal.hpp), so the next run can finish what a kill left. Each operation is a kill
// point for crash tests before and after its call ("op:ID:start", "op:ID:done"; core/fault.hpp).
#include <supactl/plan/execute.hpp>

#include <supactl/core/cancel.hpp>
#include <supactl/core/fault.hpp>
#include <supactl/plan/journal.hpp>
#include <supactl/plan/readiness.hpp>
#include <supactl/plan/swarm_ops.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <set>
#include <thread>

namespace supactl::plan {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

/// The last `lines` lines of a container's logs, for failure reports.
std::string tail_logs(docker::Engine& engine, const std::string& name, int lines) {
  std::string out;
  try {
    docker::LogOptions opts;
    opts.tail = std::to_string(lines);
    engine.logs(name, opts, [&](docker::StreamKind, std::string_view chunk) {
      out.append(chunk);
      return true;
    });
  } catch (const std::exception& e) {
    out = fmt::format("(logs unavailable: {})", e.what());
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Executor {
 public:
  Executor(docker::Engine& engine, const Plan& plan, Progress& progress, const ExecuteOptions& options)
      : m_engine(engine),
        m_plan(plan),
        m_progress(progress),
        m_options(options),
        m_writes(options.parallel),
        m_pulls(options.parallel_pulls),
        m_journal(options.journal) {}

  ExecutionReport run() {
    m_t0 = Clock::now();
    bool has_waits = false;
    for (const Operation& op : m_plan.ops) has_waits |= op.type == OpType::wait_ready;
    if (has_waits && !m_options.project.empty()) {
      m_events = std::make_unique<EventWatcher>(m_engine, m_options.project);
    }
    m_remaining_deps.resize(m_plan.ops.size());
    m_dependents.resize(m_plan.ops.size());
    for (const Operation& op : m_plan.ops) {
      m_remaining_deps[idx(op.id)] = op.deps.size();
      for (int d : op.deps) m_dependents[idx(d)].push_back(op.id);
    }
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      for (const Operation& op : m_plan.ops) {
        if (op.deps.empty()) launch(op.id);
      }
      m_cv.wait(lock, [&] { return m_running == 0; });
    }
    for (std::thread& t : m_threads) t.join();
    m_events.reset();
    m_journal.close();

    // Anything never started was skipped.
    for (const Operation& op : m_plan.ops) {
      if (m_started.count(op.id) == 0) m_report.skipped.push_back(op.id);
    }
    m_report.ok = m_report.errors.empty() && m_report.skipped.empty();
    if (core::cancel_requested() && m_report.errors.empty() && !m_report.skipped.empty()) {
      m_report.errors.push_back("interrupted");
    }
    m_report.wall_ms = ms_since(m_t0);
    return std::move(m_report);
  }

 private:
  static size_t idx(int id) { return static_cast<size_t>(id - 1); }

  // Caller holds m_mutex.
  void launch(int id) {
    if (m_failed || core::cancel_requested()) return;
    m_started.insert(id);
    ++m_running;
    m_threads.emplace_back([this, id] { work(id); });
  }

  void work(int id) {
    const Operation& op = m_plan.ops[idx(id)];
    std::string error;
    double start = ms_since(m_t0);
    m_progress.op_started(op);
    bool engine_gone = false;
    try {
      m_journal.started(op);
      core::fault_point(fmt::format("op:{}:start", id));
      error = perform(op);
      m_journal.finished(op);
      if (error.empty()) core::fault_point(fmt::format("op:{}:done", id));
    } catch (const docker::EngineError& e) {
      error = e.what();
      engine_gone = e.kind() == docker::ErrorKind::connection || e.kind() == docker::ErrorKind::permission;
      // The Engine answered: the call is over. A call cut short by Ctrl-C, a lost connection
      // or a timeout may still be under way there, so it stays open in the journal.
      if (!engine_gone && e.kind() != docker::ErrorKind::cancelled && e.kind() != docker::ErrorKind::timeout) {
        m_journal.finished(op);
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    double end = ms_since(m_t0);
    std::lock_guard<std::mutex> lock(m_mutex);
    if (engine_gone) m_report.engine_unavailable = true;
    m_report.timings.push_back(OpTiming{.id = id, .start_ms = start, .end_ms = end});
    if (error.empty()) {
      m_progress.op_finished(op, end - start);
      for (int next : m_dependents[idx(id)]) {
        if (--m_remaining_deps[idx(next)] == 0) launch(next);
      }
    } else {
      m_progress.op_failed(op, error);
      // A wait cut short by another operation's failure is not a failure of its own.
      if (!(m_abort && error.find(") aborted") != std::string::npos)) m_report.errors.push_back(error);
      m_failed = true;
      m_abort = true;
    }
    --m_running;
    m_cv.notify_all();
  }

  /// Performs one operation; returns an error message, empty on success.
  std::string perform(const Operation& op) {
    const std::string who = op.service.empty() ? op.target : op.service;
    switch (op.type) {
      case OpType::pull_image: {
        Slot slot(m_pulls);
        m_engine.pull_image(op.target, [&](const docker::PullProgress& p) { m_progress.pull_progress(op, p); });
        return {};
      }
      case OpType::wait_ready: {
        ReadyResult r = wait_ready(m_engine, m_events.get(), op.target, op.health, op.timeout_s,
                                   m_options.probe_interval_ms, &m_abort);
        if (r.ready) return {};
        return failure(op, r);
      }
      case OpType::wait_completed: {
        ReadyResult r = wait_completed(m_engine, op.target, op.timeout_s, &m_abort);
        if (r.ready) return {};
        return failure(op, r);
      }
      case OpType::wait_service: {
        ReadyResult r = wait_service(m_engine, op.target, op.number, op.job, op.timeout_s, &m_abort);
        if (r.ready) return {};
        if (r.reason == "aborted") return fmt::format("service {} ({}) aborted", op.service, op.target);
        return fmt::format("service {} ({}) {}{}", op.service, op.target, r.reason,
                           r.last_output.empty() ? "" : "; last task error: " + r.last_output);
      }
      default: break;
    }
    Slot slot(m_writes);
    switch (op.type) {
      case OpType::create_network: try { m_engine.create_network(*op.network);
        } catch (const docker::EngineError& e) {
          if (e.kind() != docker::ErrorKind::conflict) throw;  // created meanwhile: fine
        }
        return {};
      case OpType::create_volume: m_engine.create_volume(*op.volume); return {};
      case OpType::create_container: {
        m_engine.create_container(*op.container);
        std::lock_guard<std::mutex> lock(m_mutex);
        m_report.created.push_back(op.container->name);
        return {};
      }
      case OpType::start_container: m_engine.start_container(op.target); return {};
      case OpType::stop_container: m_engine.stop_container(op.target, op.timeout_s); return {};
      case OpType::remove_container:
        m_engine.remove_container(op.target, /*force=*/true, /*remove_volumes=*/false);
        return {};
      case OpType::rename_container: {
        m_engine.rename_container(op.target, op.new_name);
        std::lock_guard<std::mutex> lock(m_mutex);
        for (std::string& n : m_report.created) {
          if (n == op.target) n = op.new_name;
        }
        return {};
      }
      case OpType::remove_network: remove_network(op.target); return {};
      case OpType::remove_volume: m_engine.remove_volume(op.target, false); return {};
      case OpType::create_config:
      case OpType::create_secret:
      case OpType::create_service:
      case OpType::update_service:
      case OpType::remove_service:
      case OpType::remove_config:
      case OpType::remove_secret:
      case OpType::update_node: perform_swarm(m_engine, op); return {};
      default: return fmt::format("operation {} not executable", to_string(op.type));
    }
  }

  // The Engine can answer "has active endpoints" for a moment after the last container on the
  // network was removed (its endpoint is released after the removal returns; seen on a 20.10
  // Engine in CI). Such a refusal is retried for up to 10 s; any other failure is final.
  void remove_network(const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      try {
        m_engine.remove_network(name);
        return;
      } catch (const docker::EngineError& e) {
        if (e.kind() == docker::ErrorKind::not_found) return;
        const bool settling = std::string_view(e.what()).find("active endpoints") != std::string_view::npos;
        if (!settling || std::chrono::steady_clock::now() >= deadline || core::cancel_requested()) throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  std::string failure(const Operation& op, const ReadyResult& r) {
    if (r.reason == "aborted") return fmt::format("service {} ({}) aborted", op.service, op.target);
    std::string msg = fmt::format("service {} ({}) {}", op.service, op.target, r.reason);
    if (!r.last_output.empty()) msg += fmt::format("; last health output: {}", r.last_output);
    std::string logs = tail_logs(m_engine, op.target, m_options.failure_log_lines);
    if (!logs.empty()) msg += fmt::format("\n--- last log lines of {} ---\n{}", op.target, logs);
    return msg;
  }

  /// Holds one slot of a semaphore for a scope.
  class Slot {
   public:
    explicit Slot(std::counting_semaphore<>& s) : m_s(s) { m_s.acquire(); }
    ~Slot() { m_s.release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    std::counting_semaphore<>& m_s;
  };

  docker::Engine& m_engine;
  const Plan& m_plan;
  Progress& m_progress;
  ExecuteOptions m_options;
  std::counting_semaphore<> m_writes;
  std::counting_semaphore<> m_pulls;
  std::unique_ptr<EventWatcher> m_events;
  Journal m_journal;
  Clock::time_point m_t0;

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<size_t> m_remaining_deps;
  std::vector<std::vector<int>> m_dependents;
  std::set<int> m_started;
  std::vector<std::thread> m_threads;
  int m_running = 0;
  bool m_failed = false;
  std::atomic<bool> m_abort{false};
  ExecutionReport m_report;
};

}  // namespace

ExecutionReport execute(docker::Engine& engine, const Plan& plan, Progress& progress, const ExecuteOptions& options) {
  Executor executor(engine, plan, progress, options);
  return executor.run();
}

double critical_path_ms(const Plan& plan, const ExecutionReport& report) {
  std::map<int, double> duration;
  for (const OpTiming& t : report.timings) duration[t.id] = t.end_ms - t.start_ms;
  std::map<int, double> longest;  // ops are in topological order: deps have lower ids
  double best = 0;
  for (const Operation& op : plan.ops) {
    double before = 0;
    for (int d : op.deps) before = std::max(before, longest[d]);
    longest[op.id] = before + duration[op.id];
    best = std::max(best, longest[op.id]);
  }
  return best;
}

}  // namespace supactl::plan
