// SPDX-License-Identifier: Apache-2.0
// Where the Engine is: --host → DOCKER_HOST → DOCKER_CONTEXT → currentContext in
// $DOCKER_CONFIG/config.json → rootless socket → default socket, with a temporary DOCKER_CONFIG
// and environment restored after each test.
#include <supactl/core/error.hpp>
#include <supactl/docker/engine.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "support/temp_dir.hpp"

namespace supactl::docker {
namespace {

namespace fs = std::filesystem;

/// The folder name the docker CLI gives a context: the hex SHA-256 of its name (digest of the
/// name in docker/cli's context store), written out here as `printf NAME | sha256sum` gave it.
std::string context_dir(const std::string& name) {
  static const std::map<std::string, std::string> k_digests = {
      {"remote", "b71199ebd070b36beab7317920c2c2f1d777df8d05e5527d8458fda57cb17a7a"},
      {"rootless", "12b961af5feb3e9d39f93b2cefb9a1a944f18d02cca0cac2f04f5a982240605f"},
  };
  return k_digests.at(name);
}

/// Binds a listening-capable Unix socket at `path` and returns its descriptor.
int bind_socket(const fs::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof(a.sun_path), "%s", path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool is_socket(const fs::path& p) {
  std::error_code ec;
  return fs::is_socket(p, ec);
}

class EndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
                          "DOCKER_API_VERSION", "XDG_RUNTIME_DIR"}) {
      const char* old = std::getenv(v);
      saved[v] = old == nullptr ? std::nullopt : std::optional<std::string>(old);
      ::unsetenv(v);
    }
    ::setenv("DOCKER_CONFIG", config.path().c_str(), 1);
  }
  void TearDown() override {
    for (const auto& [k, v] : saved) {
      if (v) {
        ::setenv(k.c_str(), v->c_str(), 1);
      } else {
        ::unsetenv(k.c_str());
      }
    }
  }

  void write_context(const std::string& name, const std::string& host, bool with_tls) {
    fs::path meta = config.path() / "contexts" / "meta" / context_dir(name);
    fs::create_directories(meta);
    std::ofstream(meta / "meta.json") << R"({"Name":")" << name << R"(","Endpoints":{"docker":{"Host":")" << host
                                      << R"(","SkipTLSVerify":false}}})";
    if (with_tls) {
      fs::path tls = config.path() / "contexts" / "tls" / context_dir(name) / "docker";
      fs::create_directories(tls);
      for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) std::ofstream(tls / f) << "x";
    }
  }

  std::map<std::string, std::optional<std::string>> saved;
  test::TempDir config;
};

TEST_F(EndpointTest, HostFlagWinsOverEverything) {
  ::setenv("DOCKER_HOST", "unix:///env.sock", 1);
  Endpoint e = resolve_endpoint("unix:///flag.sock");
  EXPECT_EQ(e.host, "unix:///flag.sock");
  EXPECT_EQ(e.source, "--host");
}

TEST_F(EndpointTest, DockerHostWithTlsVariables) {
  ::setenv("DOCKER_HOST", "tcp://127.0.0.1:2376", 1);
  ::setenv("DOCKER_TLS_VERIFY", "1", 1);
  ::setenv("DOCKER_CERT_PATH", "/certs", 1);
  ::setenv("DOCKER_API_VERSION", "1.43", 1);
  Endpoint e = resolve_endpoint();
  EXPECT_EQ(e.host, "tcp://127.0.0.1:2376");
  EXPECT_EQ(e.source, "DOCKER_HOST");
  EXPECT_TRUE(e.tls);
  EXPECT_TRUE(e.tls_verify);
  EXPECT_EQ(e.cert_path, "/certs");
  EXPECT_EQ(e.api_version_pin, "1.43");
}

TEST_F(EndpointTest, DockerContextReadsTheMetadataByTheHashOfItsName) {
  write_context("remote", "tcp://127.0.0.1:2376", true);
  ::setenv("DOCKER_CONTEXT", "remote", 1);
  Endpoint e = resolve_endpoint();
  EXPECT_EQ(e.host, "tcp://127.0.0.1:2376");
  EXPECT_NE(e.source.find("remote"), std::string::npos) << e.source;
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.cert_path, (config.path() / "contexts" / "tls" /
                          "b71199ebd070b36beab7317920c2c2f1d777df8d05e5527d8458fda57cb17a7a" / "docker")
                             .string());
}

