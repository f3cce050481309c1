// SPDX-License-Identifier: Apache-2.0
#pragma once

// The executor's recorded intent. While a plan runs, each Engine write is noted in a journal
// file before its call and again once the call returned; a run that ends removes the file
// when every call it started returned. A journal left behind means a run was killed or
// interrupted inside a call, and its unfinished calls may still be under
// way in the Engine (a container stop, which waits out the stop timeout, keeps going after
// the client is gone). The next run finishes those calls before it observes, so it never plans
// against a container that is about to stop or go.

#include <supactl/docker/engine.hpp>
#include <supactl/plan/plan.hpp>

#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace supactl::plan {

/// An operation a killed run started and did not see finish.
struct PendingOp {
  int id = 0;
  OpType type = OpType::pull_image;
  std::string target;
  int timeout_s = 0;
};

class Journal {
 public:
  /// Starts a journal at `path` (replacing any); an empty path journals nothing.
  explicit Journal(std::filesystem::path path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// Notes that `op` is about to be performed (write operations only).
  void started(const Operation& op);
  /// Notes that `op` returned.
  void finished(const Operation& op);
  /// The run ended. The journal is removed, unless a call it started never returned (a
  /// call cut short by Ctrl-C, which the Engine still carries out): then it stays, for the
  /// next run to finish that call.
  void close();

  /// The operations of a journal left at `path` that were started and not finished (none
  /// when there is no file). Lines it cannot read are skipped.
  static std::vector<PendingOp> pending(const std::filesystem::path& path);

 private:
  std::filesystem::path m_path;
  int m_fd = -1;
  std::mutex m_mutex;
  std::set<int> m_open;  // started, not finished
};

/// Finishes what a killed run left under way, from its journal at `path`: a pending stop is
/// performed again and waited for, a pending removal is performed again (a container already
/// gone is fine). Then the journal is removed. Returns how many calls it finished.
int finish_interrupted(docker::Engine& engine, const std::filesystem::path& path);

}  // namespace supactl::plan
