// SPDX-License-Identifier: Apache-2.0
//
// Where instances live and what they may be called. The name becomes the compose project
// name, the prefix of every container, network and volume, and a folder name, so it is held
// to the strictest of those: a short lower-case DNS label.
#include <supactl/config/home.hpp>

#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>

#include <fmt/format.h>

namespace supactl::config {

std::filesystem::path home_dir(const std::string& flag) {
  if (!flag.empty()) return std::filesystem::path(flag);
  std::string env = core::env_or("SUPACTL_HOME");
  if (!env.empty()) return std::filesystem::path(env);
  std::string xdg = core::env_or("XDG_DATA_HOME");
  if (!xdg.empty()) return std::filesystem::path(xdg) / "supactl";
  std::string home = core::env_or("HOME");
  if (home.empty()) {
    throw Error("cannot find supactl's home folder: HOME is not set", ExitCode::usage,
                "pass --home DIR or set SUPACTL_HOME");
  }
  return std::filesystem::path(home) / ".local" / "share" / "supactl";
}

std::filesystem::path instance_dir(const std::filesystem::path& home, const std::string& name) {
  return home / "instances" / name;
}

void validate_name(const std::string& name) {
  const std::string hint = "use 1-40 lower-case letters, digits or '-', e.g. `shop` or `shop-staging`";
  if (name.empty()) throw Error("instance name is empty", ExitCode::usage, hint);
  if (name.size() > k_max_name_length) {
    throw Error(fmt::format("instance name `{}` is longer than {} characters", name, k_max_name_length),
                ExitCode::usage, hint);
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      throw Error(fmt::format("instance name `{}` may contain only lower-case letters, digits and "
                              "'-' (found '{}')",
                              name, c),
                  ExitCode::usage, hint);
    }
  }
  if (name.front() == '-' || name.back() == '-') {
    throw Error(fmt::format("instance name `{}` must not start or end with '-'", name), ExitCode::usage, hint);
  }
}

void validate_new_name(const std::string& name) {
  validate_name(name);
  const std::string hint = "choose another name, e.g. `shop` or `shop-staging`";
  // Names that read as a command (`supactl up ls`) or stand for a folder of the home. Only
  // new instances are held to this: an existing one keeps working under its name.
  static const char* const k_reserved[] = {
      "init",    "ls",         "render",  "up",        "down",   "status",  "logs",     "scale",
      "upgrade", "functions",  "secrets", "doctor",    "backup", "backups", "restore",  "psql",
      "exec",    "db",         "ca",      "instances", "help",   "edge",    "metrics",  "config",
      "rm",      "completion", "inspect", "gen",       "keygen", "prune",   "schedule", "supactl-edge"};
  for (const char* reserved : k_reserved) {
    if (name == reserved) {
      throw Error(fmt::format("instance name `{}` is reserved (a supactl command or a folder of its home)", name),
                  ExitCode::usage, hint);
    }
  }
}

}  // namespace supactl::config
