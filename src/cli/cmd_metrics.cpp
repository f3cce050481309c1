// SPDX-License-Identifier: Apache-2.0
//
// `supactl metrics [NAME]` prints one snapshot of every instance (or one) in the Prometheus
// text format, for node_exporter's textfile collector; `supactl metrics serve` serves the same
// at /metrics for Prometheus to scrape, on loopback unless --token-file guards it.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/metrics/metrics.hpp>
#include <supactl/metrics/serve.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>

namespace supactl::cli {
namespace {

struct MetricsOptions {
  std::string name;
  std::string listen = "127.0.0.1:9477";
  std::string token_file;
  int interval_s = 15;
};

metrics::CollectOptions collect_options(const Globals& g, const MetricsOptions& o) {
  const std::filesystem::path home = config::home_dir(g.home);
  metrics::CollectOptions options{.home = home, .instances = {}};
  if (!o.name.empty()) {
    config::load_instance(home, o.name);  // an unknown name fails here, naming `supactl init`
    options.instances = {o.name};
  }
  return options;
}

int run_print(const Globals& g, const MetricsOptions& o) {
  const metrics::CollectOptions options = collect_options(g, o);
  std::cout << metrics::exposition(metrics::collect(g.engine(), options)) << std::flush;
  return 0;
}

int run_serve(const Globals& g, const MetricsOptions& o) {
  // Bad input first, before the Engine is asked anything.
  const metrics::ListenAddress listen = metrics::parse_listen(o.listen);
  if (o.interval_s < 1 || o.interval_s > 3600) {
    throw Error(fmt::format("--interval {} is out of range", o.interval_s), ExitCode::usage,
                "give the seconds between collections, from 1 to 3600 (default 15)");
  }
  const std::string token = o.token_file.empty() ? std::string() : metrics::read_token_file(o.token_file);
  metrics::refuse_open_without_token(listen, token);
  metrics::CollectOptions options = collect_options(g, o);
  // No scrape waits for a collection here, so a collection may take up to its interval (3 to
  // 30 s) before it leaves requests out: a loaded host still gets whole snapshots.
  options.deadline = std::clamp<std::chrono::milliseconds>(std::chrono::seconds(o.interval_s), std::chrono::seconds(3),
                                                           std::chrono::seconds(30));
  docker::Engine& engine = g.engine();
  // Scrapes are answered from the newest snapshot; the first scrape waits for the first one.
  metrics::Refresher refresher([&engine, &options] { return metrics::exposition(metrics::collect(engine, options)); },
                               std::chrono::seconds(o.interval_s));
  const auto first_wait = options.deadline + std::chrono::seconds(10);
  metrics::serve(metrics::ServeOptions{
      .listen = listen,
      .token = token,
      .scrape = [&refresher, first_wait] { return refresher.current(first_wait); },
      .on_listening =
          [&listen](int port) {
            const bool v6 = listen.host.find(':') != std::string::npos;
            std::cout << fmt::format("serving metrics on http://{}{}{}:{}/metrics\n", v6 ? "[" : "", listen.host,
                                     v6 ? "]" : "", port)
                      << std::flush;
          },
  });
  return 0;
}

}  // namespace

void setup_metrics(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<MetricsOptions>();
  sub.add_option("name", o->name, "Instance name (default: every instance)");
  sub.require_subcommand(0, 1);

  CLI::App* serve = sub.add_subcommand("serve", "Serve /metrics over HTTP for Prometheus (until Ctrl-C)");
  serve->add_option("name", o->name, "Instance name (default: every instance)");
  serve->add_option("--listen", o->listen, "HOST:PORT to listen on (default 127.0.0.1:9477; port 0 = any free one)");
  serve->add_option("--interval", o->interval_s,
                    "Seconds between collections; scrapes are answered from the newest one (default 15)");
  serve->add_option("--token-file", o->token_file,
                    "File holding a token scrapers must send as `Authorization: Bearer <token>` (needed off loopback)");
  set_action(*serve, g, [&g, o]() { return run_serve(g, *o); });

  CLI::App* self = &sub;
  sub.callback([&g, o, self] {
    if (g.dry_parse || !self->get_subcommands().empty()) return;
    g.exit_code = run_print(g, *o);
  });
}

}  // namespace supactl::cli
