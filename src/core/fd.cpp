// SPDX-License-Identifier: Apache-2.0
#include <supactl/core/fd.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>

namespace supactl::core {

void UniqueFd::reset(int fd) noexcept {
  if (m_fd >= 0 && m_fd != fd) ::close(m_fd);
  m_fd = fd;
}

int UniqueFd::close() noexcept {
  if (m_fd < 0) return 0;
  return ::close(release());
}

UniqueFd open_fd(const char* path, int flags, unsigned mode) {
  return UniqueFd(::open(path, flags | O_CLOEXEC, static_cast<mode_t>(mode)));
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace supactl::core
