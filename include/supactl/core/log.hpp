// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

namespace supactl::core {

/// Sets up the process logger: stderr only (stdout carries results), level from `verbosity`
/// (0 warn, 1 info, 2 debug, 3 trace) or SUPACTL_LOG.
void init_logging(int verbosity);

/// Logs at debug level how long a named phase took when it goes out of scope.
class PhaseTimer {
 public:
  explicit PhaseTimer(std::string name) : m_name(std::move(name)), m_start(std::chrono::steady_clock::now()) {}
  ~PhaseTimer() {
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - m_start);
    spdlog::debug("phase {}: {:.1f} ms", m_name, ms.count());
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  std::string m_name;
  std::chrono::steady_clock::time_point m_start;
};

}  // namespace supactl::core
