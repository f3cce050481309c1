// SPDX-License-Identifier: Apache-2.0
//
// Host port probing. A port is free when a TCP listener could bind it on every address Docker
// publishes on (0.0.0.0, [::]) and on loopback: bind, then close at once, so nothing is ever
// sent. When a port is taken, /proc tells who holds it (a listening socket's inode, then the
// process whose fd points at that inode) so the error can say "caddy (pid 42)".
#include <supactl/ports/ports.hpp>

#include <supactl/core/fd.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace supactl::ports {

namespace {

enum class BindResult { ok, in_use, unsupported };

BindResult try_bind(int family, const char* address, int port) {
  const core::UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return BindResult::unsupported;
  // As Docker's port proxy binds (SO_REUSEADDR): a port held only by connections in
  // TIME_WAIT is free; one a listener holds is not.
  int reuse = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  int rc = -1;
  if (family == AF_INET) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, address, &sa.sin_addr);
    rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } else {
    int only = 1;
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET6, address, &sa.sin6_addr);
    rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
  const int err = errno;
  if (rc == 0) return BindResult::ok;
  // EADDRINUSE is "taken"; EACCES (a privileged port for a user) also means we cannot use it.
  if (err == EADDRINUSE || err == EACCES) return BindResult::in_use;
  return BindResult::unsupported;  // e.g. no IPv6 on this host
}

/// Inodes of sockets listening on `port` in one /proc/net/tcp-style table.
std::vector<std::string> listening_inodes(const char* table, int port) {
  std::vector<std::string> out;
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    row >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    std::size_t colon = local.rfind(':');
    if (colon == std::string::npos || state != "0A") continue;  // 0A = LISTEN
    if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) out.push_back(inode);
  }
  return out;
}

/// "process NAME (pid N)" of the process holding socket `inode`, or empty.
std::string process_of_inode(const std::string& inode) {
  namespace fs = std::filesystem;
  std::string target = "socket:[" + inode + "]";
  std::error_code ec;
  for (const fs::directory_entry& proc : fs::directory_iterator("/proc", ec)) {
    const std::string pid = proc.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code fd_ec;
    for (const fs::directory_entry& fd : fs::directory_iterator(proc.path() / "fd", fd_ec)) {
      std::error_code link_ec;
      fs::path link = fs::read_symlink(fd.path(), link_ec);
      if (link_ec || link.string() != target) continue;
      std::string comm;
      std::ifstream(proc.path() / "comm") >> comm;
      return fmt::format("process {} (pid {})", comm.empty() ? "?" : comm, pid);
    }
  }
  return {};
}

}  // namespace

bool HostPortProbe::is_free(int port) const {
  if (try_bind(AF_INET, "0.0.0.0", port) == BindResult::in_use) return false;
  if (try_bind(AF_INET, "127.0.0.1", port) == BindResult::in_use) return false;
  if (try_bind(AF_INET6, "::", port) == BindResult::in_use) return false;
  return true;
}

std::string HostPortProbe::owner(int port) const {
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    for (const std::string& inode : listening_inodes(table, port)) {
      if (inode == "0") continue;
      std::string who = process_of_inode(inode);
      if (!who.empty()) return who;
    }
  }
  return "another process";
}

}  // namespace supactl::ports
