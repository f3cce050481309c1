// SPDX-License-Identifier: Apache-2.0
//
// Readiness probing for `up`. Rather than wait for Docker's first scheduled health check
// (`interval` after start), supactl runs the container's own health test through exec right
// after start and then every ~150 ms, and treats the first pass as ready. The events stream
// (long-polled in one-second windows so the watcher can always stop promptly) wakes waiters
// as soon as a container dies or changes health, so a crash fails the wait at once.
#include <supactl/plan/readiness.hpp>

#include <supactl/compose/model.hpp>
#include <supactl/core/cancel.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <set>

namespace supactl::plan {
std::vector<std::string> probe_command(const docker::Healthcheck& h) {
  if (h.test.empty()) return {};
  if (h.test.front() == "CMD-SHELL") {
    std::string cmd;
    for (size_t i = 1; i < h.test.size(); ++i) cmd += (i > 1 ? " " : "") + h.test[i];
    return {"/bin/sh", "-c", cmd};
  }
  if (h.test.front() == "CMD") return {h.test.begin() + 1, h.test.end()};
  if (h.test.front() == "NONE") return {};
  return h.test;  // a bare list is taken as CMD
}

namespace {

using Clock = std::chrono::steady_clock;

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

EventWatcher::EventWatcher(docker::Engine& engine, std::string project)
    : m_engine(engine), m_project(std::move(project)), m_thread([this] { run(); }) {}

EventWatcher::~EventWatcher() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
}

void EventWatcher::run() {
  docker::Filters filters;
  filters.add("type", "container").label(compose::k_label_project, m_project);
  int64_t since = static_cast<int64_t>(std::time(nullptr));
  while (!m_stop && !core::cancel_requested()) {
    int64_t until = static_cast<int64_t>(std::time(nullptr)) + 1;
    try {
      m_engine.events(filters, since, until, [&](const docker::Event& e) {
        auto name = e.attributes.find("name");
        if (name != e.attributes.end()) {
          std::lock_guard<std::mutex> lock(m_mutex);
          m_last_action[name->second] = e.action;
        }
        m_cv.notify_all();
        return !m_stop.load();
      });
    } catch (const std::exception& e) {
      spdlog::debug("events watcher: {}", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    since = until;
  }
}

std::string EventWatcher::wait_for(const std::string& name, int ms) {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return m_last_action.count(name) != 0; });
  auto it = m_last_action.find(name);
  if (it == m_last_action.end()) return {};
  std::string action = it->second;
  m_last_action.erase(it);
  return action;
}

namespace {

/// Why a wait must end now: Ctrl-C ("interrupted") or the executor's abort ("aborted"); null
/// while it may go on.
const char* stop_reason(const std::atomic<bool>* abort) {
  if (core::cancel_requested()) return "interrupted";
  if (abort != nullptr && abort->load()) return "aborted";
  return nullptr;
}

}  // namespace

ReadyResult wait_ready(docker::Engine& engine, EventWatcher* events, const std::string& name,
                       const std::optional<docker::Healthcheck>& health, int timeout_s, int interval_ms,
                       const std::atomic<bool>* abort) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  const std::vector<std::string> probe = health ? probe_command(*health) : std::vector<std::string>{};
  ReadyResult result;
  // Starts seen (StartedAt values): a container its restart policy keeps restarting is in a
  // loop, and waiting longer will not help.
  std::set<std::string> starts;
  constexpr std::size_t k_restart_loop = 3;
  bool docker_says_unhealthy = false;
  while (true) {
    if (const char* why = stop_reason(abort)) {
      result.reason = why;
      return result;
    }
    docker::ContainerInfo info = engine.inspect_container(name);
    const docker::ContainerState& st = info.state;
    if (st.run_state() == docker::RunState::exited || st.run_state() == docker::RunState::dead) {
      result.reason = fmt::format("exited with code {}{}", st.exit_code, st.oom_killed ? " (out of memory)" : "");
      return result;
    }
    if (!st.started_at.empty()) starts.insert(st.started_at);
    if (starts.size() >= k_restart_loop) {
      result.reason = fmt::format("restart loop: started {} times, last exit code {}", starts.size(), st.exit_code);
      return result;
    }
    if (st.running) {
      if (st.health_state() == docker::Health::healthy || probe.empty()) {
        result.ready = true;
        return result;
      }
      // Docker's verdict "unhealthy" can come from a slow start on a loaded host (its retries
      // ran out before the service was up). A running container is given until the deadline:
      // our own probe below decides, and the last health output is kept for the report.
      if (st.health_state() == docker::Health::unhealthy) {
        docker_says_unhealthy = true;
        if (!st.health_log.empty()) result.last_output = last_line(st.health_log.back().output);
      }
      docker::ExecResult r =
          engine.exec(name, docker::ExecSpec{.cmd = probe, .env = {}, .user = {}, .working_dir = {}, .tty = false});
      if (r.exit_code == 0) {
        result.ready = true;
        return result;
      }
      result.last_output = last_line(r.out.empty() ? r.err : r.out + r.err);
    }
    if (Clock::now() >= deadline) {
      result.reason = fmt::format("{} after {} s", docker_says_unhealthy ? "unhealthy" : "not ready", timeout_s);
      return result;
    }
    if (events != nullptr) {
      events->wait_for(name, interval_ms);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  }
}

ReadyResult wait_completed(docker::Engine& engine, const std::string& name, int timeout_s,
                           const std::atomic<bool>* abort) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  ReadyResult result;
  while (true) {
    if (const char* why = stop_reason(abort)) {
      result.reason = why;
      return result;
    }
    docker::ContainerInfo info = engine.inspect_container(name);
    if (info.state.run_state() == docker::RunState::exited || info.state.run_state() == docker::RunState::dead) {
      result.ready = info.state.exit_code == 0;
      if (!result.ready) result.reason = fmt::format("exited with code {}", info.state.exit_code);
      return result;
    }
    if (Clock::now() >= deadline) {
      result.reason = fmt::format("did not finish within {} s", timeout_s);
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace supactl::plan
