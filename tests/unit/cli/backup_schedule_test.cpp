// SPDX-License-Identifier: Apache-2.0
// `backup schedule`, `backup schedule ls|rm` and `backup prune --keep AGE` as a person runs
// them: the real binary, a temporary home, and temporary unit and cron.d folders
// (SUPACTL_SYSTEMD_DIR, SUPACTL_CRON_DIR). The units it writes are checked by
// `systemd-analyze verify`, the cron.d file by its line format and run-parts' name rule.
#include <supactl/core/fs.hpp>

#include "support/docker_env.hpp"
#include "support/file_names.hpp"
#include "support/supactl_binary.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace supactl {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

class BackupSchedule : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(keys());
    const Result init = supactl("init shop");
    ASSERT_EQ(init.code, 0) << init.err;
  }

  fs::path home() const { return dir.path() / "home"; }
  fs::path units() const { return dir.path() / "units"; }
  fs::path cron() const { return dir.path() / "cron.d"; }
  fs::path keys() const { return dir.path() / "keys"; }

  /// `supactl --home HOME ARGS` with the unit and cron.d folders pointed at temporary ones;
  /// `env` goes before it ("NAME=value ...").
  Result supactl(const std::string& args, const std::string& env = "") const {
    Result r;
    r.code = test::run_command(
        "env -u DOCKER_HOST -u DOCKER_CONTEXT -u SUPACTL_TEST_SYSTEMCTL "
        "SUPACTL_PORT_RANGE=21000-21999 SUPACTL_SYSTEMD_DIR=" +
            quote(units().string()) + " SUPACTL_CRON_DIR=" + quote(cron().string()) + " " + env + " " +
            quote(supactl::test::supactl_binary()) + " --home " + quote(home().string()) + " " + args,
        &r.out, &r.err);
    return r;
  }

  test::TempDir dir;
};

TEST_F(BackupSchedule, SystemdUnitsPassSystemdAnalyzeVerifyAreListedAndRemoved) {
  core::write_file_atomic(keys() / "shop.key", std::string(64, 'a') + "\n", 0600);
  const Result made = supactl("backup schedule shop --every 6h --keep 14d --drill daily --via systemd --key-file " +
                                  quote((keys() / "shop.key").string()),
                              "DOCKER_HOST=unix:///run/docker.sock");
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_NE(made.out.find("not enabled"), std::string::npos) << made.out;  // no systemd PID 1 reads this folder
  const std::vector<std::string> files = {"supactl-backup-shop.service", "supactl-backup-shop.timer",
                                          "supactl-drill-shop.service", "supactl-drill-shop.timer"};
  ASSERT_EQ(test::file_names(units()), files);

  const std::string service = core::read_file(units() / "supactl-backup-shop.service");
  const std::string binary = fs::canonical(supactl::test::supactl_binary()).string();
  EXPECT_NE(service.find("\nEnvironment=\"DOCKER_HOST=unix:///run/docker.sock\"\n"), std::string::npos) << service;
  EXPECT_NE(service.find("\nExecStart=" + binary + " --home " + home().string() +
                         " backup shop --lock-timeout 600 "
                         "--encrypt --key-file " +
                         (keys() / "shop.key").string() + "\n"),
            std::string::npos)
      << service;
  EXPECT_NE(service.find("\nExecStart=" + binary + " --home " + home().string() + " backup prune shop --keep 14d\n"),
            std::string::npos)
      << service;
  EXPECT_EQ(service.find("not a real key"), std::string::npos);  // the path, never the key

  if (test::run_shell("command -v systemd-analyze") != 0) {
    ADD_FAILURE() << "systemd-analyze is missing: the units cannot be verified";
  } else {
    std::string paths;
    for (const std::string& f : files) paths += " " + quote((units() / f).string());
    std::string out;
    std::string err;
    const int rc = test::run_command("systemd-analyze verify --man=no" + paths, &out, &err);
    EXPECT_EQ(rc, 0) << out << err;
    EXPECT_EQ(err, "") << "systemd-analyze verify complained:\n" << err;
  }

  const Result ls = supactl("--output json backup schedule ls");
  ASSERT_EQ(ls.code, 0) << ls.err;
  const nlohmann::json j = nlohmann::json::parse(ls.out);
  ASSERT_EQ(j["schedules"].size(), 1U) << ls.out;
  const nlohmann::json& s = j["schedules"][0];
  EXPECT_EQ(s["instance"], "shop");
  EXPECT_EQ(s["via"], "systemd");
  EXPECT_EQ(s["every"], "6h");
  EXPECT_EQ(s["keep"], "14d");
  EXPECT_EQ(s["drill"], "daily");
  EXPECT_EQ(s["key_file"], (keys() / "shop.key").string());
  EXPECT_EQ(s["files"].size(), 4U);
  const Result table = supactl("backup schedule ls shop");
  EXPECT_NE(table.out.find("NAME"), std::string::npos);
  EXPECT_TRUE(std::regex_search(table.out, std::regex(R"(\nshop +systemd +6h +14d +daily +/)"))) << table.out;

  const Result rm = supactl("backup schedule rm shop");
  ASSERT_EQ(rm.code, 0) << rm.err;
  EXPECT_TRUE(test::file_names(units()).empty());
  const Result again = supactl("backup schedule rm shop");
  EXPECT_EQ(again.code, 3) << again.out << again.err;
  EXPECT_EQ(nlohmann::json::parse(supactl("--output json backup schedule ls").out)["schedules"].size(), 0U);
}

