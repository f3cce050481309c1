// SPDX-License-Identifier: Apache-2.0
#pragma once

// Readiness: Docker runs a container's first health check only after `interval` (5 s in
// upstream's files), so waiting on Docker's status costs at least that per dependency hop.
// supactl instead runs the service's own health test by exec at a short cadence and declares
// a container ready the moment it passes. An events stream (die, health_status) wakes
// waiters early and turns a crash into an immediate failure.

#include <supactl/docker/engine.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace supactl::plan {

/// Watches the Engine's container events for one project in a background thread.
class EventWatcher {
 public:
  /// Starts watching containers labelled with `project`. `engine` must outlive the watcher.
  EventWatcher(docker::Engine& engine, std::string project);
  ~EventWatcher();
  EventWatcher(const EventWatcher&) = delete;
  EventWatcher& operator=(const EventWatcher&) = delete;

  /// Blocks up to `ms` or until an event for container `name` arrives. Returns the last
  /// action seen for it since the previous call ("die", "health_status: healthy", ...) or
  /// empty.
  std::string wait_for(const std::string& name, int ms);

 private:
  void run();

  docker::Engine& m_engine;
  std::string m_project;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::map<std::string, std::string> m_last_action;  ///< container name -> action
  std::thread m_thread;
};

/// The command that runs health test `h` by exec (CMD-SHELL through /bin/sh -c); empty for
/// NONE or no test.
std::vector<std::string> probe_command(const docker::Healthcheck& h);

struct ReadyResult {
  bool ready = false;
  std::string reason;       ///< why not: "exited with code 1", "unhealthy: ...", "timed out after 60 s"
  std::string last_output;  ///< the last health test output
};

/// Waits until container `name` runs and passes `health` (its own health test, run by exec
/// every `interval_ms`), until `timeout_s`. Fails early only when the container exits or its
/// restart policy keeps restarting it (3 starts seen); Docker's own "unhealthy" verdict on a
/// running container is not final (a slow start on a loaded host), it is only reported if the
/// deadline passes. Gives up (reason "aborted") as soon as `*abort` becomes true.
/// A container without a health test is ready once running.
ReadyResult wait_ready(docker::Engine& engine, EventWatcher* events, const std::string& name,
                       const std::optional<docker::Healthcheck>& health, int timeout_s, int interval_ms,
                       const std::atomic<bool>* abort = nullptr);

/// Waits until one-shot container `name` exits; ready when the exit code is 0.
ReadyResult wait_completed(docker::Engine& engine, const std::string& name, int timeout_s,
                           const std::atomic<bool>* abort = nullptr);

}  // namespace supactl::plan
