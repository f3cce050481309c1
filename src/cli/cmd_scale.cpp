// SPDX-License-Identifier: Apache-2.0
//
// `supactl scale NAME SERVICE=N ...`: sets the replicas of stateless services in instance.yaml
// (scale.<service>, kong.replicas) and converges with the `up` flow. Replicas share the
// service's network alias, so Kong and Caddy reach them all through Docker's DNS. Services
// that hold state alone (db, minio, redis, realtime, caddy) are refused with the reason.
#include "cli/globals.hpp"
#include "cli/up_flow.hpp"

#include <supactl/config/instance.hpp>
#include <supactl/core/error.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace supactl::cli {
namespace {

struct ScaleOptions {
  std::string name;
  std::vector<std::string> targets;
  UpOptions up;
};

/// "rest=3" → {"rest", 3}; throws a usage error naming the fix.
std::pair<std::string, int> parse_target(const std::string& arg) {
  const auto eq = arg.find('=');
  const std::string service = arg.substr(0, eq);
  int n = 0;
  if (eq == std::string::npos || service.empty()) {
    throw Error(fmt::format("scale: `{}` is not SERVICE=N", arg), ExitCode::usage, "write it like rest=3");
  }
  const std::string count = arg.substr(eq + 1);
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
  if (ec != std::errc() || end != count.data() + count.size() || n < 1 || n > 16) {
    throw Error(fmt::format("scale: replicas of {} must be a whole number from 1 to 16 (not `{}`)", service, count),
                ExitCode::usage);
  }
  return {service, n};
}

int run_scale(const Globals& g, ScaleOptions& o) {
  std::map<std::string, int> wanted;
  for (const std::string& arg : o.targets) {
    auto [service, n] = parse_target(arg);
    if (std::string why = config::scale_refusal(service); !why.empty()) {
      const auto& all = config::all_services();
      if (std::find(all.begin(), all.end(), service) == all.end()) {
        throw Error(fmt::format("scale: `{}` is not a service", service), ExitCode::usage,
                    fmt::format("services that scale: {}", fmt::join(config::scalable_services(), ", ")));
      }
      throw Error(fmt::format("scale: {} cannot scale: {}", service, why), ExitCode::usage);
    }
    wanted[service] = n;
  }
  o.up.name = o.name;
  const bool dry_run = o.up.dry_run;
  o.up.edit_spec = [wanted, dry_run](config::Instance& inst, docker::Engine&) {
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
    if (!dry_run) config::save_spec(inst.spec_file(), inst.spec);
  };
  return run_up(g, o.up);
}

}  // namespace

void setup_scale(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<ScaleOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_option("targets", o->targets, "SERVICE=N pairs, e.g. rest=3 auth=2")->required();
  sub.add_flag("--dry-run", o->up.dry_run, "Print the plan and change nothing (instance.yaml included)");
  add_wait_options(sub, o->up);
  set_action(sub, g, [&g, o]() { return run_scale(g, *o); });
}

}  // namespace supactl::cli