TEST_F(EndpointTest, CurrentContextInConfigJsonIsUsedWhenNothingIsSet) {
  write_context("rootless", "unix:///run/user/1000/docker.sock", false);
  std::ofstream(config.path() / "config.json") << R"({"auths":{},"currentContext":"rootless"})";
  Endpoint e = resolve_endpoint();
  EXPECT_EQ(e.host, "unix:///run/user/1000/docker.sock");
  EXPECT_NE(e.source.find("currentContext"), std::string::npos) << e.source;
  EXPECT_FALSE(e.tls);
}

TEST_F(EndpointTest, AMissingContextIsAClearUsageError) {
  ::setenv("DOCKER_CONTEXT", "nosuch", 1);
  try {
    resolve_endpoint();
    FAIL() << "no error for a missing context";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("nosuch"), std::string::npos) << e.what();
  }
}

TEST_F(EndpointTest, TheDefaultContextMeansTheDefaultSocket) {
  // Without a Docker socket but with a system Podman one, the search ends at Podman instead.
  if (!is_socket("/var/run/docker.sock") && is_socket("/run/podman/podman.sock")) {
    GTEST_SKIP() << "this host has a Podman socket and no Docker one";
  }
  ::setenv("DOCKER_CONTEXT", "default", 1);
  Endpoint e = resolve_endpoint();
  EXPECT_EQ(e.host, "unix:///var/run/docker.sock");
  EXPECT_EQ(e.source.rfind("default socket", 0), 0u) << e.source;
}

TEST_F(EndpointTest, NothingSetAndNoRootlessSocketMeansTheDefaultSocket) {
  if (!is_socket("/var/run/docker.sock") && is_socket("/run/podman/podman.sock")) {
    GTEST_SKIP() << "this host has a Podman socket and no Docker one";
  }
  test::TempDir run;  // XDG_RUNTIME_DIR without a docker.sock in it
  ::setenv("XDG_RUNTIME_DIR", run.path().c_str(), 1);
  Endpoint e = resolve_endpoint();
  EXPECT_EQ(e.host, "unix:///var/run/docker.sock");
  EXPECT_EQ(e.source.rfind("default socket", 0), 0u) << e.source;
}

TEST_F(EndpointTest, TheDefaultContextStillPrefersTheRootlessSocket) {
  test::TempDir run;
  const fs::path sock = run.path() / "docker.sock";
  int fd = bind_socket(sock);
  ASSERT_GE(fd, 0);
  ::setenv("XDG_RUNTIME_DIR", run.path().c_str(), 1);
  ::setenv("DOCKER_CONTEXT", "default", 1);
  Endpoint e = resolve_endpoint();
  ::close(fd);
  EXPECT_EQ(e.host, "unix://" + run.path().string() + "/docker.sock");
  EXPECT_EQ(e.source, "rootless socket in $XDG_RUNTIME_DIR");
}

TEST_F(EndpointTest, WithNothingSetItIsTheSystemSocketInVarRun) {
  Endpoint e = resolve_endpoint();
  EXPECT_EQ(e.host, "unix:///var/run/docker.sock");
  // Which branch answered depends on this host: the socket is there (Docker here), or not.
  std::error_code ec;
  if (fs::is_socket("/var/run/docker.sock", ec)) {
    EXPECT_EQ(e.source, "default socket");
  } else if (!fs::is_socket("/run/podman/podman.sock", ec)) {
    EXPECT_EQ(e.source, "default socket (not found)");
  }
  EXPECT_FALSE(e.tls);
}

TEST_F(EndpointTest, TlsVariablesTurnTlsOnOnlyForTcpHosts) {
  ::setenv("DOCKER_HOST", "unix:///run/user/1000/docker.sock", 1);
  ::setenv("DOCKER_CERT_PATH", "/certs", 1);
  Endpoint e = resolve_endpoint();
  EXPECT_EQ(e.host, "unix:///run/user/1000/docker.sock");
  EXPECT_FALSE(e.tls);
  EXPECT_FALSE(e.tls_verify);
  EXPECT_EQ(e.cert_path, "/certs");
}

TEST_F(EndpointTest, ARootlessSocketInXdgRuntimeDirComesBeforeTheSystemOne) {
  test::TempDir run;
  fs::path sock = run.path() / "docker.sock";
  int fd = bind_socket(sock);
  ASSERT_GE(fd, 0);
  ::setenv("XDG_RUNTIME_DIR", run.path().c_str(), 1);
  Endpoint e = resolve_endpoint();
  ::close(fd);
  EXPECT_EQ(e.host, "unix://" + run.path().string() + "/docker.sock");
  EXPECT_NE(e.source.find("rootless"), std::string::npos) << e.source;
}

}  // namespace
}  // namespace supactl::docker
