// SPDX-License-Identifier: Apache-2.0
#pragma once

// A real S3 API on loopback for tests: s3rver (npm, installed by scripts/setup into the kit's
// npm cache) serving a folder, with one bucket. s3rver does not check signatures
// (../shared/facts/s3-testing.md): it shows that requests are well-formed S3, not that keys
// are checked. rclone (Debian) is the independent client that cross-checks what was stored.

#include "support/free_port.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace supactl::test {

inline std::string s3rver_binary() {
  if (const char* env = std::getenv("SUPACTL_S3RVER"); env != nullptr && *env != '\0') return env;
  const char* kit = std::getenv("SUPACTL_KIT_DIR");
  return std::string(kit != nullptr && *kit != '\0' ? kit : "/var/lib/supactl-kit") +
         "/npm/s3rver/node_modules/.bin/s3rver";
}

/// tests/support/sigv4_proxy.py on a free loopback port in front of `upstream_port`: it checks
/// every request's AWS Signature V4 with ACCESS/SECRET, as S3 does, and forwards the good ones.
class SigV4Proxy {
 public:
  SigV4Proxy(int upstream_port, const std::string& access, const std::string& secret) : m_port(free_port()) {
    const std::string script = std::string(SUPACTL_SOURCE_DIR) + "/tests/support/sigv4_proxy.py";
    m_pid = ::fork();
    if (m_pid == 0) {
      const std::string port = std::to_string(m_port);
      const std::string up = std::to_string(upstream_port);
      ::execlp("python3", "python3", script.c_str(), port.c_str(), up.c_str(), access.c_str(), secret.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (!port_is_unbound(m_port)) return;
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        m_why = "sigv4_proxy.py exited at start";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    m_why = "sigv4_proxy.py did not listen within 10 s";
  }
  ~SigV4Proxy() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
  SigV4Proxy(const SigV4Proxy&) = delete;
  SigV4Proxy& operator=(const SigV4Proxy&) = delete;

  bool ok() const { return m_why.empty(); }
  const std::string& why() const { return m_why; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }

 private:
  int m_port;
  pid_t m_pid = -1;
  std::string m_why;
};

class S3Server {
 public:
  /// Starts s3rver on a free loopback port serving `dir`, with bucket `bucket`; waits until it
  /// accepts connections. ok() is false when it could not start (why() says why).
  S3Server(const std::filesystem::path& dir, const std::string& bucket) : m_port(free_port()) {
    const std::string bin = s3rver_binary();
    if (::access(bin.c_str(), X_OK) != 0) {
      m_why = bin + " is missing (scripts/setup installs s3rver)";
      return;
    }
    std::filesystem::create_directories(dir);
    const std::string log = (dir.parent_path() / "s3rver.log").string();
    m_pid = ::fork();
    if (m_pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      const std::string port = std::to_string(m_port);
      ::execl(bin.c_str(), bin.c_str(), "-d", dir.c_str(), "-a", "127.0.0.1", "-p", port.c_str(), "--configure-bucket",
              bucket.c_str(), "--silent", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (!port_is_unbound(m_port)) return;
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        m_why = "s3rver exited at start (see " + log + ")";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    m_why = "s3rver did not listen within 10 s (see " + log + ")";
  }
  ~S3Server() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  bool ok() const { return m_why.empty(); }
  const std::string& why() const { return m_why; }
  int port() const { return m_port; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }
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
  int m_port;
  pid_t m_pid = -1;
  std::string m_why;
};

}  // namespace supactl::test
