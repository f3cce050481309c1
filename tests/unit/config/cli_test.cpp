// SPDX-License-Identifier: Apache-2.0
// `init`, `ls` and `render` as a user runs them: the real binary against a temporary home.
#include <supactl/core/fs.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <cstdlib>

namespace supactl {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `supactl --home HOME ARGS` with stdout and stderr captured separately.
CommandResult supactl(const fs::path& home, const std::string& args) {
  test::TempDir capture;
  std::string cmd = std::string("SUPACTL_PORT_RANGE=21000-21999 '") + SUPACTL_BINARY + "' --home '" +
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
  CommandResult r = supactl(home.path(), "--output json init pool --enable supavisor --http-port 21500 --https-port 21501");
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
  EXPECT_NE(core::read_file(home.path() / "instances/dom/instance.yaml").find("  mode: internal  #"), std::string::npos);
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
  EXPECT_EQ(bad.err.find("supactl: error: instance name `Bad_Name` may contain only lower-case letters"), 0u) << bad.err;
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
  ASSERT_EQ(supactl(home.path(), "init blog --db-port 21900").exit_code, 0);

  nlohmann::json rows = nlohmann::json::parse(supactl(home.path(), "--output json ls").out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["name"], "blog");
  EXPECT_EQ(rows[0]["ports"]["db"], 21900);
  EXPECT_EQ(rows[1]["name"], "shop");
  EXPECT_EQ(rows[1]["domain"], "shop.example.com");
  EXPECT_TRUE(rows[1]["ports"]["db"].is_null());
  for (const nlohmann::json& row : rows) {
    for (const char* key : {"name", "domain", "ports", "services"}) EXPECT_TRUE(row.contains(key)) << key;
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
