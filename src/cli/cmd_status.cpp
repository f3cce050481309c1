// SPDX-License-Identifier: Apache-2.0
//
// `supactl status [NAME]`: the state of one instance per service, or of every instance, from
// ONE labelled list call. The exit code tells scripts whether the instance is fully healthy.
// Right after `up`, Docker's own first health check may still be pending ("health:
// starting"); for a named instance such containers are probed once with their own health
// test, so `supactl up X && supactl status X` agrees with what `up` saw. A Docker data root
// below 10 % free is warned about on stderr.
#include "cli/globals.hpp"

#include <supactl/backup/pitr.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/instance/expectation.hpp>
#include <supactl/render/render.hpp>
#include <supactl/stack/disk.hpp>
#include <supactl/stack/stack.hpp>
#include <supactl/stack/standby.hpp>
#include <supactl/swarm/swarm.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

namespace supactl::cli {
namespace {

struct StatusOptions {
  std::string name;
  bool show_secrets = false;
};

nlohmann::json ports_json(const std::vector<docker::PortBinding>& ports) {
  nlohmann::json out = nlohmann::json::array();
  for (const docker::PortBinding& p : ports) {
    if (p.host_port == 0) continue;
    out.push_back({{"host_ip", p.host_ip},
                   {"host_port", p.host_port},
                   {"container_port", p.container_port},
                   {"protocol", p.protocol}});
  }
  return out;
}

std::string ports_text(const std::vector<docker::PortBinding>& ports) {
  std::set<std::string> out;
  for (const docker::PortBinding& p : ports) {
    if (p.host_port != 0)
      out.insert(fmt::format("{}:{}->{}", p.host_ip.empty() ? "0.0.0.0" : p.host_ip, p.host_port, p.container_port));
  }
  std::string s;
  for (const std::string& x : out) s += (s.empty() ? "" : ",") + x;
  return s;
}

nlohmann::json standby_json(const stack::StandbyState& s) {
  return {{"state", s.state},
          {"lag_bytes", s.lag_bytes ? nlohmann::json(*s.lag_bytes) : nlohmann::json(nullptr)},
          {"lag_seconds", s.lag_seconds ? nlohmann::json(*s.lag_seconds) : nlohmann::json(nullptr)}};
}

std::string standby_text(const stack::StandbyState& s) {
  std::string out = s.state;
  if (s.lag_bytes) out += fmt::format(", replay lag {} bytes", *s.lag_bytes);
  if (s.lag_seconds) out += fmt::format(", {:.3f} s", *s.lag_seconds);
  return out;
}

/// The WAL archive of an instance with backup.wal: the archiver's counters (from the running
/// primary) and what the local target holds. Null without backup.wal.
nlohmann::json wal_archive_json(docker::Engine& engine, const std::filesystem::path& home,
                                const config::Instance& inst) {
  if (!inst.spec.backup.wal) return nullptr;
  nlohmann::json j{{"enabled", true}};
  std::optional<backup::ArchiverState> a;
  try {
    a = backup::archiver_state(engine, inst.name);
  } catch (const Error& e) {
    j["error"] = e.what();
  }
  j["running"] = a.has_value();
  if (a) {
    j.update({{"archived", a->archived},
              {"failed", a->failed},
              {"failing", a->failing},
              {"last_archived_wal", a->last_archived_wal},
              {"last_archived_at", a->last_archived_at},
              {"last_failed_wal", a->last_failed_wal},
              {"last_failed_at", a->last_failed_at},
              {"waiting", a->waiting},
              {"in_volume", a->in_volume}});
  }
  int64_t shipped = 0;
  std::error_code ec;
  const std::filesystem::path dir = backup::wal_dir(home, inst.name);
  if (std::filesystem::is_directory(dir, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(dir))
      shipped += backup::parse_wal_name(e.path().filename().string()) ? 1 : 0;
  }
  const std::vector<backup::BaseInfo> bases = backup::list_bases(backup::base_dir(home, inst.name));
  j["shipped"] = shipped;
  j["base_backups"] = bases.size();
  j["last_base_at"] = bases.empty() ? "" : bases.back().finished_at;
  return j;
}

std::string wal_archive_text(const nlohmann::json& j) {
  std::string out;
  if (j.contains("error")) {
    out = "unknown: " + j.value("error", "");
  } else if (!j.value("running", false)) {
    out = "archiving (no primary runs to ask)";
  } else if (j.value("failing", false)) {
    out = fmt::format("FAILING: {} could not be archived at {} ({} failures; see `supactl logs NAME db`)",
                      j.value("last_failed_wal", ""), j.value("last_failed_at", ""), j.value("failed", 0));
  } else if (j.value("archived", 0) == 0) {
    out = "archiving: nothing archived yet";
  } else {
    out = fmt::format("archiving: {} files, last {} at {}", j.value("archived", 0), j.value("last_archived_wal", ""),
                      j.value("last_archived_at", ""));
  }
  out += fmt::format("; {} shipped, {} base backups", j.value("shipped", 0), j.value("base_backups", 0));
  const std::string last = j.value("last_base_at", "");
  if (!last.empty()) out += fmt::format(" (newest {})", last);
  return out;
}

std::string state_of(const stack::InstanceStatus& s) {
  bool any = false;
  for (const auto& svc : s.services) any = any || !svc.containers.empty();
  if (!any) return "stopped";
  return s.healthy ? "healthy" : "degraded";
}

/// A warning on stderr when the Docker data root is nearly full (a full disk stops Postgres).
void warn_low_disk(docker::Engine& engine) {
  const std::optional<stack::DiskSpace> space = stack::data_root_space(engine);
  if (space && stack::low_on_space(*space)) spdlog::warn("{}", stack::low_space_warning(*space));
}

/// A swarm instance: desired and running tasks, their nodes and states, per service.
int run_swarm(const Globals& g, const config::Instance& inst) {
  const swarm::InstanceStatus s = swarm::status(g.engine(), inst.name);
  const render::Endpoints ep = render::instance_endpoints(inst.spec);
  if (g.json()) {
    nlohmann::json j = swarm::to_json(s);
    j["state"] = s.services.empty() ? "down" : (s.healthy ? "healthy" : "degraded");
    j["endpoints"] = {{"api", ep.api_url}, {"studio", ep.studio_url}, {"db", ep.db_url}};
    print_json(j);
  } else {
    std::cout << fmt::format("{}: {} (swarm)\n", inst.name,
                             s.services.empty() ? "down" : (s.healthy ? "healthy" : "degraded"));
    std::cout << fmt::format("  {:<12} {:<9} {:<8} {}\n", "SERVICE", "RUNNING", "STATE", "NODES");
    for (const swarm::ServiceStatus& svc : s.services) {
      std::set<std::string> nodes;
      for (const swarm::TaskStatus& t : svc.tasks) {
        nodes.insert(t.node.substr(0, 12) + (t.state == "running" || t.state == "complete" ? "" : "(" + t.state + ")"));
      }
      std::string where;
      for (const std::string& n : nodes) where += (where.empty() ? "" : " ") + n;
      std::cout << fmt::format("  {:<12} {:<9} {:<8} {}\n", svc.service,
                               svc.job ? "job" : fmt::format("{}/{}", svc.running, svc.desired),
                               svc.ok ? "ok" : (svc.update_state.empty() ? "waiting" : svc.update_state), where);
    }
    std::cout << fmt::format("  api      {}\n", ep.api_url);
  }
  return s.healthy ? 0 : static_cast<int>(ExitCode::unhealthy);
}

int run_one(const Globals& g, const StatusOptions& o) {
  const std::filesystem::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  if (inst.spec.swarm()) return run_swarm(g, inst);
  const instance::Expectation e = instance::expectation_of(inst);
  docker::Engine& engine = g.engine();
  std::vector<stack::InstanceStatus> all =
      stack::summarize(stack::list_stack_containers(engine, inst.name), {{inst.name, e.services}}, e.jobs);
  stack::probe_starting(engine, all, {{inst.name, e.health}});
  const stack::InstanceStatus& s = all.front();
  render::Endpoints ep = render::instance_endpoints(inst.spec);
  // A restore that has not verified its data: whatever runs, the instance is not usable yet.
  const std::string restoring = config::restoring_from(inst);
  // The standby is asked about (one exec in the primary) only when the instance has one.
  const stack::StandbyState standby =
      inst.spec.db_standby ? stack::standby_state(engine, inst.name, true, inst.spec.db_standby_service())
                           : stack::StandbyState{};
  const nlohmann::json wal_archive = wal_archive_json(engine, home, inst);

  if (g.json()) {
    nlohmann::json services = nlohmann::json::array();
    for (const stack::ServiceStatus& svc : s.services) {
      nlohmann::json cs = nlohmann::json::array();
      for (const stack::ContainerStatus& c : svc.containers) {
        cs.push_back({{"name", c.name},
                      {"number", c.number},
                      {"state", docker::to_string(c.state)},
                      {"health", docker::to_string(c.health)},
                      {"status", c.status},
                      {"image", c.image},
                      {"ports", ports_json(c.ports)}});
      }
      services.push_back({{"service", svc.service},
                          {"replicas", svc.containers.size()},
                          {"running", svc.running},
                          {"ok", svc.ok},
                          {"containers", cs}});
    }
    nlohmann::json j = {{"instance", inst.name},
                        {"state", restoring.empty() ? state_of(s) : "restoring"},
                        {"healthy", s.healthy && restoring.empty()},
                        {"restoring_from", restoring.empty() ? nlohmann::json(nullptr) : nlohmann::json(restoring)},
                        {"endpoints", {{"api", ep.api_url}, {"studio", ep.studio_url}, {"db", ep.db_url}}},
                        {"services", services},
                        {"missing", s.missing},
                        {"standby", standby_json(standby)},
                        {"db_primary", inst.spec.db_primary},
                        {"wal_archive", wal_archive}};
    if (o.show_secrets) {
      nlohmann::json sec = nlohmann::json::object();
      for (const char* k : {"ANON_KEY", "SERVICE_ROLE_KEY", "JWT_SECRET", "POSTGRES_PASSWORD", "DASHBOARD_USERNAME",
                            "DASHBOARD_PASSWORD"}) {
        auto it = inst.secrets.find(k);
        if (it != inst.secrets.end()) sec[k] = it->second.reveal();
      }
      j["secrets"] = sec;
    }
    print_json(j);
  } else {
    std::cout << fmt::format("{}: {}\n", inst.name, restoring.empty() ? state_of(s) : "restoring");
    if (!restoring.empty()) {
      std::cout << fmt::format("  a restore from {} has not finished: `supactl restore {} {} --yes` finishes it\n",
                               restoring, inst.name, restoring);
    }
    std::cout << fmt::format("  API      {}\n", ep.api_url);
    if (!ep.studio_url.empty()) std::cout << fmt::format("  Studio   {}\n", ep.studio_url);
    if (!ep.db_url.empty()) std::cout << fmt::format("  DB       {}\n", ep.db_url);
    if (inst.spec.db_primary != "db")
      std::cout << fmt::format("  Primary  {} (since a failover)\n", inst.spec.db_primary);
    if (inst.spec.db_standby) {
      std::cout << fmt::format("  Standby  {}{}\n", standby_text(standby),
                               inst.spec.db_primary != "db" ? " (" + inst.spec.db_standby_service() + ")" : "");
    }
    if (!wal_archive.is_null()) {
      std::string text = wal_archive_text(wal_archive);
      if (const size_t at = text.find("NAME"); at != std::string::npos) text.replace(at, 4, inst.name);
      std::cout << fmt::format("  WAL      {}\n", text);
    }
    std::cout << fmt::format("\n{:<18} {:<10} {:<10} {:<28} {}\n", "SERVICE", "STATE", "HEALTH", "STATUS", "PORTS");
    for (const stack::ServiceStatus& svc : s.services) {
      if (svc.containers.empty()) {
        std::cout << fmt::format("{:<18} {:<10} {:<10} {:<28}\n", svc.service, "missing", "-", "-");
      }
      for (const stack::ContainerStatus& c : svc.containers) {
        std::cout << fmt::format(
            "{:<18} {:<10} {:<10} {:<28} {}\n", fmt::format("{}-{}", svc.service, c.number), docker::to_string(c.state),
            c.health == docker::Health::none ? "-" : docker::to_string(c.health), c.status, ports_text(c.ports));
      }
    }
    if (o.show_secrets) {
      std::cout << "\n";
      for (const char* k : {"ANON_KEY", "SERVICE_ROLE_KEY", "DASHBOARD_USERNAME", "DASHBOARD_PASSWORD"}) {
        auto it = inst.secrets.find(k);
        if (it != inst.secrets.end()) std::cout << fmt::format("{}={}\n", k, it->second.reveal());
      }
    }
  }
  warn_low_disk(engine);
  if (!restoring.empty()) return static_cast<int>(ExitCode::conflict);
  return s.healthy ? 0 : static_cast<int>(ExitCode::unhealthy);
}

/// One line of `status` without a NAME.
struct Row {
  std::string instance;
  std::string mode;  ///< standalone or swarm
  std::string state;
  bool healthy = false;
  size_t ok = 0;
  size_t total = 0;
  std::string api;
};

/// A swarm instance's line: its services through the manager (three calls). An Engine that is
/// no swarm manager (any more) makes it `unknown`, not an error: the other lines still count.
Row swarm_row(docker::Engine& engine, const config::Instance& inst) {
  Row r{inst.name, "swarm", "unknown", false, 0, 0, render::instance_endpoints(inst.spec).api_url};
  try {
    const swarm::InstanceStatus s = swarm::status(engine, inst.name);
    for (const swarm::ServiceStatus& svc : s.services) r.ok += svc.ok ? 1 : 0;
    r.total = s.services.size();
    r.healthy = s.healthy && !s.services.empty();
    r.state = s.services.empty() ? "down" : (s.healthy ? "healthy" : "degraded");
  } catch (const Error& e) {
    spdlog::warn("instance {} (swarm): {}", inst.name, e.what());
  }
  return r;
}

int run_all(const Globals& g) {
  const std::filesystem::path home = config::home_dir(g.home);
  std::map<std::string, std::vector<std::string>> expected;
  std::map<std::string, render::Endpoints> endpoints;
  std::set<std::string> jobs;
  stack::HealthTests health;
  std::vector<config::Instance> on_swarm;
  for (const std::string& name : config::list_instances(home)) {
    try {
      config::Instance inst = config::load_instance(home, name);
      if (inst.spec.swarm()) {
        on_swarm.push_back(std::move(inst));
        continue;
      }
      const instance::Expectation e = instance::expectation_of(inst);
      expected[name] = e.services;
      jobs.insert(e.jobs.begin(), e.jobs.end());
      health[name] = e.health;
      endpoints[name] = render::instance_endpoints(inst.spec);
    } catch (const Error& e) {
      spdlog::warn("instance {}: {}", name, e.what());
      expected[name] = {};
    }
  }
  docker::Engine& engine = g.engine();
  std::vector<stack::InstanceStatus> all = stack::summarize(stack::list_stack_containers(engine), expected,
                                                            std::vector<std::string>(jobs.begin(), jobs.end()));
  // A swarm instance's task containers on this node are no instance of their own: its line
  // comes from its services.
  std::erase_if(all, [&](const stack::InstanceStatus& s) {
    return std::any_of(on_swarm.begin(), on_swarm.end(),
                       [&](const config::Instance& i) { return i.name == s.instance; });
  });
  stack::probe_starting(engine, all, health);
  std::vector<Row> rows;
  for (const stack::InstanceStatus& s : all) {
    Row r{s.instance, "standalone", state_of(s), s.healthy, 0, s.services.size(), ""};
    for (const auto& svc : s.services) r.ok += svc.ok ? 1 : 0;
    if (endpoints.count(s.instance) != 0) r.api = endpoints[s.instance].api_url;
    rows.push_back(std::move(r));
  }
  for (const config::Instance& inst : on_swarm) rows.push_back(swarm_row(engine, inst));
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.instance < b.instance; });

