// SPDX-License-Identifier: Apache-2.0
#pragma once

// The executor walks a Plan's DAG in parallel and performs each operation with one Engine
// call (or one readiness wait). It makes no decisions: every choice is already in the Plan.

#include <supactl/docker/engine.hpp>
#include <supactl/plan/plan.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace supactl::plan {

/// Receives what the executor does, for progress output. Called from worker threads; an
/// implementation serialises its own output.
class Progress {
 public:
  virtual ~Progress() = default;
  virtual void op_started(const Operation& op) = 0;
  virtual void op_finished(const Operation& op, double ms) = 0;
  virtual void op_failed(const Operation& op, const std::string& error) = 0;
  virtual void pull_progress(const Operation& op, const docker::PullProgress& p) = 0;
};

/// A Progress that reports nothing.
class NullProgress : public Progress {
 public:
  void op_started(const Operation&) override {}
  void op_finished(const Operation&, double) override {}
  void op_failed(const Operation&, const std::string&) override {}
  void pull_progress(const Operation&, const docker::PullProgress&) override {}
};

struct ExecuteOptions {
  int parallel = 8;        ///< Engine write calls in flight at once (waits do not count)
  int parallel_pulls = 4;  ///< pulls in flight at once
  /// Readiness probe cadence: first probe right after start, then every this many ms.
  int probe_interval_ms = 150;
  /// Lines of logs shown for a service that failed its wait.
  int failure_log_lines = 20;
  /// Compose project whose container events wake readiness waits; empty = no watcher.
  std::string project;
  /// Where the run's intent is journaled (plan/journal.hpp); empty = no journal.
  std::filesystem::path journal;
};

struct OpTiming {
  int id = 0;
  double start_ms = 0;  ///< since the executor started
  double end_ms = 0;
};

struct ExecutionReport {
  bool ok = true;
  std::vector<std::string> errors;  ///< one per failed operation, naming the service
  std::vector<OpTiming> timings;    ///< of the operations that ran
  std::vector<int> skipped;         ///< not run because an earlier operation failed
  double wall_ms = 0;
  /// An operation failed because the Engine could not be reached (it stopped, or the socket
  /// went away): the caller exits with engine_unavailable rather than unhealthy.
  bool engine_unavailable = false;
  /// Names of containers created by this run (for --rollback).
  std::vector<std::string> created;
};

/// Runs `plan`. Never throws for an operation's failure: it stops scheduling new operations,
/// lets running ones finish, and reports. Cancellation (Ctrl-C) behaves the same.
ExecutionReport execute(docker::Engine& engine, const Plan& plan, Progress& progress,
                        const ExecuteOptions& options = {});

/// Critical-path length of the plan in ms from `report`'s timings: the longest chain of
/// dependent operations, each counted for its own duration (the Engine's floor).
double critical_path_ms(const Plan& plan, const ExecutionReport& report);

}  // namespace supactl::plan
