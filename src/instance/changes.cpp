// SPDX-License-Identifier: Apache-2.0
//
// Spec and secrets changes of scale, upgrade and secrets rotate (see changes.hpp).
#include <supactl/instance/changes.hpp>

#include <supactl/backup/backup.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fault.hpp>
#include <supactl/secrets/secrets_file.hpp>
#include <supactl/stack/db.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace supactl::instance {

std::pair<std::string, int> parse_scale_target(const std::string& arg) {
  const auto eq = arg.find('=');
  const std::string service = arg.substr(0, eq);
  if (eq == std::string::npos || service.empty()) {
    throw Error(fmt::format("scale: `{}` is not SERVICE=N", arg), ExitCode::usage, "write it like rest=3");
  }
  const std::string count = arg.substr(eq + 1);
  int n = 0;
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
  if (ec != std::errc() || end != count.data() + count.size() || n < 1 || n > 16) {
    throw Error(fmt::format("scale: replicas of {} must be a whole number from 1 to 16 (not `{}`)", service, count),
                ExitCode::usage);
  }
  if (std::string why = config::scale_refusal(service); !why.empty()) {
    const auto& all = config::all_services();
    if (std::find(all.begin(), all.end(), service) == all.end()) {
      throw Error(fmt::format("scale: `{}` is not a service", service), ExitCode::usage,
                  fmt::format("services that scale: {}", fmt::join(config::scalable_services(), ", ")));
    }
    throw Error(fmt::format("scale: {} cannot scale: {}", service, why), ExitCode::usage);
  }
  return {service, n};
}

void set_replicas(config::Instance& inst, const std::map<std::string, int>& wanted) {
  for (const auto& [service, n] : wanted) {
    if (!inst.spec.enabled(service)) {
      throw Error(fmt::format("scale: {} is not enabled in instance {}", service, inst.name), ExitCode::usage,
                  fmt::format("switch it on with `services: {{{}: true}}` in {}", service, inst.spec_file().string()));
    }
    if (service == "kong") {
      inst.spec.kong.replicas = n;
    } else if (n == 1) {
      inst.spec.scale.erase(service);
    } else {
      inst.spec.scale[service] = n;
    }
  }
}

std::vector<ImageChange> image_changes(const config::InstanceSpec& spec, const std::string& to,
                                       const std::string& templates_dir) {
  render::release_images(to, templates_dir);  // a usage error listing the known releases
  config::InstanceSpec next = spec;
  next.release = to;
  const auto before = render::instance_images(spec, templates_dir);
  const auto after = render::instance_images(next, templates_dir);
  std::vector<ImageChange> out;
  for (const auto& [service, image] : after) {
    auto old = before.find(service);
    if (old != before.end() && old->second == image) continue;
    out.push_back({service, old == before.end() ? "" : old->second, image});
  }
  return out;
}

std::filesystem::path backup_before_upgrade(Session& session, const std::string& to, std::int64_t now) {
  const config::Instance& inst = session.instance();
  const std::filesystem::path out = backup::backup_dir(session.home(), inst.name) /
                                    fmt::format("{}-{}-before-{}.tar.gz", inst.name, backup::utc_stamp(now), to);
  try {
    backup::create_backup(
        session.engine(), inst,
        backup::BackupOptions{
            .out = out, .include_secrets = false, .supactl_version = SUPACTL_VERSION, .key = std::nullopt},
        now);
  } catch (const Error& e) {
    throw Error(fmt::format("upgrade: the backup before upgrading failed: {}", e.what()), e.code(),
                fmt::format("start the instance first (`supactl up {}`), or pass --no-backup", inst.name));
  }
  return out;
}

namespace {

/// Keeps the instance's secrets.env as secrets.env.STAMP.bak (never overwriting an earlier
/// copy), writes `next` in its place and drops the rotation's intent; returns the kept copy.
std::filesystem::path replace_secrets(config::Instance& inst, const secrets::Secrets& next,
                                      std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  // Never overwrite an earlier copy (two rotations within one second).
  const std::string stamp = fmt::format("secrets.env.{:%Y%m%dT%H%M%SZ}", utc);
  std::filesystem::path kept = inst.dir / (stamp + ".bak");
  for (int n = 1; std::filesystem::exists(kept); ++n) kept = inst.dir / fmt::format("{}-{}.bak", stamp, n);
  secrets::write_secrets_file(kept, inst.secrets);
  secrets::write_secrets_file(inst.secrets_file(), next);
  std::error_code ec;
  std::filesystem::remove(inst.rotating_file(), ec);
  inst.secrets = next;
  return kept;
}

}  // namespace

RotateResult rotate_secrets(Session& session, const RotateRequest& what, std::chrono::system_clock::time_point now) {
  config::Instance& inst = session.instance();
  const std::int64_t epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const secrets::Secrets fresh = secrets::generate_secrets(epoch);
  secrets::Secrets next = inst.secrets;
  RotateResult result;
  auto take = [&](const char* key) {
    next[key] = fresh.at(key);
    result.rotated.emplace_back(key);
  };
  if (what.jwt) {
    take("JWT_SECRET");
    take("ANON_KEY");
    take("SERVICE_ROLE_KEY");
  }
  if (what.postgres) take("POSTGRES_PASSWORD");
  if (what.dashboard) take("DASHBOARD_PASSWORD");

  // The database first: when it refuses, secrets.env is untouched. The new secrets are
  // written as the rotation's intent before the database changes, so that a kill between the
  // two is finished by the next converge (finish_interrupted_rotation).
  if (what.postgres) {
    secrets::write_secrets_file(inst.rotating_file(), next);
    core::fault_point("rotate:intent");
    try {
      stack::set_role_passwords(session.engine(), inst.name, next.at("POSTGRES_PASSWORD").reveal());
    } catch (const Error&) {
      std::filesystem::remove(inst.rotating_file());  // psql refused: nothing changed
      throw;
    }
    core::fault_point("rotate:db-changed");
  }
  result.kept = replace_secrets(inst, next, now);
  return result;
}

bool finish_interrupted_rotation(Session& session, std::chrono::system_clock::time_point now) {
  config::Instance& inst = session.instance();
  std::error_code ec;
  if (!std::filesystem::exists(inst.rotating_file(), ec)) return false;
  const secrets::Secrets next = secrets::read_secrets_file(inst.rotating_file());
  // The database may or may not hold the new password: setting it again makes sure.
  if (stack::start_db(session.engine(), inst.name, inst.spec.db_primary).empty()) {
    spdlog::warn(
        "a password rotation was interrupted and {} has no db container to finish it in; it is finished "
        "once the db runs",
        inst.name);
    return false;
  }
  stack::set_role_passwords(session.engine(), inst.name, next.at("POSTGRES_PASSWORD").reveal());
  replace_secrets(inst, next, now);
  session.reload();
  spdlog::warn("finished the database password rotation an interrupted `supactl secrets rotate` started");
  return true;
}

}  // namespace supactl::instance
