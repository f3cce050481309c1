// SPDX-License-Identifier: Apache-2.0
#pragma once

// A host port for tests that must publish one, that no other caller gets while this test
// process lives: each port handed out is held by an exclusive flock on
// /tmp/supactl-test-ports/PORT.lock, kept until the process ends (the kernel drops it then,
// even after a crash), so two calls in one run and two runs in parallel never share a port.
// A held port is also checked to have no listener (bind on all interfaces). Ports come from
// 30000-32767: below Linux's ephemeral range (32768-60999), so the kernel does not hand them
// to outgoing connections, and outside the ranges supactl's own tests set with
// SUPACTL_PORT_RANGE (21000-21999, 47000-47999) and its default 8000-8999.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

namespace supactl::test {

inline constexpr int k_free_port_first = 30000;
inline constexpr int k_free_port_last = 32767;
inline constexpr const char* k_free_port_locks = "/tmp/supactl-test-ports";

/// Whether nothing listens on TCP `port` on any interface (a plain bind succeeds).
inline bool port_is_unbound(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

/// A TCP port nobody listens on, held for this process (see above). Throws when the whole
/// range is taken.
inline int free_port() {
  static std::mutex m;
  static std::set<int> mine;  // ports this process holds (their lock fds stay open)
  std::lock_guard<std::mutex> lock(m);
  ::mkdir(k_free_port_locks, 01777);
  ::chmod(k_free_port_locks, 01777);
  const int count = k_free_port_last - k_free_port_first + 1;
  std::random_device rd;
  const int start = static_cast<int>(rd() % static_cast<unsigned>(count));
  for (int i = 0; i < count; ++i) {
    const int port = k_free_port_first + (start + i) % count;
    if (mine.count(port) != 0) continue;
    const std::string path = std::string(k_free_port_locks) + "/" + std::to_string(port) + ".lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // another test process holds it
      ::close(fd);
      continue;
    }
    mine.insert(port);  // held from here on, used or not; the fd is never closed
    if (port_is_unbound(port)) return port;
  }
  throw std::runtime_error("no free test port in 30000-32767");
}

}  // namespace supactl::test
