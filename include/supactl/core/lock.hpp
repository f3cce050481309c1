// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>

namespace supactl::core {

/// An exclusive advisory lock (flock) on a file, held for the object's lifetime. Used per
/// instance so that two `up`/`down` runs never act on one instance at once. The holder's pid
/// is written into the file so a waiting process can name it.
class FileLock {
 public:
  /// Takes the lock on `path` (created 0600 if missing). Waits up to `wait_s` seconds
  /// (0 = try once); then throws supactl::Error(ExitCode::conflict) naming the holder's pid
  /// and `what` ("instance shop").
  FileLock(const std::filesystem::path& path, const std::string& what, int wait_s);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int m_fd = -1;
};

}  // namespace supactl::core
