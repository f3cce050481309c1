// SPDX-License-Identifier: Apache-2.0
// Scheduled backups without a scheduler: --every, --keep and --drill as values (every calendar
// spec also checked by `systemd-analyze calendar`), the cron time fields, the prune decision by
// count and by age (the newest backup is never pruned by age), the quoting of paths and
// variables into units and crontab lines, and install/remove against temporary folders with a
// stand-in systemctl that records its calls. Expected texts are written out here.
#include <supactl/backup/schedule.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "support/docker_env.hpp"
#include "support/file_names.hpp"
#include "support/temp_dir.hpp"

namespace supactl::backup {
namespace {

namespace fs = std::filesystem;

ExitCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ExitCode::ok;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// --- --every ----------------------------------------------------------------------------------

struct EveryCase {
  const char* text;
  const char* canonical;
  const char* calendar;
  const char* cron;
};

class EveryForms : public ::testing::TestWithParam<EveryCase> {};

TEST_P(EveryForms, MapToOnCalendarAndCron) {
  const EveryCase& c = GetParam();
  const Every every = parse_every(c.text);
  EXPECT_EQ(every.text(), c.canonical);
  EXPECT_EQ(on_calendar(every), c.calendar);
  EXPECT_EQ(cron_time(every), c.cron);
}

INSTANTIATE_TEST_SUITE_P(Schedule, EveryForms,
                         ::testing::Values(EveryCase{"6h", "6h", "*-*-* 00/6:00:00", "0 */6 * * *"},
                                           EveryCase{"30m", "30m", "*-*-* *:00/30:00", "*/30 * * * *"},
                                           EveryCase{"15m", "15m", "*-*-* *:00/15:00", "*/15 * * * *"},
                                           EveryCase{"1m", "1m", "*-*-* *:00/1:00", "* * * * *"},
                                           EveryCase{"60m", "1h", "*-*-* 00/1:00:00", "0 * * * *"},
                                           EveryCase{"1h", "1h", "*-*-* 00/1:00:00", "0 * * * *"},
                                           EveryCase{"12h", "12h", "*-*-* 00/12:00:00", "0 */12 * * *"},
                                           EveryCase{"24h", "1d", "*-*-* 00:00:00", "0 0 * * *"},
                                           EveryCase{"1d", "1d", "*-*-* 00:00:00", "0 0 * * *"},
                                           EveryCase{"7d", "1w", "Sun *-*-* 00:00:00", "0 0 * * 0"},
                                           EveryCase{"1w", "1w", "Sun *-*-* 00:00:00", "0 0 * * 0"}));

TEST(Schedule, EveryRefusesWhatDoesNotDivideTheClockWithUsageNamingTheForms) {
  for (const char* bad : {"7m", "45m", "5h", "7h", "0h", "0m", "2d", "2w", "abc", "-1h", "h", "", "6", "6H", "1.5h",
                          " 6h", "6h ", "+6h", "99999999999999999999h"}) {
    try {
      parse_every(bad);
      ADD_FAILURE() << "--every " << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << bad;
      const std::string message = e.what();
      EXPECT_NE(message.find("Nm"), std::string::npos) << message;
      EXPECT_NE(message.find("1w"), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(Schedule, EveryCalendarSpecSystemdAcceptsItAndElapsesAtThePeriod) {
  if (test::run_shell("command -v systemd-analyze") != 0) GTEST_SKIP() << "no systemd-analyze on this host";
  std::vector<std::string> specs = {on_calendar(Drill::daily), on_calendar(Drill::weekly)};
  for (const char* text : {"1m",  "2m", "3m", "4m", "5m", "6m", "10m", "12m", "15m", "20m",
                           "30m", "1h", "2h", "3h", "4h", "6h", "8h",  "12h", "1d",  "1w"}) {
    specs.push_back(on_calendar(parse_every(text)));
  }
  for (const std::string& spec : specs) {
    std::string out;
    EXPECT_EQ(test::run_shell("systemd-analyze calendar " + quoted(spec), &out), 0) << spec << "\n" << out;
    EXPECT_NE(out.find("Normalized form: " + spec), std::string::npos) << out;
  }
  // The iterations show the period: 6h elapses at 0, 6, 12, 18 o'clock.
  std::string out;
  ASSERT_EQ(test::run_shell("TZ=UTC systemd-analyze calendar --iterations 4 --base-time '2026-01-01 00:30:00 UTC' " +
                                quoted(on_calendar(parse_every("6h"))),
                            &out),
            0)
      << out;
  for (const char* at : {"2026-01-01 06:00:00", "2026-01-01 12:00:00", "2026-01-01 18:00:00", "2026-01-02 00:00:00"}) {
    EXPECT_NE(out.find(at), std::string::npos) << at << "\n" << out;
  }
}

// --- --keep and prune -------------------------------------------------------------------------

TEST(Schedule, KeepIsACountOrAnAge) {
  EXPECT_EQ(parse_keep("14").count, 14);
  EXPECT_FALSE(parse_keep("14").by_age());
  EXPECT_EQ(parse_keep("0").count, 0);
  EXPECT_EQ(parse_keep("100000").count, 100000);
  EXPECT_EQ(parse_keep("14d").age_seconds, 14 * 86400);
  EXPECT_EQ(parse_keep("14d").text, "14d");
  EXPECT_EQ(parse_keep("36h").age_seconds, 36 * 3600);
  EXPECT_EQ(parse_keep("2w").age_seconds, 14 * 86400);
  for (const char* bad : {"", "-1", "100001", "14x", "0d", "d", "1.5d", "14 d", "14D", "abc"}) {
    EXPECT_EQ(code_of([&] { parse_keep(bad); }), ExitCode::usage) << bad;
  }
}

TEST(Schedule, BackupTimeReadsTheUtcStampAfterTheName) {
  // 2026-11-25T10:00:00Z is 1795600800 (date -u -d 2026-11-25T10:00:00Z +%s).
  EXPECT_EQ(backup_time("/b/shop-20261125T100000Z.tar.gz", "shop"), std::time_t{1795600800});
  EXPECT_EQ(backup_time("shop-20261125T100000Z.tar.gz.enc", "shop"), std::time_t{1795600800});
  EXPECT_EQ(backup_time("shop-20261125T100000Z-before-v0.8.2.tar.gz", "shop"), std::time_t{1795600800});
  EXPECT_EQ(backup_time("shop-staging-20261125T100000Z.tar.gz", "shop"), std::nullopt);
  EXPECT_EQ(backup_time("shop-2026112XT100000Z.tar.gz", "shop"), std::nullopt);
  EXPECT_EQ(backup_time("shop-20261325T100000Z.tar.gz", "shop"), std::nullopt);
  EXPECT_EQ(backup_time("shop-20261125T1000.tar.gz", "shop"), std::nullopt);
  EXPECT_EQ(backup_time("blog-20261125T100000Z.tar.gz", "shop"), std::nullopt);
}

std::vector<BackupFile> files_named(const std::vector<std::string>& names) {
  std::vector<BackupFile> out;
  for (const std::string& n : names) out.push_back({.path = fs::path("/b") / n, .size = 1});
  return out;
}

std::vector<std::string> names_of(const std::vector<BackupFile>& files) {
  std::vector<std::string> out;
  for (const BackupFile& f : files) out.push_back(f.path.filename().string());
  return out;
}

TEST(Schedule, PruneByAgeDeletesWhatIsOlderButNeverTheNewest) {
  const std::time_t now = 1795600800;  // 2026-11-25T10:00:00Z
  const std::vector<BackupFile> files =
      files_named({"shop-20261001T000000Z.tar.gz", "shop-20261110T095959Z.tar.gz", "shop-20261111T100000Z.tar.gz",
                   "shop-20261111T100001Z.tar.gz.enc", "shop-20261125T090000Z.tar.gz"});
  // 14 days before now is 2026-11-11T10:00:00Z: older goes, exactly 14 days stays.
  EXPECT_EQ(names_of(backups_to_prune(files, "shop", parse_keep("14d"), now)),
            (std::vector<std::string>{"shop-20261001T000000Z.tar.gz", "shop-20261110T095959Z.tar.gz"}));
  // Everything is older than an hour: all go except the newest.
  EXPECT_EQ(names_of(backups_to_prune(files, "shop", parse_keep("1h"), now)),
            (std::vector<std::string>{"shop-20261001T000000Z.tar.gz", "shop-20261110T095959Z.tar.gz",
                                      "shop-20261111T100000Z.tar.gz", "shop-20261111T100001Z.tar.gz.enc"}));
  // A lone backup older than the age stays.
  EXPECT_TRUE(backups_to_prune(files_named({"shop-20200101T000000Z.tar.gz"}), "shop", parse_keep("1d"), now).empty());
  // A name without a time is never deleted by age.
  EXPECT_TRUE(
      backups_to_prune(files_named({"shop-old.tar.gz", "shop-20261125T090000Z.tar.gz"}), "shop", parse_keep("1h"), now)
          .empty());
}

TEST(Schedule, PruneByCountKeepsTheNewestN) {
  const std::vector<BackupFile> files =
      files_named({"shop-20261001T000000Z.tar.gz", "shop-20261110T000000Z.tar.gz", "shop-20261125T000000Z.tar.gz"});
  EXPECT_EQ(names_of(backups_to_prune(files, "shop", parse_keep("2"), 0)),
            (std::vector<std::string>{"shop-20261001T000000Z.tar.gz"}));
  EXPECT_EQ(backups_to_prune(files, "shop", parse_keep("0"), 0).size(), 3U);
  EXPECT_TRUE(backups_to_prune(files, "shop", parse_keep("3"), 0).empty());
  EXPECT_TRUE(backups_to_prune(files, "shop", parse_keep("10"), 0).empty());
}

TEST(Schedule, DrillIsDailyOrWeeklyAwayFromTheFullHour) {
  EXPECT_EQ(parse_drill("daily"), Drill::daily);
  EXPECT_EQ(parse_drill("weekly"), Drill::weekly);
  EXPECT_EQ(code_of([] { parse_drill("monthly"); }), ExitCode::usage);
  EXPECT_EQ(on_calendar(Drill::daily), "*-*-* 03:45:00");
  EXPECT_EQ(cron_time(Drill::daily), "45 3 * * *");
  EXPECT_EQ(on_calendar(Drill::weekly), "Sun *-*-* 03:45:00");
  EXPECT_EQ(cron_time(Drill::weekly), "45 3 * * 0");
}

// --- files ------------------------------------------------------------------------------------

Schedule sample(Via via) {
  return Schedule{.instance = "shop",
                  .via = via,
                  .every = parse_every("6h"),
                  .keep = parse_keep("14d"),
                  .drill = Drill::daily,
                  .key_file = "/keys/shop key%1$x",
                  .supactl = "/usr/local/bin/supactl",
                  .home = "/srv/supactl home",
                  .env = {{"DOCKER_HOST", "unix:///run/docker.sock"}, {"DOCKER_CONFIG", "/root/my docker"}},
                  .user = "root",
                  .user_units = false};
}

std::string content_of(const std::vector<ScheduleFile>& files, const std::string& name) {
  for (const ScheduleFile& f : files) {
    if (f.name == name) return f.content;
  }
  ADD_FAILURE() << name << " was not rendered";
  return {};
}

TEST(Schedule, SystemdUnitsQuoteEveryPathAndEscapeSpecifiers) {
  const std::vector<ScheduleFile> files = render_schedule(sample(Via::systemd));
  ASSERT_EQ(files.size(), 4U);
  const std::string marker =
      "# written by supactl backup schedule shop; remove with: supactl backup schedule rm shop\n";
  for (const ScheduleFile& f : files) EXPECT_EQ(f.content.rfind(marker, 0), 0U) << f.name;

  const std::string service = content_of(files, "supactl-backup-shop.service");
  EXPECT_NE(service.find("\nType=oneshot\n"), std::string::npos) << service;
  EXPECT_NE(service.find("\nEnvironment=\"DOCKER_HOST=unix:///run/docker.sock\"\n"
                         "Environment=\"DOCKER_CONFIG=/root/my docker\"\n"),
            std::string::npos)
      << service;
  EXPECT_NE(
      service.find("\nExecStart=/usr/local/bin/supactl --home \"/srv/supactl home\" backup shop --lock-timeout "
                   "600 --encrypt --key-file \"/keys/shop key%%1$$x\"\n"
                   "ExecStart=/usr/local/bin/supactl --home \"/srv/supactl home\" backup prune shop --keep 14d\n"),
      std::string::npos)
      << service;
  EXPECT_NE(service.find("\nAfter=docker.service\n"), std::string::npos);

  const std::string timer = content_of(files, "supactl-backup-shop.timer");
  EXPECT_NE(timer.find("\nOnCalendar=*-*-* 00/6:00:00\nPersistent=true\n"), std::string::npos) << timer;
  EXPECT_NE(timer.find("\n[Install]\nWantedBy=timers.target\n"), std::string::npos) << timer;

  EXPECT_NE(content_of(files, "supactl-drill-shop.service")
                .find("\nExecStart=/usr/local/bin/supactl --home \"/srv/supactl home\" restore --drill shop "
                      "--key-file \"/keys/shop key%%1$$x\"\n"),
            std::string::npos);
  EXPECT_NE(content_of(files, "supactl-drill-shop.timer").find("\nOnCalendar=*-*-* 03:45:00\n"), std::string::npos);

  Schedule user = sample(Via::systemd);
  user.user_units = true;
  user.drill = Drill::none;
  const std::vector<ScheduleFile> user_files = render_schedule(user);
  ASSERT_EQ(user_files.size(), 2U);
  EXPECT_EQ(user_files[0].content.find("After=docker.service"), std::string::npos);
}

TEST(Schedule, CronFileHasTheUserFieldAndQuotesForShAndCron) {
  const std::vector<ScheduleFile> files = render_schedule(sample(Via::cron));
  ASSERT_EQ(files.size(), 1U);
  EXPECT_EQ(files[0].name, "supactl-shop");
  EXPECT_EQ(files[0].content.substr(files[0].content.find("SHELL=")),
            "SHELL=/bin/sh\n"
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
            "DOCKER_HOST=unix:///run/docker.sock\n"
            "DOCKER_CONFIG=\"/root/my docker\"\n"
            "0 */6 * * * root /usr/local/bin/supactl --home '/srv/supactl home' backup shop --lock-timeout 600 "
            "--encrypt --key-file '/keys/shop key\\%1$x' && /usr/local/bin/supactl --home '/srv/supactl home' "
            "backup prune shop --keep 14d\n"
            "45 3 * * * root /usr/local/bin/supactl --home '/srv/supactl home' restore --drill shop --key-file "
            "'/keys/shop key\\%1$x'\n");
}

TEST(Schedule, ValuesThatWouldBreakAFileAreRefusedWithUsage) {
  Schedule s = sample(Via::systemd);
  s.key_file = "/keys/a\nExecStart=/bin/evil";
  EXPECT_EQ(code_of([&] { render_schedule(s); }), ExitCode::usage);
  s = sample(Via::systemd);
  s.env.emplace_back("DOCKER_HOST", "x\ry");
  EXPECT_EQ(code_of([&] { render_schedule(s); }), ExitCode::usage);
  s = sample(Via::cron);
  s.env = {{"DOCKER_CONTEXT", "a \"b\""}};
  EXPECT_EQ(code_of([&] { render_schedule(s); }), ExitCode::usage);
  s = sample(Via::cron);
  s.instance = "Shop.1";
  EXPECT_EQ(code_of([&] { render_schedule(s); }), ExitCode::usage);
}

// --- installing -------------------------------------------------------------------------------

class Install : public ::testing::Test {
 protected:
  void SetUp() override {
    host.systemd_dir = dir.path() / "systemd";
    host.cron_dir = dir.path() / "cron.d";
    host.systemd_runs = true;
    host.user = "root";
    // A stand-in systemctl: records each call's arguments; exits 1 when told to fail.
    systemctl_log = dir.path() / "systemctl.log";
    const fs::path script = dir.path() / "systemctl";
    core::write_file_atomic(script,
                            "#!/bin/sh\necho \"$*\" >> '" + systemctl_log.string() + "'\n[ -e '" +
                                (dir.path() / "fail").string() + "' ] && exit 1\nexit 0\n",
                            0755);
    host.systemctl = script.string();
  }

  std::vector<std::string> calls() const {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::exists(systemctl_log, ec)) return out;
    std::istringstream in(core::read_file(systemctl_log));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  test::TempDir dir;
  ScheduleHost host;
  fs::path systemctl_log;
};

TEST_F(Install, SystemdWritesTheUnitsThenReloadsAndEnablesTheTimers) {
  const InstallResult r = install_schedule(sample(Via::systemd), host);
  EXPECT_TRUE(r.enabled);
  EXPECT_TRUE(r.replaced.empty());
  EXPECT_EQ(test::file_names(host.systemd_dir),
            (std::vector<std::string>{"supactl-backup-shop.service", "supactl-backup-shop.timer",
                                      "supactl-drill-shop.service", "supactl-drill-shop.timer"}));
  for (const fs::path& f : r.files) {
    EXPECT_EQ(static_cast<unsigned>(fs::status(f).permissions()), 0644U) << f;
  }
  EXPECT_EQ(calls(), (std::vector<std::string>{"daemon-reload",
                                               "enable --now supactl-backup-shop.timer supactl-drill-shop.timer"}));

  const std::vector<InstalledSchedule> found = find_schedules(host);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].instance, "shop");
  EXPECT_EQ(found[0].via, "systemd");
  EXPECT_EQ(found[0].info["every"], "6h");
  EXPECT_EQ(found[0].info["keep"], "14d");
  EXPECT_EQ(found[0].info["drill"], "daily");
  EXPECT_EQ(found[0].info["key_file"], "/keys/shop key%1$x");
  EXPECT_EQ(found[0].files.size(), 4U);
}

TEST_F(Install, ASecondScheduleReplacesTheFirstAcrossSystemdAndCron) {
  install_schedule(sample(Via::systemd), host);
  Schedule cron = sample(Via::cron);
  cron.drill = Drill::none;
  const InstallResult r = install_schedule(cron, host);
  EXPECT_EQ(r.replaced.size(), 4U);
  EXPECT_FALSE(r.enabled);
  EXPECT_TRUE(test::file_names(host.systemd_dir).empty());
  EXPECT_EQ(test::file_names(host.cron_dir), (std::vector<std::string>{"supactl-shop"}));
  EXPECT_EQ(calls().back(), "disable --now supactl-backup-shop.timer supactl-drill-shop.timer");

  // Back to systemd without a drill: the cron file goes, two units come.
  Schedule again = sample(Via::systemd);
  again.drill = Drill::none;
  install_schedule(again, host);
  EXPECT_TRUE(test::file_names(host.cron_dir).empty());
  EXPECT_EQ(test::file_names(host.systemd_dir),
            (std::vector<std::string>{"supactl-backup-shop.service", "supactl-backup-shop.timer"}));
  ASSERT_EQ(find_schedules(host).size(), 1U);
}

TEST_F(Install, RemoveStopsTheTimersAndDeletesOnlyThatInstancesMarkedFiles) {
  install_schedule(sample(Via::systemd), host);
  Schedule other = sample(Via::systemd);
  other.instance = "shop-2";
  install_schedule(other, host);
  // Files that are not supactl's, or are another instance's, stay.
  core::write_file_atomic(host.systemd_dir / "supactl-metrics.service", "[Service]\nExecStart=/bin/true\n");
  core::write_file_atomic(host.systemd_dir / "supactl-backup-shop-x.timer",
                          "# written by supactl backup schedule shopx; remove with: ...\n");
  fs::remove(systemctl_log);

  const std::vector<fs::path> removed = remove_schedule("shop", host);
  EXPECT_EQ(removed.size(), 4U);
  EXPECT_EQ(calls(), (std::vector<std::string>{"disable --now supactl-backup-shop.timer supactl-drill-shop.timer",
                                               "daemon-reload"}));
  EXPECT_EQ(test::file_names(host.systemd_dir),
            (std::vector<std::string>{"supactl-backup-shop-2.service", "supactl-backup-shop-2.timer",
                                      "supactl-backup-shop-x.timer", "supactl-drill-shop-2.service",
                                      "supactl-drill-shop-2.timer", "supactl-metrics.service"}));
  EXPECT_EQ(code_of([&] { remove_schedule("shop", host); }), ExitCode::not_found);
  EXPECT_EQ(code_of([&] { remove_schedule("../x", host); }), ExitCode::usage);
}

TEST_F(Install, AFailingSystemctlFailsTheCommandAndAUserManagerGetsUser) {
  host.user_units = true;
  core::write_file_atomic(dir.path() / "fail", "");
  EXPECT_EQ(code_of([&] { install_schedule(sample(Via::systemd), host); }), ExitCode::failure);
  EXPECT_EQ(calls(), (std::vector<std::string>{"--user daemon-reload"}));
}

TEST_F(Install, WithoutSystemctlTheUnitsAreOnlyWritten) {
  host.systemctl.clear();
  const InstallResult r = install_schedule(sample(Via::systemd), host);
  EXPECT_FALSE(r.enabled);
  EXPECT_EQ(r.files.size(), 4U);
  EXPECT_TRUE(calls().empty());
  EXPECT_EQ(remove_schedule("shop", host).size(), 4U);
  EXPECT_TRUE(calls().empty());
}

TEST_F(Install, AFileOfTheSameNameSomeoneElseWroteIsRefusedWithConflict) {
  core::write_file_atomic(host.cron_dir / "supactl-shop", "15 3 * * * root my-own-backup\n");
  EXPECT_EQ(code_of([&] { install_schedule(sample(Via::cron), host); }), ExitCode::conflict);
  EXPECT_EQ(core::read_file(host.cron_dir / "supactl-shop"), "15 3 * * * root my-own-backup\n");
  // Another instance's marker is not this one's either.
  Schedule other = sample(Via::cron);
  other.instance = "shop-2";
  core::write_file_atomic(host.cron_dir / "supactl-shop-2", render_schedule(sample(Via::cron))[0].content);
  EXPECT_EQ(code_of([&] { install_schedule(other, host); }), ExitCode::conflict);
  EXPECT_EQ(code_of([&] { remove_schedule("shop-2", host); }), ExitCode::not_found);
  EXPECT_TRUE(fs::exists(host.cron_dir / "supactl-shop"));
}

TEST_F(Install, CronRefusedOrBadValuesWriteNothing) {
  host.cron_refusal = "a cron.d schedule needs root";
  host.cron_hint = "run it as root, or use `--via systemd`";
  EXPECT_EQ(code_of([&] { install_schedule(sample(Via::cron), host); }), ExitCode::usage);
  host.cron_refusal.clear();
  install_schedule(sample(Via::systemd), host);
  Schedule bad = sample(Via::cron);
  bad.home = "/a\nb";
  EXPECT_EQ(code_of([&] { install_schedule(bad, host); }), ExitCode::usage);
  // The schedule it had is still there, whole.
  EXPECT_EQ(test::file_names(host.systemd_dir).size(), 4U);
  EXPECT_FALSE(fs::exists(host.cron_dir));
}

}  // namespace
}  // namespace supactl::backup
