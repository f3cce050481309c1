// SPDX-License-Identifier: Apache-2.0
#pragma once

// A host port for tests that must publish one: the kernel hands out an unused ephemeral port
// (bound on all interfaces, then released), so tests never clash with fixed ports or with
// instances other people run on the same host.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace supactl::test {

/// A TCP port nobody listens on right now.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace supactl::test
