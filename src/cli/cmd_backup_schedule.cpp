// SPDX-License-Identifier: Apache-2.0
//
// `supactl backup schedule NAME --every DUR --keep AGE|N [--drill daily|weekly] [--key-file PATH]
// [--via systemd|cron]`, `backup schedule ls [NAME]` and `backup schedule rm NAME`. The values,
// the files and installing them are backup/schedule.hpp's; this file checks the command line,
// picks systemd or cron, gathers what the jobs must be told (this binary, --home, the Docker
// endpoint variables, the key file's path) and prints the result.
#include "cli/globals.hpp"

#include <supactl/backup/crypt.hpp>
#include <supactl/backup/schedule.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

namespace supactl::cli {
namespace {

namespace fs = std::filesystem;

struct ScheduleOptions {
  std::string name;
  std::string every;
  std::string keep;
  std::string drill;
  std::string key_file;
  std::string via;
};

std::vector<std::string> strings_of(const std::vector<fs::path>& paths) {
  std::vector<std::string> out;
  out.reserve(paths.size());
  for (const fs::path& p : paths) out.push_back(p.string());
  return out;
}

/// Why the timers were not started, or "" when they were (or cron runs the file).
std::string not_enabled_reason(const backup::ScheduleHost& host) {
  if (!host.systemd_runs) return "systemd does not run on this host, so the units are written but not enabled";
  return fmt::format("{} is not a folder systemd reads (SUPACTL_SYSTEMD_DIR), so the units are not enabled",
                     host.systemd_dir.string());
}

int run_schedule(const Globals& g, const ScheduleOptions& o) {
  if (o.name.empty()) {
    throw Error("backup schedule needs an instance name", ExitCode::usage,
                "run `supactl backup schedule NAME --every 1d --keep 14d`, or `supactl backup schedule ls`");
  }
  if (o.every.empty() || o.keep.empty()) {
    throw Error(fmt::format("backup schedule {} needs --every and --keep", o.name), ExitCode::usage,
                fmt::format("e.g. `supactl backup schedule {} --every 6h --keep 14d`", o.name));
  }
  // 1. Every value is checked before anything is written.
  const backup::Every every = backup::parse_every(o.every);
  const backup::Keep keep = backup::parse_keep(o.keep);
  if (!keep.by_age() && keep.count == 0) {
    throw Error("--keep 0 would delete every backup the schedule takes", ExitCode::usage,
                "keep at least 1 backup, or give an age such as 14d");
  }
  const backup::Drill drill = o.drill.empty() ? backup::Drill::none : backup::parse_drill(o.drill);
  const fs::path home = fs::absolute(config::home_dir(g.home));
  const config::Instance inst = config::load_instance(home, o.name);
  fs::path key_file;
  if (!o.key_file.empty()) {
    key_file = fs::absolute(o.key_file).lexically_normal();
    // Read now, with the checks `backup --encrypt` makes, so that a bad key fails here and not
    // at the first scheduled run. Only its path goes into the schedule.
    const backup::BackupKey key = backup::BackupKey::from_file(key_file);
    backup::refuse_key_inside(key, home / "backups");
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error(fmt::format("cannot find the supactl binary (/proc/self/exe): {}", ec.message()));

  // 2. systemd where it runs, else cron, unless --via says.
  const backup::ScheduleHost host = backup::schedule_host();
  const backup::Via via = o.via == "cron"      ? backup::Via::cron
                          : o.via == "systemd" ? backup::Via::systemd
                          : host.systemd_runs  ? backup::Via::systemd
                                               : backup::Via::cron;
  const backup::Schedule s{.instance = inst.name,
                           .via = via,
                           .every = every,
                           .keep = keep,
                           .drill = drill,
                           .key_file = key_file,
                           .supactl = self,
                           .home = home,
                           .env = backup::job_environment(g.host),
                           .user = host.user,
                           .user_units = host.user_units};
  const backup::InstallResult r = backup::install_schedule(s, host);

  // 3. What was written, and whether it runs.
  if (g.json()) {
    print_json({{"instance", s.instance},
                {"via", backup::via_text(via)},
                {"every", every.text()},
                {"keep", keep.text},
                {"drill", backup::drill_text(drill)},
                {"key_file", key_file.string()},
                {"files", strings_of(r.files)},
                {"enabled", r.enabled},
                {"replaced", strings_of(r.replaced)}});
    return 0;
  }
  std::cout << fmt::format("backups of {} scheduled every {}, keeping {}{}, via {}\n", s.instance, every.text(),
                           keep.by_age() ? "those younger than " + keep.text : "the newest " + keep.text,
                           drill == backup::Drill::none ? "" : ", restore drill " + backup::drill_text(drill),
                           backup::via_text(via));
  if (!r.replaced.empty()) std::cout << "  replaced the schedule it had before\n";
  for (const fs::path& f : r.files) std::cout << fmt::format("  wrote {}\n", f.string());
  const std::string user_flag = host.user_units ? " --user" : "";
  if (r.enabled) {
    std::cout << fmt::format("  timers enabled and started: `systemctl{} list-timers 'supactl-*'` shows the next run\n",
                             user_flag);
    if (host.user_units) {
      std::cout << fmt::format(
          "  a user's timers run only while they are logged in, unless `loginctl enable-linger {}`\n", host.user);
    }
  } else if (via == backup::Via::systemd) {
    std::cout << fmt::format("  {}\n", not_enabled_reason(host));
  } else {
    std::cout << "  cron reads the file within a minute and mails each run's output to the file's user\n";
  }
  std::cout << fmt::format("  remove with: supactl backup schedule rm {}\n", s.instance);
  return 0;
}

int run_schedule_ls(const Globals& g, const ScheduleOptions& o) {
  if (!o.name.empty()) config::validate_name(o.name);
  const backup::ScheduleHost host = backup::schedule_host();
  std::vector<backup::InstalledSchedule> found;
  for (backup::InstalledSchedule& s : backup::find_schedules(host)) {
    if (o.name.empty() || s.instance == o.name) found.push_back(std::move(s));
  }
  const auto field = [](const backup::InstalledSchedule& s, const char* key) {
    const auto it = s.info.find(key);
    return it != s.info.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (g.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const backup::InstalledSchedule& s : found) {
      list.push_back({{"instance", s.instance},
                      {"via", s.via},
                      {"every", field(s, "every")},
                      {"keep", field(s, "keep")},
                      {"drill", field(s, "drill")},
                      {"key_file", field(s, "key_file")},
                      {"home", field(s, "home")},
                      {"files", strings_of(s.files)}});
    }
    print_json({{"schedules", list}});
    return 0;
  }
  if (found.empty()) {
    std::cout << fmt::format("no backup schedules{} in {} or {}\n", o.name.empty() ? "" : " of " + o.name,
                             host.systemd_dir.string(), host.cron_dir.string());
    return 0;
  }
  std::cout << fmt::format("{:<20} {:<8} {:<6} {:<6} {:<7} {}\n", "NAME", "VIA", "EVERY", "KEEP", "DRILL", "FILES");
  for (const backup::InstalledSchedule& s : found) {
    std::string files;
    for (const fs::path& f : s.files) files += (files.empty() ? "" : " ") + f.string();
    const std::string drill = field(s, "drill");
    std::cout << fmt::format("{:<20} {:<8} {:<6} {:<6} {:<7} {}\n", s.instance, s.via, field(s, "every"),
                             field(s, "keep"), drill.empty() ? "-" : drill, files);
  }
  return 0;
}

int run_schedule_rm(const Globals& g, const ScheduleOptions& o) {
  const std::vector<fs::path> removed = backup::remove_schedule(o.name, backup::schedule_host());
  if (g.json()) {
    print_json({{"instance", o.name}, {"removed", strings_of(removed)}});
    return 0;
  }
  std::cout << fmt::format("removed the backup schedule of {}\n", o.name);
  for (const fs::path& f : removed) std::cout << fmt::format("  removed {}\n", f.string());
  return 0;
}

}  // namespace

/// Adds `schedule` (with its `ls` and `rm`) to `backup`.
void setup_backup_schedule(CLI::App& backup, Globals& g) {
  auto o = std::make_shared<ScheduleOptions>();
  CLI::App* sub = backup.add_subcommand(
      "schedule", "Run an instance's backups (and restore drills) on a systemd timer or from cron.d");
  sub->add_option("name", o->name, "Instance name");
  sub->add_option("--every", o->every, "How often: Nm (N divides 60), Nh (N divides 24), 1d or 1w");
  sub->add_option("--keep", o->keep, "What each run's prune keeps: the newest N, or an age such as 14d, 36h or 8w");
  sub->add_option("--drill", o->drill, "Also run `supactl restore --drill NAME` daily or weekly")
      ->check(CLI::IsMember({"daily", "weekly"}));
  sub->add_option("--key-file", o->key_file,
                  "Encrypt the scheduled backups with this key file (only its absolute path is stored)");
  sub->add_option("--via", o->via, "systemd (the default where systemd runs) or cron (/etc/cron.d)")
      ->check(CLI::IsMember({"systemd", "cron"}));
  sub->require_subcommand(0, 1);

  CLI::App* ls = sub->add_subcommand("ls", "List the backup schedules (of one instance with NAME)");
  ls->add_option("name", o->name, "Instance name");
  set_action(*ls, g, [&g, o]() { return run_schedule_ls(g, *o); });

  CLI::App* rm = sub->add_subcommand("rm", "Stop and remove an instance's backup schedule");
  rm->add_option("name", o->name, "Instance name")->required();
  set_action(*rm, g, [&g, o]() { return run_schedule_rm(g, *o); });

  sub->callback([&g, o, sub] {
    if (g.dry_parse || !sub->get_subcommands().empty()) return;
    g.exit_code = run_schedule(g, *o);
  });
}

}  // namespace supactl::cli
