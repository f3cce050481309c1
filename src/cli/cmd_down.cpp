// SPDX-License-Identifier: Apache-2.0
//
// `supactl down NAME`: stops and removes the instance's containers and networks. Data volumes
// and secrets stay unless the user asks for exactly that: `--volumes` removes the volumes only
// with `--yes`, or after an interactive confirmation that names each one.
#include "cli/globals.hpp"
#include "cli/progress.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/edge/edge.hpp>
#include <supactl/stack/stack.hpp>
#include <supactl/swarm/swarm.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

namespace supactl::cli {
namespace {

struct DownOptions {
  std::string name;
  bool volumes = false;
  bool yes = false;
  bool dry_run = false;
  int timeout = 10;
  int lock_timeout = 0;
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

/// A swarm instance: its services, then its networks, configs and secrets (and, with
/// --volumes, its volumes on this node), found by the stack namespace label.
int down_swarm(const Globals& g, const DownOptions& o, docker::Engine& engine) {
  if (o.dry_run) {
    const std::vector<std::string> would = swarm::down_preview(engine, o.name, o.volumes);
    const std::string elsewhere =
        o.volumes ? "volumes of the instance on other nodes are removed too; only this node's are listed" : "";
    if (g.json()) {
      nlohmann::json line{{"instance", o.name}, {"mode", "swarm"}, {"dry_run", true}, {"would_remove", would}};
      if (!elsewhere.empty()) line["note"] = elsewhere;
      std::cout << line.dump() << std::endl;
      return 0;
    }
    if (would.empty()) std::cout << fmt::format("{} has nothing to take down on this swarm\n", o.name);
    for (const std::string& w : would) std::cout << "would remove " << w << "\n";
    if (!elsewhere.empty()) std::cout << "(" << elsewhere << ")\n";
    return 0;
  }
  const std::vector<std::string> removed = swarm::down(
      engine, o.name, o.volumes,
      o.volumes ? swarm::rendered_db_image(config::instance_dir(config::home_dir(g.home), o.name)) : std::string());
  auto count = [&](const std::string& kind) {
    return std::count_if(removed.begin(), removed.end(), [&](const std::string& r) { return r.rfind(kind, 0) == 0; });
  };
  if (g.json()) {
    std::cout << nlohmann::json{{"instance", o.name},
                                {"ok", true},
                                {"mode", "swarm"},
                                {"removed_services", count("services ")},
                                {"removed_networks", count("networks ")},
                                {"removed_configs", count("configs ")},
                                {"removed_secrets", count("secrets ")},
                                {"removed_volumes", count("volumes ")},
                                {"removed", removed}}
                     .dump()
              << std::endl;
  } else {
    std::cout << fmt::format(
        "{} is down: {} services, {} networks, {} configs, {} secrets removed; {}\n", o.name, count("services "),
        count("networks "), count("configs "), count("secrets "),
        o.volumes ? fmt::format("{} volumes deleted", count("volumes ")) : std::string("data volumes kept"));
  }
  return 0;
}

int run_down(const Globals& g, const DownOptions& o) {
  config::validate_name(o.name);
  const std::filesystem::path dir = config::instance_dir(config::home_dir(g.home), o.name);
  std::optional<core::FileLock> lock;
  if (std::filesystem::exists(dir)) lock.emplace(config::lock_instance(dir, o.name, o.lock_timeout));
  docker::Engine& engine = g.engine();

  if (o.volumes && !o.dry_run) {
    std::vector<std::string> volumes = stack::project_volumes(engine, o.name);
    if (!volumes.empty() && !o.yes) {
      confirm_by_name(
          g, o.name, fmt::format("This deletes the data of instance {} for good: {}", o.name, join(volumes)),
          fmt::format("refusing to delete the data volumes of {} ({}) without --yes", o.name, join(volumes)),
          fmt::format("run `supactl down {} --volumes --yes` to delete them; nothing was changed", o.name));
    }
  }

  // The shared edge lets the instance go first: its route, then its network.
  if (!o.dry_run) edge::release(engine, config::home_dir(g.home), o.name);

  if (config::is_swarm_instance(config::home_dir(g.home), o.name)) {
    return down_swarm(g, o, engine);
  }

  plan::DownOptions options;
  options.remove_volumes = o.volumes;
  options.stop_timeout_s = o.timeout;
  std::unique_ptr<plan::Progress> progress = make_progress(g);
  const std::filesystem::path journal =
      std::filesystem::exists(dir) ? dir / config::Instance::k_journal_name : std::filesystem::path();
  stack::DownResult result = stack::down(engine, o.name, options, *progress, o.dry_run, journal);

  if (o.dry_run) {
    std::cout << (result.plan.empty() ? fmt::format("{} has nothing to take down\n", o.name) : result.plan.to_string());
    return 0;
  }
  if (result.plan.empty() && !std::filesystem::exists(dir)) {
    throw Error(fmt::format("no instance named {}", o.name), ExitCode::not_found, "`supactl ls` lists the instances");
  }
  const plan::ExecutionReport& r = result.report;
  if (g.json()) {
    std::cout << nlohmann::json{{"instance", o.name},
                                {"ok", r.ok},
                                {"removed_containers", result.plan.count(plan::OpType::remove_container)},
                                {"removed_networks", result.plan.count(plan::OpType::remove_network)},
                                {"removed_volumes", result.plan.count(plan::OpType::remove_volume)},
                                {"wall_ms", r.wall_ms},
                                {"errors", r.errors}}
                     .dump()
              << std::endl;
  }
  if (!r.ok) {
    g.json_printed = g.json();
    throw run_failure(
        r.errors, ExitCode::failure, "down failed",
        fmt::format("`supactl down {}` again finishes it; data volumes were kept unless --volumes", o.name));
  }
  if (!g.json()) {
    std::cout << fmt::format(
        "{} is down: {} containers, {} networks removed; {}\n", o.name,
        result.plan.count(plan::OpType::remove_container), result.plan.count(plan::OpType::remove_network),
        o.volumes ? fmt::format("{} volumes deleted", result.plan.count(plan::OpType::remove_volume))
                  : std::string("data volumes kept"));
  }
  return 0;
}

}  // namespace

void setup_down(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<DownOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_flag("--volumes", o->volumes, "Also delete the instance's data volumes (needs --yes or a confirmation)");
  sub.add_flag("-y,--yes", o->yes, "Confirm deleting data volumes without asking");
  sub.add_flag("--dry-run", o->dry_run, "Print the plan and change nothing");
  sub.add_option("-t,--timeout", o->timeout, "Seconds each container gets to stop before it is killed")
      ->check(CLI::Range(0, 3600));
  add_lock_timeout(sub, o->lock_timeout);
  set_action(sub, g, [&g, o]() { return run_down(g, *o); });
}

}  // namespace supactl::cli
