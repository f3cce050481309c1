// SPDX-License-Identifier: Apache-2.0
//
// `supactl scale NAME SERVICE=N ...`: sets the replicas of stateless services in instance.yaml
// (scale.<service>, kong.replicas) and converges with the `up` flow. Replicas share the
// service's network alias, so Kong and Caddy reach them all through Docker's DNS. Services
// that hold state alone (db, minio, redis, realtime, caddy) are refused with the reason.
#include "cli/globals.hpp"
#include "cli/up_flow.hpp"

#include <supactl/config/instance.hpp>
#include <supactl/instance/changes.hpp>

#include <map>

namespace supactl::cli {
namespace {

struct ScaleOptions {
  std::string name;
  std::vector<std::string> targets;
  UpOptions up;
};

int run_scale(const Globals& g, ScaleOptions& o) {
  std::map<std::string, int> wanted;
  for (const std::string& arg : o.targets) {
    auto [service, n] = instance::parse_scale_target(arg);
    wanted[service] = n;
  }
  o.up.name = o.name;
  instance::Session session = open_for_converge(g, o.up);
  instance::set_replicas(session.instance(), wanted);
  if (!o.up.dry_run) config::save_spec(session.instance().spec_file(), session.instance().spec);
  return converge_and_report(g, session, o.up);
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