TEST_F(BackupSchedule, CronFileHasSixFieldsBeforeTheCommandAndARunPartsName) {
  const Result made = supactl("backup schedule shop --every 30m --keep 7 --drill weekly --via cron");
  ASSERT_EQ(made.code, 0) << made.err;
  ASSERT_EQ(test::file_names(cron()), (std::vector<std::string>{"supactl-shop"}));
  EXPECT_TRUE(std::regex_match("supactl-shop", std::regex("^[A-Za-z0-9_-]+$")));  // run-parts' rule
  EXPECT_EQ(static_cast<unsigned>(fs::status(cron() / "supactl-shop").permissions()), 0644U);

  const std::string binary = fs::canonical(supactl::test::supactl_binary()).string();
  std::istringstream in(core::read_file(cron() / "supactl-shop"));
  std::vector<std::string> jobs;
  bool shell_set = false;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line == "SHELL=/bin/sh") shell_set = true;
    if (std::regex_match(line, std::regex(R"([A-Z_]+=.*)"))) continue;
    jobs.push_back(line);
  }
  EXPECT_TRUE(shell_set);
  ASSERT_EQ(jobs.size(), 2U);
  // minute hour day month weekday user command
  const std::regex line(R"(^(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.+)$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(jobs[0], m, line)) << jobs[0];
  EXPECT_EQ(m[1].str() + " " + m[2].str() + " " + m[3].str() + " " + m[4].str() + " " + m[5].str(), "*/30 * * * *");
  EXPECT_EQ(m[6].str(), ::getpwuid(::geteuid())->pw_name);
  EXPECT_EQ(m[7].str(), binary + " --home " + home().string() + " backup shop --lock-timeout 600 && " + binary +
                            " --home " + home().string() + " backup prune shop --keep 7");
  ASSERT_TRUE(std::regex_match(jobs[1], m, line)) << jobs[1];
  EXPECT_EQ(m[1].str() + " " + m[2].str() + " " + m[5].str(), "45 3 0");
  EXPECT_EQ(m[7].str(), binary + " --home " + home().string() + " restore --drill shop");

  const nlohmann::json j = nlohmann::json::parse(supactl("--output json backup schedule ls shop").out);
  ASSERT_EQ(j["schedules"].size(), 1U);
  EXPECT_EQ(j["schedules"][0]["via"], "cron");
  EXPECT_EQ(j["schedules"][0]["drill"], "weekly");

  ASSERT_EQ(supactl("backup schedule rm shop").code, 0);
  EXPECT_TRUE(test::file_names(cron()).empty());
}

TEST_F(BackupSchedule, StandInSystemctlIsReloadedEnabledAndDisabled) {
  const fs::path log = dir.path() / "systemctl.log";
  const fs::path fake = dir.path() / "systemctl";
  core::write_file_atomic(fake, "#!/bin/sh\necho \"$*\" >> " + quote(log.string()) + "\n", 0755);
  const std::string env = "SUPACTL_TEST_SYSTEMCTL=" + quote(fake.string());
  ASSERT_EQ(supactl("backup schedule shop --every 1d --keep 3", env).code, 0);  // systemd is the default then
  ASSERT_EQ(supactl("backup schedule rm shop", env).code, 0);
  const std::string user = geteuid() == 0 ? "" : "--user ";
  EXPECT_EQ(core::read_file(log), user + "daemon-reload\n" + user + "enable --now supactl-backup-shop.timer\n" + user +
                                      "disable --now supactl-backup-shop.timer\n" + user + "daemon-reload\n");
}

