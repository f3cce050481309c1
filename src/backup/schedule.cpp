// SPDX-License-Identifier: Apache-2.0
//
// Scheduled backups (see include/supactl/backup/schedule.hpp): --every, --keep and --drill as
// values, the prune decision, the systemd units and the cron.d file that run supactl later,
// and installing, finding and removing them. The jobs get everything they need written into
// their files (the binary's absolute path, --home, the Docker endpoint variables, the key
// file's path, never a key), because neither cron nor systemd gives them the shell's
// environment.
#include <supactl/backup/schedule.hpp>

#include <supactl/config/home.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fd.hpp>
#include <supactl/core/fs.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>

namespace supactl::backup {
namespace fs = std::filesystem;

namespace {

constexpr int64_t k_max_number = 100000;
constexpr const char* k_marker = "# written by supactl backup schedule ";
constexpr const char* k_record = "# supactl-schedule: ";
constexpr const char* k_every_forms =
    "use Nm with N dividing 60 (5m, 15m, 30m), Nh with N dividing 24 (1h, 6h, 12h), 1d or 1w";
constexpr const char* k_keep_forms = "use a count N (e.g. 14) or an age Nh, Nd or Nw (e.g. 36h, 14d, 8w)";
/// A scheduled backup waits this long for a concurrent up/down/restore of the instance.
constexpr const char* k_job_lock_timeout = "600";

/// `text` as a number 1-100000 followed by one unit letter, or nullopt.
std::optional<std::pair<int64_t, char>> number_and_unit(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  const char unit = text.back();
  const std::string_view digits = text.substr(0, text.size() - 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 1 || n > k_max_number) return std::nullopt;
  return std::make_pair(n, unit);
}

// --- writing values into unit files and crontabs ----------------------------------------------

/// Refuses a value no unit file or crontab line can hold (a newline would start a new directive).
void check_text(const std::string& what, const std::string& value) {
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      throw Error(fmt::format("{} `{}` contains a control character; a schedule cannot hold it", what, value),
                  ExitCode::usage);
    }
  }
}

bool plain(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("/._+:,@=-", c) != nullptr;
  });
}

/// `s` inside double quotes with `\` and `"` escaped and systemd's specifier `%` doubled.
std::string systemd_quoted(const std::string& s, bool dollar) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '%') out += '%';
    if (dollar && c == '$') out += '$';
    out += c;
  }
  return out + "\"";
}

/// One ExecStart= command line: each word as is when plain, else quoted (systemd expands `$`
/// and `%` even inside quotes, so they are doubled).
std::string systemd_command(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += plain(w) ? w : systemd_quoted(w, true);
  }
  return out;
}

