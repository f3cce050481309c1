// SPDX-License-Identifier: Apache-2.0
//
// `supactl edge up|down|status`: the shared edge, one Caddy on 80/443 for every instance
// created with `--edge shared` (see edge/edge.hpp). `up` converges its compose project
// `supactl-edge` through the same stack::up as an instance, then loads the routes.
#include "cli/globals.hpp"
#include "cli/progress.hpp"

#include <supactl/backup/archive.hpp>
#include <supactl/config/home.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/edge/edge.hpp>
#include <supactl/stack/stack.hpp>

#include <fmt/format.h>

#include <iostream>

namespace supactl::cli {
namespace {

namespace fs = std::filesystem;

struct EdgeOptions {
  int http_port = 0;
  int https_port = 0;
  std::string bind;
  std::string registry;
  std::string email;
  bool bind_given = false;
  bool dry_run = false;
  bool force = false;
  int wait_timeout = 120;
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string url_of(const edge::Settings& s, const std::string& domain) {
  return s.https_port == 443 ? "https://" + domain : fmt::format("https://{}:{}", domain, s.https_port);
}

int run_up(const Globals& g, const EdgeOptions& o) {
  const fs::path home = config::home_dir(g.home);
  edge::Settings s = edge::load_settings(home).value_or(edge::Settings{});
  if (o.http_port != 0) s.http_port = o.http_port;
  if (o.https_port != 0) s.https_port = o.https_port;
  if (o.bind_given) s.bind = o.bind;
  if (!o.registry.empty()) s.registry = o.registry;
  if (!o.email.empty()) s.email = o.email;
  edge::check_settings(s);

  // The compose file: rendered into HOME/edge/rendered (a scratch folder on a dry run).
  const std::string compose = edge::render_compose(s, g.templates_dir);
  std::unique_ptr<backup::TempDir> scratch;
  fs::path dir = edge::edge_dir(home) / "rendered";
  if (o.dry_run) {
    scratch = std::make_unique<backup::TempDir>(fs::temp_directory_path(), "supactl-edge-dry-run-");
    dir = scratch->path();
  } else {
    edge::save_settings(home, s);
    fs::create_directories(dir);
  }
  core::write_file_atomic(dir / "compose.yml", compose, 0644);

  stack::UpRequest req;
  req.compose.project_name = edge::k_project;
  req.compose.files = {dir / "compose.yml"};
  if (scratch) req.compose.stands_for = edge::edge_dir(home) / "rendered";
  req.up.wait_timeout_s = o.wait_timeout;
  req.dry_run = o.dry_run;
  std::unique_ptr<plan::Progress> progress = make_progress(g);
  docker::Engine& engine = g.engine();
  const stack::UpResult result = stack::up(engine, req, *progress);
  if (o.dry_run) {
    if (g.json()) {
      nlohmann::json ops = nlohmann::json::array();
      for (const plan::Operation& op : result.plan.ops) {
        ops.push_back({{"op", plan::to_string(op.type)}, {"target", op.target}, {"cause", op.cause}});
      }
      print_json({{"edge", edge::k_project}, {"dry_run", true}, {"plan", ops}});
    } else {
      std::cout << (result.plan.empty() ? "the edge is up to date: nothing to do\n" : result.plan.to_string());
    }
    return 0;
  }
  const plan::ExecutionReport& r = result.report;
  if (!r.ok) {
    throw run_failure(r.errors, ExitCode::unhealthy, "the edge did not come up",
                      "see `docker logs supactl-edge-caddy-1`; `supactl edge up` retries");
  }
  const edge::SyncReport synced = edge::sync(engine, home);
  for (const std::string& w : synced.warnings) std::fprintf(stderr, "supactl: warning: %s\n", w.c_str());

  if (g.json()) {
    nlohmann::json routes = nlohmann::json::array();
    for (const edge::Route& route : synced.routes) {
      routes.push_back({{"instance", route.instance}, {"domain", route.domain}, {"url", url_of(s, route.domain)}});
    }
    print_json({{"edge", edge::k_project},
                {"ok", true},
                {"http_port", s.http_port},
                {"https_port", s.https_port},
                {"bind", s.bind},
                {"writes", result.plan.write_count()},
                {"routes", routes},
                {"warnings", synced.warnings}});
    return 0;
  }
  std::cout << fmt::format("the shared edge is up on {}{} (http) and {} (https): {} instance{} routed\n",
                           s.bind.empty() ? "" : s.bind + ":", s.http_port, s.https_port, synced.routes.size(),
                           synced.routes.size() == 1 ? "" : "s");
  for (const edge::Route& route : synced.routes) {
    std::cout << fmt::format("  {:<20} {}\n", route.instance, url_of(s, route.domain));
  }
  return 0;
}

int run_down(const Globals& g, const EdgeOptions& o) {
  const fs::path home = config::home_dir(g.home);
  docker::Engine& engine = g.engine();
  std::vector<std::string> warnings;
  const std::vector<edge::Route> routes = edge::wanted_routes(engine, home, warnings);
  if (!routes.empty() && !o.force) {
    std::vector<std::string> names;
    names.reserve(routes.size());
    for (const edge::Route& r : routes) names.push_back(r.instance);
    throw Error(fmt::format("the shared edge still routes {} instance{}: {}", names.size(),
                            names.size() == 1 ? "" : "s", join(names)),
                ExitCode::conflict,
                fmt::format("take them down first (`supactl down {}`), or give --force to cut them off; "
                            "nothing was changed",
                            names.front()));
  }
  if (!o.dry_run) edge::leave_all(engine);
  plan::DownOptions options;  // volumes stay: certificates, the internal CA, access logs
  std::unique_ptr<plan::Progress> progress = make_progress(g);
  const stack::DownResult result = stack::down(engine, edge::k_project, options, *progress, o.dry_run);
  if (o.dry_run) {
    std::cout << (result.plan.empty() ? "the edge has nothing to take down\n" : result.plan.to_string());
    return 0;
  }
  if (g.json()) {
    print_json({{"edge", edge::k_project},
                {"ok", result.report.ok},
                {"removed_containers", result.plan.count(plan::OpType::remove_container)},
                {"cut_off", routes.size()},
                {"errors", result.report.errors}});
  }
  if (!result.report.ok) {
    g.json_printed = g.json();
    throw run_failure(result.report.errors, ExitCode::failure, "edge down failed",
                      "`supactl edge down` again finishes it");
  }
  if (!g.json()) {
    std::cout << fmt::format("the shared edge is down ({} instance{} cut off); its certificates are kept\n",
                             routes.size(), routes.size() == 1 ? "" : "s");
  }
  return 0;
}

int run_status(const Globals& g) {
  const fs::path home = config::home_dir(g.home);
  const std::optional<edge::Settings> settings = edge::load_settings(home);
  docker::Engine& engine = g.engine();
  const std::string container = edge::find_container(engine);
  std::string state = "absent";
  std::string health;
  std::string started_at;
  if (!container.empty()) {
    const docker::ContainerInfo info = engine.inspect_container(container);
    state = info.state.status;
    health = info.state.health;
    started_at = info.state.started_at;
  }
  std::vector<std::string> warnings;
  const std::vector<edge::Route> routes = edge::wanted_routes(engine, home, warnings);
  const std::optional<std::vector<std::string>> live = state == "running" ? edge::live_routes(engine) : std::nullopt;
  const edge::Settings s = settings.value_or(edge::Settings{});
  auto loaded = [&](const std::string& instance) {
    return live && std::find(live->begin(), live->end(), instance) != live->end();
  };
  const bool ok = state == "running" && (health.empty() || health == "healthy") &&
                  std::all_of(routes.begin(), routes.end(), [&](const edge::Route& r) { return loaded(r.instance); });

  if (g.json()) {
    nlohmann::json rs = nlohmann::json::array();
    for (const edge::Route& r : routes) {
      rs.push_back({{"instance", r.instance},
                    {"domain", r.domain},
                    {"url", url_of(s, r.domain)},
                    {"certificate", r.internal_tls ? "internal" : "acme"},
                    {"loaded", loaded(r.instance)}});
    }
    print_json({{"edge", edge::k_project},
                {"configured", settings.has_value()},
                {"state", state},
                {"health", health},
                {"started_at", started_at},
                {"http_port", s.http_port},
                {"https_port", s.https_port},
                {"bind", s.bind},
                {"routes", rs},
                {"ok", ok},
                {"warnings", warnings}});
    return ok ? 0 : static_cast<int>(ExitCode::unhealthy);
  }
  if (!settings && container.empty()) {
    std::cout << "the shared edge is not set up: `supactl edge up` starts it\n";
    return static_cast<int>(ExitCode::unhealthy);
  }
  std::cout << fmt::format("edge     {}{}  http {}{}  https {}\n", state, health.empty() ? "" : " (" + health + ")",
                           s.bind.empty() ? "" : s.bind + ":", s.http_port, s.https_port);
  for (const edge::Route& r : routes) {
    std::cout << fmt::format("  {:<20} {:<40} {:<9} {}\n", r.instance, url_of(s, r.domain),
                             r.internal_tls ? "internal" : "acme", loaded(r.instance) ? "routed" : "NOT LOADED");
  }
  if (routes.empty()) std::cout << "  no instance routes through the edge\n";
  for (const std::string& w : warnings) std::cout << "  warning: " << w << "\n";
  return ok ? 0 : static_cast<int>(ExitCode::unhealthy);
}

}  // namespace

void setup_edge(CLI::App& sub, Globals& g) {
  sub.require_subcommand(1);
  auto o = std::make_shared<EdgeOptions>();
  CLI::App* up = sub.add_subcommand("up", "Start or converge the shared edge and load every shared instance's route");
  up->add_option("--http-port", o->http_port, "Host port for HTTP, which redirects to HTTPS (default 80)")
      ->check(CLI::Range(1, 65535));
  up->add_option("--https-port", o->https_port, "Host port for HTTPS (default 443)")->check(CLI::Range(1, 65535));
  up->add_option("--bind", o->bind, "Host address the ports are published on (default: every address)")
      ->each([o](const std::string&) { o->bind_given = true; });
  up->add_option("--registry", o->registry, "Pull the edge's image through this mirror, e.g. 127.0.0.1:5000");
  up->add_option("--email", o->email, "ACME account e-mail for the certificates of public names");
  up->add_flag("--dry-run", o->dry_run, "Print the plan and change nothing");
  up->add_option("--wait-timeout", o->wait_timeout, "Seconds to wait until the edge is healthy")
      ->check(CLI::Range(1, 86400));
  set_action(*up, g, [&g, o]() { return run_up(g, *o); });

  CLI::App* down =
      sub.add_subcommand("down", "Stop and remove the shared edge (refused while instances route through it)");
  down->add_flag("--force", o->force, "Take it down even though instances route through it");
  down->add_flag("--dry-run", o->dry_run, "Print the plan and change nothing");
  set_action(*down, g, [&g, o]() { return run_down(g, *o); });

  CLI::App* status = sub.add_subcommand("status", "Show the shared edge and the instances it routes");
  set_action(*status, g, [&g]() { return run_status(g); });
}

}  // namespace supactl::cli