TEST_F(BackupSchedule, BadInputExits2OrTheMissingInstance3AndWritesNothing) {
  for (const char* args : {"--every 7m --keep 3", "--every 5h --keep 3", "--every 0h --keep 3", "--every abc --keep 3",
                           "--every -1h --keep 3", "--every 6h --keep 0", "--every 6h --keep 14x", "--every 6h",
                           "--keep 3", "--every 6h --keep 3 --drill hourly", "--every 6h --keep 3 --via at"}) {
    const Result r = supactl(std::string("backup schedule shop ") + args + " --via systemd");
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    // One line saying what is wrong (and at most a hint line).
    std::istringstream lines(r.err);
    int errors = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("supactl: error: ", 0) == 0) {
        ++errors;
      } else {
        EXPECT_EQ(line.rfind("supactl: hint: ", 0), 0U) << args << "\n" << r.err;
      }
    }
    EXPECT_EQ(errors, 1) << args << "\n" << r.err;
  }
  const Result key = supactl("backup schedule shop --every 6h --keep 3 --via systemd --key-file " +
                             quote((keys() / "missing.key").string()));
  EXPECT_EQ(key.code, 2) << key.err;
  EXPECT_NE(key.err.find("keygen"), std::string::npos) << key.err;
  // The key is read as `backup --encrypt` reads it: one others can read fails now, not at 3 am.
  core::write_file_atomic(keys() / "open.key", std::string(64, 'a') + "\n", 0644);
  const Result open = supactl("backup schedule shop --every 6h --keep 3 --via systemd --key-file " +
                              quote((keys() / "open.key").string()));
  EXPECT_EQ(open.code, 2) << open.err;
  EXPECT_NE(open.err.find("chmod 600"), std::string::npos) << open.err;
  EXPECT_EQ(supactl("backup schedule nope --every 6h --keep 3 --via systemd").code, 3);
  EXPECT_FALSE(fs::exists(units()));
  EXPECT_FALSE(fs::exists(cron()));
}

TEST_F(BackupSchedule, PruneByAgeDeletesOlderBackupsButAlwaysKeepsTheNewest) {
  const fs::path backups = home() / "backups" / "shop";
  fs::create_directories(backups);
  const std::time_t now = std::time(nullptr);
  const auto stamp = [](std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> buf{};
    std::strftime(buf.data(), buf.size(), "%Y%m%dT%H%M%SZ", &tm);
    return std::string(buf.data());
  };
  const std::string old1 = "shop-" + stamp(now - 40 * 86400) + ".tar.gz";
  const std::string old2 = "shop-" + stamp(now - 15 * 86400) + ".tar.gz";
  const std::string young = "shop-" + stamp(now - 13 * 86400) + ".tar.gz";
  const std::string newest = "shop-" + stamp(now - 3600) + ".tar.gz";
  for (const std::string& f : {old1, old2, young, newest}) core::write_file_atomic(backups / f, "x", 0600);
  core::write_file_atomic(backups / "notes.txt", "mine", 0600);

  const Result r = supactl("--output json backup prune shop --keep 14d");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["removed"], nlohmann::json::array({(backups / old1).string(), (backups / old2).string()})) << r.out;
  EXPECT_EQ(j["kept"], 2) << r.out;
  EXPECT_FALSE(fs::exists(backups / old1));
  EXPECT_FALSE(fs::exists(backups / old2));
  EXPECT_TRUE(fs::exists(backups / young));
  EXPECT_TRUE(fs::exists(backups / newest));
  EXPECT_TRUE(fs::exists(backups / "notes.txt"));

  // Everything older than the age: the newest stays all the same.
  fs::remove(backups / young);
  const Result all = supactl("backup prune shop --keep 1h");
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_TRUE(fs::exists(backups / newest));
  EXPECT_NE(all.out.find("1 backups of shop kept"), std::string::npos) << all.out;

  // By count, as before.
  ASSERT_EQ(supactl("backup prune shop --keep 0").code, 0);
  EXPECT_FALSE(fs::exists(backups / newest));
  EXPECT_EQ(supactl("backup prune shop --keep 2x").code, 2);
  EXPECT_EQ(supactl("backup prune shop --keep 100001").code, 2);
}

}  // namespace
}  // namespace supactl
