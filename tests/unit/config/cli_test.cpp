// SPDX-License-Identifier: Apache-2.0
// `init`, `ls` and `render` as a user runs them: the real binary against a temporary home.
#include <supactl/core/fs.hpp>

#include "support/supactl_binary.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>
#include <vector>

#include <cstdlib>

namespace supactl {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `supactl --home HOME ARGS` with stdout and stderr captured separately; `env` is put
/// before the command ("NAME=value ...").
CommandResult supactl(const fs::path& home, const std::string& args, const std::string& env = "") {
  test::TempDir capture;
  std::string cmd = env + " SUPACTL_PORT_RANGE=21000-21999 '" + supactl::test::supactl_binary() + "' --home '" +
                    home.string() + "' " + args + " >'" + (capture.path() / "out").string() + "' 2>'" +
                    (capture.path() / "err").string() + "'";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = core::read_file(capture.path() / "out");
  r.err = core::read_file(capture.path() / "err");
  return r;
}

std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; it != end; ++it) {
    out[fs::relative(it->path(), dir).string()] = it->is_regular_file() ? core::read_file(it->path()) : "<dir>";
  }
  return out;
}

TEST(Cli, InitPrintsUrlsAndPortsAndJson) {
  test::TempDir home;
  CommandResult text = supactl(home.path(), "init shop --http-port 21500");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("created instance shop"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("http 21500"), std::string::npos) << text.out;
  // No domain: plain HTTP on the HTTP port (bound to 127.0.0.1).
  EXPECT_NE(text.out.find("API      http://localhost:21500\n"), std::string::npos) << text.out;

  CommandResult json = supactl(home.path(), "--output json init two --db --exclude studio,meta");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["name"], "two");
  EXPECT_EQ(j["ports"]["http"], 21001);
  EXPECT_EQ(j["ports"]["https"], 21002);
  EXPECT_EQ(j["ports"]["db"], 21003);
  EXPECT_EQ(j["db_url"], "postgresql://postgres@127.0.0.1:21003/postgres");
  EXPECT_EQ(std::find(j["services"].begin(), j["services"].end(), "studio"), j["services"].end());
}

TEST(Cli, InitWithSupavisorPicksTwoLoopbackPoolerPortsAndADomainMeansHttps) {
  test::TempDir home;
  CommandResult r =
      supactl(home.path(), "--output json init pool --enable supavisor --http-port 21500 --https-port 21501");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string spec = core::read_file(home.path() / "instances/pool/instance.yaml");
  // The lowest free ports of the range after the two given ones.
  EXPECT_NE(spec.find("  pooler_session: 21000\n"), std::string::npos) << spec;
  EXPECT_NE(spec.find("  pooler_transaction: 21001\n"), std::string::npos) << spec;
  EXPECT_NE(spec.find("  mode: off  #"), std::string::npos) << spec;
  // A third instance must not get the ports the pooler holds.
  CommandResult next = supactl(home.path(), "--output json init next");
  ASSERT_EQ(next.exit_code, 0) << next.err;
  nlohmann::json j = nlohmann::json::parse(next.out);
  EXPECT_EQ(j["ports"]["http"], 21002);
  // With a domain: HTTPS from Caddy's private CA, as before.
  CommandResult dom = supactl(home.path(), "--output json init dom --domain dom.example.com");
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_EQ(nlohmann::json::parse(dom.out)["api_url"], "https://dom.example.com:21005");
  EXPECT_NE(core::read_file(home.path() / "instances/dom/instance.yaml").find("  mode: internal  #"),
            std::string::npos);
}

TEST(Cli, AnEngineThatAcceptsButNeverAnswersExitsFiveInTime) {
  test::TempDir home;
  // A socket that listens and never accepts: connects succeed (the backlog), nothing answers,
  // like a frozen dockerd.
  const std::string path = (home.path() / "frozen.sock").string();
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ::setenv("SUPACTL_ENGINE_TIMEOUT", "1", 1);
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = supactl(home.path(), "--host unix://" + path + " doctor");
  const auto took = std::chrono::steady_clock::now() - start;
  ::unsetenv("SUPACTL_ENGINE_TIMEOUT");
  ::close(fd);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("did not answer GET /_ping within"), std::string::npos) << r.out << r.err;
  // The contract: well inside 30 s (SUPACTL_ENGINE_TIMEOUT=1 here).
  EXPECT_LT(took, std::chrono::seconds(30));
}

/// A stand-in dockerd on a Unix socket, served by a thread. `frozen`: every connection is
/// accepted and never answered (a hung dockerd). `vanish_after_ping`: the first request
/// (GET /_ping) gets a proper answer, then the socket is closed and removed (dockerd stopped
/// in the middle of a run).
class StandInDockerd {
 public:
  enum class Mode { frozen, vanish_after_ping };