/// One sh command for a crontab line: words single-quoted unless plain; cron turns an
/// unescaped `%` into a newline, so every `%` is written `\%` (cron drops the backslash).
std::string cron_command(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    if (plain(w)) {
      out += w;
      continue;
    }
    out += '\'';
    for (const char c : w) {
      if (c == '\'') {
        out += "'\\''";
      } else if (c == '%') {
        out += "\\%";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

/// A crontab variable line. Cron strips one pair of matching quotes and knows no escapes.
std::string cron_variable(const std::string& name, const std::string& value) {
  if (plain(value)) return fmt::format("{}={}\n", name, value);
  if (value.find('"') != std::string::npos) {
    throw Error(fmt::format("{}=`{}` contains a `\"`; a cron.d file cannot hold it", name, value), ExitCode::usage,
                "use --via systemd");
  }
  return fmt::format("{}=\"{}\"\n", name, value);
}

// --- the jobs ---------------------------------------------------------------------------------

std::vector<std::string> supactl_words(const Schedule& s) { return {s.supactl.string(), "--home", s.home.string()}; }

std::vector<std::string> backup_command(const Schedule& s) {
  std::vector<std::string> w = supactl_words(s);
  w.insert(w.end(), {"backup", s.instance, "--lock-timeout", k_job_lock_timeout});
  if (!s.key_file.empty()) w.insert(w.end(), {"--encrypt", "--key-file", s.key_file.string()});
  return w;
}

std::vector<std::string> prune_command(const Schedule& s) {
  std::vector<std::string> w = supactl_words(s);
  w.insert(w.end(), {"backup", "prune", s.instance, "--keep", s.keep.text});
  return w;
}

std::vector<std::string> drill_command(const Schedule& s) {
  std::vector<std::string> w = supactl_words(s);
  w.insert(w.end(), {"restore", "--drill", s.instance});
  if (!s.key_file.empty()) w.insert(w.end(), {"--key-file", s.key_file.string()});
  return w;
}

nlohmann::json record_of(const Schedule& s) {
  return {{"instance", s.instance},  {"via", via_text(s.via)},       {"every", s.every.text()},
          {"keep", s.keep.text},     {"drill", drill_text(s.drill)}, {"key_file", s.key_file.string()},
          {"home", s.home.string()}, {"supactl", s.supactl.string()}};
}

std::string header(const Schedule& s) {
  return fmt::format("{}{}; remove with: supactl backup schedule rm {}\n{}{}\n", k_marker, s.instance, s.instance,
                     k_record, record_of(s).dump());
}

std::string service_unit(const Schedule& s, const std::string& description,
                         const std::vector<std::vector<std::string>>& commands) {
  std::string out = header(s);
  out += fmt::format("[Unit]\nDescription={}\n", description);
  // A timer that catches up at boot (Persistent=) should not start before the Engine.
  if (!s.user_units) out += "After=docker.service\n";
  out += "\n[Service]\nType=oneshot\n";
  for (const auto& [name, value] : s.env) out += "Environment=" + systemd_quoted(name + "=" + value, false) + "\n";
  for (const std::vector<std::string>& c : commands) out += "ExecStart=" + systemd_command(c) + "\n";
  out += "Nice=10\nIOSchedulingClass=idle\n";
  return out;
}

std::string timer_unit(const Schedule& s, const std::string& description, const std::string& calendar) {
  return header(s) + fmt::format(
                         "[Unit]\nDescription={}\n\n[Timer]\nOnCalendar={}\nPersistent=true\nRandomizedDelaySec=60\n\n"
                         "[Install]\nWantedBy=timers.target\n",
                         description, calendar);
}

// --- running systemctl ------------------------------------------------------------------------

struct ProgramResult {
  int code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs `argv` (found on PATH) with standard input from /dev/null; returns its exit code
/// (-1 when it could not start or died of a signal) and what it printed.
ProgramResult run_program(const std::vector<std::string>& argv) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw Error(fmt::format("cannot run {}: pipe: {}", argv[0], std::strerror(errno)));
  }
  core::UniqueFd read_end(fds[0]);
  core::UniqueFd write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  core::ScopeExit destroy([&actions] { posix_spawn_file_actions_destroy(&actions); });
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  std::vector<char*> args;
  std::vector<std::string> copies = argv;
  args.reserve(copies.size() + 1);
  for (std::string& a : copies) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  ProgramResult r;
  if (const int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ); err != 0) {
    r.output = fmt::format("cannot run {}: {}", argv[0], std::strerror(err));
    return r;
  }
  write_end.reset();
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(read_end.get(), buf.data(), buf.size());
    if (n > 0) {
      r.output.append(buf.data(), static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // One line for the error it may become.
  while (!r.output.empty() && (r.output.back() == '\n' || r.output.back() == ' ')) r.output.pop_back();
  std::replace(r.output.begin(), r.output.end(), '\n', ' ');
  return r;
}

/// `systemctl [--user] ARGS`; throws Error(failure) with its output when it fails.
void systemctl(const ScheduleHost& host, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {host.systemctl};
  if (host.user_units) argv.emplace_back("--user");
  argv.insert(argv.end(), args.begin(), args.end());
  const ProgramResult r = run_program(argv);
  if (r.code != 0) {
    std::string command;
    for (size_t i = 1; i < argv.size(); ++i) command += " " + argv[i];
    throw Error(fmt::format("`systemctl{}` failed: {}", command, r.output.empty() ? "no message" : r.output));
  }
}

/// `systemctl disable --now` of the timers among `files` (none: nothing runs).
void stop_timers(const ScheduleHost& host, const std::vector<fs::path>& files) {
  std::vector<std::string> args = {"disable", "--now"};
  for (const fs::path& f : files) {
    if (f.extension() == ".timer") args.push_back(f.filename().string());
  }
  if (args.size() > 2) systemctl(host, args);
}

// --- finding schedules ------------------------------------------------------------------------

struct Marked {
  std::string instance;
  nlohmann::json info = nlohmann::json::object();
};

/// The instance named by `file`'s marker line (and its record), or nullopt when it has none.
std::optional<Marked> read_marker(const fs::path& file) {
  std::ifstream in(file);
  std::string first;
  if (!in || !std::getline(in, first) || first.rfind(k_marker, 0) != 0) return std::nullopt;
  const size_t semicolon = first.find(';');
  if (semicolon == std::string::npos) return std::nullopt;
  Marked m;
  m.instance = first.substr(std::strlen(k_marker), semicolon - std::strlen(k_marker));
  try {
    config::validate_name(m.instance);
  } catch (const Error&) {
    return std::nullopt;
  }
  std::string second;
  if (std::getline(in, second) && second.rfind(k_record, 0) == 0) {
    nlohmann::json j = nlohmann::json::parse(second.substr(std::strlen(k_record)), nullptr, false);
    if (j.is_object()) m.info = std::move(j);
  }
  return m;
}

/// The marked files in `dir` whose names could be a schedule's, grouped by instance.
std::vector<InstalledSchedule> scan(const fs::path& dir, const std::string& via) {
  std::map<std::string, InstalledSchedule> by_instance;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return {};
  std::vector<fs::path> candidates;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    if (f.rfind("supactl-", 0) != 0 || !e.is_regular_file(ec)) continue;
    if (via == "systemd" && e.path().extension() != ".service" && e.path().extension() != ".timer") continue;
    if (via == "cron" && f.find('.') != std::string::npos) continue;
    candidates.push_back(e.path());
  }
  std::sort(candidates.begin(), candidates.end());
  for (const fs::path& f : candidates) {
    std::optional<Marked> m = read_marker(f);
    if (!m) continue;
    InstalledSchedule& s = by_instance[m->instance];
    if (s.files.empty()) s = {.instance = m->instance, .via = via, .info = m->info, .files = {}};
    // The backup timer's record is the one `ls` shows when the files disagree.
    if (f.filename() == systemd_unit_name("backup", m->instance, ".timer")) s.info = m->info;
    s.files.push_back(f);
  }
  std::vector<InstalledSchedule> out;
  out.reserve(by_instance.size());
  for (auto& [name, s] : by_instance) out.push_back(std::move(s));
  return out;
}

std::vector<InstalledSchedule> schedules_of(const std::string& instance, const ScheduleHost& host) {
  std::vector<InstalledSchedule> all = find_schedules(host);
  std::vector<InstalledSchedule> out;
  for (InstalledSchedule& s : all) {
    if (s.instance == instance) out.push_back(std::move(s));
  }
  return out;
}

bool same_folder(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  const fs::path ca = fs::weakly_canonical(a, ec);
  const fs::path cb = fs::weakly_canonical(b, ec);
  return ca == cb;
}

}  // namespace

// --- values -----------------------------------------------------------------------------------

std::string Every::text() const {
  switch (unit) {
    case Unit::minute: return fmt::format("{}m", count);
    case Unit::hour: return fmt::format("{}h", count);
    case Unit::day: return "1d";
    case Unit::week: return "1w";
  }
  return {};
}

Every parse_every(std::string_view text) {
  const auto parsed = number_and_unit(text);
  const int64_t n = parsed ? parsed->first : 0;
  const char unit = parsed ? parsed->second : '\0';
  if (unit == 'm' && 60 % n == 0)
    return n == 60 ? Every{1, Every::Unit::hour} : Every{static_cast<int>(n), Every::Unit::minute};
  if (unit == 'h' && 24 % n == 0)
    return n == 24 ? Every{1, Every::Unit::day} : Every{static_cast<int>(n), Every::Unit::hour};
  if (unit == 'd' && n == 1) return Every{1, Every::Unit::day};
  if ((unit == 'd' && n == 7) || (unit == 'w' && n == 1)) return Every{1, Every::Unit::week};
  throw Error(fmt::format("--every `{}` is not a period supactl can schedule: {}", text, k_every_forms),
              ExitCode::usage);
}

std::string on_calendar(const Every& every) {
  switch (every.unit) {
    case Every::Unit::minute: return fmt::format("*-*-* *:00/{}:00", every.count);
    case Every::Unit::hour: return fmt::format("*-*-* 00/{}:00:00", every.count);
    case Every::Unit::day: return "*-*-* 00:00:00";
    case Every::Unit::week: return "Sun *-*-* 00:00:00";
  }
  return {};
}

std::string cron_time(const Every& every) {
  switch (every.unit) {
    case Every::Unit::minute: return every.count == 1 ? "* * * * *" : fmt::format("*/{} * * * *", every.count);
    case Every::Unit::hour: return every.count == 1 ? "0 * * * *" : fmt::format("0 */{} * * *", every.count);
    case Every::Unit::day: return "0 0 * * *";
    case Every::Unit::week: return "0 0 * * 0";
  }
  return {};
}

Keep parse_keep(std::string_view text) {
  const auto bad = [&] {
    return Error(fmt::format("--keep `{}` is neither a count nor an age: {}", text, k_keep_forms), ExitCode::usage);
  };
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t n = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n > k_max_number) throw bad();
    return Keep{.count = n, .age_seconds = 0, .text = std::to_string(n)};
  }
  const auto parsed = number_and_unit(text);
  if (!parsed) throw bad();
  const auto [n, unit] = *parsed;
  int64_t seconds = 0;
  if (unit == 'h') {
    seconds = 3600;
  } else if (unit == 'd') {
    seconds = 86400;
  } else if (unit == 'w') {
    seconds = 7 * 86400;
  } else {
    throw bad();
  }
  return Keep{.count = 0, .age_seconds = n * seconds, .text = fmt::format("{}{}", n, unit)};
}

