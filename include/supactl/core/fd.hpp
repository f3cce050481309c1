// SPDX-License-Identifier: Apache-2.0
#pragma once

// Owning handles for POSIX resources: a file descriptor closed exactly once, and a scope guard
// for the rare clean-up that has no type of its own.

#include <string_view>
#include <utility>

namespace supactl::core {

/// Owns one file descriptor; closes it when destroyed or reset. Movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return m_fd; }
  explicit operator bool() const noexcept { return m_fd >= 0; }
  /// Gives up ownership without closing.
  int release() noexcept { return std::exchange(m_fd, -1); }
  /// Closes the descriptor held (if any) and holds `fd` instead.
  void reset(int fd = -1) noexcept;
  /// Closes now and reports the result of close(2) (0, or -1 with errno), for writers that
  /// must know that their data reached the file.
  int close() noexcept;

 private:
  int m_fd = -1;
};

/// Opens `path` with open(2) flags (O_CLOEXEC is always added); an empty UniqueFd on failure
/// with errno set.
UniqueFd open_fd(const char* path, int flags, unsigned mode = 0);

/// Writes all of `data` to `fd`, retrying on EINTR and short writes. False with errno set on
/// failure.
bool write_all(int fd, std::string_view data);

/// Runs `fn` when the scope ends, unless dismissed.
template <typename Fn>
class ScopeExit {
 public:
  explicit ScopeExit(Fn fn) : m_fn(std::move(fn)) {}
  ~ScopeExit() {
    if (m_armed) m_fn();
  }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  void dismiss() noexcept { m_armed = false; }

 private:
  Fn m_fn;
  bool m_armed = true;
};

}  // namespace supactl::core
