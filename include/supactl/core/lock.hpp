// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <supactl/core/fd.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace supactl::core {

/// An exclusive advisory lock (flock) held for the object's lifetime; released by the kernel
/// when the process dies, so a killed supactl never leaves a stale lock. Movable.
class FileLock {
 public:
  /// Takes the lock on the file `path` (created 0600 if missing) and writes this process's
  /// pid into it so a waiting process can name the holder. Waits up to `wait_s` seconds
  /// (0 = try once) or until Ctrl-C; then throws supactl::Error(ExitCode::conflict) naming
  /// the holder's pid and `what` ("instance shop").
  FileLock(const std::filesystem::path& path, const std::string& what, int wait_s);

  /// Locks the folder `dir` itself (no file is created), waiting as long as it takes: for
  /// short critical sections such as allocating names and ports in a home folder.
  static FileLock directory(const std::filesystem::path& dir);

  /// Locks the folder `dir` when nobody holds it; nullopt when another holder does (or the
  /// folder cannot be opened). For telling a live process's private folder from a dead one's.
  static std::optional<FileLock> try_directory(const std::filesystem::path& dir);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  ~FileLock() = default;  // closing the descriptor releases the lock

 private:
  explicit FileLock(UniqueFd fd) : m_fd(std::move(fd)) {}
  UniqueFd m_fd;
};

}  // namespace supactl::core