std::optional<std::time_t> backup_time(const fs::path& file, const std::string& name) {
  const std::string f = file.filename().string();
  const std::string prefix = name + "-";
  constexpr size_t k_stamp = 16;  // YYYYMMDDTHHMMSSZ
  if (f.rfind(prefix, 0) != 0 || f.size() < prefix.size() + k_stamp) return std::nullopt;
  const std::string stamp = f.substr(prefix.size(), k_stamp);
  for (size_t i = 0; i < k_stamp; ++i) {
    const bool want_digit = i != 8 && i != 15;
    if (want_digit != (stamp[i] >= '0' && stamp[i] <= '9')) return std::nullopt;
  }
  if (stamp[8] != 'T' || stamp[15] != 'Z') return std::nullopt;
  const auto num = [&](size_t at, size_t len) { return std::stoi(stamp.substr(at, len)); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  return ::timegm(&tm);
}

std::vector<BackupFile> backups_to_prune(const std::vector<BackupFile>& files, const std::string& name,
                                         const Keep& keep, std::time_t now) {
  std::vector<BackupFile> out;
  if (!keep.by_age()) {
    const size_t n = static_cast<size_t>(keep.count);
    for (size_t i = 0; i + n < files.size(); ++i) out.push_back(files[i]);
    return out;
  }
  // The last file is the newest: never deleted by age.
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    const std::optional<std::time_t> t = backup_time(files[i].path, name);
    if (t && now - *t > keep.age_seconds) out.push_back(files[i]);
  }
  return out;
}

