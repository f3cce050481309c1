// SPDX-License-Identifier: Apache-2.0
//
// Per-instance exclusive lock with flock(2): released by the kernel when the process dies,
// so a crashed or killed `up` never leaves a stale lock behind.
#include <supactl/core/lock.hpp>

#include <supactl/core/cancel.hpp>
#include <supactl/core/error.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace supactl::core {

FileLock::FileLock(const std::filesystem::path& path, const std::string& what, int wait_s) {
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (m_fd < 0) {
    throw Error(fmt::format("cannot open lock {}: {}", path.string(), std::strerror(errno)));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK || std::chrono::steady_clock::now() >= deadline || cancel_requested()) {
      char buf[32] = {};
      ssize_t n = ::pread(m_fd, buf, sizeof(buf) - 1, 0);
      std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      ::close(m_fd);
      m_fd = -1;
      throw Error(fmt::format("{} is busy: another supactl (pid {}) is working on it", what, holder),
                  ExitCode::conflict, "wait for it to finish, or pass --lock-timeout SECONDS to wait");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(m_fd, 0) == 0) {
    [[maybe_unused]] ssize_t w = ::pwrite(m_fd, pid.data(), pid.size(), 0);
  }
}

FileLock::~FileLock() {
  if (m_fd >= 0) {
    ::flock(m_fd, LOCK_UN);
    ::close(m_fd);
  }
}

}  // namespace supactl::core