  bool ok = true;
  nlohmann::json list = nlohmann::json::array();
  if (!g.json()) std::cout << fmt::format("{:<20} {:<10} {:<10} {}\n", "INSTANCE", "STATE", "SERVICES", "API");
  for (const Row& r : rows) {
    if (r.state == "degraded" || r.state == "unknown") ok = false;
    if (g.json()) {
      list.push_back({{"instance", r.instance},
                      {"mode", r.mode},
                      {"state", r.state},
                      {"healthy", r.healthy},
                      {"services_ok", r.ok},
                      {"services_total", r.total},
                      {"api", r.api}});
    } else {
      std::cout << fmt::format("{:<20} {:<10} {:<10} {}\n", r.instance + (r.mode == "swarm" ? " (swarm)" : ""), r.state,
                               fmt::format("{}/{}", r.ok, r.total), r.api);
    }
  }
  if (g.json()) print_json({{"instances", list}});
  warn_low_disk(engine);
  return ok ? 0 : static_cast<int>(ExitCode::unhealthy);
}

}  // namespace

void setup_status(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<StatusOptions>();
  sub.add_option("name", o->name, "Instance name (default: every instance)");
  sub.add_flag("--show-secrets", o->show_secrets, "Also print the API keys and passwords");
  set_action(sub, g, [&g, o]() { return o->name.empty() ? run_all(g) : run_one(g, *o); });
}

}  // namespace supactl::cli