Drill parse_drill(std::string_view text) {
  if (text == "daily") return Drill::daily;
  if (text == "weekly") return Drill::weekly;
  throw Error(fmt::format("--drill `{}`: use daily or weekly", text), ExitCode::usage);
}

std::string drill_text(Drill drill) {
  switch (drill) {
    case Drill::daily: return "daily";
    case Drill::weekly: return "weekly";
    case Drill::none: break;
  }
  return "";
}

std::string on_calendar(Drill drill) { return drill == Drill::weekly ? "Sun *-*-* 03:45:00" : "*-*-* 03:45:00"; }

std::string cron_time(Drill drill) { return drill == Drill::weekly ? "45 3 * * 0" : "45 3 * * *"; }

std::string via_text(Via via) { return via == Via::cron ? "cron" : "systemd"; }

// --- files ------------------------------------------------------------------------------------

std::string systemd_unit_name(const std::string& kind, const std::string& instance, const std::string& suffix) {
  return fmt::format("supactl-{}-{}{}", kind, instance, suffix);
}

std::string cron_file_name(const std::string& instance) { return "supactl-" + instance; }

std::vector<ScheduleFile> render_schedule(const Schedule& s) {
  config::validate_name(s.instance);  // also keeps the file names within run-parts' rules
  check_text("the supactl binary", s.supactl.string());
  check_text("the home folder", s.home.string());
  check_text("--key-file", s.key_file.string());
  for (const auto& [name, value] : s.env) check_text(name, value);

  std::vector<ScheduleFile> out;
  if (s.via == Via::systemd) {
    out.push_back(
        {systemd_unit_name("backup", s.instance, ".service"),
         service_unit(s,
                      fmt::format("supactl backup of {} (every {}, keep {})", s.instance, s.every.text(), s.keep.text),
                      {backup_command(s), prune_command(s)})});
    out.push_back({systemd_unit_name("backup", s.instance, ".timer"),
                   timer_unit(s, fmt::format("supactl backup of {} every {}", s.instance, s.every.text()),
                              on_calendar(s.every))});
    if (s.drill != Drill::none) {
      out.push_back({systemd_unit_name("drill", s.instance, ".service"),
                     service_unit(s, fmt::format("supactl restore drill of {}", s.instance), {drill_command(s)})});
      out.push_back({systemd_unit_name("drill", s.instance, ".timer"),
                     timer_unit(s, fmt::format("supactl restore drill of {} {}", s.instance, drill_text(s.drill)),
                                on_calendar(s.drill))});
    }
    return out;
  }
  std::string cron = header(s);
  cron += "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n";
  for (const auto& [name, value] : s.env) cron += cron_variable(name, value);
  cron += fmt::format("{} {} {} && {}\n", cron_time(s.every), s.user, cron_command(backup_command(s)),
                      cron_command(prune_command(s)));
  if (s.drill != Drill::none) {
    cron += fmt::format("{} {} {}\n", cron_time(s.drill), s.user, cron_command(drill_command(s)));
  }
  out.push_back({cron_file_name(s.instance), cron});
  return out;
}

