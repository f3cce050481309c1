// SPDX-License-Identifier: Apache-2.0
#pragma once

// A real S3 API on loopback for tests: s3rver (npm, installed by scripts/setup into the kit's
// npm cache) serving a folder, with one bucket. s3rver does not check signatures
// (../shared/facts/s3-testing.md): it shows that requests are well-formed S3, not that keys
// are checked. rclone (Debian) is the independent client that cross-checks what was stored.

#include "support/free_port.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace supactl::test {

inline std::string s3rver_binary() {
  if (const char* env = std::getenv("SUPACTL_S3RVER"); env != nullptr && *env != '\0') return env;
  const char* kit = std::getenv("SUPACTL_KIT_DIR");
  return std::string(kit != nullptr && *kit != '\0' ? kit : "/var/lib/supactl-kit") +
         "/npm/s3rver/node_modules/.bin/s3rver";
}

/// Whether something accepts a TCP connection on 127.0.0.1:`port` now. A bound port is not
/// enough: a server binds before it listens, and a connection in between is refused.
inline bool accepts_connection(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

/// A child process serving on a free loopback port: started with `argv` (the port is
/// substituted for every "{port}"), its output in `log`; ready once it accepts a connection, stopped
/// (SIGTERM, reaped) when the object dies. ok() is false when it could not start.
class LoopbackServer {
 public:
  LoopbackServer(std::vector<std::string> argv, const std::string& log) : m_port(free_port()) {
    for (std::string& a : argv) {
      if (a == "{port}") a = std::to_string(m_port);
    }
    if (::access(argv[0].c_str(), X_OK) != 0 && argv[0].find('/') != std::string::npos) {
      m_why = argv[0] + " is missing (scripts/setup installs it)";
      return;
    }
    m_pid = ::fork();
    if (m_pid == 0) {
      // A test binary that is killed (a timeout, the mutation run stopping a shard) runs no
      // destructor: the server goes with it instead of living on with its port.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (accepts_connection(m_port)) return;
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        m_why = argv[0] + " exited at start (see " + log + ")";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    m_why = argv[0] + " did not listen within 10 s (see " + log + ")";
  }
  ~LoopbackServer() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  bool ok() const { return m_why.empty(); }
  const std::string& why() const { return m_why; }
  int port() const { return m_port; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }

 private:
  int m_port;
  pid_t m_pid = -1;
  std::string m_why;
};

/// tests/support/sigv4_proxy.py on a free loopback port in front of `upstream_port`: it checks
/// every request's AWS Signature V4 with ACCESS/SECRET, as S3 does, and forwards the good ones.
class SigV4Proxy : public LoopbackServer {
 public:
  SigV4Proxy(int upstream_port, const std::string& access, const std::string& secret)
      : LoopbackServer({"python3", std::string(SUPACTL_SOURCE_DIR) + "/tests/support/sigv4_proxy.py", "{port}",
                        std::to_string(upstream_port), access, secret},
                       "/dev/null") {}
};

/// s3rver on a free loopback port serving `dir` with bucket `bucket` (its log beside `dir`).
class S3Server : public LoopbackServer {
 public:
  S3Server(const std::filesystem::path& dir, const std::string& bucket)
      : LoopbackServer({s3rver_binary(), "-d", prepared(dir), "-a", "127.0.0.1", "-p", "{port}", "--configure-bucket",
                        bucket, "--silent"},
                       (dir.parent_path() / "s3rver.log").string()) {}

  /// Environment assignments that make `rclone ... s3test:BUCKET/KEY` talk to this server.
  std::string rclone_env() const {
    return "env -u AWS_CA_BUNDLE RCLONE_LOG_LEVEL=ERROR RCLONE_CONFIG_S3TEST_TYPE=s3 "
           "RCLONE_CONFIG_S3TEST_PROVIDER=Other "
           "RCLONE_CONFIG_S3TEST_ENDPOINT=" +
           endpoint() +
           " RCLONE_CONFIG_S3TEST_ACCESS_KEY_ID=S3RVER RCLONE_CONFIG_S3TEST_SECRET_ACCESS_KEY=S3RVER "
           "RCLONE_CONFIG_S3TEST_REGION=us-east-1 ";
  }

 private:
  static std::string prepared(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    return dir.string();
  }
};

}  // namespace supactl::test
