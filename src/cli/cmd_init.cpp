// SPDX-License-Identifier: Apache-2.0
//
// `supactl init NAME`: creates an instance (spec, secrets, host ports) and prints where it
// will answer. All checks and the writing itself live in config::create_instance; this file
// maps options to its arguments and the result to text or JSON.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/edge/edge.hpp>
#include <supactl/render/render.hpp>

#include <fmt/format.h>

#include <chrono>
#include <iostream>

namespace supactl::cli {

namespace {

struct InitOptions {
  std::string name;
  std::string domain;
  std::string registry;
  std::string public_url;
  std::string edge;
  int http_port = 0;
  int https_port = 0;
  int db_port = 0;
  bool db = false;
  bool swarm = false;
  std::vector<std::string> exclude;
  std::vector<std::string> enable;
};

nlohmann::json port_json(int port) { return port == 0 ? nlohmann::json(nullptr) : nlohmann::json(port); }

int run_init(const Globals& g, const InitOptions& o) {
  if (o.db_port != 0 && !o.db) {
    // Publishing the database is a choice made on purpose: --db says it, --db-port picks where.
    throw Error(fmt::format("--db-port {} needs --db; nothing was created", o.db_port), ExitCode::usage,
                fmt::format("publish Postgres with `supactl init {} --db --db-port {}`", o.name, o.db_port));
  }
  config::CreateOptions create;
  create.domain = o.domain;
  create.registry = o.registry;
  create.public_url = o.public_url;
  create.edge = o.edge;
  create.swarm = o.swarm;
  if (o.http_port != 0) create.ports.http = o.http_port;
  if (o.https_port != 0) create.ports.https = o.https_port;
  if (o.db_port != 0) create.ports.db = o.db_port;
  create.ports.want_db = o.db;
  create.exclude = o.exclude;
  create.enable = o.enable;

  const std::filesystem::path home = config::home_dir(g.home);
  if (o.edge == "shared" && o.domain.empty()) {
    throw Error("--edge shared needs --domain: the edge routes each instance by its domain; nothing was created",
                ExitCode::usage,
                fmt::format("e.g. `supactl init {} --domain {}.example.com --edge shared`", o.name, o.name));
  }
  // Behind an edge on another port than 443, clients must name that port.
  if (o.edge == "shared" && o.public_url.empty()) {
    const std::optional<edge::Settings> edge = edge::load_settings(home);
    if (edge && edge->https_port != 443) create.public_url = fmt::format("https://{}:{}", o.domain, edge->https_port);
  }
  ports::HostPortProbe probe;
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  config::Instance inst = config::create_instance(home, o.name, create, ports::port_range_from_env(), probe, now);
  render::Endpoints e = render::instance_endpoints(inst.spec);

  if (g.json()) {
    print_json({{"name", inst.name},
                {"dir", inst.dir.string()},
                {"domain", inst.spec.domain},
                {"edge", inst.spec.edge},
                {"engine_mode", inst.spec.engine_mode},
                {"ports",
                 {{"http", inst.spec.ports.http},
                  {"https", inst.spec.ports.https},
                  {"db", port_json(inst.spec.ports.db)},
                  {"pooler_session", port_json(inst.spec.ports.pooler_session)},
                  {"pooler_transaction", port_json(inst.spec.ports.pooler_transaction)}}},
                {"services", inst.spec.enabled_services()},
                {"api_url", e.api_url},
                {"studio_url", e.studio_url},
                {"db_url", e.db_url}});
    return 0;
  }
  std::cout << fmt::format("created instance {} in {}\n", inst.name, inst.dir.string());
  std::cout << fmt::format("  API      {}\n", e.api_url);
  if (!e.studio_url.empty()) {
    std::cout << fmt::format("  Studio   {}  (user and password: DASHBOARD_* in secrets.env)\n", e.studio_url);
  }
  const std::string db =
      inst.spec.ports.db == 0 ? std::string("not published") : fmt::format("127.0.0.1:{}", inst.spec.ports.db);
  if (inst.spec.shared_edge()) {
    std::cout << fmt::format("  edge     shared: `supactl edge up` routes {} here; db {}\n", inst.spec.domain, db);
  } else {
    std::cout << fmt::format("  ports    http {}, https {}, db {}\n", inst.spec.ports.http, inst.spec.ports.https, db);
  }
  if (inst.spec.ports.pooler_session != 0) {
    std::cout << fmt::format("  pooler   127.0.0.1:{} (session), 127.0.0.1:{} (transaction)\n",
                             inst.spec.ports.pooler_session, inst.spec.ports.pooler_transaction);
  }
  std::cout << fmt::format("next: supactl up {}\n", inst.name);
  return 0;
}

}  // namespace

void setup_init(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<InitOptions>();
  sub.add_option("name", o->name, "Instance name (lower-case letters, digits, '-')")->required();
  sub.add_option("--domain", o->domain, "Public host name (default localhost)");
  sub.add_option("--registry", o->registry, "Pull images through this registry mirror (HOST[:PORT])");
  sub.add_option("--public-url", o->public_url,
                 "The URL clients use when your own proxy is in front, e.g. https://api.example.com");
  sub.add_option("--edge", o->edge, "own (default): its own Caddy on its own ports; shared: behind `supactl edge`")
      ->check(CLI::IsMember({"own", "shared"}));
  sub.add_flag("--swarm", o->swarm, "Run as Swarm services on the swarm this Engine manages (engine.mode: swarm)");
  sub.add_option("--http-port", o->http_port, "Host port for HTTP (default: a free one)")->check(CLI::Range(1, 65535));
  sub.add_option("--https-port", o->https_port, "Host port for HTTPS (default: a free one)")
      ->check(CLI::Range(1, 65535));
  sub.add_option("--db-port", o->db_port, "With --db: publish Postgres on 127.0.0.1:PORT")->check(CLI::Range(1, 65535));
  sub.add_flag("--db", o->db, "Publish Postgres on a free port of 127.0.0.1");
  sub.add_option("--exclude", o->exclude, "Optional services to leave out (comma-separated)")->delimiter(',');
  sub.add_option("--enable", o->enable, "Optional services to add, e.g. analytics,vector,supavisor")->delimiter(',');
  set_action(sub, g, [&g, o]() { return run_init(g, *o); });
}

}  // namespace supactl::cli