// --- this host --------------------------------------------------------------------------------

ScheduleHost schedule_host() {
  ScheduleHost h;
  const uid_t uid = ::geteuid();
  const bool root = uid == 0;
  h.user_units = !root;
  std::string home = core::env_or("HOME");
  if (const struct passwd* pw = ::getpwuid(uid); pw != nullptr) {
    h.user = pw->pw_name;
    if (home.empty() && pw->pw_dir != nullptr) home = pw->pw_dir;
  } else {
    h.user = std::to_string(uid);
  }
  const std::string config_home = core::env_or("XDG_CONFIG_HOME");
  const fs::path own_dir = root                   ? fs::path("/etc/systemd/system")
                           : !config_home.empty() ? fs::path(config_home) / "systemd" / "user"
                                                  : fs::path(home) / ".config" / "systemd" / "user";
  const std::string systemd_dir = core::env_or("SUPACTL_SYSTEMD_DIR");
  h.systemd_dir = systemd_dir.empty() ? own_dir : fs::absolute(systemd_dir);
  std::error_code ec;
  h.systemd_runs = fs::is_directory("/run/systemd/system", ec);
  if (const std::string fake = core::env_or("SUPACTL_TEST_SYSTEMCTL"); !fake.empty()) {
    h.systemd_runs = true;
    h.systemctl = fake;
  } else if (h.systemd_runs && same_folder(h.systemd_dir, own_dir)) {
    h.systemctl = "systemctl";
  }

  const std::string cron_dir = core::env_or("SUPACTL_CRON_DIR");
  h.cron_dir = cron_dir.empty() ? fs::path("/etc/cron.d") : fs::absolute(cron_dir);
  if (cron_dir.empty() && !root) {
    h.cron_refusal = "a cron.d schedule needs root: /etc/cron.d belongs to root";
    h.cron_hint = "run it as root, or use `--via systemd` for a timer of your own user";
  } else if (cron_dir.empty() && !fs::is_directory(h.cron_dir, ec)) {
    h.cron_refusal = "cron is not installed here (there is no /etc/cron.d)";
    h.cron_hint = "install cron (apt-get install cron), or use `--via systemd`";
  }
  return h;
}

