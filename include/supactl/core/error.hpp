// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace supactl {

/// Process exit codes. Scripts rely on these numbers: never renumber, only append.
/// Documented in docs/API_REFERENCE.md.
enum class ExitCode : int {
  ok = 0,
  failure = 1,             ///< an operation failed (Engine error, failed pull, ...)
  usage = 2,               ///< bad command line or bad input file
  not_found = 3,           ///< the instance (or backup, service) does not exist
  conflict = 4,            ///< exists already, port taken, lock held by another process
  engine_unavailable = 5,  ///< no Docker Engine answered, or permission denied on its socket
  unhealthy = 6,           ///< services did not become healthy (or `status` found them unhealthy)
  interrupted = 130,       ///< Ctrl-C
};

/// The one exception type supactl throws for expected failures. `cli::run` catches it once,
/// prints `supactl: error: <message>` (plus `hint` when set) and exits with `code`.
class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, ExitCode code = ExitCode::failure, std::string hint = {})
      : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}

  ExitCode code() const noexcept { return m_code; }
  /// A one-line suggestion naming the fix, e.g. "run `supactl init shop` first".
  const std::string& hint() const noexcept { return m_hint; }
  /// Further errors of the same failure (parallel operations that failed each on their own),
  /// reported as lines after the message.
  const std::vector<std::string>& details() const noexcept { return m_details; }
  void add_detail(std::string detail) { m_details.push_back(std::move(detail)); }

 private:
  ExitCode m_code;
  std::string m_hint;
  std::vector<std::string> m_details;
};

}  // namespace supactl