  StandInDockerd(const fs::path& path, Mode mode) : m_path(path), m_mode(mode) {
    m_listen = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    m_ok = m_listen >= 0 && ::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
           ::listen(m_listen, 16) == 0;
    if (m_ok) m_thread = std::thread([this] { serve(); });
  }
  ~StandInDockerd() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
    for (int fd : m_held) ::close(fd);
    if (m_listen >= 0) ::close(m_listen);
    std::error_code ec;
    fs::remove(m_path, ec);
  }
  StandInDockerd(const StandInDockerd&) = delete;
  StandInDockerd& operator=(const StandInDockerd&) = delete;

  bool ok() const { return m_ok; }
  /// Connections accepted so far.
  int accepted() const { return m_accepted.load(); }
  /// Whether the socket went away after answering a ping.
  bool vanished() const { return m_vanished.load(); }

 private:
  void serve() {
    while (!m_stop && m_listen >= 0) {
      pollfd p{m_listen, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++m_accepted;
      if (m_mode == Mode::frozen) {
        m_held.push_back(fd);  // read nothing, answer nothing, keep it open
        continue;
      }
      answer_ping(fd);
      ::close(fd);
      ::close(m_listen);
      m_listen = -1;
      ::unlink(m_path.c_str());
      m_vanished = true;
    }
  }
  static void answer_ping(int fd) {
    std::string request;
    char buf[1024];
    while (request.find("\r\n\r\n") == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return;
      request.append(buf, static_cast<size_t>(n));
    }
    if (request.find("/_ping") == std::string::npos) return;
    const std::string response =
        "HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\nOstype: linux\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\nOK";
    (void)!::write(fd, response.data(), response.size());
  }

  fs::path m_path;
  Mode m_mode;
  int m_listen = -1;
  bool m_ok = false;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_accepted{0};
  std::atomic<bool> m_vanished{false};
  std::vector<int> m_held;
  std::thread m_thread;
};

/// The lines of `text`.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// Exactly one `supactl: error:` line on stderr, nothing else there but a hint; returns it.
std::string one_error_line(const CommandResult& r) {
  std::string error;
  int errors = 0;
  for (const std::string& line : lines_of(r.err)) {
    if (line.rfind("supactl: error: ", 0) == 0) {
      ++errors;
      error = line;
    } else {
      EXPECT_EQ(line.rfind("supactl: hint: ", 0), 0u) << "unexpected line on stderr: " << line << "\n" << r.err;
    }
  }
  EXPECT_EQ(errors, 1) << r.err;
  return error;
}

/// What `supactl up shop` on a fresh instance did against a stand-in dockerd.
struct UpAgainst {
  CommandResult result;
  fs::path socket;
  int accepted = 0;
  bool vanished = false;
  std::chrono::steady_clock::duration took{};
};

UpAgainst up_against(StandInDockerd::Mode mode) {
  test::TempDir home;
  UpAgainst u;
  u.result = supactl(home.path(), "init shop");
  EXPECT_EQ(u.result.exit_code, 0) << u.result.err;
  u.socket = home.path() / "dockerd.sock";
  StandInDockerd dockerd(u.socket, mode);
  EXPECT_TRUE(dockerd.ok());
  const auto start = std::chrono::steady_clock::now();
  u.result = supactl(home.path(), "up shop", "DOCKER_HOST=unix://" + u.socket.string() + " SUPACTL_ENGINE_TIMEOUT=1");
  u.took = std::chrono::steady_clock::now() - start;
  u.accepted = dockerd.accepted();
  u.vanished = dockerd.vanished();
  return u;
}

TEST(Cli, UpAgainstAnEngineThatAcceptsButNeverAnswersExitsFiveWithOneLine) {
  UpAgainst u = up_against(StandInDockerd::Mode::frozen);
  EXPECT_EQ(u.result.exit_code, 5) << u.result.out << u.result.err;
  EXPECT_GE(u.accepted, 1) << "supactl never connected to " << u.socket;
  const std::string error = one_error_line(u.result);
  EXPECT_NE(error.find("the Docker Engine did not answer GET /_ping within 1 s"), std::string::npos) << error;
  // SUPACTL_ENGINE_TIMEOUT=1: the ping gives up after 1 s, not the default 10.
  EXPECT_LT(u.took, std::chrono::seconds(8));
}

TEST(Cli, UpWhoseEngineGoesAwayAfterThePingExitsFiveWithOneLine) {
  UpAgainst u = up_against(StandInDockerd::Mode::vanish_after_ping);
  EXPECT_TRUE(u.vanished) << "the ping was never answered:\n" << u.result.err;
  EXPECT_EQ(u.result.exit_code, 5) << u.result.out << u.result.err;
  const std::string error = one_error_line(u.result);
  EXPECT_NE(error.find("no Docker Engine socket at " + u.socket.string()), std::string::npos) << error;
}