std::vector<std::pair<std::string, std::string>> job_environment(const std::string& host_flag) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* name : {"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
                           "DOCKER_API_VERSION"}) {
    const std::string_view n = name;
    std::string value = n == "DOCKER_HOST" && !host_flag.empty() ? host_flag : core::env_or(name);
    if (n == "DOCKER_CONFIG" && value.empty()) {
      const std::string home = core::env_or("HOME");
      std::error_code ec;
      if (!home.empty() && fs::is_directory(fs::path(home) / ".docker", ec))
        value = (fs::path(home) / ".docker").string();
    }
    if ((n == "DOCKER_CONFIG" || n == "DOCKER_CERT_PATH") && !value.empty()) value = fs::absolute(value).string();
    if (!value.empty()) out.emplace_back(name, value);
  }
  return out;
}

// --- installing and removing ------------------------------------------------------------------

std::vector<InstalledSchedule> find_schedules(const ScheduleHost& host) {
  std::vector<InstalledSchedule> out = scan(host.systemd_dir, "systemd");
  std::vector<InstalledSchedule> cron = scan(host.cron_dir, "cron");
  out.insert(out.end(), std::make_move_iterator(cron.begin()), std::make_move_iterator(cron.end()));
  std::stable_sort(out.begin(), out.end(),
                   [](const InstalledSchedule& a, const InstalledSchedule& b) { return a.instance < b.instance; });
  return out;
}

InstallResult install_schedule(const Schedule& s, const ScheduleHost& host) {
  const bool systemd = s.via == Via::systemd;
  if (!systemd && !host.cron_refusal.empty()) throw Error(host.cron_refusal, ExitCode::usage, host.cron_hint);
  const std::vector<ScheduleFile> files = render_schedule(s);
  const fs::path dir = systemd ? host.systemd_dir : host.cron_dir;
  // A file of the same name that someone else wrote is theirs: refused, not overwritten.
  for (const ScheduleFile& f : files) {
    std::error_code ec;
    if (!fs::exists(dir / f.name, ec)) continue;
    const std::optional<Marked> m = read_marker(dir / f.name);
    if (!m || m->instance != s.instance) {
      throw Error(fmt::format("{} exists and was not written by `supactl backup schedule {}`", (dir / f.name).string(),
                              s.instance),
                  ExitCode::conflict, "move it away (or remove it), then run the command again");
    }
  }

  // The previous schedule: its timers stopped, its files that are not rewritten now removed.
  InstallResult r;
  for (const InstalledSchedule& old : schedules_of(s.instance, host)) {
    if (old.via == "systemd" && !host.systemctl.empty()) stop_timers(host, old.files);
    for (const fs::path& f : old.files) {
      r.replaced.push_back(f);
      const bool rewritten =
          f.parent_path() == dir && std::any_of(files.begin(), files.end(),
                                                [&](const ScheduleFile& n) { return n.name == f.filename().string(); });
      std::error_code ec;
      if (!rewritten && !fs::remove(f, ec) && ec) {
        throw Error(fmt::format("cannot remove {}: {}", f.string(), ec.message()));
      }
    }
  }

  for (const ScheduleFile& f : files) {
    core::write_file_atomic(dir / f.name, f.content, 0644);
    r.files.push_back(dir / f.name);
  }
  if (systemd && !host.systemctl.empty()) {
    systemctl(host, {"daemon-reload"});
    std::vector<std::string> args = {"enable", "--now"};
    for (const fs::path& f : r.files) {
      if (f.extension() == ".timer") args.push_back(f.filename().string());
    }
    systemctl(host, args);
    r.enabled = true;
  }
  return r;
}

std::vector<fs::path> remove_schedule(const std::string& instance, const ScheduleHost& host) {
  config::validate_name(instance);
  const std::vector<InstalledSchedule> found = schedules_of(instance, host);
  if (found.empty()) {
    throw Error(fmt::format("{} has no backup schedule (none in {} or {})", instance, host.systemd_dir.string(),
                            host.cron_dir.string()),
                ExitCode::not_found, "`supactl backup schedule ls` lists the schedules there are");
  }
  std::vector<fs::path> removed;
  bool reload = false;
  for (const InstalledSchedule& s : found) {
    const bool ours = s.via == "systemd" && !host.systemctl.empty();
    if (ours) stop_timers(host, s.files);
    for (const fs::path& f : s.files) {
      std::error_code ec;
      if (!fs::remove(f, ec) && ec) throw Error(fmt::format("cannot remove {}: {}", f.string(), ec.message()));
      removed.push_back(f);
    }
    reload = reload || ours;
  }
  if (reload) systemctl(host, {"daemon-reload"});
  return removed;
}

}  // namespace supactl::backup
