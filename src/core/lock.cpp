// SPDX-License-Identifier: Apache-2.0
//
// flock(2) locks: per instance (a file holding the holder's pid) and per home folder (the
// folder itself). The kernel drops them when the process dies.
#include <supactl/core/lock.hpp>

#include <supactl/core/cancel.hpp>
#include <supactl/core/error.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace supactl::core {

namespace {

/// The pid a holder wrote into the lock file, or "another process".
std::string holder_of(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  return holder.empty() ? "another process" : holder;
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path, const std::string& what, int wait_s)
    : m_fd(open_fd(path.c_str(), O_RDWR | O_CREAT, 0600)) {
  if (!m_fd) throw Error(fmt::format("cannot open lock {}: {}", path.string(), std::strerror(errno)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  while (::flock(m_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK || std::chrono::steady_clock::now() >= deadline || cancel_requested()) {
      throw Error(fmt::format("{} is busy: another supactl (pid {}) is working on it", what, holder_of(m_fd.get())),
                  ExitCode::conflict, "wait for it to finish, or pass --lock-timeout SECONDS to wait");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(m_fd.get(), 0) == 0) {
    [[maybe_unused]] const ssize_t w = ::pwrite(m_fd.get(), pid.data(), pid.size(), 0);
  }
}

FileLock FileLock::directory(const std::filesystem::path& dir) {
  UniqueFd fd = open_fd(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (!fd || ::flock(fd.get(), LOCK_EX) != 0) {
    throw Error(fmt::format("cannot lock {}: {}", dir.string(), std::strerror(errno)));
  }
  return FileLock(std::move(fd));
}

std::optional<FileLock> FileLock::try_directory(const std::filesystem::path& dir) {
  UniqueFd fd = open_fd(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return std::nullopt;
  return FileLock(std::move(fd));
}

}  // namespace supactl::core