TEST(Cli, LogsRefusesANegativeTail) {
  test::TempDir home;
  CommandResult r = supactl(home.path(), "logs shop -n -3");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("number of lines"), std::string::npos) << r.err;
}

TEST(Cli, InitOverAnExistingInstanceFailsAndKeepsSecretsByteIdentical) {
  test::TempDir home;
  ASSERT_EQ(supactl(home.path(), "init shop").exit_code, 0);
  auto before = snapshot(home.path());
  std::string secrets = core::read_file(home.path() / "instances/shop/secrets.env");
  CommandResult again = supactl(home.path(), "init shop --domain other.example.com");
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_EQ(again.err.find("supactl: error: instance `shop` already exists"), 0u) << again.err;
  EXPECT_EQ(core::read_file(home.path() / "instances/shop/secrets.env"), secrets);
  EXPECT_EQ(snapshot(home.path()), before);
}

TEST(Cli, BadNameOrUnwritableHomeChangesNothingOnDisk) {
  test::TempDir parent;
  fs::path home = parent.path() / "home";
  CommandResult bad = supactl(home, "init Bad_Name");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err.find("supactl: error: instance name `Bad_Name` may contain only lower-case letters"), 0u)
      << bad.err;
  EXPECT_FALSE(fs::exists(home));

  core::write_file_atomic(parent.path() / "file", "x");
  CommandResult unwritable = supactl(parent.path() / "file" / "home", "init shop");
  EXPECT_NE(unwritable.exit_code, 0);
  EXPECT_EQ(unwritable.err.find("supactl: error: cannot create"), 0u) << unwritable.err;
  EXPECT_EQ(snapshot(parent.path()).size(), 1u);
}

TEST(Cli, LsListsInstancesAsTextAndJson) {
  test::TempDir home;
  CommandResult empty = supactl(home.path(), "--output json ls");
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(nlohmann::json::parse(empty.out), nlohmann::json::array());
  ASSERT_EQ(supactl(home.path(), "init shop --domain shop.example.com --enable analytics").exit_code, 0);
  // --db-port only picks where --db publishes; alone it is refused and creates nothing.
  CommandResult alone = supactl(home.path(), "init blog --db-port 21900");
  EXPECT_EQ(alone.exit_code, 2) << alone.err;
  EXPECT_NE(alone.err.find("init blog --db --db-port 21900"), std::string::npos) << alone.err;
  EXPECT_FALSE(fs::exists(home.path() / "instances" / "blog"));
  ASSERT_EQ(supactl(home.path(), "init blog --db --db-port 21900").exit_code, 0);

  nlohmann::json rows = nlohmann::json::parse(supactl(home.path(), "--output json ls").out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["name"], "blog");
  EXPECT_EQ(rows[0]["ports"]["db"], 21900);
  EXPECT_EQ(rows[1]["name"], "shop");
  EXPECT_EQ(rows[1]["domain"], "shop.example.com");
  EXPECT_TRUE(rows[1]["ports"]["db"].is_null());
  for (const nlohmann::json& row : rows) {
    for (const char* key : {"name", "domain", "ports", "services"}) EXPECT_TRUE(row.contains(key)) << key;
    EXPECT_EQ(row["mode"], "standalone");
    for (const char* key : {"http", "https", "db"}) EXPECT_TRUE(row["ports"].contains(key)) << key;
  }
  EXPECT_NE(std::find(rows[1]["services"].begin(), rows[1]["services"].end(), "analytics"), rows[1]["services"].end());

  CommandResult text = supactl(home.path(), "ls");
  EXPECT_NE(text.out.find("shop.example.com"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("21900"), std::string::npos) << text.out;
}

TEST(Cli, RenderWritesTheInstanceFolderOrOut) {
  test::TempDir home;
  ASSERT_EQ(supactl(home.path(), "init shop").exit_code, 0);
  CommandResult r = supactl(home.path(), "render shop");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(home.path() / "instances/shop/rendered/compose.yml"));
  test::TempDir out;
  CommandResult json = supactl(home.path(), "--output json render shop --out '" + out.path().string() + "'");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["compose_file"], (out.path() / "compose.yml").string());
  EXPECT_TRUE(fs::exists(out.path() / "kong.yml"));

  CommandResult missing = supactl(home.path(), "render ghost");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("supactl: hint: run `supactl init ghost`"), std::string::npos) << missing.err;
}

TEST(Cli, AJsonErrorCarriesTheExitCodeTheProcessExitsWith) {
  test::TempDir home;
  CommandResult missing = supactl(home.path(), "-o json render ghost");
  EXPECT_EQ(missing.exit_code, 3);
  nlohmann::json j = nlohmann::json::parse(missing.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << missing.out;
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["hint"].get<std::string>().rfind("run `supactl init ghost`", 0), 0u) << j.dump();
}

}  // namespace
}  // namespace supactl
