// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl backup schedule`: how often a backup runs (--every), what `backup prune` keeps
// (--keep, a count or an age), the restore drill (--drill), and the files that make the host
// run them: a systemd service and timer per job, or one cron.d file. Parsing, the prune
// decision and rendering are pure; install_schedule/remove_schedule/find_schedules touch only
// the folders a ScheduleHost names and run systemctl only when it says systemd is theirs.

#include <supactl/backup/archive.hpp>

#include <nlohmann/json.hpp>

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace supactl::backup {

/// A period a schedule repeats at, aligned to the clock: N minutes (N divides 60), N hours
/// (N divides 24), one day (at midnight) or one week (Sunday midnight).
struct Every {
  enum class Unit { minute, hour, day, week };
  int count = 1;
  Unit unit = Unit::day;

  /// The canonical text: "30m", "6h", "1d", "1w".
  std::string text() const;
  bool operator==(const Every&) const = default;
};

/// Parses --every: `Nm` (N divides 60), `Nh` (N divides 24), `1d`, `7d` or `1w`; 60m reads
/// as 1h, 24h as 1d, 7d as 1w. Throws supactl::Error(usage) naming the accepted forms.
Every parse_every(std::string_view text);

/// The systemd OnCalendar= value of `every`: 6h -> "*-*-* 00/6:00:00", 30m -> "*-*-* *:00/30:00",
/// 1d -> "*-*-* 00:00:00", 1w -> "Sun *-*-* 00:00:00".
std::string on_calendar(const Every& every);

/// The five time fields of a crontab line for `every`: 6h -> "0 */6 * * *", 30m ->
/// "*/30 * * * *", 1d -> "0 0 * * *", 1w -> "0 0 * * 0".
std::string cron_time(const Every& every);

/// What `backup prune` keeps: the newest `count` backups, or those younger than `age_seconds`.
struct Keep {
  int64_t count = 0;        ///< used when age_seconds is 0
  int64_t age_seconds = 0;  ///< > 0: keep by age
  std::string text;         ///< canonical: "14" or "14d"

  bool by_age() const { return age_seconds > 0; }
};

/// Parses --keep: a count `N` (0-100000) or an age `Nh`, `Nd` or `Nw` (N 1-100000).
/// Throws supactl::Error(usage) naming the accepted forms.
Keep parse_keep(std::string_view text);

/// The UTC time in the name of instance `name`'s backup file `file`
/// (NAME-YYYYMMDDTHHMMSSZ followed by anything, e.g. ".tar.gz"), or nullopt when the name holds
/// no valid time.
std::optional<std::time_t> backup_time(const std::filesystem::path& file, const std::string& name);

/// The backups `backup prune` deletes from `files` (instance `name`'s, oldest first, as
/// list_backups returns them), oldest first. By count: all but the newest `keep.count`. By age:
/// those whose time (backup_time) is more than `keep.age_seconds` before `now`, except the
/// newest backup, which is never deleted by age (a schedule whose backups started failing must
/// not prune away the last copy), and files whose name holds no time.
std::vector<BackupFile> backups_to_prune(const std::vector<BackupFile>& files, const std::string& name,
                                         const Keep& keep, std::time_t now);

/// How often a scheduled restore drill (`supactl restore --drill NAME`) runs.
enum class Drill { none, daily, weekly };

/// Parses --drill: `daily` or `weekly`. Throws supactl::Error(usage).
Drill parse_drill(std::string_view text);
/// "daily", "weekly", or "" for none.
std::string drill_text(Drill drill);
/// The drill's OnCalendar= value (03:45 daily, Sunday 03:45 weekly: away from the full hour
/// most backup schedules start at).
std::string on_calendar(Drill drill);
/// The drill's five cron time fields ("45 3 * * *", "45 3 * * 0").
std::string cron_time(Drill drill);

/// What runs the scheduled jobs.
enum class Via { systemd, cron };
std::string via_text(Via via);

/// One instance's schedule, with everything its files need to run supactl later without the
/// environment of the shell that made it.
struct Schedule {
  std::string instance;
  Via via = Via::systemd;
  Every every;
  Keep keep;
  Drill drill = Drill::none;
  std::filesystem::path key_file;  ///< absolute; empty: the backups are not encrypted
  std::filesystem::path supactl;   ///< the absolute path of the supactl binary to run
  std::filesystem::path home;      ///< the absolute SUPACTL home, passed as --home
  /// Variables the jobs run with (the Docker endpoint: DOCKER_HOST, DOCKER_CONTEXT, ...).
  std::vector<std::pair<std::string, std::string>> env;
  std::string user = "root";  ///< the user field of the cron.d lines
  bool user_units = false;    ///< systemd units for a user manager (no After=docker.service)
};

/// A file of a schedule: its name (no folder) and its bytes.
struct ScheduleFile {
  std::string name;
  std::string content;
};

/// The file names of `instance`'s schedule: supactl-backup-NAME.service and .timer (plus
/// supactl-drill-NAME.service and .timer with a drill) for systemd, supactl-NAME for cron.
std::string systemd_unit_name(const std::string& kind, const std::string& instance, const std::string& suffix);
std::string cron_file_name(const std::string& instance);

/// The files of `s`. Each starts with the marker line
/// `# written by supactl backup schedule NAME; remove with: supactl backup schedule rm NAME`
/// and a `# supactl-schedule: {json}` line recording every, keep, drill, key_file and home.
/// Throws supactl::Error(usage) when a path or variable cannot be written into them safely
/// (a control character, or a `"` in a cron variable).
std::vector<ScheduleFile> render_schedule(const Schedule& s);

/// The folders schedules live in on this host and whether supactl may run systemctl.
struct ScheduleHost {
  std::filesystem::path systemd_dir;  ///< /etc/systemd/system, ~/.config/systemd/user or $SUPACTL_SYSTEMD_DIR
  bool user_units = false;            ///< not root: units of the user's own manager (systemctl --user)
  bool systemd_runs = false;          ///< PID 1 is systemd (/run/systemd/system exists)
  /// The systemctl program to run after writing or before removing units; empty when systemd
  /// does not run here or systemd_dir is not a folder it reads ($SUPACTL_SYSTEMD_DIR).
  std::string systemctl;
  std::filesystem::path cron_dir;  ///< /etc/cron.d or $SUPACTL_CRON_DIR
  /// Why cron.d cannot be used (not root, no /etc/cron.d), with the fix; empty when it can.
  std::string cron_refusal;
  std::string cron_hint;
  std::string user;  ///< the name of the effective user (cron.d's user field)
};

/// The ScheduleHost of this process: its effective user, /run/systemd/system, and the
/// variables SUPACTL_SYSTEMD_DIR, SUPACTL_CRON_DIR, XDG_CONFIG_HOME, HOME and (tests only)
/// SUPACTL_TEST_SYSTEMCTL (a program run instead of systemctl, as if systemd were running).
ScheduleHost schedule_host();

/// The Docker endpoint variables of this process for the jobs: DOCKER_HOST (`host_flag` when
/// not empty, i.e. --host), DOCKER_CONTEXT, DOCKER_CONFIG (else ~/.docker when it exists, so a
/// job without HOME still finds the current context), DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and
/// DOCKER_API_VERSION, those that are set.
std::vector<std::pair<std::string, std::string>> job_environment(const std::string& host_flag);

/// A schedule found on disk.
struct InstalledSchedule {
  std::string instance;
  std::string via;      ///< "systemd" or "cron"
  nlohmann::json info;  ///< the recorded `# supactl-schedule:` object (empty object when unreadable)
  std::vector<std::filesystem::path> files;
};

/// Every schedule whose files in `host`'s folders carry supactl's marker, by instance name
/// (an instance with files in both folders is listed once per folder).
std::vector<InstalledSchedule> find_schedules(const ScheduleHost& host);

/// What install_schedule did.
struct InstallResult {
  std::vector<std::filesystem::path> files;     ///< written
  std::vector<std::filesystem::path> replaced;  ///< files of the previous schedule, removed
  bool enabled = false;                         ///< systemctl enable --now ran for the timers
};

/// Writes `s`'s files (each atomically, 0644) into `host`'s folder for `s.via`, after removing
/// the files of the instance's previous schedule (stopping its timers first when systemctl is
/// ours), then, for systemd with host.systemctl set, runs `systemctl [--user] daemon-reload`
/// and `enable --now` on the timers. Throws supactl::Error(usage) when cron.d cannot be used,
/// and Error(conflict) when a file to write exists without the marker for `s.instance`, both
/// before anything is written; Error(failure) when a write or systemctl fails.
InstallResult install_schedule(const Schedule& s, const ScheduleHost& host);

/// Removes `instance`'s schedule: `systemctl disable --now` of its timers when systemctl is
/// ours, then only the files carrying the marker for `instance`, then daemon-reload. Returns the
/// files removed; throws supactl::Error(not_found) when there are none.
std::vector<std::filesystem::path> remove_schedule(const std::string& instance, const ScheduleHost& host);

}  // namespace supactl::backup
